"""What the meeting commands show about a meeting beyond its card: where its financial report
stands, who has confirmed attendance, and the attendance list as a spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence

from bot import attendance, meetings, reports
from bot.clock import as_utc
from bot.errors import InputError
from bot.i18n import LANGUAGES
from bot.ids import REPORT, format_id
from bot.models.meetings import Meeting, MeetingKind, MeetingStatus
from bot.models.people import MemberState
from bot.permissions import Action, can
from bot.spreadsheets import csv_bytes, moment
from bot.states import state_name
from bot.text import Keyboard, Node, Tr, When, telegram_length
from bot.updates import Turn

# Room kept for what surrounds a list in the same message (Telegram allows 4096 characters).
LIST_BUDGET = 3500


def fitted(turn: Turn, lines: Sequence[Node], *, budget: int = LIST_BUDGET) -> list[Node]:
    """As many of `lines` as fit in `budget` characters in either language, then a line
    saying how many were left out."""
    kept: list[Node] = []
    used = 0
    for index, line in enumerate(lines):
        size = max(
            telegram_length(turn.services.outbox.renderer(lang).html(line)) + 1
            for lang in LANGUAGES
        )
        if used + size > budget:
            kept.append(Tr("…and {n} more.", n=len(lines) - index))
            break
        kept.append(line)
        used += size
    return kept


async def derived_lines(turn: Turn, meeting: Meeting) -> list[Node]:
    """The report's standing (RCGM meetings) and the attendance deadline, if set."""
    if meeting.status != MeetingStatus.SCHEDULED:
        return []
    lines: list[Node] = []
    if meeting.kind == MeetingKind.RCGM:
        report = await reports.report_for(turn.session, meeting.id)
        standing = reports.standing_text(reports.standing_of(meeting, report, turn.now))
        if report is None:
            lines.append(Tr("Financial report: {standing}", standing=standing))
        else:
            lines.append(
                Tr(
                    "Financial report {id}: {standing}",
                    id=format_id(REPORT, report.id),
                    standing=standing,
                )
            )
    if meeting.attendance_due_at is not None:
        lines.append(
            Tr("Attendance: to be confirmed by {when}.", when=When(meeting.attendance_due_at))
        )
    return lines


async def attendance_lines(turn: Turn, meeting: Meeting) -> tuple[list[Node], Keyboard | None]:
    """The answers per state for the TS and the PPT; a state's own answer, with the buttons to
    give or change it while the deadline has not passed, for its focal points and
    Vice-Minister."""
    _, actor = turn.known
    lines: list[Node] = []
    buttons = None
    if can(actor, Action.SEE_DELIVERY):
        lines.extend(attendance.summary_lines(await attendance.summary(turn.session, meeting)))
    if can(actor, Action.CONFIRM_ATTENDANCE) and actor.state_id is not None:
        state = await turn.session.get(MemberState, actor.state_id)
        assert state is not None
        answer = await attendance.answer_of(turn.session, meeting.id, actor.state_id)
        if answer is None:
            lines.append(Tr("{state} has not answered yet.", state=state_name(state)))
        else:
            lines.append(
                Tr(
                    "Answer of {state}: {answer}",
                    state=state_name(state),
                    answer=attendance.answer_text(answer, names_limit=600),
                )
            )
        due = meeting.attendance_due_at
        if due is not None and turn.now <= as_utc(due):
            buttons = attendance.buttons(meeting.id, actor.state_id)
    return lines, buttons


async def export_attendance(turn: Turn, number: int) -> None:
    """/export M4: the attendance list per state, as CSV."""
    turn.require(Action.EXPORT)
    meeting = await meetings.get(turn.session, number)
    if meeting.attendance_due_at is None:
        raise InputError(
            Tr(
                "The TS has not asked for attendance confirmations for {id}, so there is no "
                "list yet.",
                id=meetings.short_id(meeting),
            )
        )
    plain = turn.renderer.plain
    tz = turn.services.clock.tz
    rows = await attendance.export_rows(turn.session, meeting)
    data = csv_bytes(
        [
            plain(Tr("State code")),
            plain(Tr("State")),
            plain(Tr("Answer")),
            plain(Tr("Delegates")),
            plain(Tr("Names")),
            plain(Tr("Answered by")),
            plain(Tr("Answered at")),
        ],
        [
            [
                row.state.code,
                plain(state_name(row.state)),
                plain(
                    Tr("no answer")
                    if row.answer is None
                    else Tr("attending")
                    if row.answer.attending
                    else Tr("not attending")
                ),
                row.answer.delegates if row.answer else None,
                "; ".join(row.answer.names) if row.answer else None,
                row.answered_by,
                moment(row.answer.answered_at if row.answer else None, tz),
            ]
            for row in rows
        ],
    )
    await reply_with_csv(
        turn,
        data,
        f"attendance-{meetings.short_id(meeting)}.csv",
        Tr(
            "Attendance at {meeting}: {answered} of {total} states answered.",
            meeting=meetings.label(meeting),
            answered=sum(1 for row in rows if row.answer is not None),
            total=len(rows),
        ),
    )


async def reply_with_csv(turn: Turn, data: bytes, file_name: str, caption: Node) -> None:
    """An export goes back as a CSV file, kept in the document store like every file the
    bot sends."""
    person, _ = turn.known
    stored = await turn.services.documents.store(
        turn.session,
        data,
        file_name=file_name,
        mime_type="text/csv",
        now=turn.now,
        uploaded_by_id=person.id,
    )
    await turn.reply(caption, document=stored)
