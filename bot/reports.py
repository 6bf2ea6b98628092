"""The TS financial report, sent to the member states 40 days before each RCGM meeting
(SPEC 2.3; the rule itself is in bot.report_rule, the acknowledgements in
bot.report_receipts), its deadline, and the compliance history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines, meetings, presidency, receipts, report_receipts
from bot.audiences import with_roles
from bot.clock import as_utc
from bot.errors import InputError, NotFound
from bot.ids import MEETING, REPORT, format_id
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.documents import StoredDocument
from bot.models.meetings import (
    FinancialReport,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from bot.models.outbox import Priority
from bot.models.people import MemberState, Person
from bot.outbox import Content
from bot.permissions import Action, Actor, require
from bot.report_rule import (
    ReportStanding,
    Standing,
    Timeliness,
    due_at,
    due_date,
    local_day,
    standing,
    timeliness,
)
from bot.roles import STATE_ROLES, Role
from bot.text import Bold, Day, Join, Node, Plural, Tr, When, from_json, keyboard

if TYPE_CHECKING:
    from bot.services import Services

# The TS is reminded a week, three days and one day ahead, then daily once overdue (SPEC 2.3).
DUE_REMINDERS = (timedelta(days=7), timedelta(days=3), timedelta(days=1))
OVERDUE_EVERY = timedelta(days=1)

DUE_KIND = "report_due"


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
    # Who received it, in the table every acknowledged delivery uses (bot.receipts).
    await receipts.add(session, report_receipts.report_ref(report.id), recipients, now=now)
    body = caption(meeting, report.id, timing)
    content = Content(
        body, keyboard([report_receipts.ack_button(report.id)]), document=report_document
    )
    # The caption must still fit once "Receipt confirmed" is added to it.
    services.outbox.check(
        Content(Join([body, report_receipts.ack_line(now)]), document=report_document)
    )
    ref = report_receipts.report_ref(report.id)
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
    await report_receipts.schedule(session, meeting, report, now)
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


def due_title(meeting: Meeting) -> Node:
    return Tr("Financial report for {meeting}", meeting=meetings.label(meeting))


async def sync_deadlines(session: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """Bring the report's deadlines in step with the meeting (created, moved or cancelled)."""
    report = await report_for(session, meeting.id)
    if meeting.kind != MeetingKind.RCGM or meeting.status == MeetingStatus.CANCELLED:
        await deadlines.cancel(session, due_key(meeting), now)
        if report is not None:
            await deadlines.cancel(session, report_receipts.ack_key(report), now)
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
    ack = await deadlines.get(session, report_receipts.ack_key(report))
    if ack is not None and ack.status == DeadlineStatus.OPEN:
        await report_receipts.schedule(session, meeting, report, now)


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


DEADLINE_KINDS = (ReportDueKind(), *report_receipts.DEADLINE_KINDS)
