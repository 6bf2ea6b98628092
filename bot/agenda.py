"""What is coming for one person: every open deadline of any kind that concerns them, soonest
first (`/deadlines`, `/calendar`).

A person sees a deadline while its kind says they still have to act (`DeadlineKind.pending`):
it is their to-do list, and what they have done drops off it. The TS sees every open deadline,
with how many people still have to act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import ids
from bot.clock import as_utc
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.people import Person
from bot.permissions import Actor
from bot.services import Services
from bot.text import Node, Tr, from_json

# The subject of a deadline (its `ref`, "vote:3") and the short id people know it by.
_SHORT_IDS = {
    "announcement": ids.ANNOUNCEMENT,
    "vacancy": ids.VACANCY,
    "meeting": ids.MEETING,
    "report": ids.REPORT,
    "vote": ids.VOTE,
    "survey": ids.SURVEY,
    "custom": ids.DEADLINE,
    "commitment": ids.COMMITMENT,
    "contract": ids.CONTRACT,
}


def short_id(ref: str) -> str | None:
    kind, _, rest = ref.partition(":")
    number = rest.split(":", 1)[0]
    prefix = _SHORT_IDS.get(kind)
    if prefix is None or not number.isdigit():
        return None
    return ids.format_id(prefix, int(number))


@dataclass(frozen=True)
class AgendaItem:
    key: str
    title: Node
    due_at: datetime
    updated_at: datetime
    short_id: str | None
    pending: int  # persons who still have to act
    mine: bool  # the person asking is one of them

    def overdue(self, now: datetime) -> bool:
        return self.due_at <= now

    @property
    def label(self) -> Node:
        """`D4: Send information ...`, or the title alone when it has no short id."""
        if self.short_id:
            return Tr("{id}: {title}", id=self.short_id, title=self.title)
        return self.title


async def agenda_for(
    services: Services, session: AsyncSession, person: Person, actor: Actor, now: datetime
) -> list[AgendaItem]:
    rows = await session.exec(
        select(Deadline)
        .where(Deadline.status == DeadlineStatus.OPEN)
        .order_by(col(Deadline.due_at), col(Deadline.id))
    )
    items = []
    for deadline in rows.all():
        kind = services.deadline_kinds.get(deadline.kind)
        if kind is None:
            continue
        pending = await kind.pending(services, session, deadline, now)
        mine = any(p.id == person.id for p in pending)
        if not (mine or actor.is_ts):
            continue
        items.append(
            AgendaItem(
                key=deadline.key,
                title=from_json(deadline.title),
                due_at=as_utc(deadline.due_at),
                updated_at=as_utc(deadline.updated_at),
                short_id=short_id(deadline.ref),
                pending=len(pending),
                mine=mine,
            )
        )
    return items
