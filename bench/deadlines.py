"""Benchmark: the scheduler with 10,000 open deadlines (issue 8).

Runs the real bot against the local Bot API sandbox, in real time, on a fresh database
(SQLite in a temporary folder, or DATABASE_URL when it points at PostgreSQL: its tables are
emptied first). It prints:

- how long reconciling the table takes at start: once "cold" (every row without its next
  moment, as after the migration) and once "warm" (a restart);
- the memory of the running process (bot and sandbox together);
- how late due reminders are handed to the outbox (committed, ready for the sender), in ms,
  at the median and the 99th percentile, for reminders falling due while it runs (each goes
  to two people, whom the sender meanwhile delivers to through the sandbox).

    python -m bench.deadlines [--deadlines 10000] [--due 300] [--window 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import db, deadlines, features
from bot.features import Feature
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.people import Person
from bot.outbox import Content
from bot.sandbox.runner import SandboxRun
from bot.services import Services
from bot.text import to_json
from schedules import jobs, tick

PEOPLE = 40


class BenchKind:
    """Everyone asked to act on a deadline is a few of the bench's people."""

    kind = "bench"

    def __init__(self) -> None:
        self.person_ids: list[int] = []

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        assert deadline.id is not None
        chosen = [self.person_ids[(deadline.id + i) % len(self.person_ids)] for i in range(2)]
        rows = await session.exec(select(Person).where(col(Person.id).in_(chosen)))
        return list(rows.all())

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        return None

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        return Content(f"Reminder: {deadline.key}")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(run: SandboxRun, kind: BenchKind, count: int) -> None:
    """`count` open deadlines spread over the next two months, written straight into the
    table without their next moment (as the migration leaves them): the start derives it."""
    now = datetime.now(UTC)
    async with run.session() as session:
        for i in range(PEOPLE):
            await run.person(f"p{i}", "focal_point", "MX")
        kind.person_ids = [
            p.id for p in (await session.exec(select(Person))).all() if p.id is not None
        ]
    rows: list[dict[str, Any]] = [
        {
            "key": f"bench:{i}",
            "kind": "bench",
            "ref": f"bench:{i}",
            "title": to_json(f"Bench deadline {i}"),
            "due_at": now + timedelta(days=3, seconds=60 * 60 * 24 * 57 * i / count),
            "reminder_offsets": [7200],
            "status": DeadlineStatus.OPEN.value,
            "created_at": now,
            "updated_at": now,
            "next_at": None,
        }
        for i in range(count)
    ]
    async with run.session() as session:
        for start in range(0, len(rows), 1000):
            await session.exec(insert(Deadline).values(rows[start : start + 1000]))  # type: ignore[call-overload]


async def schedule_due(run: SandboxRun, due: int, window: float) -> dict[int, datetime]:
    """`due` more deadlines, scheduled as a capability would while the bot runs, whose
    2-hour reminders fall due over the next `window` seconds."""
    now = datetime.now(UTC) + timedelta(seconds=2)
    moments: dict[int, datetime] = {}
    async with run.services.unit_of_work() as session:
        for i in range(due):
            reminder_at = now + timedelta(seconds=window * i / max(due, 1))
            row = await deadlines.schedule(
                session,
                key=f"bench:due:{i}",
                kind="bench",
                ref=f"bench:due:{i}",
                title=f"Bench deadline due {i}",
                due_at=reminder_at + timedelta(hours=2),
                now=datetime.now(UTC),
                reminders=[timedelta(hours=2)],
            )
            assert row.id is not None
            moments[row.id] = reminder_at
    return moments


async def main(count: int, due: int, window: float) -> None:
    kind = BenchKind()
    found = features.discover()
    import bot.app

    bot.app.discover = lambda: [*found, Feature("bench", deadline_kinds=[kind])]  # type: ignore[assignment]
    reconcile_times: list[float] = []
    original_start = jobs.DeadlineScheduler.start

    async def timed_start(self: jobs.DeadlineScheduler) -> tick.TickReport:
        began = time.perf_counter()
        report = await original_start(self)
        reconcile_times.append(time.perf_counter() - began)
        return report

    jobs.DeadlineScheduler.start = timed_start  # type: ignore[method-assign]
    handed: dict[int, float] = {}
    original_step = tick.step

    async def timed_step(services: Services, deadline_id: int, now: datetime, report: Any) -> Any:
        outcome = await original_step(services, deadline_id, now, report)
        handed.setdefault(deadline_id, time.time())  # committed: the sender can take it
        return outcome

    tick.step = timed_step  # type: ignore[assignment]

    with tempfile.TemporaryDirectory(prefix="rcm-bench-") as folder:
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgresql"):
            from tests import databases

            await databases.prepare_postgres(url)
        else:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await db.upgrade_async(url)
        run = SandboxRun(url, Path(folder))
        await run.start()
        base_rss = rss_mb()
        try:
            await seed(run, kind, count)
            await run.restart()  # cold: 10,000 rows without their next moment
            cold = reconcile_times[-1]
            await run.restart()  # warm: everything derived already
            warm = reconcile_times[-1]
            started_rss = rss_mb()
            moments = await schedule_due(run, due, window)
            # Let every reminder fall due, with a margin to be handed over.
            last = max(moments.values()) + timedelta(seconds=5)
            await asyncio.sleep(max(0.0, (last - datetime.now(UTC)).total_seconds()))
            late_ms = [
                (handed[i] - moment.timestamp()) * 1000
                for i, moment in moments.items()
                if i in handed
            ]
            async with run.session() as session:
                still_open = len(
                    (
                        await session.exec(
                            select(Deadline.id).where(Deadline.status == DeadlineStatus.OPEN)
                        )
                    ).all()
                )
            print(
                f"database: {make_url(url).get_backend_name()}; load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            print(f"open deadlines: {still_open}")
            print(f"reconcile at start, cold (derive every next moment): {cold * 1000:.0f} ms")
            print(f"reconcile at start, warm (restart): {warm * 1000:.0f} ms")
            print(
                f"memory (RSS, bot and sandbox in one process): {base_rss:.0f} MB before the "
                f"deadlines, {started_rss:.0f} MB running with them, {rss_mb():.0f} MB at the end"
            )
            print(f"reminders due during the run: {len(moments)}, handed over: {len(late_ms)}")
            if late_ms:
                ordered = sorted(late_ms)
                p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
                print(
                    f"lateness handing reminders to the outbox: median "
                    f"{statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms, "
                    f"max {ordered[-1]:.1f} ms"
                )
        finally:
            await run.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=300, help="reminders due while it runs")
    parser.add_argument("--window", type=float, default=60.0, help="seconds they spread over")
    args = parser.parse_args()
    from bot import logs

    logs.setup("WARNING")
    asyncio.run(main(args.deadlines, args.due, args.window))


if __name__ == "__main__":
    cli()
