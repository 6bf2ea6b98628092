"""Follow-up commitments from a meeting (SPEC 2.8).

003_ad0da034d2d9c22d.txt, section 4.2, the follow-up matrix: activity, responsible party
("RCM Member Countries, PPT, RCM Executive Secretary, Working Groups, RNCOM, ..."), deadline,
and status "completed / in process of being implemented / not achieved".

Who answers for one (docs/decisions.md): a member state (its focal points), the TS (its
staff), the PPT (the focal points of whichever state holds the Presidency Pro-Tempore at the
time), or another body named in words (a working group, RNCOM), whose status the TS keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines, meetings, presidency
from bot.audiences import with_roles
from bot.clock import as_utc, end_of_day
from bot.errors import InputError, NotFound, PermissionDenied
from bot.i18n import N_
from bot.ids import COMMITMENT, format_id
from bot.models.deadlines import Deadline
from bot.models.meetings import Commitment, CommitmentStatus, Meeting, Responsible
from bot.models.people import MemberState, Person
from bot.outbox import Content
from bot.permissions import Action, Actor, require
from bot.roles import Role
from bot.states import by_code, state_name
from bot.text import Bi, Bold, Button, Day, Join, Keyboard, Node, Tr, When, from_json, keyboard

if TYPE_CHECKING:
    from bot.services import Services

KIND = "commitment"
PREFIX = "cmt"
MAX_TEXT = 1000
MAX_BODY_NAME = 120
# Commitments run for months: a week ahead and the day before.
REMINDERS = (timedelta(days=7), timedelta(days=1))

STATUS_LABELS: dict[CommitmentStatus, str] = {
    CommitmentStatus.COMPLETED: N_("completed"),
    CommitmentStatus.IN_PROCESS: N_("in process"),
    CommitmentStatus.NOT_ACHIEVED: N_("not achieved"),
}
STATUS_BUTTONS: dict[CommitmentStatus, str] = {
    CommitmentStatus.COMPLETED: N_("Completed"),
    CommitmentStatus.IN_PROCESS: N_("In process"),
    CommitmentStatus.NOT_ACHIEVED: N_("Not achieved"),
}
STATUS_CODES: dict[str, CommitmentStatus] = {
    "c": CommitmentStatus.COMPLETED,
    "p": CommitmentStatus.IN_PROCESS,
    "n": CommitmentStatus.NOT_ACHIEVED,
}
_CODE_OF = {status: code for code, status in STATUS_CODES.items()}


@dataclass(frozen=True)
class Party:
    """Who answers for a commitment."""

    kind: Responsible
    state: MemberState | None = None
    name: str | None = None


_TS_WORDS = {"ts", "st"}
_PPT_WORDS = {"ppt"}
_OTHER_PREFIXES = ("other:", "otro:")


async def parse_party(session: AsyncSession, text: str) -> Party:
    """`MX`, `TS`, `PPT`, or `other:Working group on migrant children`."""
    value = text.strip()
    lowered = value.lower()
    if lowered in _TS_WORDS:
        return Party(Responsible.TS)
    if lowered in _PPT_WORDS:
        return Party(Responsible.PPT)
    for prefix in _OTHER_PREFIXES:
        if lowered.startswith(prefix):
            name = " ".join(value[len(prefix) :].split())
            if not name:
                break
            if len(name) > MAX_BODY_NAME:
                raise InputError(
                    Tr("The name may be at most {limit} characters long.", limit=MAX_BODY_NAME)
                )
            return Party(Responsible.OTHER, name=name)
    if len(lowered) == 2 and lowered.isalpha():
        return Party(Responsible.STATE, state=await by_code(session, value))
    raise InputError(
        Tr(
            "{text} is not a responsible party. Write a member state code (MX), TS, PPT, or "
            "other: followed by the name of the body (other:RNCOM).",
            text=value,
        )
    )


def party_of(commitment: Commitment, state: MemberState | None) -> Party:
    return Party(Responsible(commitment.responsible), state, commitment.responsible_name)


def party_text(party: Party) -> Node:
    if party.kind == Responsible.STATE and party.state is not None:
        return state_name(party.state)
    if party.kind == Responsible.TS:
        return Tr("the Technical Secretariat")
    if party.kind == Responsible.PPT:
        return Tr("the Presidency Pro-Tempore")
    return party.name or "?"


def status_text(status: str) -> Node:
    return Tr(STATUS_LABELS[CommitmentStatus(status)])


def status_buttons(commitment_id: int | None) -> Keyboard:
    return keyboard(
        [
            Button(Tr(STATUS_BUTTONS[status]), data=f"{PREFIX}:{commitment_id}:{_CODE_OF[status]}")
            for status in CommitmentStatus
        ]
    )


def short_id(commitment: Commitment) -> str:
    return format_id(COMMITMENT, commitment.id)


def text_of(commitment: Commitment) -> Bi:
    return Bi(commitment.text_en, commitment.text_es)


def key(commitment: Commitment) -> str:
    return f"commitment:{commitment.id}"


# ---- recording ------------------------------------------------------------------------------


def check_text(text: Bi) -> Bi:
    for value in (text.en, text.es):
        if len(value) > MAX_TEXT:
            raise InputError(
                Tr("The commitment may be at most {limit} characters long.", limit=MAX_TEXT)
            )
    return Bi(text.en.strip(), text.es.strip())


def check_due(day: date, tz: ZoneInfo, now: datetime) -> datetime:
    due = end_of_day(day, tz)
    if due <= now:
        raise InputError(Tr("The deadline {day} has already passed.", day=Day(day)))
    return due


async def check_recordable(
    session: AsyncSession, actor: Actor | None, meeting_id: int, now: datetime
) -> tuple[Actor, Meeting]:
    """Commitments come out of a meeting: they are recorded once it has begun."""
    actor = require(actor, Action.MEETING)
    meeting = await meetings.get(session, meeting_id)
    meetings.require_scheduled(meeting)
    if not meetings.has_started(meeting, now):
        raise InputError(
            Tr(
                "Commitments are recorded once the meeting has begun; {id} starts on {day}.",
                id=meetings.short_id(meeting),
                day=Day(meeting.start_date),
            )
        )
    return actor, meeting


async def create(
    services: Services,
    session: AsyncSession,
    actor: Actor | None,
    *,
    meeting_id: int,
    text: Bi,
    party: Party,
    day: date,
    now: datetime,
) -> Commitment:
    """Record a commitment once the meeting has begun, schedule its deadline, and tell the
    responsible party."""
    actor, meeting = await check_recordable(session, actor, meeting_id, now)
    text = check_text(text)
    due = check_due(day, meetings.zone(meeting), now)
    commitment = Commitment(
        meeting_id=meeting_id,
        text_en=text.en,
        text_es=text.es,
        responsible=party.kind,
        responsible_state_id=party.state.id if party.state else None,
        responsible_name=party.name,
        due_at=due,
        created_by_id=actor.person_id,
        created_at=now,
    )
    session.add(commitment)
    await session.flush()
    await _schedule(session, commitment, now)
    notice = Content(
        Join(
            [
                Bold(Tr("New follow-up commitment for {party}", party=party_text(party))),
                describe(commitment, party),
                Tr(
                    "You can update its status here, or later with /status {id}.",
                    id=short_id(commitment),
                ),
            ]
        ),
        status_buttons(commitment.id),
    )
    for person in await responsible_persons(session, commitment, now, services.clock.tz):
        await services.outbox.to_person(session, person, notice, now=now, ref=key(commitment))
    await audit.record(
        session,
        action="commitment.create",
        now=now,
        actor_id=actor.person_id,
        subject=key(commitment),
        meeting=meetings.ref(meeting),
        responsible=party.kind.value,
        state=party.state.code if party.state else None,
        name=party.name,
        due_at=due.isoformat(),
    )
    return commitment


async def _schedule(session: AsyncSession, commitment: Commitment, now: datetime) -> None:
    await deadlines.schedule(
        session,
        key=key(commitment),
        kind=KIND,
        ref=key(commitment),
        title=deadline_title(commitment),
        due_at=as_utc(commitment.due_at),
        now=now,
        reminders=REMINDERS,
        created_by_id=commitment.created_by_id,
    )


def deadline_title(commitment: Commitment) -> Node:
    return Tr(
        "Commitment {id}: {text}",
        id=short_id(commitment),
        text=Bi(_clip(commitment.text_en), _clip(commitment.text_es)),
    )


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(commitment: Commitment, party: Party) -> Node:
    return Join(
        [
            Tr("<b>{id}</b>: {text}", id=short_id(commitment), text=text_of(commitment)),
            Tr("Responsible: {party}", party=party_text(party)),
            Tr("Deadline: {when}", when=When(commitment.due_at)),
            Tr("Status: {status}", status=status_text(commitment.status)),
        ]
    )


async def get(session: AsyncSession, commitment_id: int) -> Commitment:
    commitment = await session.get(Commitment, commitment_id)
    if commitment is None:
        raise NotFound(Tr("There is no commitment {id}.", id=format_id(COMMITMENT, commitment_id)))
    return commitment


async def party(session: AsyncSession, commitment: Commitment) -> Party:
    state = (
        await session.get(MemberState, commitment.responsible_state_id)
        if commitment.responsible_state_id
        else None
    )
    return party_of(commitment, state)


async def responsible_state_id(
    session: AsyncSession, commitment: Commitment, now: datetime, tz: ZoneInfo
) -> int | None:
    """The state answering for it now (the PPT's changes with the term)."""
    if commitment.responsible == Responsible.STATE:
        return commitment.responsible_state_id
    if commitment.responsible == Responsible.PPT:
        return (await presidency.troika_at(session, now, tz)).incumbent
    return None


async def responsible_persons(
    session: AsyncSession, commitment: Commitment, now: datetime, tz: ZoneInfo
) -> list[Person]:
    if commitment.responsible == Responsible.TS:
        return await with_roles(session, [Role.TS])
    state_id = await responsible_state_id(session, commitment, now, tz)
    if state_id is None:
        return []  # another body: the TS records its status
    return await meetings.focal_points(session, state_id)


# ---- status updates -----------------------------------------------------------------------


async def check_may_update(
    session: AsyncSession, actor: Actor | None, commitment: Commitment, now: datetime, tz: ZoneInfo
) -> Actor:
    """The TS at any time; the responsible state's focal points until the deadline."""
    actor = require(actor, Action.UPDATE_COMMITMENT)
    if actor.is_ts:
        return actor
    if commitment.responsible == Responsible.TS or (
        actor.state_id is None
        or actor.state_id != await responsible_state_id(session, commitment, now, tz)
    ):
        raise PermissionDenied(
            Tr(
                "Commitment {id} is not your state's to update. Nothing was changed.",
                id=short_id(commitment),
            )
        )
    if now > as_utc(commitment.due_at):
        raise InputError(
            Tr(
                "The deadline of {id} passed on {when}; the TS records its final status. "
                "Nothing was changed.",
                id=short_id(commitment),
                when=When(commitment.due_at),
            )
        )
    return actor


@dataclass(frozen=True)
class Changed:
    commitment: Commitment
    previous: CommitmentStatus
    changed: bool


async def set_status(
    services: Services,
    session: AsyncSession,
    actor: Actor | None,
    commitment_id: int,
    status: CommitmentStatus,
    *,
    now: datetime,
) -> Changed:
    commitment = await get(session, commitment_id)
    actor = await check_may_update(session, actor, commitment, now, services.clock.tz)
    previous = CommitmentStatus(commitment.status)
    if previous == status:
        return Changed(commitment, previous, changed=False)
    commitment.status = status
    commitment.status_changed_at, commitment.status_changed_by_id = now, actor.person_id
    session.add(commitment)
    await session.flush()
    if status == CommitmentStatus.COMPLETED:
        await deadlines.complete(session, key(commitment), now)
    elif previous == CommitmentStatus.COMPLETED and as_utc(commitment.due_at) > now:
        await _schedule(session, commitment, now)  # reopened: reminders apply again
    await audit.record(
        session,
        action="commitment.status",
        now=now,
        actor_id=actor.person_id,
        subject=key(commitment),
        status=status.value,
        previous=previous.value,
    )
    if not actor.is_ts:
        notice = Content(
            Tr(
                "{who} ({state}) set commitment {id} to <b>{status}</b> (it was {previous}).",
                who=await _name(session, actor.person_id),
                state=state_name(await _state(session, actor.state_id)),
                id=short_id(commitment),
                status=status_text(status),
                previous=status_text(previous),
            )
        )
        for person in await with_roles(session, [Role.TS]):
            await services.outbox.to_person(session, person, notice, now=now, ref=key(commitment))
    return Changed(commitment, previous, changed=True)


async def _name(session: AsyncSession, person_id: int) -> str:
    person = await session.get(Person, person_id)
    return person.display_name if person and person.display_name else "?"


async def _state(session: AsyncSession, state_id: int | None) -> MemberState:
    state = await session.get(MemberState, state_id)
    assert state is not None
    return state


# ---- listing --------------------------------------------------------------------------------


async def of_meeting(session: AsyncSession, meeting_id: int | None) -> list[Commitment]:
    rows = await session.exec(
        select(Commitment)
        .where(Commitment.meeting_id == meeting_id)
        .order_by(col(Commitment.due_at), col(Commitment.id))
    )
    return list(rows.all())


async def open_for(
    session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo
) -> list[Commitment]:
    """Commitments not completed that this person answers for (TS: the TS's and other
    bodies'; a focal point: their state's, and the PPT's when their state holds it)."""
    rows = await session.exec(
        select(Commitment)
        .where(Commitment.status != CommitmentStatus.COMPLETED)
        .order_by(col(Commitment.due_at))
    )
    ppt = (await presidency.troika_at(session, now, tz)).incumbent
    found = []
    for commitment in rows.all():
        kind = commitment.responsible
        if (actor.is_ts and kind in (Responsible.TS, Responsible.OTHER)) or (
            actor.has(Role.FOCAL_POINT)
            and actor.state_id is not None
            and (
                (kind == Responsible.STATE and commitment.responsible_state_id == actor.state_id)
                or (kind == Responsible.PPT and ppt == actor.state_id)
            )
        ):
            found.append(commitment)
    return found


def line(commitment: Commitment, party: Party) -> Node:
    return Tr(
        "• {id} {text} ({party}, by {when}): {status}",
        id=short_id(commitment),
        text=Bi(_clip(commitment.text_en, 80), _clip(commitment.text_es, 80)),
        party=party_text(party),
        when=When(commitment.due_at, with_time=False),
        status=status_text(commitment.status),
    )


# ---- deadline ------------------------------------------------------------------------------


class CommitmentKind:
    """The responsible focal points (or TS staff) are reminded while the commitment is not
    completed; at its deadline the TS is told of any commitment still open."""

    kind = KIND

    async def _open(self, session: AsyncSession, deadline: Deadline) -> Commitment | None:
        commitment = await session.get(Commitment, int(deadline.ref.rsplit(":", 1)[1]))
        if commitment is None or commitment.status == CommitmentStatus.COMPLETED:
            return None
        return commitment

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        commitment = await self._open(session, deadline)
        if commitment is None:
            return []
        return await responsible_persons(session, commitment, now, services.clock.tz)

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        commitment = await self._open(session, deadline)
        if commitment is None:
            return
        body = Join(
            [
                Tr("<b>Commitment deadline reached</b>"),
                describe(commitment, await party(session, commitment)),
                Tr("Record its final status with /status {id}.", id=short_id(commitment)),
            ]
        )
        stamp = int(as_utc(deadline.due_at).timestamp())
        for person in await with_roles(session, [Role.TS]):
            await services.outbox.to_person(
                session,
                person,
                Content(body, status_buttons(commitment.id)),
                now=now,
                dedupe_key=f"{KIND}:{deadline.id}:{stamp}:{person.id}",
            )

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        return Content(
            Tr(
                "Reminder: {title}. It is due by {when}. If its status has changed, press one "
                "of the buttons below.",
                title=from_json(deadline.title),
                when=When(deadline.due_at),
            ),
            status_buttons(int(deadline.ref.rsplit(":", 1)[1])),
        )


DEADLINE_KINDS = (CommitmentKind(),)
