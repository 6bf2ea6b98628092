"""The Presidency Pro-Tempore per term, set by the TS, and the Troika derived from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, terms
from bot.errors import InputError
from bot.models.people import MemberState, Presidency
from bot.permissions import Action, Actor, require
from bot.states import by_code, state_name
from bot.text import Join, Node, Tr

_AROUND = select(Presidency).where(
    col(Presidency.term_year) >= bindparam("first"), col(Presidency.term_year) <= bindparam("last")
)
# session.info key of the presidencies read in this transaction
PRESIDENCIES = "presidencies"


async def set_ppt(
    session: AsyncSession,
    actor: Actor,
    code: str,
    year: int | None,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> Presidency:
    """Set (or change) the PPT of the term starting in November of `year` (default: now)."""
    require(actor, Action.SET_PPT)
    current = terms.term_year_at(now, tz)
    year = current if year is None else year
    if not current - 1 <= year <= current + 5:
        raise InputError(
            Tr(
                "The term year must be between {first} and {last}.",
                first=str(current - 1),
                last=str(current + 5),
            )
        )
    state = await by_code(session, code)
    assert state.id is not None
    row = (await session.exec(select(Presidency).where(Presidency.term_year == year))).first()
    previous = row.state_id if row else None
    if row is None:
        row = Presidency(term_year=year, state_id=state.id)
    row.state_id, row.set_by_id, row.set_at = state.id, actor.person_id, now
    session.add(row)
    await session.flush()
    session.info.pop(PRESIDENCIES, None)
    await audit.record(
        session,
        action="ppt.set",
        now=now,
        actor_id=actor.person_id,
        subject=f"term:{year}",
        state=state.code,
        previous_state_id=previous,
    )
    return row


async def presidencies(session: AsyncSession, around: int) -> dict[int, int]:
    """The PPT of the terms around `around`. Read once per transaction (an update asks for
    the Troika for its Actor and often again in its handler); set_ppt forgets it."""
    known: dict[int, dict[int, int]] = session.info.setdefault(PRESIDENCIES, {})
    if around not in known:
        rows = await session.exec(_AROUND, params={"first": around - 1, "last": around + 1})
        known[around] = {p.term_year: p.state_id for p in rows.all()}
    return dict(known[around])


async def troika_at(session: AsyncSession, now: datetime, tz: ZoneInfo) -> terms.Troika:
    year = terms.term_year_at(now, tz)
    return terms.troika(await presidencies(session, year), year)


async def ppt_state(session: AsyncSession, now: datetime, tz: ZoneInfo) -> MemberState | None:
    """The state holding the Presidency Pro-Tempore now, if the TS has set it."""
    state_id = (await troika_at(session, now, tz)).incumbent
    return await session.get(MemberState, state_id) if state_id else None


async def describe_troika(session: AsyncSession, troika: terms.Troika) -> Node:
    """The Troika as shown to people: outgoing, incumbent and incoming PPT."""

    async def name(state_id: int | None) -> Node:
        state = await session.get(MemberState, state_id) if state_id else None
        return state_name(state) if state else Tr("not set")

    return Join(
        [
            Tr("<b>Troika</b>"),
            Tr("Outgoing PPT: {state}", state=await name(troika.outgoing)),
            Tr("Presidency Pro-Tempore: {state}", state=await name(troika.incumbent)),
            Tr("Incoming PPT: {state}", state=await name(troika.incoming)),
        ]
    )
