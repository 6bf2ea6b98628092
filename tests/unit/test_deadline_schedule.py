"""bot.deadlines keeps each deadline's next moment in the table, and tells the scheduler after
a commit (never after a rollback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import deadlines
from bot.db import Database
from bot.models.deadlines import DeadlineStatus

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


async def _schedule(db: Database, due: datetime, now: datetime = NOW, **kwargs: object):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await deadlines.schedule(
            session,
            key="vote:3:close",
            kind="vote",
            ref="vote:3",
            title="V3",
            due_at=due,
            now=now,
            **kwargs,  # type: ignore[arg-type]
        )


async def test_next_moment_skips_reminders_already_past_when_scheduled(db: Database) -> None:
    row = await _schedule(db, NOW + 2 * DAY)
    # The 3-day reminder was before the vote existed: the first is the 1-day one.
    assert row.next_at == NOW + DAY
    assert row.status == DeadlineStatus.OPEN and row.action_ran_at is None


async def test_a_deadline_scheduled_in_the_past_is_due_at_once(db: Database) -> None:
    row = await _schedule(db, NOW - HOUR)
    assert row.next_at == NOW - HOUR


async def test_rescheduling_unchanged_keeps_the_progress(db: Database) -> None:
    await _schedule(db, NOW + 5 * DAY)
    later = NOW + 3 * DAY  # between two moments, nothing handled yet
    row = await _schedule(db, NOW + 5 * DAY, now=later)
    assert row.next_at == NOW + 2 * DAY  # the 3-day reminder is still owed


async def test_moving_or_reopening_plans_again(db: Database) -> None:
    await _schedule(db, NOW + 5 * DAY)
    moved = await _schedule(db, NOW + 10 * DAY, now=NOW + DAY)
    assert moved.next_at == NOW + 7 * DAY
    async with db.transaction() as session:
        assert await deadlines.complete(session, "vote:3:close", NOW + 2 * DAY)
        assert not await deadlines.complete(session, "vote:3:close", NOW + 2 * DAY)
    async with db.transaction() as session:
        done = await deadlines.get(session, "vote:3:close")
        assert done is not None and done.next_at is None and done.status == DeadlineStatus.DONE
    reopened = await _schedule(db, NOW + 10 * DAY, now=NOW + 8 * DAY)
    assert reopened.status == DeadlineStatus.OPEN and reopened.next_at == NOW + 9 * DAY


async def test_the_listener_hears_commits_only(db: Database) -> None:
    heard: list[datetime] = []
    deadlines.watch(db.engine, heard.append)
    try:
        await _schedule(db, NOW + 5 * DAY)
        assert heard == [NOW + 2 * DAY]
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await deadlines.schedule(
                    session, key="x", kind="k", ref="r", title="t", due_at=NOW + HOUR, now=NOW
                )
                raise RuntimeError("rolled back")
        assert heard == [NOW + 2 * DAY]
        # Two in one transaction: one call, with the earlier moment.
        async with db.transaction() as session:
            for key, due in (("a", NOW + 9 * DAY), ("b", NOW + 6 * DAY)):
                await deadlines.schedule(
                    session, key=key, kind="k", ref="r", title="t", due_at=due, now=NOW
                )
        assert heard == [NOW + 2 * DAY, NOW + 3 * DAY]
    finally:
        deadlines.unwatch(db.engine)
    await _schedule(db, NOW + 20 * DAY)
    assert len(heard) == 2


async def test_rows_without_a_next_moment_get_it_at_start(db: Database) -> None:
    """Open deadlines written before the column existed: derived from when they were last
    scheduled, so the reminders they owe since then are still sent."""
    from sqlalchemy import insert

    from bot.config import Settings
    from bot.models.deadlines import Deadline
    from bot.services import Services
    from schedules.tick import fill_missing

    base = {"kind": "k", "ref": "r", "title": None, "created_at": NOW, "updated_at": NOW}
    async with db.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            insert(Deadline).values(
                [
                    {**base, "key": "a", "due_at": NOW + 2 * DAY, "status": "open"},
                    {**base, "key": "b", "due_at": NOW - DAY, "status": "open"},
                    {**base, "key": "c", "due_at": NOW + DAY, "status": "done"},
                ]
            )
        )
    services = Services.create(Settings(_env_file=None, DATABASE_URL=db.url), db=db)  # type: ignore[call-arg]
    assert await fill_missing(services) == 2
    async with db.transaction() as session:
        found = {k: await deadlines.get(session, k) for k in "abc"}
    assert found["a"].next_at == NOW + DAY  # type: ignore[union-attr]
    assert found["b"].next_at == NOW - DAY  # type: ignore[union-attr]  # its due action is owed
    assert found["c"].next_at is None  # type: ignore[union-attr]
    assert await fill_missing(services) == 0
