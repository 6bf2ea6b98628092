"""Scheduling deadlines: the API every capability uses to put something on the calendar.

A capability calls `schedule()` in the same transaction as the change that creates the
deadline (a vote opened, a meeting moved) and provides a `DeadlineKind` saying who still has
to act and what happens when the deadline passes. The scheduler (`schedules/`) reminds and
runs the due actions from this table, so a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.people import Person
from bot.text import Node, to_json

if TYPE_CHECKING:
    from bot.outbox import Content
    from bot.services import Services

# SPEC 2.6: reminders by default 3 days, 1 day and 2 hours before.
DEFAULT_REMINDERS: tuple[timedelta, ...] = (
    timedelta(days=3),
    timedelta(days=1),
    timedelta(hours=2),
)


class DeadlineKind(Protocol):
    """What a capability tells the scheduler about its deadlines of one kind."""

    kind: str

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        """Who still has to act (only they are reminded)."""
        ...

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        """What happens when the deadline passes (close the vote, ...). Must be safe to run
        twice: a crash after it ran and before the deadline was marked done repeats it."""
        ...

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        """The reminder a person who has not acted receives."""
        ...


async def schedule(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    ref: str,
    title: Node,
    due_at: datetime,
    now: datetime,
    reminders: Sequence[timedelta] | None = None,
    overdue_every: timedelta | None = None,
    created_by_id: int | None = None,
) -> Deadline:
    """Create the deadline `key`, or move it (and reopen it) if it exists. Moving it means
    its reminders and due action apply again to the new date."""
    deadline = (await session.exec(select(Deadline).where(Deadline.key == key))).first()
    if deadline is None:
        deadline = Deadline(
            key=key, kind=kind, ref=ref, created_by_id=created_by_id, created_at=now
        )
    moved = deadline.due_at is None or as_utc(deadline.due_at) != due_at
    reopened = deadline.status != DeadlineStatus.OPEN
    deadline.kind, deadline.ref, deadline.title = kind, ref, to_json(title)
    deadline.due_at, deadline.updated_at = due_at, now
    deadline.reminder_offsets = (
        None if reminders is None else [int(r.total_seconds()) for r in reminders]
    )
    deadline.overdue_every = int(overdue_every.total_seconds()) if overdue_every else None
    if moved or reopened:
        deadline.action_ran_at = None
    deadline.status, deadline.closed_at = DeadlineStatus.OPEN, None
    session.add(deadline)
    await session.flush()
    return deadline


async def get(session: AsyncSession, key: str) -> Deadline | None:
    return (await session.exec(select(Deadline).where(Deadline.key == key))).first()


async def _finish(session: AsyncSession, key: str, status: DeadlineStatus, now: datetime) -> bool:
    deadline = await get(session, key)
    if deadline is None or deadline.status != DeadlineStatus.OPEN:
        return False
    deadline.status, deadline.closed_at, deadline.updated_at = status, now, now
    session.add(deadline)
    await session.flush()
    return True


async def complete(session: AsyncSession, key: str, now: datetime) -> bool:
    """The subject finished (a vote closed early, a report arrived): no more reminders."""
    return await _finish(session, key, DeadlineStatus.DONE, now)


async def cancel(session: AsyncSession, key: str, now: datetime) -> bool:
    return await _finish(session, key, DeadlineStatus.CANCELLED, now)


async def open_for_ref(session: AsyncSession, ref: str) -> list[Deadline]:
    rows = await session.exec(
        select(Deadline)
        .where(Deadline.ref == ref, Deadline.status == DeadlineStatus.OPEN)
        .order_by(col(Deadline.due_at))
    )
    return list(rows.all())


def reminder_offsets(deadline: Deadline) -> tuple[timedelta, ...]:
    if deadline.reminder_offsets is None:
        return DEFAULT_REMINDERS
    return tuple(timedelta(seconds=s) for s in deadline.reminder_offsets)
