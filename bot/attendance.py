"""Attendance confirmations (SPEC 2.8): the TS sets a deadline for a meeting, each member
state answers once (attending or not, how many delegates and who), and may change its answer
until the deadline.

004_d88c9457dfb468f7.txt: the RCGM urged "the RCM Member Countries to submit their attendance
confirmations to the TS". A state's focal point or Vice-Minister answers for it (the
permission CONFIRM_ATTENDANCE); the request goes to the focal points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines, meetings
from bot.audiences import with_roles
from bot.clock import as_utc, end_of_day
from bot.errors import InputError
from bot.models.deadlines import Deadline
from bot.models.meetings import AttendanceAnswer, Meeting, MeetingStatus
from bot.models.people import MemberState, Person
from bot.outbox import Content, MessageTooLong
from bot.permissions import Action, Actor, require, require_same_state
from bot.roles import Role
from bot.states import member_states, state_name
from bot.text import Bold, Button, Day, Join, Keyboard, Node, Plural, Tr, When, from_json, keyboard

if TYPE_CHECKING:
    from bot.services import Services

KIND = "attendance"
PREFIX = "att"
MAX_DELEGATES = 30
MAX_NAME = 80
NAMES_IN_LISTS = 120  # characters of names per state in a list


def key(meeting: Meeting) -> str:
    return f"meeting:{meeting.id}:attendance"


def title(meeting: Meeting) -> Node:
    return Tr("Confirm attendance at {meeting}", meeting=meetings.label(meeting))


def buttons(meeting_id: int | None, state_id: int | None) -> Keyboard:
    """The answer buttons; the state they answer for is checked against the presser's."""
    return keyboard(
        [
            Button(Tr("Attending"), data=f"{PREFIX}:{meeting_id}:{state_id or 0}:y"),
            Button(Tr("Not attending"), data=f"{PREFIX}:{meeting_id}:{state_id or 0}:n"),
        ]
    )


def parse_names(text: str) -> list[str]:
    """Delegates' names, one per line."""
    names = [" ".join(line.split()) for line in text.splitlines()]
    names = [name for name in names if name]
    for name in names:
        if len(name) > MAX_NAME:
            raise InputError(
                Tr(
                    "A name may be at most {limit} characters long: {name}",
                    limit=MAX_NAME,
                    name=name,
                )
            )
    return names


def check_delegates(delegates: int, names: Sequence[str]) -> None:
    if not 1 <= delegates <= MAX_DELEGATES:
        raise InputError(
            Tr(
                "The number of delegates must be between 1 and {limit}.",
                limit=MAX_DELEGATES,
            )
        )
    if names and len(names) != delegates:
        raise InputError(
            Tr(
                "You announced {delegates} delegates but sent {count} names. Send one name per "
                "delegate, one per line.",
                delegates=delegates,
                count=len(names),
            )
        )


# ---- the TS asks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    meeting: Meeting
    due_at: datetime
    recipients: list[Person]
    first: bool  # the first request for this meeting (otherwise the deadline moves)


async def plan(
    session: AsyncSession, actor: Actor | None, meeting_id: int, day: date, now: datetime
) -> Plan:
    """Check a confirmation deadline for a meeting without changing anything (the preview)."""
    require(actor, Action.MEETING)
    meeting = await meetings.get(session, meeting_id)
    meetings.require_scheduled(meeting)
    tz = meetings.zone(meeting)
    due = end_of_day(day, tz)
    if due <= now:
        raise InputError(Tr("The date {day} has already passed.", day=Day(day)))
    if day >= meeting.start_date:
        raise InputError(
            Tr(
                "Attendance is confirmed before the meeting: choose a date before {start}.",
                start=Day(meeting.start_date),
            )
        )
    return Plan(
        meeting, due, await meetings.focal_points(session), meeting.attendance_due_at is None
    )


def request_text(meeting: Meeting, state: MemberState | None, *, first: bool) -> Node:
    assert meeting.attendance_due_at is not None
    return Join(
        [
            Bold(Tr("Attendance confirmation") if first else Tr("New date to confirm attendance")),
            meetings.label(meeting),
            Tr(
                "Please confirm by {due} whether {state} will attend. One answer per state; "
                "it can be changed until then.",
                due=When(meeting.attendance_due_at),
                state=state_name(state) if state else Tr("your state"),
            ),
        ]
    )


async def open_requests(
    services: Services,
    session: AsyncSession,
    actor: Actor | None,
    meeting_id: int,
    day: date,
    *,
    requested_by: Person,
    now: datetime,
) -> Plan:
    """Set (or move) the confirmation deadline and ask every state's focal points."""
    checked = await plan(session, actor, meeting_id, day, now)
    assert actor is not None
    meeting = checked.meeting
    meeting.attendance_due_at, meeting.updated_at = checked.due_at, now
    session.add(meeting)
    await session.flush()
    await sync_deadline(session, meeting, now)
    states = {s.id: s for s in await member_states(session)}

    def content(person: Person) -> Content:
        state = states.get(person.state_id)
        return Content(
            request_text(meeting, state, first=checked.first),
            buttons(meeting.id, person.state_id),
        )

    await services.outbox.broadcast(
        session,
        checked.recipients,
        content,
        now=now,
        title=title(meeting),
        ref=meetings.ref(meeting),
        requested_by=requested_by,
    )
    await audit.record(
        session,
        action="attendance.open",
        now=now,
        actor_id=actor.person_id,
        subject=meetings.ref(meeting),
        due_at=checked.due_at.isoformat(),
        recipients=len(checked.recipients),
    )
    return checked


async def sync_deadline(session: AsyncSession, meeting: Meeting, now: datetime) -> bool:
    """Keep the confirmation deadline in step with the meeting. When the meeting moved to or
    before that date, the deadline becomes the end of the day before the meeting; returns
    True when it was moved so."""
    if meeting.status == MeetingStatus.CANCELLED:
        await deadlines.cancel(session, key(meeting), now)
        return False
    if meeting.attendance_due_at is None:
        return False
    tz = meetings.zone(meeting)
    moved = False
    if as_utc(meeting.attendance_due_at).astimezone(tz).date() >= meeting.start_date:
        meeting.attendance_due_at = end_of_day(meeting.start_date - timedelta(days=1), tz)
        session.add(meeting)
        moved = True
    await deadlines.schedule(
        session,
        key=key(meeting),
        kind=KIND,
        ref=meetings.ref(meeting),
        title=title(meeting),
        due_at=as_utc(meeting.attendance_due_at),
        now=now,
        created_by_id=meeting.created_by_id,
    )
    return moved


# ---- a state answers ----------------------------------------------------------------------------


async def check_can_answer(
    session: AsyncSession, actor: Actor | None, meeting_id: int, state_id: int, now: datetime
) -> Meeting:
    """Checked on every press and at every step: the right person, the right state, and the
    deadline not passed."""
    actor = require(actor, Action.CONFIRM_ATTENDANCE)
    require_same_state(actor, state_id)
    meeting = await meetings.get(session, meeting_id)
    meetings.require_scheduled(meeting)
    if meeting.attendance_due_at is None:
        raise InputError(
            Tr(
                "The TS has not asked for attendance confirmations for {id}.",
                id=meetings.short_id(meeting),
            )
        )
    if now > as_utc(meeting.attendance_due_at):
        raise InputError(
            Tr(
                "The deadline to confirm attendance at {id} passed on {when}. Nothing was "
                "changed; please write to the TS directly.",
                id=meetings.short_id(meeting),
                when=When(meeting.attendance_due_at),
            )
        )
    return meeting


async def answer_of(
    session: AsyncSession, meeting_id: int | None, state_id: int | None
) -> AttendanceAnswer | None:
    query = select(AttendanceAnswer).where(
        AttendanceAnswer.meeting_id == meeting_id, AttendanceAnswer.state_id == state_id
    )
    return (await session.exec(query)).first()


@dataclass(frozen=True)
class Answered:
    meeting: Meeting
    answer: AttendanceAnswer
    previous: Node | None  # what the state had answered before, if anything


async def answer(
    session: AsyncSession,
    actor: Actor | None,
    meeting_id: int,
    state_id: int,
    *,
    attending: bool,
    delegates: int = 0,
    names: Sequence[str] = (),
    now: datetime,
) -> Answered:
    """Record the state's answer, replacing any earlier one."""
    meeting = await check_can_answer(session, actor, meeting_id, state_id, now)
    assert actor is not None
    if attending:
        check_delegates(delegates, names)
    else:
        delegates, names = 0, ()
    assert meeting.id is not None
    row = await answer_of(session, meeting.id, state_id)
    previous = answer_text(row) if row is not None else None
    if row is None:
        row = AttendanceAnswer(meeting_id=meeting.id, state_id=state_id, attending=attending)
    row.attending, row.delegates, row.names = attending, delegates, list(names)
    row.answered_by_id, row.answered_at = actor.person_id, now
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        action="attendance.answer",
        now=now,
        actor_id=actor.person_id,
        subject=meetings.ref(meeting),
        state_id=state_id,
        attending=attending,
        delegates=delegates,
    )
    return Answered(meeting, row, previous)


def answer_text(row: AttendanceAnswer, *, names_limit: int | None = None) -> Node:
    """`attending, 3 delegates: Ana, Luis, Rosa`; the names cut at `names_limit`
    characters in lists (the export has them all)."""
    if not row.attending:
        return Tr("not attending")
    count = Plural("attending, {n} delegate", "attending, {n} delegates", row.delegates)
    if not row.names:
        return count
    names = ", ".join(row.names)
    if names_limit is not None and len(names) > names_limit:
        names = names[: names_limit - 1] + "…"
    return Tr("{count}: {names}", count=count, names=names)


@dataclass(frozen=True)
class StateAnswer:
    state: MemberState
    answer: AttendanceAnswer | None


async def summary(session: AsyncSession, meeting: Meeting) -> list[StateAnswer]:
    """Every active member state with its answer (None: not answered yet), in list order."""
    rows = await session.exec(
        select(AttendanceAnswer).where(AttendanceAnswer.meeting_id == meeting.id)
    )
    by_state = {a.state_id: a for a in rows.all()}
    return [StateAnswer(s, by_state.get(s.id or 0)) for s in await member_states(session)]


def summary_lines(answers: Sequence[StateAnswer]) -> list[Node]:
    """The TS's list per state, then the states that have not answered."""
    lines: list[Node] = []
    attending = sum(1 for a in answers if a.answer is not None and a.answer.attending)
    delegates = sum(a.answer.delegates for a in answers if a.answer is not None)
    lines.append(
        Tr(
            "{answered} of {total} states answered; {attending} attending with {delegates}.",
            answered=sum(1 for a in answers if a.answer is not None),
            total=len(answers),
            attending=attending,
            delegates=Plural("{n} delegate", "{n} delegates", delegates),
        )
    )
    for item in answers:
        if item.answer is not None:
            lines.append(
                Tr(
                    "• {state}: {answer}",
                    state=state_name(item.state),
                    answer=answer_text(item.answer, names_limit=NAMES_IN_LISTS),
                )
            )
    missing = [state_name(a.state) for a in answers if a.answer is None]
    if missing:
        lines.append(Tr("Not answered yet: {states}", states=Join(missing, sep=", ")))
    return lines


# ---- deadline ------------------------------------------------------------------------------


class AttendanceKind:
    """Focal points of states that have not answered are reminded; at the deadline every TS
    officer gets the list per state and the states that never answered."""

    kind = KIND

    async def _meeting(self, session: AsyncSession, deadline: Deadline) -> Meeting | None:
        meeting = await session.get(Meeting, int(deadline.ref.rsplit(":", 1)[1]))
        if meeting is None or meeting.status == MeetingStatus.CANCELLED:
            return None
        return meeting

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        meeting = await self._meeting(session, deadline)
        if meeting is None:
            return []
        answered = {
            a.state_id
            for a in (
                await session.exec(
                    select(AttendanceAnswer).where(AttendanceAnswer.meeting_id == meeting.id)
                )
            ).all()
        }
        return [p for p in await meetings.focal_points(session) if p.state_id not in answered]

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        meeting = await self._meeting(session, deadline)
        if meeting is None:
            return
        heading = Tr(
            "<b>Attendance at {meeting}</b>: the deadline has passed.",
            meeting=meetings.label(meeting),
        )
        export = Tr(
            "/export {id} gives the list as a spreadsheet (CSV).", id=meetings.short_id(meeting)
        )
        lines = summary_lines(await summary(session, meeting))
        content = Content(Join([heading, *lines, export]))
        try:
            services.outbox.check(content)
        except MessageTooLong:  # many states: the counts here, the list in the export
            content = Content(Join([heading, lines[0], export]))
        stamp = int(as_utc(deadline.due_at).timestamp())
        for person in await with_roles(session, [Role.TS]):
            await services.outbox.to_person(
                session,
                person,
                content,
                now=now,
                dedupe_key=f"{KIND}:{deadline.id}:{stamp}:{person.id}",
            )

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        meeting_id = int(deadline.ref.rsplit(":", 1)[1])
        return Content(
            Tr(
                "Reminder: {title}. Your state has not answered yet; please answer by {when}.",
                title=from_json(deadline.title),
                when=When(deadline.due_at),
            ),
            buttons(meeting_id, person.state_id),
        )


async def open_meetings(session: AsyncSession, now: datetime) -> list[Meeting]:
    """Meetings whose attendance may still be answered, soonest deadline first."""
    rows = await session.exec(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.attendance_due_at).is_not(None),
            col(Meeting.attendance_due_at) >= now,
        )
        .order_by(col(Meeting.attendance_due_at))
    )
    return list(rows.all())


async def open_for_state(
    session: AsyncSession, state_id: int | None, now: datetime
) -> list[Meeting]:
    """Meetings whose attendance this state may still answer, and has not."""
    return [
        meeting
        for meeting in await open_meetings(session, now)
        if await answer_of(session, meeting.id, state_id) is None
    ]


@dataclass(frozen=True)
class ExportRow:
    state: MemberState
    answer: AttendanceAnswer | None
    answered_by: str | None


async def export_rows(session: AsyncSession, meeting: Meeting) -> list[ExportRow]:
    rows = []
    for item in await summary(session, meeting):
        by = None
        if item.answer is not None and item.answer.answered_by_id is not None:
            person = await session.get(Person, item.answer.answered_by_id)
            by = person.display_name if person else None
        rows.append(ExportRow(item.state, item.answer, by))
    return rows


DEADLINE_KINDS = (AttendanceKind(),)
