"""Scheduling deadlines: the API every capability uses to put something on the calendar.

A capability calls `schedule()` in the same transaction as the change that creates the
deadline (a vote opened, a meeting moved) and provides a `DeadlineKind` saying who still has
to act and what happens when the deadline passes. The scheduler (`schedules/`) reminds and
runs the due actions from this table, so a restart loses nothing.

Each deadline keeps `next_at`, the next moment the scheduler must act on; the moments
themselves (reminders before the deadline, the deadline, reminders once overdue) are plain
functions of the row (`Timing`), so the scheduler's jobs are always derived from the table.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, at_hour
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.people import Person
from bot.text import Node, to_json

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

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
        """Who still has to act (only they are reminded, and /deadlines lists it for them).
        Once the subject is closed (the due action closed the vote), nobody is pending."""
        ...

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        """What happens when the deadline passes (close the vote, ...). Must be safe to run
        twice: a crash after it ran and before the deadline was marked done repeats it.
        It runs in the scheduler's transaction; Telegram calls that must wait for the commit
        (command menus) go through `after_commit()`."""
        ...

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        """The reminder a person who has not acted receives (also once overdue, when the
        deadline has `overdue_every`: then `now` is past `deadline.due_at`)."""
        ...


# ---- the moments of a deadline (pure) ----------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One reminder moment: `offset` seconds before the deadline; negative for a reminder
    once it is overdue (`-offset` seconds after it)."""

    at: datetime
    offset: int

    @property
    def overdue(self) -> bool:
        return self.offset < 0


@dataclass(frozen=True)
class Timing:
    """When a deadline falls due and when it reminds."""

    due_at: datetime
    offsets: tuple[int, ...]  # seconds before due_at, positive, largest (earliest) first
    overdue_every: int | None = None  # seconds between reminders once overdue

    @classmethod
    def of(cls, deadline: Deadline) -> Timing:
        return cls.from_columns(deadline.due_at, deadline.reminder_offsets, deadline.overdue_every)

    @classmethod
    def from_columns(
        cls, due_at: datetime, offsets: Sequence[int] | None, overdue_every: int | None
    ) -> Timing:
        """From the row's columns as stored (None offsets: the default reminders)."""
        reminders = (
            DEFAULT_REMINDERS if offsets is None else [timedelta(seconds=s) for s in offsets]
        )
        return cls.build(as_utc(due_at), reminders, overdue_every)

    @classmethod
    def build(
        cls, due_at: datetime, reminders: Sequence[timedelta], overdue_every: int | None = None
    ) -> Timing:
        # A reminder at or after the deadline would say nothing a due action does not.
        seconds = {int(r.total_seconds()) for r in reminders}
        offsets = tuple(sorted((s for s in seconds if s > 0), reverse=True))
        every = overdue_every if overdue_every and overdue_every > 0 else None
        return cls(due_at, offsets, every)

    def before_due(self) -> list[Reminder]:
        """The reminders before the deadline, earliest first."""
        return [Reminder(self.due_at - timedelta(seconds=s), s) for s in self.offsets]

    def _overdue_index(self, moment: datetime) -> int:
        """How many overdue reminders fall at or before `moment`."""
        if self.overdue_every is None or moment < self.due_at:
            return 0
        return (moment - self.due_at) // timedelta(seconds=self.overdue_every)

    def latest_reminder(self, start: datetime, end: datetime) -> Reminder | None:
        """The latest reminder moment in [start, end]. When the bot was down over several,
        only the latest still says something true (how long is left), so only it is sent."""
        k = self._overdue_index(end)
        if k >= 1:
            assert self.overdue_every is not None
            moment = self.due_at + timedelta(seconds=k * self.overdue_every)
            return Reminder(moment, -k * self.overdue_every) if moment >= start else None
        found = [r for r in self.before_due() if start <= r.at <= end]
        return found[-1] if found else None

    def next_after(self, after: datetime, *, action_pending: bool) -> datetime | None:
        """The first moment after `after` that the scheduler must act on. A due action that
        has not run is always pending, even if its moment has passed (it runs at once)."""
        moments = [r.at for r in self.before_due() if r.at > after]
        if action_pending:
            moments.append(self.due_at)
        elif self.overdue_every is not None:
            k = max(1, self._overdue_index(after) + 1)
            moments.append(self.due_at + timedelta(seconds=k * self.overdue_every))
        return min(moments) if moments else None


@dataclass(frozen=True)
class Step:
    """What one visit of the scheduler does to a deadline whose moment has come."""

    run_action: bool
    reminder: Reminder | None
    late: bool  # the reminder warned of a deadline that has now passed


def plan_step(timing: Timing, *, next_at: datetime, action_pending: bool, now: datetime) -> Step:
    """Every moment in [next_at, now] is due now: the due action if its time has come, and
    the latest of the reminders (a missed one goes out late, once)."""
    reminder = timing.latest_reminder(next_at, now)
    late = reminder is not None and not reminder.overdue and now >= timing.due_at
    return Step(action_pending and timing.due_at <= now, reminder, late)


def reminder_key(deadline: Deadline, person_id: int, reminder: Reminder) -> str:
    """The outbox dedupe key of one reminder: the record that it was queued and the message
    are one row, so a restart can neither lose nor repeat it. The due date is part of it, so
    a deadline that moves is reminded again for its new date."""
    due = int(as_utc(deadline.due_at).timestamp())
    return f"reminder:{deadline.id}:{due}:{person_id}:{reminder.offset}"


# ---- telling the scheduler -----------------------------------------------------------------

Listener = Callable[[datetime], None]
# One listener per database engine (the running bot's scheduler); nothing registers at
# import time, and bot code never imports the scheduler: it only announces changes.
_listeners: weakref.WeakKeyDictionary[Any, Listener] = weakref.WeakKeyDictionary()
_WAKE = "deadlines.wake_at"
_HOOKED = "deadlines.hooked"
_AFTER_COMMIT = "deadlines.after_commit"


def watch(engine: AsyncEngine, listener: Listener) -> None:
    """Call `listener(moment)` after each commit that scheduled something for `moment`."""
    _listeners[engine.sync_engine] = listener


def unwatch(engine: AsyncEngine) -> None:
    _listeners.pop(engine.sync_engine, None)


def _announce(session: AsyncSession, moment: datetime) -> None:
    sync = session.sync_session
    if _listeners.get(sync.get_bind()) is None:
        return
    earliest = sync.info.get(_WAKE)
    sync.info[_WAKE] = moment if earliest is None else min(earliest, moment)
    if not sync.info.get(_HOOKED):
        sync.info[_HOOKED] = True
        event.listen(sync, "after_commit", _committed)
        event.listen(sync, "after_rollback", _rolled_back)


def _committed(sync: Session) -> None:
    moment = sync.info.pop(_WAKE, None)
    listener = _listeners.get(sync.get_bind())
    if moment is not None and listener is not None:
        listener(moment)


def _rolled_back(sync: Session) -> None:
    sync.info.pop(_WAKE, None)


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[Any]]) -> None:
    """From `on_due`: run `action` once the scheduler's transaction has committed (a change
    at Telegram, such as a command menu, must not happen for a step that rolled back)."""
    session.sync_session.info.setdefault(_AFTER_COMMIT, []).append(action)


def take_after_commit(session: AsyncSession) -> list[Callable[[], Awaitable[Any]]]:
    actions: list[Callable[[], Awaitable[Any]]] = session.sync_session.info.pop(_AFTER_COMMIT, [])
    return actions


# ---- the API capabilities use --------------------------------------------------------------


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
    its reminders and due action apply again to the new date; reminders whose moment is
    already past when it is (re)scheduled are not sent."""
    deadline = (await session.exec(select(Deadline).where(Deadline.key == key))).first()
    if deadline is None:
        deadline = Deadline(
            key=key, kind=kind, ref=ref, created_by_id=created_by_id, created_at=now
        )
    moved = deadline.due_at is None or as_utc(deadline.due_at) != due_at
    reopened = deadline.status != DeadlineStatus.OPEN
    offsets = None if reminders is None else [int(r.total_seconds()) for r in reminders]
    every = int(overdue_every.total_seconds()) if overdue_every else None
    retimed = offsets != deadline.reminder_offsets or every != deadline.overdue_every
    deadline.kind, deadline.ref, deadline.title = kind, ref, to_json(title)
    deadline.due_at, deadline.updated_at = due_at, now
    deadline.reminder_offsets, deadline.overdue_every = offsets, every
    if moved or reopened:
        deadline.action_ran_at = None
    deadline.status, deadline.closed_at = DeadlineStatus.OPEN, None
    if moved or reopened or retimed or deadline.next_at is None:
        deadline.next_at = Timing.of(deadline).next_after(
            now, action_pending=deadline.action_ran_at is None
        )
    session.add(deadline)
    await session.flush()
    if deadline.next_at is not None:
        _announce(session, as_utc(deadline.next_at))
    return deadline


async def get(session: AsyncSession, key: str) -> Deadline | None:
    return (await session.exec(select(Deadline).where(Deadline.key == key))).first()


async def _finish(session: AsyncSession, key: str, status: DeadlineStatus, now: datetime) -> bool:
    deadline = await get(session, key)
    if deadline is None or deadline.status != DeadlineStatus.OPEN:
        return False
    deadline.status, deadline.closed_at, deadline.updated_at = status, now, now
    deadline.next_at = None
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


def offsets_at_hour(due: datetime, days: Sequence[int], hour: int, tz: ZoneInfo) -> list[timedelta]:
    """Reminders `days` before `due`, each at `hour` of its day in the conference time zone
    (a reminder counted in days should not ring at midnight)."""
    local = due.astimezone(tz).date()
    return [due - at_hour(local - timedelta(days=d), hour, tz) for d in days]


def reminder_offsets(deadline: Deadline) -> tuple[timedelta, ...]:
    if deadline.reminder_offsets is None:
        return DEFAULT_REMINDERS
    return tuple(timedelta(seconds=s) for s in deadline.reminder_offsets)
