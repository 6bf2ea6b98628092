"""The TS financial report, sent to the member states 40 days before each RCGM meeting
(SPEC 2.3), who acknowledged it, and the compliance history.

001_b79985bfaf76089f.txt, section V.c: the TS submits its financial report "to Member States
40 days in advance of the RCGM meeting to enable its evaluation by relevant experts".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines, meetings, presidency
from bot.audiences import with_roles
from bot.clock import as_utc, end_of_day
from bot.errors import InputError, NotFound, PermissionDenied
from bot.ids import MEETING, REPORT, format_id
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.documents import StoredDocument
from bot.models.meetings import (
    FinancialReport,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ReportReceipt,
)
from bot.models.outbox import Priority
from bot.models.people import MemberState, Person
from bot.outbox import Content
from bot.permissions import Action, Actor, require
from bot.roles import STATE_ROLES, Role
from bot.states import state_name
from bot.text import Bold, Button, Day, Join, Node, Plural, Tr, When, from_json, keyboard

if TYPE_CHECKING:
    from bot.services import Services

# 001_b79985bfaf76089f.txt, V.c: 40 days in advance of the RCGM meeting.
REQUIRED_DAYS_AHEAD = 40
# Recipients are asked to acknowledge within a week, and before the meeting in any case.
ACK_DAYS = 7
# The TS is reminded a week, three days and one day ahead, then daily once overdue (SPEC 2.3).
DUE_REMINDERS = (timedelta(days=7), timedelta(days=3), timedelta(days=1))
OVERDUE_EVERY = timedelta(days=1)

DUE_KIND = "report_due"
ACK_KIND = "report_ack"
ACK_PREFIX = "rpt"


# ---- the 40-day rule, as plain functions ------------------------------------------------------


def due_date(meeting_day: date) -> date:
    """The last day on which the report is on time: the meeting's first day minus 40 days."""
    return meeting_day - timedelta(days=REQUIRED_DAYS_AHEAD)


def due_at(meeting_day: date, tz: ZoneInfo) -> datetime:
    """The due date as a deadline: 23:59 of that day in the meeting's time zone (SPEC 3)."""
    return end_of_day(due_date(meeting_day), tz)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return as_utc(moment).astimezone(tz).date()


def days_ahead(sent_at: datetime, meeting_day: date, tz: ZoneInfo) -> int:
    """Calendar days between the day the report went out and the meeting's first day, both
    in the meeting's time zone (a report sent late at night is dated where it is read)."""
    return (meeting_day - local_day(sent_at, tz)).days


@dataclass(frozen=True)
class Timeliness:
    days_ahead: int

    @property
    def days_late(self) -> int:
        return max(0, REQUIRED_DAYS_AHEAD - self.days_ahead)

    @property
    def on_time(self) -> bool:
        return self.days_late == 0


def timeliness(sent_at: datetime, meeting_day: date, tz: ZoneInfo) -> Timeliness:
    return Timeliness(days_ahead(sent_at, meeting_day, tz))


def acknowledgement_due_date(sent_day: date, meeting_day: date) -> date:
    """A week after the report went out, but the day before the meeting at the latest (and
    never before the day it went out)."""
    return max(sent_day, min(sent_day + timedelta(days=ACK_DAYS), meeting_day - timedelta(days=1)))


class Standing(StrEnum):
    DUE = "due"  # not sent, the due date has not passed
    OVERDUE = "overdue"  # not sent, the due date has passed, the meeting is ahead
    MISSED = "missed"  # not sent, and the meeting has begun
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True)
class ReportStanding:
    standing: Standing
    due: date
    # Days left until the due date (DUE), days past it (OVERDUE), or days ahead of the
    # meeting that the report went out (ON_TIME, LATE).
    days: int
    days_late: int = 0
    sent: date | None = None


def standing(meeting_day: date, today: date, sent_day: date | None) -> ReportStanding:
    """Where the report of a meeting stands on `today` (all days in the meeting's zone)."""
    due = due_date(meeting_day)
    if sent_day is not None:
        timing = Timeliness((meeting_day - sent_day).days)
        kind = Standing.ON_TIME if timing.on_time else Standing.LATE
        return ReportStanding(kind, due, timing.days_ahead, timing.days_late, sent_day)
    if today <= due:
        return ReportStanding(Standing.DUE, due, (due - today).days)
    if today < meeting_day:
        return ReportStanding(Standing.OVERDUE, due, (today - due).days)
    return ReportStanding(Standing.MISSED, due, (today - due).days)


# ---- what the bot says about it -------------------------------------------------------------


def standing_text(item: ReportStanding) -> Node:
    due = Day(item.due)
    if item.standing == Standing.DUE:
        if item.days == 0:
            return Tr("due today, {due}: not sent yet", due=due)
        return Plural(
            "due {due}: not sent yet, {n} day left",
            "due {due}: not sent yet, {n} days left",
            item.days,
            due=due,
        )
    if item.standing == Standing.OVERDUE:
        return Plural(
            "due {due}: not sent, {n} day overdue",
            "due {due}: not sent, {n} days overdue",
            item.days,
            due=due,
        )
    if item.standing == Standing.MISSED:
        return Tr("due {due}: not sent before the meeting", due=due)
    ahead = Plural("{n} day ahead", "{n} days ahead", item.days)
    if item.standing == Standing.ON_TIME:
        return Tr("sent {sent}, {ahead}: on time", sent=Day(item.sent or item.due), ahead=ahead)
    return Tr(
        "sent {sent}, {ahead}: <b>{late}</b>",
        sent=Day(item.sent or item.due),
        ahead=ahead,
        late=Plural("{n} day late", "{n} days late", item.days_late),
    )


def timing_text(timing: Timeliness, due: date) -> Node:
    """The line every recipient reads: how far ahead it arrives, and whether it is late."""
    ahead = Plural(
        "It arrives {n} day before the meeting.",
        "It arrives {n} days before the meeting.",
        timing.days_ahead,
    )
    if timing.on_time:
        return Join([ahead, Tr("It was due 40 days before, by {due}: on time.", due=Day(due))])
    return Join(
        [
            ahead,
            Plural(
                "<b>It is late</b>: it was due 40 days before the meeting, by {due}, {n} day ago.",
                "<b>It is late</b>: it was due 40 days before the meeting, by {due}, {n} days ago.",
                timing.days_late,
                due=Day(due),
            ),
        ]
    )


def report_ref(report_id: int | None) -> str:
    return f"report:{report_id}"


def ack_button(report_id: int | None) -> Button:
    return Button(Tr("Received"), data=f"{ACK_PREFIX}:{report_id}:ack")


def ack_line(moment: datetime) -> Node:
    return Tr("✓ Receipt confirmed on {when}.", when=When(moment))


def caption(meeting: Meeting, report_id: int | None, timing: Timeliness) -> Node:
    return Join(
        [
            Bold(Tr("Financial report of the Technical Secretariat")),
            Tr(
                "For {meeting}, {dates}, {place}.",
                meeting=meetings.title(meeting),
                dates=meetings.dates_text(meeting),
                place=meeting.place,
            ),
            timing_text(timing, due_date(meeting.start_date)),
            Tr(
                "Please confirm that you received it ({id}).",
                id=format_id(REPORT, report_id),
            ),
        ]
    )


# ---- the service ---------------------------------------------------------------------------


async def report_for(session: AsyncSession, meeting_id: int | None) -> FinancialReport | None:
    query = select(FinancialReport).where(FinancialReport.meeting_id == meeting_id)
    return (await session.exec(query)).first()


async def get(session: AsyncSession, report_id: int) -> FinancialReport:
    report = await session.get(FinancialReport, report_id)
    if report is None:
        raise NotFound(Tr("There is no report {id}.", id=format_id(REPORT, report_id)))
    return report


async def check_sendable(
    session: AsyncSession, actor: Actor | None, meeting_id: int, now: datetime
) -> Meeting:
    """The meeting a report may be sent for now, or a clear refusal (nothing is changed)."""
    require(actor, Action.REPORT)
    meeting = await meetings.get(session, meeting_id)
    if meeting.kind != MeetingKind.RCGM:
        # Decision (docs/decisions.md): the 40-day report belongs to RCGM meetings only.
        raise InputError(
            Tr(
                "The financial report goes with RCGM meetings, 40 days ahead; {id} is a "
                "{kind} meeting. To send a document to the states, use /announce.",
                id=meetings.short_id(meeting),
                kind=Tr(meetings.KIND_NAMES[MeetingKind(meeting.kind)]),
            )
        )
    meetings.require_scheduled(meeting)
    if meetings.has_started(meeting, now):
        raise InputError(
            Tr(
                "Meeting {id} began on {day}: a report can no longer arrive ahead of it.",
                id=meetings.short_id(meeting),
                day=Day(meeting.start_date),
            )
        )
    existing = await report_for(session, meeting.id)
    if existing is not None:
        raise InputError(
            Tr(
                "The financial report for {id} was already sent on {when} ({report}). "
                "/status {report} shows who has acknowledged it.",
                id=meetings.short_id(meeting),
                when=When(existing.sent_at),
                report=format_id(REPORT, existing.id),
            )
        )
    return meeting


async def awaiting(session: AsyncSession, now: datetime) -> list[Meeting]:
    """RCGM meetings ahead whose report has not gone out yet, soonest first."""
    sent = select(FinancialReport.meeting_id)
    rows = await session.exec(
        select(Meeting)
        .where(
            Meeting.kind == MeetingKind.RCGM,
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.id).not_in(sent),
        )
        .order_by(col(Meeting.start_date))
    )
    return [m for m in rows.all() if not meetings.has_started(m, now)]


@dataclass(frozen=True)
class Preview:
    meeting: Meeting
    timing: Timeliness
    recipients: int
    states: int


async def preview(session: AsyncSession, meeting: Meeting, now: datetime) -> Preview:
    recipients = await meetings.focal_points(session)
    return Preview(
        meeting,
        timeliness(now, meeting.start_date, meetings.zone(meeting)),
        len(recipients),
        len({p.state_id for p in recipients}),
    )


@dataclass(frozen=True)
class Sent:
    report: FinancialReport
    meeting: Meeting
    timing: Timeliness
    recipients: int
    states: int
    ppt: MemberState | None
    ppt_told: int


async def document(session: AsyncSession, document_id: int | None) -> StoredDocument | None:
    if document_id is None:
        return None
    found = await session.get(StoredDocument, document_id)
    if found is None:
        raise InputError(Tr("The file is no longer available; send it again."))
    return found


async def send(
    services: Services,
    session: AsyncSession,
    actor: Actor | None,
    *,
    meeting_id: int,
    document_id: int,
    activity_document_id: int | None,
    requested_by: Person,
    now: datetime,
) -> Sent:
    """Record the report and queue it to every member state's focal points, with the
    meeting, its date and how many days ahead it arrives; tell the PPT if it is late."""
    meeting = await check_sendable(session, actor, meeting_id, now)
    assert actor is not None and meeting.id is not None
    report_document = await document(session, document_id)
    assert report_document is not None and report_document.id is not None
    activity = await document(session, activity_document_id)
    tz = meetings.zone(meeting)
    timing = timeliness(now, meeting.start_date, tz)
    recipients = await meetings.focal_points(session)
    report = FinancialReport(
        meeting_id=meeting.id,
        document_id=report_document.id,
        activity_document_id=activity.id if activity else None,
        sent_at=now,
        sent_by_id=actor.person_id,
        days_ahead_at_send=timing.days_ahead,
    )
    session.add(report)
    await session.flush()
    assert report.id is not None
    for person in recipients:
        assert person.id is not None
        session.add(
            ReportReceipt(report_id=report.id, person_id=person.id, state_id=person.state_id)
        )
    body = caption(meeting, report.id, timing)
    content = Content(body, keyboard([ack_button(report.id)]), document=report_document)
    # The caption must still fit once "Receipt confirmed" is added to it.
    services.outbox.check(Content(Join([body, ack_line(now)]), document=report_document))
    ref = report_ref(report.id)
    record = await services.outbox.broadcast(
        session,
        recipients,
        content,
        now=now,
        title=Tr("Financial report for {meeting}", meeting=meetings.label(meeting)),
        ref=ref,
        requested_by=requested_by,
        dedupe_prefix=ref,
    )
    report.broadcast_id = record.id
    session.add(report)
    if activity is not None:
        extra = Content(
            Tr(
                "Activity report of the Technical Secretariat for {meeting}.",
                meeting=meetings.label(meeting),
            ),
            document=activity,
        )
        for person in recipients:
            await services.outbox.to_person(
                session, person, extra, now=now, priority=Priority.BULK, ref=ref
            )
    ppt, told = None, 0
    if not timing.on_time:
        ppt, told = await _tell_ppt(services, session, meeting, timing, now)
    await deadlines.complete(session, due_key(meeting), now)
    await _schedule_ack(session, meeting, report, now)
    await audit.record(
        session,
        action="report.send",
        now=now,
        actor_id=actor.person_id,
        subject=ref,
        meeting=meetings.ref(meeting),
        document_sha256=report_document.sha256,
        activity_sha256=activity.sha256 if activity else None,
        days_ahead=timing.days_ahead,
        days_late=timing.days_late,
        recipients=len(recipients),
    )
    return Sent(
        report,
        meeting,
        timing,
        len(recipients),
        len({p.state_id for p in recipients}),
        ppt,
        told,
    )


async def _tell_ppt(
    services: Services, session: AsyncSession, meeting: Meeting, timing: Timeliness, now: datetime
) -> tuple[MemberState | None, int]:
    """SPEC 2.3: a late report says so, and the PPT is told (its state-role holders)."""
    state = await presidency.ppt_state(session, now, services.clock.tz)
    if state is None:
        return None, 0
    persons = await with_roles(session, sorted(STATE_ROLES), state_id=state.id)
    notice = Content(
        Join(
            [
                Bold(Tr("Late financial report")),
                Tr(
                    "The Technical Secretariat sent its financial report for {meeting} {ahead} "
                    "before the meeting: {late}. It was due 40 days before the meeting, by "
                    "{due}.",
                    meeting=meetings.label(meeting),
                    ahead=Plural("{n} day", "{n} days", timing.days_ahead),
                    late=Plural("{n} day late", "{n} days late", timing.days_late),
                    due=Day(due_date(meeting.start_date)),
                ),
            ]
        )
    )
    for person in persons:
        await services.outbox.to_person(session, person, notice, now=now)
    return state, len(persons)


def due_key(meeting: Meeting) -> str:
    return f"meeting:{meeting.id}:report"


def ack_key(report: FinancialReport) -> str:
    return f"report:{report.id}:ack"


def due_title(meeting: Meeting) -> Node:
    return Tr("Financial report for {meeting}", meeting=meetings.label(meeting))


async def _schedule_ack(
    session: AsyncSession, meeting: Meeting, report: FinancialReport, now: datetime
) -> None:
    tz = meetings.zone(meeting)
    day = acknowledgement_due_date(local_day(report.sent_at, tz), meeting.start_date)
    await deadlines.schedule(
        session,
        key=ack_key(report),
        kind=ACK_KIND,
        ref=report_ref(report.id),
        title=Tr(
            "Confirm receipt of the financial report for {meeting}",
            meeting=meetings.label(meeting),
        ),
        due_at=end_of_day(day, tz),
        now=now,
        created_by_id=report.sent_by_id,
    )


async def sync_deadlines(session: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """Bring the report's deadlines in step with the meeting (created, moved or cancelled)."""
    report = await report_for(session, meeting.id)
    if meeting.kind != MeetingKind.RCGM or meeting.status == MeetingStatus.CANCELLED:
        await deadlines.cancel(session, due_key(meeting), now)
        if report is not None:
            await deadlines.cancel(session, ack_key(report), now)
        return
    if report is None:
        await deadlines.schedule(
            session,
            key=due_key(meeting),
            kind=DUE_KIND,
            ref=meetings.ref(meeting),
            title=due_title(meeting),
            due_at=due_at(meeting.start_date, meetings.zone(meeting)),
            now=now,
            reminders=DUE_REMINDERS,
            overdue_every=OVERDUE_EVERY,
            created_by_id=meeting.created_by_id,
        )
        return
    ack = await deadlines.get(session, ack_key(report))
    if ack is not None and ack.status == DeadlineStatus.OPEN:
        await _schedule_ack(session, meeting, report, now)


# ---- acknowledgements ---------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledged:
    receipt: ReportReceipt
    new: bool  # False when this person had already acknowledged


async def acknowledge(
    session: AsyncSession, actor: Actor | None, report_id: int, now: datetime
) -> Acknowledged:
    """A recipient confirms receipt (pressing "Received" again changes nothing)."""
    if actor is None:
        raise PermissionDenied()
    report = await get(session, report_id)
    receipt = (
        await session.exec(
            select(ReportReceipt).where(
                ReportReceipt.report_id == report.id, ReportReceipt.person_id == actor.person_id
            )
        )
    ).first()
    if receipt is None:
        raise PermissionDenied(
            Tr("This report was not sent to you, so there is nothing to confirm.")
        )
    if receipt.acknowledged_at is not None:
        return Acknowledged(receipt, new=False)
    receipt.acknowledged_at = now
    session.add(receipt)
    await session.flush()
    await audit.record(
        session,
        action="report.ack",
        now=now,
        actor_id=actor.person_id,
        subject=report_ref(report.id),
    )
    if not await unacknowledged(session, report.id):
        await deadlines.complete(session, ack_key(report), now)
    return Acknowledged(receipt, new=True)


@dataclass(frozen=True)
class Recipient:
    person: Person
    state: MemberState | None
    acknowledged_at: datetime | None


async def recipients(session: AsyncSession, report_id: int | None) -> list[Recipient]:
    rows = await session.exec(
        select(ReportReceipt, Person)
        .join(Person, col(Person.id) == ReportReceipt.person_id)
        .where(ReportReceipt.report_id == report_id)
        .order_by(col(ReportReceipt.id))
    )
    states = {s.id: s for s in (await session.exec(select(MemberState))).all()}
    found = [
        Recipient(person, states.get(receipt.state_id), receipt.acknowledged_at)
        for receipt, person in rows.all()
    ]
    return sorted(found, key=lambda r: (r.state.position if r.state else -1, r.person.id or 0))


async def unacknowledged(session: AsyncSession, report_id: int | None) -> list[Person]:
    return [
        r.person
        for r in await recipients(session, report_id)
        if r.acknowledged_at is None and r.person.active
    ]


# ---- the compliance history --------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    meeting: Meeting
    report: FinancialReport | None
    standing: ReportStanding


def standing_of(meeting: Meeting, report: FinancialReport | None, now: datetime) -> ReportStanding:
    tz = meetings.zone(meeting)
    sent = local_day(report.sent_at, tz) if report is not None else None
    return standing(meeting.start_date, meetings.local_today(now, tz), sent)


async def history(session: AsyncSession, now: datetime, limit: int = 30) -> list[HistoryRow]:
    """Every RCGM meeting (not cancelled), latest first, with its report's standing."""
    rows = await session.exec(
        select(Meeting, FinancialReport)
        .join(
            FinancialReport,
            col(FinancialReport.meeting_id) == Meeting.id,
            isouter=True,
        )
        .where(Meeting.kind == MeetingKind.RCGM, Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(col(Meeting.start_date).desc(), col(Meeting.id).desc())
        .limit(limit)
    )
    return [HistoryRow(m, r, standing_of(m, r, now)) for m, r in rows.all()]


def history_line(row: HistoryRow) -> Node:
    line = Tr(
        "{meeting}: {standing}",
        meeting=meetings.label(row.meeting),
        standing=standing_text(row.standing),
    )
    if row.report is None:
        return line
    return Join([line, f"({format_id(REPORT, row.report.id)})"], sep=" ")


# ---- deadlines the scheduler reminds about ------------------------------------------------------


def _number(ref: str) -> int:
    return int(ref.rsplit(":", 1)[1])


async def _meeting_of(session: AsyncSession, deadline: Deadline) -> Meeting | None:
    return await session.get(Meeting, _number(deadline.ref))


class ReportDueKind:
    """The report of an RCGM meeting, due 40 days before it: the TS is reminded ahead and,
    once it is overdue, every day until it is sent, or until the meeting begins (then it can
    no longer arrive ahead of it, and the history shows it was not sent)."""

    kind = DUE_KIND

    async def _open(
        self, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Meeting | None:
        meeting = await _meeting_of(session, deadline)
        if (
            meeting is None
            or meeting.kind != MeetingKind.RCGM
            or meeting.status == MeetingStatus.CANCELLED
            or meetings.has_started(meeting, now)
            or await report_for(session, meeting.id) is not None
        ):
            return None
        return meeting

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        if await self._open(session, deadline, now) is None:
            return []
        return await with_roles(session, [Role.TS])

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        """The due date passed without the report: every TS officer is told once."""
        meeting = await self._open(session, deadline, now)
        if meeting is None:
            return
        stamp = int(as_utc(deadline.due_at).timestamp())
        for person in await with_roles(session, [Role.TS]):
            await services.outbox.to_person(
                session,
                person,
                self.reminder(deadline, person, now=now),
                now=now,
                dedupe_key=f"{DUE_KIND}:{deadline.id}:{stamp}:{person.id}",
            )

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        meeting_id = format_id(MEETING, _number(deadline.ref))
        title = from_json(deadline.title)
        if now >= as_utc(deadline.due_at):
            body = Tr(
                "<b>Overdue</b>: {title}. It was due by {when}, 40 days before the meeting. "
                "Send it with /report {id}.",
                title=title,
                when=When(deadline.due_at),
                id=meeting_id,
            )
        else:
            body = Tr(
                "Reminder: {title}. It is due by {when}, 40 days before the meeting. Send it "
                "with /report {id}.",
                title=title,
                when=When(deadline.due_at),
                id=meeting_id,
            )
        return Content(body)


class ReportAckKind:
    """Recipients confirm receipt; those who have not are reminded, and at the deadline the
    TS officer who sent it gets the list of who still has not."""

    kind = ACK_KIND

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        return await unacknowledged(session, _number(deadline.ref))

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        report = await session.get(FinancialReport, _number(deadline.ref))
        if report is None:
            return
        missing = [r for r in await recipients(session, report.id) if r.acknowledged_at is None]
        if not missing:
            return
        sender = await session.get(Person, report.sent_by_id) if report.sent_by_id else None
        readers = (
            [sender]
            if sender is not None and sender.active
            else await with_roles(session, [Role.TS])
        )
        body = Join(
            [
                Tr(
                    "<b>{title}</b>: the deadline has passed. Not acknowledged yet:",
                    title=from_json(deadline.title),
                ),
                *[recipient_line(r) for r in missing],
            ]
        )
        stamp = int(as_utc(deadline.due_at).timestamp())
        for person in readers:
            await services.outbox.to_person(
                session,
                person,
                Content(body),
                now=now,
                dedupe_key=f"{ACK_KIND}:{deadline.id}:{stamp}:{person.id}",
            )

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        return Content(
            Tr(
                "Reminder: {title}, by {when}. Press Received below.",
                title=from_json(deadline.title),
                when=When(deadline.due_at),
            ),
            keyboard([ack_button(_number(deadline.ref))]),
        )


def recipient_line(recipient: Recipient) -> Node:
    where: Node = state_name(recipient.state) if recipient.state else Tr("no member state")
    return Tr("• {name} ({state})", name=recipient.person.display_name or "?", state=where)


DEADLINE_KINDS = (ReportDueKind(), ReportAckKind())
