"""Scheduled jobs, derived from the database (the deadline table is the truth).

`start_schedules` reconciles with the table at start (what fell due while the bot was down
runs now, missed reminders included) and plans the jobs; `run_due` is the tick, also called by
the tests after travelling in time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import rollover
from bot.services import Services
from schedules.jobs import DeadlineScheduler
from schedules.tick import Backoff, TickReport, run_tick


async def start_schedules(app: Any, services: Services) -> None:
    """Reconcile jobs with the table and start the scheduler."""
    now = services.clock.now()
    async with services.unit_of_work() as session:
        # Recurring deadlines derive from the calendar itself: the next PPT term.
        await rollover.ensure_next(services, session, now)
    scheduler = DeadlineScheduler(services, getattr(app, "job_queue", None))
    services.scheduler = scheduler
    await scheduler.start()


async def stop_schedules(app: Any, services: Services) -> None:
    """Stop the scheduler; jobs are rebuilt from the table at the next start."""
    if services.scheduler is not None:
        await services.scheduler.stop()
        services.scheduler = None


async def run_due(services: Services, now: datetime) -> TickReport:
    """Run every deadline action and reminder due at `now` (the scheduler's tick)."""
    if services.scheduler is not None:
        return await services.scheduler.tick(now)
    return await run_tick(services, now, Backoff())
