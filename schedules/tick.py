"""The tick: everything due at a moment, deadline by deadline, each in its own transaction.

For one deadline, a step runs the due action (once: `action_ran_at`), queues the latest due
reminder for everyone still pending (one outbox row per person, with a dedupe key), and moves
`next_at` on, all in one transaction. A crash between two steps loses nothing (the next tick,
or the start, does the rest) and repeats nothing (a step that committed has moved `next_at`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, auto
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import deadlines
from bot.clock import as_utc
from bot.deadlines import DeadlineKind, Step, Timing, plan_step, reminder_key
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.services import Services
from bot.text import Join, Tr, When

log = logging.getLogger(__name__)

BATCH = 200
# A step that failed (a bug, or the database went away) is tried again this much later.
RETRY_AFTER = timedelta(minutes=5)


class Outcome(Enum):
    DONE = auto()  # acted, `next_at` moved on
    NOTHING = auto()  # someone else got there first
    UNKNOWN_KIND = auto()  # no capability handles this kind in this build


@dataclass
class TickReport:
    steps: int = 0
    actions: int = 0
    reminders: int = 0  # messages queued
    failed: list[int] = field(default_factory=list)


@dataclass
class Backoff:
    """Deadlines the tick leaves alone for now: failed steps until their retry time, and
    unknown kinds until the next start (when the capability may be back). Memory only: a
    restart tries everything again."""

    until: dict[int, datetime | None] = field(default_factory=dict)

    def blocked(self, now: datetime) -> list[int]:
        return [i for i, t in self.until.items() if t is None or t > now]

    def next_retry(self, now: datetime) -> datetime | None:
        moments = [t for t in self.until.values() if t is not None and t > now]
        return min(moments) if moments else None


async def run_tick(services: Services, now: datetime, backoff: Backoff) -> TickReport:
    report = TickReport()
    skipped: set[int] = set()
    while True:
        excluded = set(backoff.blocked(now)) | skipped
        async with services.db.transaction() as session:
            query = (
                select(Deadline.id)
                .where(Deadline.status == DeadlineStatus.OPEN, col(Deadline.next_at) <= now)
                .order_by(col(Deadline.next_at), col(Deadline.id))
                .limit(BATCH)
            )
            if excluded:
                query = query.where(col(Deadline.id).not_in(excluded))
            ids = [i for i in (await session.exec(query)).all() if i is not None]
        if not ids:
            return report
        for deadline_id in ids:
            try:
                outcome = await step(services, deadline_id, now, report)
            except Exception:
                log.exception("deadline %s: step failed; retrying later", deadline_id)
                backoff.until[deadline_id] = now + RETRY_AFTER
                report.failed.append(deadline_id)
                continue
            backoff.until.pop(deadline_id, None)
            if outcome is Outcome.UNKNOWN_KIND:
                backoff.until[deadline_id] = None
            elif outcome is Outcome.NOTHING:
                skipped.add(deadline_id)


async def step(services: Services, deadline_id: int, now: datetime, report: TickReport) -> Outcome:
    actions: list[Callable[[], Awaitable[Any]]] = []
    async with services.unit_of_work() as session:
        deadline = (
            await session.exec(select(Deadline).where(Deadline.id == deadline_id).with_for_update())
        ).first()
        if (
            deadline is None
            or deadline.status != DeadlineStatus.OPEN
            or deadline.next_at is None
            or as_utc(deadline.next_at) > now
        ):
            return Outcome.NOTHING
        kind = services.deadline_kinds.get(deadline.kind)
        if kind is None:
            log.warning("deadline %s: no capability handles kind %r", deadline.key, deadline.kind)
            return Outcome.UNKNOWN_KIND
        timing = Timing.of(deadline)
        plan = plan_step(
            timing,
            next_at=as_utc(deadline.next_at),
            action_pending=deadline.action_ran_at is None,
            now=now,
        )
        moved = False
        if plan.run_action:
            await kind.on_due(services, session, deadline, now)
            report.actions += 1
            # on_due may move its own deadline (schedule() then planned it again).
            moved = as_utc(deadline.due_at) != timing.due_at
            if not moved:
                deadline.action_ran_at = now
        if not moved:
            if plan.reminder is not None and deadline.status == DeadlineStatus.OPEN:
                report.reminders += await _remind(services, session, kind, deadline, plan, now)
            _advance(deadline, timing, now)
            session.add(deadline)
        actions = deadlines.take_after_commit(session)
    report.steps += 1
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("deadline %s: after-commit action failed", deadline_id)
    return Outcome.DONE


async def _remind(
    services: Services,
    session: AsyncSession,
    kind: DeadlineKind,
    deadline: Deadline,
    plan: Step,
    now: datetime,
) -> int:
    assert plan.reminder is not None
    queued = 0
    for person in await kind.pending(services, session, deadline, now):
        assert person.id is not None
        content = kind.reminder(deadline, person, now=now)
        if plan.late:
            content = dataclasses.replace(
                content, body=Join([late_note(as_utc(deadline.due_at)), "", content.body])
            )
        row = await services.outbox.to_person(
            session,
            person,
            content,
            now=now,
            ref=deadline.ref,
            dedupe_key=reminder_key(deadline, person.id, plan.reminder),
        )
        queued += row is not None
    return queued


def late_note(due_at: datetime) -> Tr:
    return Tr(
        "<i>This reminder comes late: the assistant was unavailable when it was due, and the "
        "deadline ({due}) has passed.</i>",
        due=When(due_at),
    )


def _advance(deadline: Deadline, timing: Timing, now: datetime) -> None:
    if deadline.status != DeadlineStatus.OPEN:
        deadline.next_at = None  # on_due completed or cancelled it
        return
    if deadline.action_ran_at is not None and deadline.overdue_every is None:
        # The due action ran and nothing reminds once overdue: the deadline is over.
        deadline.status, deadline.closed_at, deadline.updated_at = DeadlineStatus.DONE, now, now
        deadline.next_at = None
        return
    deadline.next_at = timing.next_after(now, action_pending=deadline.action_ran_at is None)


async def next_wake(services: Services, now: datetime, backoff: Backoff) -> datetime | None:
    """When the scheduler must next look: the earliest future moment of an open deadline,
    or the earliest retry of one that failed."""
    async with services.db.transaction() as session:
        earliest = (
            await session.exec(
                select(func.min(Deadline.next_at)).where(
                    Deadline.status == DeadlineStatus.OPEN, col(Deadline.next_at) > now
                )
            )
        ).first()
    moments = [as_utc(m) for m in (earliest, backoff.next_retry(now)) if m is not None]
    return min(moments) if moments else None


async def fill_missing(services: Services) -> int:
    """Open deadlines without `next_at` (written before it existed, or by hand): derive it
    from when they were last scheduled, so reminders missed since then still go out."""
    table = Deadline.__table__  # type: ignore[attr-defined]
    async with services.db.transaction() as session:
        # Plain columns, not model objects: at start there may be thousands of rows.
        connection = await session.connection()
        found = await connection.execute(
            columns(
                table.c.id,
                table.c.due_at,
                table.c.reminder_offsets,
                table.c.overdue_every,
                table.c.updated_at,
                table.c.action_ran_at,
            ).where(table.c.status == DeadlineStatus.OPEN, table.c.next_at.is_(None))
        )
        derived = []
        for deadline_id, due_at, offsets, every, updated_at, action_ran_at in found.all():
            moment = Timing.from_columns(due_at, offsets, every).next_after(
                as_utc(updated_at), action_pending=action_ran_at is None
            )
            if moment is not None:
                derived.append({"row": deadline_id, "moment": moment})
        if derived:
            # One statement executed for every row.
            await connection.execute(
                update(table)
                .where(table.c.id == bindparam("row"))
                .values(next_at=bindparam("moment")),
                derived,
            )
    return len(derived)
