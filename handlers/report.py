"""/report: the TS sends its financial report to the member states 40 days before an RCGM
meeting (SPEC 2.3, section 3), and sees the compliance history.

`/report M4` as the caption of the PDF, or before sending it (the bot then asks for the file);
`/report` alone shows, per RCGM meeting, whether the report is due, was sent on time, or how
late, and offers the meetings still waiting for theirs. An activity report (a second PDF) may
follow the first before the preview's "Send" is pressed.
"""

from __future__ import annotations

import re

from sqlmodel import col, select
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import dialogs, meetings, report_receipts, report_rule, reports
from bot.dialogs import BaseDialog
from bot.documents import PDF
from bot.errors import InputError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import MEETING, REPORT, Subject, format_id, parse_id
from bot.models.dialogs import Draft
from bot.models.documents import StoredDocument
from bot.models.meetings import Meeting
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.receipts import Receipt
from bot.outbox import Content
from bot.permissions import Action, can
from bot.spreadsheets import csv_bytes, moment
from bot.states import state_name
from bot.text import Join, Keyboard, Node, Plural, Tr, When, from_json, keyboard
from bot.updates import Turn, handler
from handlers.common import download_document
from handlers.meeting_views import derived_lines, fitted, reply_with_csv

NAME = "report"
_MAX_CHOICES = 8


def _meeting_number(text: str) -> int:
    prefix, number = parse_id(text)
    if prefix != MEETING:
        raise InputError(
            Tr(
                "{text} is not a meeting. Write the id of the RCGM meeting, for example "
                "/report M4.",
                text=text.strip(),
            )
        )
    return number


async def report_command(turn: Turn) -> None:
    """`/report [M4]` as a text message."""
    _, actor = turn.known
    turn.require(Action.REPORT)
    args = turn.command.args
    if not args:
        await _history_and_choice(turn)
        return
    meeting = await reports.check_sendable(turn.session, actor, _meeting_number(args[0]), turn.now)
    await dialogs.begin(turn, NAME, "file", meeting_id=meeting.id)
    await _ask_file(turn, meeting)


async def report_with_file(turn: Turn) -> None:
    """A PDF sent with `/report [M4]` as its caption."""
    _, actor = turn.known
    turn.require(Action.REPORT)
    args = turn.command.args
    meeting_id = _meeting_number(args[0]) if args else None
    if meeting_id is not None:
        await reports.check_sendable(turn.session, actor, meeting_id, turn.now)
    stored = await _receive(turn)
    if meeting_id is None:
        await dialogs.begin(turn, NAME, "meeting", document_id=stored.id)
        await _ask_meeting(turn)
        return
    draft = await dialogs.begin(turn, NAME, "confirm", meeting_id=meeting_id, document_id=stored.id)
    await _preview(turn, draft)


async def _receive(turn: Turn) -> StoredDocument:
    message = turn.update.message
    if message is None or message.document is None:
        raise InputError(Tr("Please send the report as a PDF file."))
    return await download_document(turn, PDF)


async def _history_and_choice(turn: Turn) -> None:
    rows = await reports.history(turn.session, turn.now)
    lines: list[Node] = [Tr("<b>Financial reports: 40 days before each RCGM meeting</b>")]
    if rows:
        lines.extend(fitted(turn, [Tr("• {line}", line=reports.history_line(row)) for row in rows]))
    else:
        lines.append(Tr("No RCGM meeting is registered yet."))
    waiting = await reports.awaiting(turn.session, turn.now)
    if not waiting:
        lines.extend(
            [
                "",
                Tr(
                    "No RCGM meeting is waiting for its report. Register one with /meeting "
                    "rcgm followed by its date and place."
                ),
            ]
        )
        await turn.reply(Join(lines))
        return
    await dialogs.begin(turn, NAME, "meeting")
    lines.extend(["", Tr("Which meeting is the report for? Choose it, or send its id.")])
    await turn.reply(Join(lines), _meeting_buttons(waiting))


def _meeting_buttons(waiting: list[Meeting]) -> Keyboard:
    return keyboard(
        *[[dialogs.choice(NAME, f"m{m.id}", meetings.label(m))] for m in waiting[:_MAX_CHOICES]]
    )


async def _ask_meeting(turn: Turn) -> None:
    waiting = await reports.awaiting(turn.session, turn.now)
    if not waiting:
        await dialogs.end(turn)
        raise InputError(
            Tr(
                "No RCGM meeting is waiting for its report. Register one with /meeting rcgm "
                "followed by its date and place, then send the report again."
            )
        )
    await turn.reply(
        Tr("Which meeting is the report for? Choose it, or send its id."),
        _meeting_buttons(waiting),
    )


async def _ask_file(turn: Turn, meeting: Meeting) -> None:
    await turn.reply(
        Tr(
            "Send the financial report for {meeting} as a PDF file (at most 20 MB). /cancel stops.",
            meeting=meetings.label(meeting),
        )
    )


async def _preview(turn: Turn, draft: Draft) -> None:
    meeting = await reports.check_sendable(
        turn.session, turn.actor, int(draft.data["meeting_id"]), turn.now
    )
    preview = await reports.preview(turn.session, meeting, turn.now)
    document = await reports.document(turn.session, int(draft.data["document_id"]))
    activity = await reports.document(turn.session, draft.data.get("activity_id"))
    assert document is not None
    lines: list[Node] = [
        Tr("<b>Ready to send</b>"),
        Tr("Financial report: {name}", name=document.file_name),
        Tr("Activity report: {name}", name=activity.file_name)
        if activity
        else Tr("Activity report: none. If there is one, send it now as a PDF."),
        Tr("For {meeting}.", meeting=meetings.label(meeting)),
        reports.timing_text(preview.timing, report_rule.due_date(meeting.start_date)),
        Tr(
            "It goes to {recipients} of {states}, who are asked to confirm receipt.",
            recipients=meetings.focal_points_count(preview.recipients),
            states=meetings.states_count(preview.states),
        ),
    ]
    if not preview.timing.on_time:
        lines.append(Tr("The Presidency Pro-Tempore will be told that it is late."))
    await turn.reply(
        Join(lines),
        keyboard(
            [dialogs.choice(NAME, "send", Tr("Send")), dialogs.choice(NAME, "drop", Tr("Cancel"))]
        ),
    )


async def _choose(turn: Turn, draft: Draft, meeting_id: int) -> None:
    meeting = await reports.check_sendable(turn.session, turn.actor, meeting_id, turn.now)
    if "document_id" in draft.data:
        draft = await dialogs.save(turn, draft, "confirm", meeting_id=meeting.id)
        await _preview(turn, draft)
        return
    await dialogs.save(turn, draft, "file", meeting_id=meeting.id)
    await _ask_file(turn, meeting)


async def _send(turn: Turn, draft: Draft) -> None:
    person, actor = turn.known
    sent = await reports.send(
        turn.services,
        turn.session,
        actor,
        meeting_id=int(draft.data["meeting_id"]),
        document_id=int(draft.data["document_id"]),
        activity_document_id=draft.data.get("activity_id"),
        requested_by=person,
        now=turn.now,
    )
    await dialogs.end(turn)
    turn.answer(Tr("Sending."))
    report_id = format_id(REPORT, sent.report.id)
    lines: list[Node] = [
        Tr(
            "<b>Report {id} sent</b> for {meeting} to {recipients} of {states}.",
            id=report_id,
            meeting=meetings.label(sent.meeting),
            recipients=meetings.focal_points_count(sent.recipients),
            states=meetings.states_count(sent.states),
        ),
        reports.timing_text(sent.timing, report_rule.due_date(sent.meeting.start_date)),
    ]
    if not sent.timing.on_time:
        if sent.ppt is None:
            lines.append(
                Tr("No Presidency Pro-Tempore is set (/ppt), so nobody was told of the delay.")
            )
        else:
            lines.append(
                Tr(
                    "The Presidency Pro-Tempore ({state}) was told: {count}.",
                    state=state_name(sent.ppt),
                    count=Plural("{n} person", "{n} persons", sent.ppt_told),
                )
            )
    lines.append(Tr("/status {id} shows who has confirmed receipt.", id=report_id))
    await turn.reply(Join(lines))


class ReportDialog(BaseDialog):
    name = NAME

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.REPORT)
        if value == "drop":
            await dialogs.end(turn)
            await turn.reply(Tr("Cancelled. Nothing was sent."))
        elif draft.step == "meeting" and re.fullmatch(r"m\d+", value):
            await _choose(turn, draft, int(value[1:]))
        elif draft.step == "confirm" and value == "send":
            await _send(turn, draft)
        else:
            raise InputError(Tr("That button is no longer active."))

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.REPORT)
        if draft.step == "meeting":
            await _choose(turn, draft, _meeting_number(turn.text))
        elif draft.step == "file":
            raise InputError(Tr("Please send the report as a PDF file, or /cancel to stop."))
        else:
            raise InputError(
                Tr("Press Send to send it, send the activity report as a PDF, or /cancel.")
            )

    async def on_document(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.REPORT)
        if draft.step == "meeting":
            stored = await _receive(turn)
            await dialogs.save(turn, draft, document_id=stored.id)
            await _ask_meeting(turn)
        elif draft.step == "file":
            await reports.check_sendable(
                turn.session, turn.actor, int(draft.data["meeting_id"]), turn.now
            )
            stored = await _receive(turn)
            draft = await dialogs.save(turn, draft, "confirm", document_id=stored.id)
            await _preview(turn, draft)
        else:
            stored = await _receive(turn)
            draft = await dialogs.save(turn, draft, activity_id=stored.id)
            await _preview(turn, draft)


# ---- "Received" ---------------------------------------------------------------------------------


async def acknowledge_pressed(turn: Turn) -> None:
    match = re.fullmatch(rf"{report_receipts.ACK_PREFIX}:(\d+):ack", turn.callback_data)
    if match is None:
        raise InputError(Tr("That button is no longer active."))
    report = await reports.get(turn.session, int(match[1]))
    result = await report_receipts.acknowledge(turn.session, turn.actor, report, turn.now)
    if not result.new:
        turn.answer(Tr("You had already confirmed receipt."))
        return
    turn.answer(Tr("Thank you: receipt confirmed."))
    await _mark_pressed(turn, report_receipts.ack_line(turn.now))


async def _mark_pressed(turn: Turn, line: Node) -> None:
    """Add a line to the message whose button was pressed and drop its buttons. The edit
    targets our own outbox row, so that a document's caption is edited, not a text."""
    query = turn.callback
    if query is None or query.message is None:
        return
    row = (
        await turn.session.exec(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == turn.chat_id,
                OutboxMessage.telegram_message_id == query.message.message_id,
                OutboxMessage.method == OutboxMethod.SEND,
                OutboxMessage.status == OutboxStatus.SENT,
            )
        )
    ).first()
    if row is None or row.body is None:
        return
    await turn.services.outbox.edit(
        turn.session,
        target=row,
        content=Content(Join([from_json(row.body), line])),
        now=turn.now,
    )


# ---- /status R1 and /export R1 ------------------------------------------------------------------


async def report_status(turn: Turn, number: int) -> Node | Content:
    _, actor = turn.known
    report = await reports.get(turn.session, number)
    meeting = await meetings.get(turn.session, report.meeting_id)
    document = await reports.document(turn.session, report.document_id)
    activity = await reports.document(turn.session, report.activity_document_id)
    assert document is not None
    lines: list[Node] = [
        Tr("<b>Financial report {id}</b>", id=format_id(REPORT, report.id)),
        meetings.label(meeting),
        Tr("Sent on {when}: {name}", when=When(report.sent_at), name=document.file_name),
        Tr("SHA-256: {sum}", sum=document.sha256),
    ]
    if activity is not None:
        lines.append(Tr("Activity report: {name}", name=activity.file_name))
    lines.extend(await derived_lines(turn, meeting))
    everyone = await report_receipts.recipients(turn.session, report.id)
    buttons = None
    if can(actor, Action.SEE_DELIVERY):
        confirmed = [r for r in everyone if r.acknowledged_at is not None]
        missing = [r for r in everyone if r.acknowledged_at is None]
        lines.append(
            Tr(
                "Receipt confirmed by {confirmed} of {total} recipients.",
                confirmed=len(confirmed),
                total=len(everyone),
            )
        )
        if missing:
            lines.append(Tr("Not confirmed yet:"))
            lines.extend(
                fitted(turn, [report_receipts.recipient_line(r) for r in missing], budget=2000)
            )
    mine = next((r for r in everyone if r.person.id == actor.person_id), None)
    if mine is not None and mine.acknowledged_at is None:
        lines.append(Tr("Please confirm that you received it."))
        buttons = keyboard([report_receipts.ack_button(report.id)])
    elif mine is not None and mine.acknowledged_at is not None:
        lines.append(report_receipts.ack_line(mine.acknowledged_at))
    return Content(Join(lines), buttons)


async def report_open_items(turn: Turn) -> list[Node]:
    """Reports this person received and has not confirmed yet."""
    _, actor = turn.known
    rows = await turn.session.exec(
        select(Receipt.ref).where(
            col(Receipt.ref).startswith(report_receipts.REF_PREFIX),
            Receipt.person_id == actor.person_id,
            col(Receipt.acknowledged_at).is_(None),
        )
    )
    items: list[Node] = []
    for report_id in (report_receipts.report_number(ref) for ref in rows.all()):
        report = await reports.get(turn.session, report_id)
        meeting = await meetings.get(turn.session, report.meeting_id)
        items.append(
            Tr(
                "• {meeting}: confirm receipt of the financial report (/status {id})",
                meeting=meetings.label(meeting),
                id=format_id(REPORT, report_id),
            )
        )
    return items


async def export_report(turn: Turn, number: int) -> None:
    """/export R1: who received the report, and when each confirmed receipt."""
    turn.require(Action.EXPORT)
    report = await reports.get(turn.session, number)
    plain = turn.renderer.plain
    tz = turn.services.clock.tz
    everyone = await report_receipts.recipients(turn.session, report.id)
    data = csv_bytes(
        [
            plain(Tr("State code")),
            plain(Tr("State")),
            plain(Tr("Name")),
            plain(Tr("Receipt confirmed at")),
        ],
        [
            [
                r.state.code if r.state else None,
                plain(state_name(r.state)) if r.state else None,
                r.person.display_name,
                moment(r.acknowledged_at, tz),
            ]
            for r in everyone
        ],
    )
    await reply_with_csv(
        turn,
        data,
        f"receipts-{format_id(REPORT, report.id)}.csv",
        Tr(
            "Financial report {id}: receipt confirmed by {confirmed} of {total} recipients.",
            id=format_id(REPORT, report.id),
            confirmed=sum(1 for r in everyone if r.acknowledged_at is not None),
            total=len(everyone),
        ),
    )


# A document whose caption is the /report command (PTB's CommandHandler reads text only).
_REPORT_CAPTION = filters.Document.ALL & filters.CaptionRegex(r"^/report(@\w+)?(\s|$)")

FEATURE = Feature(
    name=NAME,
    handlers=[
        CommandHandler("report", handler(report_command)),
        MessageHandler(filters.UpdateType.MESSAGE & _REPORT_CAPTION, handler(report_with_file)),
        CallbackQueryHandler(
            handler(acknowledge_pressed), pattern=rf"^{report_receipts.ACK_PREFIX}:"
        ),
    ],
    dialogs=[ReportDialog()],
    subjects=[
        Subject(
            prefix=REPORT,
            name=N_("report"),
            status=report_status,
            export=export_report,
            open_items=report_open_items,
        )
    ],
    deadline_kinds=list(reports.DEADLINE_KINDS),
    commands=[
        CommandInfo("report", N_("Send the financial report, or see its history"), Audience.TS)
    ],
)
