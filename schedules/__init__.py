"""Scheduled jobs, derived from the database (the deadline table is the truth)."""

from __future__ import annotations

from typing import Any

from bot.services import Services


async def start_schedules(app: Any, services: Services) -> None:
    """Reconcile jobs with the table and start the scheduler."""


async def stop_schedules(app: Any, services: Services) -> None:
    """Stop the scheduler; jobs are rebuilt from the table at the next start."""


async def run_due(services: Services, now: Any) -> None:
    """Run every deadline action and reminder due at `now` (the scheduler's tick)."""
