"""The scheduler against the DeadlineKind protocol, with a test kind: reminders only to those
pending, the due action once, overdue reminders, restarts in the middle of a run, reminders
missed while the bot was down, failures, and the APScheduler jobs derived from the table."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import deadlines, features
from bot.features import Feature
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.outbox import OutboxMessage
from bot.models.people import Person
from bot.outbox import Content
from bot.services import Services
from schedules.jobs import WAKE_JOB
from tests.harness import Harness

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


class Probe:
    """A deadline kind whose pending persons, actions and failures a test controls."""

    kind = "probe"

    def __init__(self) -> None:
        self.who: dict[str, list[int]] = {}  # deadline key -> person ids still to act
        self.actions: list[str] = []
        self.failing: set[str] = set()
        self.close_on_due: set[str] = set()  # like a vote: the due action ends it
        self.hold: str | None = None  # pending() of this key waits for `release`
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        if deadline.key == self.hold:
            self.hold = None
            self.entered.set()
            await self.release.wait()
        if deadline.key in self.close_on_due and deadline.action_ran_at is not None:
            return []
        ids = self.who.get(deadline.key, [])
        rows = await session.exec(select(Person).where(col(Person.id).in_(ids)))
        return list(rows.all())

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        if deadline.key in self.failing:
            raise RuntimeError("the capability failed")
        self.actions.append(deadline.key)

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        due = deadline.due_at.isoformat()
        return Content(f"Reminder {deadline.key} for {person.display_name}, due {due}")


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture(autouse=True)
def _with_probe(monkeypatch: pytest.MonkeyPatch, probe: Probe) -> None:
    # Autouse: in place before the harness builds the bot (and at every restart).
    found = features.discover()
    monkeypatch.setattr(
        "bot.app.discover", lambda: [*found, Feature("probe", deadline_kinds=[probe])]
    )


async def _people(harness: Harness, count: int = 3) -> list:  # type: ignore[type-arg]
    return [await harness.person(f"p{i}", "focal_point", "MX") for i in range(count)]


async def _schedule(harness: Harness, key: str, due_at: datetime, **kwargs: object) -> Deadline:
    async with harness.services.unit_of_work() as session:
        return await deadlines.schedule(
            session,
            key=key,
            kind=kwargs.pop("kind", "probe"),  # type: ignore[arg-type]
            ref=f"probe:{key}",
            title=key,
            due_at=due_at,
            now=harness.now,
            **kwargs,  # type: ignore[arg-type]
        )


async def _deadline(harness: Harness, key: str) -> Deadline:
    async with harness.session() as session:
        found = await deadlines.get(session, key)
    assert found is not None
    return found


def _reminders(user, key: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        m.text
        for m in user.bot_messages()
        if "Reminder" in m.text and (key is None or key in m.text)
    ]


async def test_reminders_at_each_moment_only_to_those_pending(
    harness: Harness, probe: Probe
) -> None:
    (a, pa), (b, pb), (c, _) = await _people(harness)
    due = harness.now + 5 * DAY
    probe.who["k"] = [pa.id, pb.id]  # type: ignore[list-item]
    await _schedule(harness, "k", due)
    for before in (3 * DAY, DAY, 2 * HOUR):
        await harness.travel_to(due - before)
    assert len(_reminders(a)) == len(_reminders(b)) == 3 and _reminders(c) == []
    probe.who["k"] = [pa.id]  # type: ignore[list-item]  # b acted
    await harness.travel_to(due)
    assert probe.actions == ["k"]
    row = await _deadline(harness, "k")
    assert row.status == DeadlineStatus.DONE and row.action_ran_at == due and row.next_at is None
    await harness.travel(DAY)
    assert probe.actions == ["k"] and len(_reminders(a)) == 3


async def test_overdue_reminders_until_completed(harness: Harness, probe: Probe) -> None:
    (a, pa), *_ = await _people(harness, 1)
    due = harness.now + 2 * HOUR + timedelta(minutes=30)
    probe.who["report"] = [pa.id]  # type: ignore[list-item]
    await _schedule(harness, "report", due, reminders=[2 * HOUR], overdue_every=DAY)
    await harness.travel_to(due - 2 * HOUR)
    await harness.travel_to(due)
    assert probe.actions == ["report"]
    assert (await _deadline(harness, "report")).status == DeadlineStatus.OPEN
    for _ in range(3):
        await harness.travel(DAY)
    assert len(_reminders(a)) == 4  # one before, three overdue
    async with harness.services.unit_of_work() as session:
        assert await deadlines.complete(session, "report", harness.now)
    await harness.travel(3 * DAY)
    assert len(_reminders(a)) == 4 and probe.actions == ["report"]


async def test_a_moved_deadline_reminds_again_for_its_new_date(
    harness: Harness, probe: Probe
) -> None:
    (a, pa), *_ = await _people(harness, 1)
    due = harness.now + 2 * DAY
    probe.who["v"] = [pa.id]  # type: ignore[list-item]
    await _schedule(harness, "v", due)
    await harness.travel_to(due - DAY)
    assert len(_reminders(a)) == 1
    await _schedule(harness, "v", due + 3 * DAY)  # extended by three days
    # The old date passes with no due action; it is 3 days before the new one.
    await harness.travel_to(due)
    assert probe.actions == [] and len(_reminders(a)) == 2
    assert "2026-03-07" in _reminders(a)[1]
    for moment in (due + 3 * DAY - DAY, due + 3 * DAY - 2 * HOUR, due + 3 * DAY):
        await harness.travel_to(moment)
    assert len(_reminders(a)) == 4 and probe.actions == ["v"]


async def test_restart_in_the_middle_of_a_reminder_run(harness: Harness, probe: Probe) -> None:
    """The process dies while the tick is half-way through the deadlines due: after the
    restart, every person has exactly one reminder per deadline in the transcript."""
    people = await _people(harness, 3)
    due = harness.now + 3 * DAY + HOUR
    keys = [f"d{i}" for i in range(5)]
    for key in keys:
        probe.who[key] = [p.id for _, p in people]  # type: ignore[misc]
        await _schedule(harness, key, due)
    await harness.travel_to(due - 3 * DAY + timedelta(minutes=1))  # the first reminders
    harness.traveller.shift(2 * DAY)  # the 1-day reminders fall due...
    probe.hold = "d2"  # ...and the process dies on the third deadline
    run = asyncio.create_task(harness.run_due_jobs())
    await asyncio.wait_for(probe.entered.wait(), 10)
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run
    probe.release.set()
    await harness.restart()
    for user, _ in people:
        for key in keys:
            assert len(_reminders(user, key)) == 2, (user.name, key, _reminders(user, key))
    async with harness.session() as session:
        keys_queued = [
            r.dedupe_key
            for r in (await session.exec(select(OutboxMessage))).all()
            if r.dedupe_key and r.dedupe_key.startswith("reminder:")
        ]
    assert len(keys_queued) == len(set(keys_queued)) == 2 * len(keys) * len(people)
    # A second restart at the same moment sends nothing more.
    await harness.restart()
    assert all(len(_reminders(u, k)) == 2 for u, _ in people for k in keys)


async def test_an_error_half_way_through_a_deadline_rolls_it_back_whole(
    harness: Harness, probe: Probe
) -> None:
    people = await _people(harness, 3)
    due = harness.now + DAY + HOUR
    probe.who["d"] = [p.id for _, p in people]  # type: ignore[misc]
    await _schedule(harness, "d", due)
    original = probe.reminder
    calls = 0

    def flaky(deadline: Deadline, person: Person, *, now: datetime) -> Content:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("failed on the second person")
        return original(deadline, person, now=now)

    probe.reminder = flaky  # type: ignore[method-assign]
    await harness.travel_to(due - DAY)
    assert all(_reminders(u) == [] for u, _ in people)  # nothing half-sent
    # It backs off for five minutes, and the scheduler will wake up for it then.
    scheduler = harness.services.scheduler
    retry = harness.now + timedelta(minutes=5)
    assert scheduler is not None and list(scheduler.backoff.until.values()) == [retry]
    assert scheduler.wake_at == retry
    await harness.travel(timedelta(minutes=5))  # retried
    assert all(len(_reminders(u)) == 1 for u, _ in people)


async def test_missed_reminders_go_out_at_start_and_say_when_late(
    harness: Harness, probe: Probe
) -> None:
    (a, pa), *_ = await _people(harness, 1)
    due = harness.now + 3 * DAY + HOUR
    probe.who["x"] = [pa.id]  # type: ignore[list-item]
    await _schedule(harness, "x", due)
    # The bot is down while the 3-day reminder falls due; it is sent at start, once.
    harness.traveller.shift(2 * DAY)
    await harness.restart()
    assert len(_reminders(a)) == 1 and "late" not in _reminders(a)[0]
    await harness.restart()
    assert len(_reminders(a)) == 1
    # Down again over the 1-day and 2-hour reminders and the deadline itself: the due action
    # runs, and only the latest missed reminder goes, saying it comes late.
    harness.traveller.shift(2 * DAY)
    await harness.restart()
    assert probe.actions == ["x"]
    late = _reminders(a)
    assert len(late) == 2
    assert "This reminder comes late" in late[1] and "(UTC-06:00)" in late[1]
    async with harness.session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
        assert sorted(r.dedupe_key.rsplit(":", 1)[1] for r in rows if r.dedupe_key) == [
            "259200",
            "7200",
        ]


async def test_no_late_reminder_once_the_due_action_closed_the_subject(
    harness: Harness, probe: Probe
) -> None:
    (a, pa), *_ = await _people(harness, 1)
    due = harness.now + DAY + HOUR
    probe.who["vote"] = [pa.id]  # type: ignore[list-item]
    probe.close_on_due.add("vote")
    await _schedule(harness, "vote", due)
    harness.traveller.shift(2 * DAY)
    await harness.restart()
    assert probe.actions == ["vote"] and _reminders(a) == []


async def test_a_failing_due_action_is_retried_and_runs_once(
    harness: Harness, probe: Probe
) -> None:
    await _people(harness, 1)
    due = harness.now + HOUR
    probe.failing.add("f")
    await _schedule(harness, "f", due, reminders=[])
    await harness.travel_to(due)
    assert probe.actions == [] and (await _deadline(harness, "f")).status == DeadlineStatus.OPEN
    await harness.travel(timedelta(minutes=1))  # still backing off: not tried again yet
    probe.failing.clear()
    await harness.travel(timedelta(minutes=4))
    assert probe.actions == ["f"]
    await harness.restart()
    assert probe.actions == ["f"]


async def test_unknown_kinds_wait_without_a_busy_loop(harness: Harness, probe: Probe) -> None:
    await _schedule(harness, "orphan", harness.now + HOUR, kind="gone", reminders=[])
    await _schedule(harness, "later", harness.now + 2 * DAY, reminders=[])
    await harness.travel(2 * HOUR)
    orphan = await _deadline(harness, "orphan")
    assert orphan.status == DeadlineStatus.OPEN and orphan.next_at is not None
    scheduler = harness.services.scheduler
    assert scheduler is not None and scheduler.wake_at == harness.now - 2 * HOUR + 2 * DAY


async def test_jobs_are_derived_from_the_table(harness: Harness, probe: Probe) -> None:
    scheduler = harness.services.scheduler
    job_queue = harness.app.job_queue  # type: ignore[union-attr]
    assert scheduler is not None and job_queue is not None
    first = harness.now + 10 * DAY
    await _schedule(harness, "far", first, reminders=[])
    # The commit told the scheduler: one wake-up job, at the deadline's moment.
    assert scheduler.wake_at == first
    near = harness.now + 2 * DAY
    await _schedule(harness, "near", near)
    assert scheduler.wake_at == near - DAY
    job = job_queue.scheduler.get_job(WAKE_JOB)
    assert job is not None and job.next_run_time == near - DAY
    # Rolled back: the scheduler is not told.
    with contextlib.suppress(RuntimeError):
        async with harness.services.unit_of_work() as session:
            await deadlines.schedule(
                session,
                key="ghost",
                kind="probe",
                ref="p",
                title="g",
                due_at=harness.now + HOUR,
                now=harness.now,
            )
            raise RuntimeError("rolled back")
    assert scheduler.wake_at == near - DAY
    # After a restart the jobs are rebuilt from the table alone.
    await harness.restart()
    assert harness.services.scheduler.wake_at == near - DAY  # type: ignore[union-attr]
    assert harness.app.job_queue.scheduler.get_job(WAKE_JOB).next_run_time == near - DAY  # type: ignore[union-attr]
