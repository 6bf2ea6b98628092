"""The bot on the sandbox with time frozen (time-machine): tests read like a conversation,
and time moves only when travelled — by the test, or by `settle()` over Telegram's pacing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from sqlmodel import col, select

from bot.models.outbox import OutboxMessage
from bot.sandbox.limits import Limits
from bot.sandbox.runner import BOT_USERNAME, TOKEN, SandboxRun

__all__ = ["BOT_USERNAME", "TOKEN", "Harness"]


DEFAULT_TIMEOUT = 10.0  # seconds


class Harness(SandboxRun):
    def __init__(
        self,
        database_url: str,
        folder: Path,
        traveller: time_machine.Coordinates,
        *,
        limits: Limits | None = None,
        settings_overrides: dict[str, Any] | None = None,
    ) -> None:
        overrides = {
            # Long enough that a loaded machine never makes the bot give up on a call the
            # sandbox then applies (it would send it again: a duplicate the test would count).
            # Tests of injected timeouts ask for a short one (@pytest.mark.settings).
            "TELEGRAM_TIMEOUT": DEFAULT_TIMEOUT,
            **(settings_overrides or {}),
        }
        super().__init__(
            database_url,
            folder,
            limits=limits,
            settings_overrides=overrides,
            travel=traveller.shift,
        )
        self.traveller = traveller

    async def travel(self, delta: timedelta) -> None:
        """Finish what is in hand now, move time forward, let due jobs run, and settle."""
        await self.settle()
        await self._move(delta)

    async def travel_to(self, moment: datetime) -> None:
        await self.settle()
        await self._move(moment - self.now)

    async def _move(self, delta: timedelta) -> None:
        self.traveller.shift(delta)
        await self.run_due_jobs()
        await self.settle()

    async def run_due_jobs(self) -> None:
        """Run what the scheduler would run at this moment (the deadline tick)."""
        from schedules import run_due

        await run_due(self.services, self.now)

    async def refused_sends(self) -> list[str]:
        """Messages Telegram refused as malformed (400): always a bug of ours."""
        async with self.session() as session:
            rows = await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.last_error).startswith("400"))
            )
            return [f"{r.id}: {r.last_error}" for r in rows.all()]
