"""The scheduler's jobs on APScheduler (python-telegram-bot's JobQueue), derived from the table.

Two jobs, with fixed ids and `replace_existing=True`, so that no restart or change can double
them (STYLE 8): one wake-up at the next moment some deadline needs (planned again after every
tick and whenever a commit schedules something sooner), and a periodic safety tick in case a
change reached the table some other way. Nothing about a deadline lives only in a job.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from telegram.ext import JobQueue

from bot import deadlines
from bot.services import Services
from schedules.tick import Backoff, TickReport, fill_missing, next_wake, run_tick

log = logging.getLogger(__name__)

WAKE_JOB = "deadlines:wake"
SAFETY_JOB = "deadlines:safety"


class DeadlineScheduler:
    def __init__(self, services: Services, job_queue: JobQueue[Any] | None) -> None:
        self.services = services
        self.job_queue = job_queue
        self.backoff = Backoff()
        self.wake_at: datetime | None = None
        self.last_report = TickReport()
        self._lock = asyncio.Lock()  # one tick at a time
        self._stopped = False
        self._running: set[asyncio.Task[TickReport]] = set()

    async def start(self) -> TickReport:
        """Reconcile with the table: derive what is missing, catch up on everything that
        fell due while the bot was down (missed reminders go out now), plan the next wake."""
        filled = await fill_missing(self.services)
        if filled:
            log.info("deadlines: derived the next moment of %d deadline(s)", filled)
        deadlines.watch(self.services.db.engine, self.notify)
        report = await self.tick()
        if self.job_queue is not None:
            every = self.services.settings.deadline_safety_tick_seconds
            self.job_queue.run_repeating(
                self._on_safety,
                interval=every,
                first=every,
                name=SAFETY_JOB,
                job_kwargs={"id": SAFETY_JOB, "replace_existing": True, "coalesce": True},
            )
        return report

    async def stop(self) -> None:
        """No tick starts after this; one in progress finishes its step first."""
        self._stopped = True
        deadlines.unwatch(self.services.db.engine)
        for job_id in (WAKE_JOB, SAFETY_JOB):
            self._remove(job_id)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        async with self._lock:
            pass

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Everything due at `now` (by default: when this tick gets its turn)."""
        async with self._lock:
            if self._stopped:
                return TickReport()
            now = now or self.services.clock.now()
            report = await run_tick(self.services, now, self.backoff)
            self.last_report = report
            self._plan(await next_wake(self.services, now, self.backoff))
        return report

    def notify(self, moment: datetime) -> None:
        """A commit scheduled something for `moment`: wake then, if that is sooner."""
        if self._stopped:
            return
        if self.wake_at is None or moment < self.wake_at:
            self._plan(moment)

    # ---- the jobs --------------------------------------------------------------------------

    def _plan(self, moment: datetime | None) -> None:
        self.wake_at = moment
        if self.job_queue is None:
            return
        if moment is None:
            self._remove(WAKE_JOB)
            return
        self.job_queue.run_once(
            self._on_wake,
            when=moment,
            name=WAKE_JOB,
            # However late the loop gets to it, it still runs (APScheduler's default grace
            # of one second would drop it).
            job_kwargs={"id": WAKE_JOB, "replace_existing": True, "misfire_grace_time": None},
        )

    def _remove(self, job_id: str) -> None:
        if self.job_queue is None:
            return
        scheduler = self.job_queue.scheduler
        if scheduler.get_job(job_id) is not None:
            scheduler.remove_job(job_id)

    async def _on_wake(self, context: Any) -> None:
        self.wake_at = None
        self._start_tick()

    async def _on_safety(self, context: Any) -> None:
        self._start_tick()

    def _start_tick(self) -> None:
        # The job only starts the tick and returns: the tick plans the next wake-up, which
        # may be due at once, and APScheduler would skip a job whose previous run is still
        # going. Ticks queue on the lock.
        task = asyncio.create_task(self.tick(), name="deadlines-tick")
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[TickReport]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("deadlines: tick failed", exc_info=task.exception())
