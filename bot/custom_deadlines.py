"""Custom deadlines: the TS asks an audience to do something by a date (SPEC 2.6;
004_d88c9457dfb468f7.txt: member states urged to send information "by July 15th at the latest").

Everyone in the audience is told at once and reminded until their party says it is done: a
member state acts once for all its people, the TS once for all its staff, an observer
organisation once for its members, anyone else for themself. When every party is done the
deadline completes; when it passes, whoever set it gets the list of who has and has not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audiences, audit, deadlines
from bot.audiences import Audience, AudienceKind, parse_audience
from bot.clock import as_utc
from bot.errors import InputError, NotFound, PermissionDenied
from bot.ids import DEADLINE, format_id
from bot.models.custom_deadlines import CustomDeadline, DeadlineDone
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.people import MemberState, Person, PersonRole
from bot.outbox import Content
from bot.permissions import Action, Actor, require
from bot.roles import STATE_ROLES, Role
from bot.services import Services
from bot.states import state_name
from bot.text import Bi, Bold, Button, Join, Node, Tr, When, from_json, keyboard

KIND = "custom"
CALLBACK = "dl"  # dl:<id>:done


def key_of(custom_id: int) -> str:
    return f"custom:{custom_id}"


def ref_of(custom_id: int) -> str:
    return f"custom:{custom_id}"


def short_id(custom: CustomDeadline) -> str:
    return format_id(DEADLINE, custom.id)


def text_of(custom: CustomDeadline) -> Bi:
    return Bi(custom.text_en, custom.text_es)


# ---- who acts ---------------------------------------------------------------------------


def party_of(person: Person, roles: frozenset[Role]) -> str:
    """The party a person acts for (one "Done" counts for all its people)."""
    if person.state_id is not None and roles & STATE_ROLES:
        return f"state:{person.state_id}"
    if Role.TS in roles:
        return "ts"
    if person.organisation:
        return f"org:{person.organisation}"
    return f"person:{person.id}"


async def _roles(session: AsyncSession, persons: Sequence[Person]) -> dict[int, frozenset[Role]]:
    ids = [p.id for p in persons if p.id is not None]
    found: dict[int, set[Role]] = {i: set() for i in ids}
    if ids:
        rows = await session.exec(select(PersonRole).where(col(PersonRole.person_id).in_(ids)))
        for row in rows.all():
            found[row.person_id].add(Role(row.role))
    return {i: frozenset(r) for i, r in found.items()}


@dataclass(frozen=True)
class Concerned:
    """Who a custom deadline asks, by party."""

    parties: dict[str, list[Person]]  # party -> its persons in the audience

    def persons(self, excluding: set[str] | None = None) -> list[Person]:
        skip = excluding or set()
        return [p for party, group in self.parties.items() if party not in skip for p in group]


async def concerned(session: AsyncSession, custom: CustomDeadline) -> Concerned:
    audience = parse_audience(custom.audience)
    persons = await audiences.resolve(session, audience)
    roles = await _roles(session, persons)
    # The TS sets these deadlines; it is asked to act only when the audience names it.
    asks_ts = audience.kind == AudienceKind.ROLES and Role.TS in audience.roles
    parties: dict[str, list[Person]] = {}
    for person in persons:
        assert person.id is not None
        party = party_of(person, roles[person.id])
        if party == "ts" and not asks_ts:
            continue
        parties.setdefault(party, []).append(person)
    return Concerned(parties)


async def done_parties(session: AsyncSession, custom_id: int) -> dict[str, DeadlineDone]:
    rows = await session.exec(select(DeadlineDone).where(DeadlineDone.custom_id == custom_id))
    return {row.party: row for row in rows.all()}


async def party_name(session: AsyncSession, party: str, persons: Sequence[Person]) -> Node:
    kind, _, value = party.partition(":")
    if kind == "state":
        state = await session.get(MemberState, int(value))
        if state is not None:
            return state_name(state)
    if kind == "ts":
        return Tr("the Technical Secretariat")
    if kind == "org":
        return Bi(value, value)
    return persons[0].display_name if persons else party


# ---- creating ------------------------------------------------------------------------------


async def create(
    services: Services,
    session: AsyncSession,
    actor: Actor | None,
    *,
    due_at: datetime,
    audience: Audience,
    text: Bi,
    now: datetime,
    requested_by: Person | None = None,
    overdue_every: timedelta | None = None,
) -> CustomDeadline:
    """Set the deadline and tell its audience. `actor` None: set by the bot itself (the
    Coordinator's contract asks the TS to announce a vacancy)."""
    if actor is not None:
        require(actor, Action.ADD_DEADLINE)
    if due_at <= now:
        raise InputError(Tr("The deadline must be in the future."))
    custom = CustomDeadline(
        audience=audience.describe(),
        text_en=text.en,
        text_es=text.es,
        created_by_id=actor.person_id if actor else None,
        created_at=now,
    )
    session.add(custom)
    await session.flush()
    assert custom.id is not None
    who = await concerned(session, custom)
    if not who.parties:
        raise InputError(
            Tr("Nobody in that audience has joined yet, so nobody would be told. Nothing was set.")
        )
    deadline = await deadlines.schedule(
        session,
        key=key_of(custom.id),
        kind=KIND,
        ref=ref_of(custom.id),
        title=text,
        due_at=due_at,
        now=now,
        overdue_every=overdue_every,
        created_by_id=custom.created_by_id,
    )
    await services.outbox.broadcast(
        session,
        who.persons(),
        notice(custom, deadline),
        now=now,
        title=Tr("Deadline {id}", id=short_id(custom)),
        ref=ref_of(custom.id),
        requested_by=requested_by,
        dedupe_prefix=f"{ref_of(custom.id)}:notice",
    )
    await audit.record(
        session,
        action="deadline.custom",
        now=now,
        actor_id=custom.created_by_id,
        subject=ref_of(custom.id),
        audience=custom.audience,
        due_at=due_at.isoformat(),
        parties=len(who.parties),
    )
    return custom


async def count_audience(session: AsyncSession, audience: Audience) -> tuple[int, int]:
    """(parties, persons) a deadline for this audience would ask: for the preview."""
    probe = CustomDeadline(audience=audience.describe(), text_en="", text_es="")
    who = await concerned(session, probe)
    return len(who.parties), len(who.persons())


def done_button(custom_id: int) -> Button:
    return Button(Tr("Done"), data=f"{CALLBACK}:{custom_id}:done")


def _press_done() -> Tr:
    return Tr("Press Done once it is done. One press counts for everyone of your state or body.")


def notice(custom: CustomDeadline, deadline: Deadline) -> Content:
    return Content(
        Join(
            [
                Tr("<b>New deadline</b> ({id})", id=short_id(custom)),
                text_of(custom),
                "",
                Tr("Due: {due}", due=When(as_utc(deadline.due_at))),
                _press_done(),
            ]
        ),
        keyboard([done_button(custom.id or 0)]),
    )


async def open_deadlines(session: AsyncSession) -> list[Deadline]:
    rows = await session.exec(
        select(Deadline)
        .where(Deadline.kind == KIND, Deadline.status == DeadlineStatus.OPEN)
        .order_by(col(Deadline.due_at))
    )
    return list(rows.all())


# ---- acting --------------------------------------------------------------------------------


async def get(session: AsyncSession, custom_id: int) -> tuple[CustomDeadline, Deadline]:
    custom = await session.get(CustomDeadline, custom_id)
    deadline = await deadlines.get(session, key_of(custom_id)) if custom else None
    if custom is None or deadline is None:
        raise NotFound(
            Tr("There is no deadline {id}.", id=format_id(DEADLINE, custom_id)),
        )
    return custom, deadline


@dataclass(frozen=True)
class Marked:
    custom: CustomDeadline
    deadline: Deadline
    done: DeadlineDone
    already: bool  # someone of the same party had pressed it before
    late: bool


async def mark_done(
    services: Services, session: AsyncSession, person: Person, custom_id: int, now: datetime
) -> Marked:
    """The person's party has done it. Pressing again changes nothing."""
    custom, deadline = await get(session, custom_id)
    if deadline.status == DeadlineStatus.CANCELLED:
        raise InputError(Tr("This deadline was withdrawn; there is nothing to do."))
    who = await concerned(session, custom)
    party = next(
        (p for p, group in who.parties.items() if any(m.id == person.id for m in group)), None
    )
    if party is None:
        raise PermissionDenied(Tr("This deadline is not addressed to you. Nothing was changed."))
    done = await done_parties(session, custom_id)
    if party in done:
        return Marked(custom, deadline, done[party], True, False)
    assert person.id is not None and custom.id is not None
    row = DeadlineDone(custom_id=custom.id, party=party, person_id=person.id, done_at=now)
    session.add(row)
    await session.flush()
    await audit.record(
        session, action="deadline.done", now=now, actor_id=person.id, subject=ref_of(custom.id)
    )
    if deadline.status == DeadlineStatus.OPEN and set(who.parties) <= {*done, party}:
        await deadlines.complete(session, key_of(custom.id), now)
        await _tell_setter(
            services,
            session,
            custom,
            Tr(
                "<b>Deadline {id}</b> ({title}): every party has marked it done.",
                id=short_id(custom),
                title=text_of(custom),
            ),
            now,
            "complete",
        )
    return Marked(custom, deadline, row, False, now > as_utc(deadline.due_at))


async def close_now(
    services: Services, session: AsyncSession, actor: Actor, custom_id: int, now: datetime
) -> CustomDeadline:
    """`/close D4`: end it now, as its date would: no more reminders; the setter gets the
    summary."""
    require(actor, Action.ADD_DEADLINE)
    custom, deadline = await get(session, custom_id)
    if deadline.status != DeadlineStatus.OPEN:
        raise InputError(Tr("Deadline {id} is already closed.", id=short_id(custom)))
    await send_summary(services, session, custom, deadline, now)
    deadline.action_ran_at = now
    await deadlines.complete(session, key_of(custom_id), now)
    return custom


async def _tell_setter(
    services: Services,
    session: AsyncSession,
    custom: CustomDeadline,
    body: Node,
    now: datetime,
    what: str,
) -> None:
    """Whoever set it; the whole TS when the bot set it itself."""
    setter = await session.get(Person, custom.created_by_id) if custom.created_by_id else None
    recipients = [setter] if setter else await audiences.with_roles(session, [Role.TS])
    for person in recipients:
        await services.outbox.to_person(
            session,
            person,
            Content(body),
            now=now,
            ref=ref_of(custom.id or 0),
            dedupe_key=f"{ref_of(custom.id or 0)}:{what}:{person.id}",
        )


async def summary(
    session: AsyncSession, custom: CustomDeadline, deadline: Deadline
) -> tuple[list[Node], list[Node]]:
    """(done, not done) party lines."""
    who = await concerned(session, custom)
    done = await done_parties(session, custom.id or 0)
    done_lines: list[Node] = []
    missing: list[Node] = []
    due = as_utc(deadline.due_at)
    for party, group in who.parties.items():
        name = await party_name(session, party, group)
        if party in done:
            when = as_utc(done[party].done_at)
            line: Node = (
                Tr("{party}: done {when} (late)", party=name, when=When(when))
                if when > due
                else Tr("{party}: done {when}", party=name, when=When(when))
            )
            done_lines.append(line)
        else:
            missing.append(name)
    return done_lines, missing


async def send_summary(
    services: Services,
    session: AsyncSession,
    custom: CustomDeadline,
    deadline: Deadline,
    now: datetime,
) -> None:
    done, missing = await summary(session, custom, deadline)
    lines: list[Node] = [
        Tr(
            "<b>Deadline {id} has passed</b> ({title}): done by {done} of {total}.",
            id=short_id(custom),
            title=text_of(custom),
            done=len(done),
            total=len(done) + len(missing),
        )
    ]
    if missing:
        lines.append(Tr("Not done yet: {parties}", parties=Join(missing, sep=", ")))
    await _tell_setter(services, session, custom, Join(lines), now, "due")


def status_lines(custom: CustomDeadline, deadline: Deadline, now: datetime) -> list[Node]:
    due = as_utc(deadline.due_at)
    if deadline.status == DeadlineStatus.CANCELLED:
        state: Node = Tr("withdrawn")
    elif deadline.status == DeadlineStatus.OPEN and due > now:
        state = Tr("open")
    else:
        state = Tr("closed")
    return [
        Tr("<b>Deadline {id}</b> ({state})", id=short_id(custom), state=state),
        text_of(custom),
        Tr("Due: {due}", due=When(due)),
    ]


# ---- the scheduler's view --------------------------------------------------------------------


def _custom_id(deadline: Deadline) -> int:
    return int(deadline.key.split(":", 1)[1])


class CustomDeadlineKind:
    """`deadlines.DeadlineKind` for deadlines the TS sets."""

    kind = KIND

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        custom = await session.get(CustomDeadline, _custom_id(deadline))
        if custom is None or deadline.status == DeadlineStatus.CANCELLED:
            return []
        who = await concerned(session, custom)
        return who.persons(excluding=set(await done_parties(session, _custom_id(deadline))))

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        custom = await session.get(CustomDeadline, _custom_id(deadline))
        if custom is not None:  # the summary's dedupe keys make a second run send nothing
            await send_summary(services, session, custom, deadline, now)

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        custom_id = _custom_id(deadline)
        due = as_utc(deadline.due_at)
        title = Bold(Tr("Reminder: deadline {id}", id=format_id(DEADLINE, custom_id)))
        when = (
            Tr("Overdue since {due}.", due=When(due))
            if now > due
            else Tr("Due: {due}", due=When(due))
        )
        return Content(
            Join([title, from_json(deadline.title), "", when, _press_done()]),
            keyboard([done_button(custom_id)]),
        )
