"""Who votes in a vote: its seats (a member state, or a named committee member), the persons
who receive each seat's ballot, each seat's counted ballot, and who may see a vote."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audiences, states
from bot.errors import InputError
from bot.models.people import MemberState, Person, PersonRole
from bot.models.votes import Vote, VoteBallot, VoteSeat
from bot.permissions import Action, Actor, can
from bot.roles import Role
from bot.states import state_name
from bot.text import Node, Tr
from bot.vote_rules import Choice, Tally, tally


@dataclass(frozen=True)
class SeatView:
    """A seat and its counted ballot, with the names to show."""

    seat: VoteSeat
    name: Node  # the state's name, or the committee member's
    ballot: VoteBallot | None
    voter_name: str = ""  # who cast the counted ballot

    @property
    def position(self) -> Choice | None:
        return Choice(self.ballot.choice) if self.ballot else None


@dataclass(frozen=True)
class Voter:
    """A person who receives the ballot of a seat, and in which capacity."""

    person: Person
    seat: VoteSeat
    role: Role  # VICE_MINISTER, ALTERNATE or COMMITTEE


async def seats_of(session: AsyncSession, vote_id: int) -> list[VoteSeat]:
    rows = await session.exec(
        select(VoteSeat).where(VoteSeat.vote_id == vote_id).order_by(col(VoteSeat.id))
    )
    return list(rows.all())


async def counted_ballots(session: AsyncSession, vote_id: int) -> dict[int, VoteBallot]:
    """Each seat's counted ballot: its latest."""
    rows = await session.exec(
        select(VoteBallot)
        .where(VoteBallot.vote_id == vote_id)
        .order_by(col(VoteBallot.seat_id), col(VoteBallot.seq))
    )
    return {ballot.seat_id: ballot for ballot in rows.all()}


async def seat_views(session: AsyncSession, vote: Vote) -> list[SeatView]:
    """Every seat with its counted ballot: states in their listed order, members by name."""
    assert vote.id is not None
    seats = await seats_of(session, vote.id)
    counted = await counted_ballots(session, vote.id)
    state_rows = {
        s.id: s
        for s in (
            await session.exec(
                select(MemberState).where(
                    col(MemberState.id).in_([s.state_id for s in seats if s.state_id])
                )
            )
        ).all()
    }
    person_ids = {s.person_id for s in seats if s.person_id} | {
        b.person_id for b in counted.values()
    }
    persons = {
        p.id: p
        for p in (await session.exec(select(Person).where(col(Person.id).in_(person_ids)))).all()
    }
    views: list[tuple[tuple[int, str], SeatView]] = []
    for seat in seats:
        assert seat.id is not None
        ballot = counted.get(seat.id)
        voter = persons.get(ballot.person_id) if ballot else None
        voter_name = voter.display_name if voter else ""
        if seat.state_id is not None:
            state = state_rows[seat.state_id]
            key = (state.position, state.code)
            views.append((key, SeatView(seat, state_name(state), ballot, voter_name)))
        else:
            member = persons.get(seat.person_id or 0)
            name = member.display_name if member else "?"
            views.append(((0, name.lower()), SeatView(seat, name, ballot, voter_name)))
    return [view for _, view in sorted(views, key=lambda item: item[0])]


def tally_of(views: Sequence[SeatView]) -> Tally:
    return tally(view.position for view in views)


async def voters(session: AsyncSession, seats: Sequence[VoteSeat]) -> list[Voter]:
    """Who receives each seat's ballot: a state's Vice-Ministers and alternates (joined,
    active), or the committee member of a person seat."""
    found: list[Voter] = []
    state_seats = {s.state_id: s for s in seats if s.state_id is not None}
    if state_seats:
        persons = await audiences.with_roles(session, [Role.VICE_MINISTER, Role.ALTERNATE])
        roles = await roles_of(session, [p.id for p in persons if p.id is not None])
        for person in persons:
            seat = state_seats.get(person.state_id) if person.state_id is not None else None
            if seat is None:
                continue
            held = roles.get(person.id or 0, set())
            role = Role.VICE_MINISTER if Role.VICE_MINISTER in held else Role.ALTERNATE
            found.append(Voter(person, seat, role))
    for seat in seats:
        if seat.person_id is None:
            continue
        member = await session.get(Person, seat.person_id)
        if member is not None and member.active and member.telegram_id is not None:
            found.append(Voter(member, seat, Role.COMMITTEE))
    return found


async def roles_of(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, set[Role]]:
    rows = await session.exec(select(PersonRole).where(col(PersonRole.person_id).in_(person_ids)))
    held: dict[int, set[Role]] = {}
    for row in rows.all():
        held.setdefault(row.person_id, set()).add(Role(row.role))
    return held


async def participants(session: AsyncSession, vote: Vote) -> list[Person]:
    """Who receives the results: everyone who got the ballot, whoever opened the vote, and
    the Technical Secretariat."""
    assert vote.id is not None
    found = {v.person.id: v.person for v in await voters(session, await seats_of(session, vote.id))}
    if vote.opened_by_id is not None:
        opener = await session.get(Person, vote.opened_by_id)
        if opener is not None and opener.active:
            found[opener.id] = opener
    for person in await audiences.with_roles(session, [Role.TS]):
        found[person.id] = person
    return [found[k] for k in sorted(k for k in found if k is not None)]


async def seat_for(session: AsyncSession, vote: Vote, actor: Actor) -> VoteSeat | None:
    """The seat this person votes for in this vote, if any."""
    assert vote.id is not None
    for seat in await seats_of(session, vote.id):
        if seat.person_id is not None and seat.person_id == actor.person_id:
            return seat
        if (
            seat.state_id is not None
            and seat.state_id == actor.state_id
            and actor.has(Role.VICE_MINISTER, Role.ALTERNATE)
        ):
            return seat
    return None


async def may_see(session: AsyncSession, vote: Vote, actor: Actor) -> bool:
    """The TS and the PPT see every vote; a voter or the opener sees theirs."""
    if can(actor, Action.SEE_DELIVERY) or vote.opened_by_id == actor.person_id:
        return True
    return await seat_for(session, vote, actor) is not None


async def check_committee(session: AsyncSession, members: Sequence[Person]) -> None:
    """Committee members vote as persons: each must have joined and hold the committee role."""
    if not members:
        raise InputError(Tr("A committee vote needs at least one committee member."))
    seen: set[int] = set()
    roles = await roles_of(session, [m.id for m in members if m.id is not None])
    for member in members:
        assert member.id is not None
        name = member.display_name or f"#{member.id}"
        if member.id in seen:
            raise InputError(Tr("{name} is named twice.", name=name))
        seen.add(member.id)
        if Role.COMMITTEE not in roles.get(member.id, set()):
            raise InputError(
                Tr(
                    "{name} does not hold the committee role. Invite them with the role "
                    "committee first.",
                    name=name,
                )
            )
        if not member.active or member.telegram_id is None:
            raise InputError(Tr("{name} has not joined the bot yet.", name=name))


async def seat_names(session: AsyncSession, seats: Sequence[VoteSeat]) -> dict[int, Node]:
    names: dict[int, Node] = {}
    for seat in seats:
        assert seat.id is not None
        if seat.state_id is not None:
            state = await session.get(MemberState, seat.state_id)
            assert state is not None
            names[seat.id] = state_name(state)
        else:
            member = await session.get(Person, seat.person_id)
            names[seat.id] = member.display_name if member else "?"
    return names


def role_in(seat: VoteSeat, actor: Actor) -> Role:
    if seat.person_id is not None:
        return Role.COMMITTEE
    return Role.VICE_MINISTER if actor.has(Role.VICE_MINISTER) else Role.ALTERNATE


async def unreachable_states(session: AsyncSession) -> list[MemberState]:
    """Active member states with no joined Vice-Minister or alternate: nobody gets their
    ballot (shown in the preview, so the TS can invite someone first)."""
    reachable = {
        p.state_id
        for p in await audiences.with_roles(session, [Role.VICE_MINISTER, Role.ALTERNATE])
    }
    return [s for s in await states.member_states(session) if s.id not in reachable]


async def find_committee(session: AsyncSession, refs: Sequence[str]) -> list[Person]:
    """Committee members named by `@username` or Telegram id; none named: everyone holding
    the committee role."""
    if not refs:
        members = await audiences.with_roles(session, [Role.COMMITTEE])
        if not members:
            raise InputError(
                Tr(
                    "Nobody holds the committee role yet. Invite the members with the role "
                    "committee first, or name them."
                )
            )
        return members
    found: list[Person] = []
    for text in refs:
        value = text.strip()
        query = select(Person)
        if value.startswith("@") and len(value) > 1:
            query = query.where(func.lower(Person.username) == value[1:].lower())
        elif value.isdigit():
            query = query.where(Person.telegram_id == int(value))
        else:
            raise InputError(
                Tr(
                    "Name each committee member on a line of their own, as @username or by "
                    "Telegram id. This line is neither: {line}",
                    line=value,
                )
            )
        person = (await session.exec(query)).first()
        if person is None:
            raise InputError(Tr("No registered person is {ref}.", ref=value))
        found.append(person)
    await check_committee(session, found)
    return found
