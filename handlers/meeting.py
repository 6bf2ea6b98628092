"""/meeting: the TS registers, lists and changes meetings (SPEC 2.3, 2.8 and section 3).

    /meeting rcgm|vm|wg|other <date> [<end-date>] <place>
    EN: English title          (optional, both or neither)
    ES: Spanish title
    TZ: America/Mexico_City    (optional: the conference time zone, default CONFERENCE_TZ)

`/meeting` alone lists what is coming and asks step by step; `/meeting list` lists all;
`/meeting M4` shows one with buttons to change it; the one-line changes are
`/meeting M4 date|place|title|tz|attendance|commitment|cancel ...`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import CommandHandler

from bot import attendance, commitments, dialogs, meeting_changes, meetings, reports
from bot.dialogs import BaseDialog
from bot.errors import InputError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import MEETING, Subject, parse_id
from bot.meeting_changes import Outcome
from bot.meetings import Dates
from bot.models.dialogs import Draft
from bot.models.meetings import Meeting, MeetingKind, MeetingStatus
from bot.models.people import MemberState
from bot.outbox import Content
from bot.parsing import CommandText, parse_date, split_command
from bot.permissions import Action, can
from bot.states import state_name
from bot.text import Bi, Button, Join, Keyboard, Node, Tr, When, keyboard
from bot.updates import Turn, handler
from handlers.commitment import start_recording
from handlers.meeting_forms import bilingual_of, blocks, take_timezone
from handlers.meeting_views import attendance_lines, derived_lines, export_attendance, fitted

NAME = "meeting"
EDIT = "meeting_edit"

_EDITS = {
    "date": "date",
    "dates": "date",
    "fecha": "date",
    "fechas": "date",
    "place": "place",
    "lugar": "place",
    "title": "title",
    "titulo": "title",
    "título": "title",
    "tz": "tz",
    "zona": "tz",
    "attendance": "attendance",
    "asistencia": "attendance",
    "commitment": "commitment",
    "compromiso": "commitment",
    "cancel": "cancel",
    "cancelar": "cancel",
}


def _meeting_number(text: str) -> int:
    prefix, number = parse_id(text)
    if prefix != MEETING:
        raise InputError(
            Tr("{text} is not a meeting. Meeting ids look like M4.", text=text.strip())
        )
    return number


async def meeting_command(turn: Turn) -> None:
    turn.require(Action.MEETING)
    zone_text, text = take_timezone(turn.text)
    command = split_command(text)
    args = command.args
    if not args:
        await _start_guided(turn)
        return
    first = args[0].lower()
    if first in ("list", "lista"):
        await _list(turn, include_past=True)
        return
    if not meetings.is_kind(first) and re.fullmatch(r"[a-z]\d+", first):
        await _edit_command(turn, _meeting_number(args[0]), args[1:], command, zone_text)
        return
    kind = meetings.parse_kind(args[0])
    data: dict[str, Any] = {
        "kind": kind.value,
        "tz": meetings.parse_timezone(zone_text or _default_zone(turn)),
        "guided": False,
    }
    title = bilingual_of(command, Tr("The title"))
    if title is not None:
        data["en"], data["es"] = title.en, title.es
    if len(args) > 1:
        dates, rest = meetings.parse_dates(args[1:])
        meetings.check_dates(dates, ZoneInfo(data["tz"]), turn.now)
        data["start"], data["end"] = dates.start.isoformat(), dates.end.isoformat()
        if rest:
            data["place"] = meetings.check_place(" ".join(rest))
    draft = await dialogs.begin(turn, NAME, "next", **data)
    await _next(turn, draft)


def _default_zone(turn: Turn) -> str:
    return turn.services.settings.conference_tz


async def _start_guided(turn: Turn) -> None:
    await dialogs.begin(turn, NAME, "kind", tz=_default_zone(turn), guided=True)
    buttons = keyboard(
        [dialogs.choice(NAME, k.value, Tr(meetings.KIND_NAMES[k])) for k in MeetingKind]
    )
    await turn.reply(
        Join(
            [
                await _listing(turn, include_past=False),
                "",
                Tr(
                    "To register a meeting, choose its kind. To change one, send /meeting and "
                    "its id (for example /meeting M4). /cancel stops."
                ),
            ]
        ),
        buttons,
    )


async def _list(turn: Turn, *, include_past: bool) -> None:
    await turn.reply(await _listing(turn, include_past=include_past))


async def _listing(turn: Turn, *, include_past: bool) -> Node:
    found = await meetings.listing(turn.session, turn.now, include_past=include_past)
    if not found:
        return (
            Tr("No meetings are registered yet.")
            if include_past
            else Tr("No meetings are coming up.")
        )
    heading = Tr("<b>All meetings</b>") if include_past else Tr("<b>Coming meetings</b>")
    lines: list[Node] = []
    for meeting in found:
        line: Node = meetings.label(meeting)
        if meeting.status == MeetingStatus.CANCELLED:
            line = Tr("{meeting}: cancelled", meeting=line)
        elif meeting.kind == MeetingKind.RCGM:
            report = await reports.report_for(turn.session, meeting.id)
            line = Tr(
                "{meeting}: report {standing}",
                meeting=line,
                standing=reports.standing_text(reports.standing_of(meeting, report, turn.now)),
            )
        lines.append(Tr("• {line}", line=line))
    return Join([heading, *fitted(turn, lines)])


# ---- registering -----------------------------------------------------------------------------


async def _next(turn: Turn, draft: Draft) -> None:
    """Ask for the first thing still missing, or register the meeting when nothing is."""
    data = draft.data
    if "start" not in data:
        await dialogs.save(turn, draft, "dates")
        await turn.reply(
            Tr(
                "On which date does it start? Send the date, or the first and the last day: "
                "2026-07-06 or 2026-07-06 2026-07-07 (DD/MM/YYYY works too)."
            )
        )
        return
    if "place" not in data:
        await dialogs.save(turn, draft, "place")
        await turn.reply(Tr("Where is it held? Send the place, for example San Salvador."))
        return
    if data.get("guided") and "en" not in data and not data.get("title_done"):
        await dialogs.save(turn, draft, "title")
        await turn.reply(
            Tr(
                "Send its title in both languages, one line starting with EN: and one with "
                "ES:, or press No title to name it by its kind."
            ),
            keyboard([dialogs.choice(NAME, "notitle", Tr("No title"))]),
        )
        return
    if data.get("guided") and not data.get("tz_done"):
        await dialogs.save(turn, draft, "tz")
        await turn.reply(
            Tr(
                "Its dates are counted in the conference time zone, {zone}. Press Keep, or "
                "send another zone's name (for example America/Mexico_City).",
                zone=data["tz"],
            ),
            keyboard([dialogs.choice(NAME, "keep", Tr("Keep {zone}", zone=data["tz"]))]),
        )
        return
    outcome = await meeting_changes.register(
        turn.session,
        turn.actor,
        kind=MeetingKind(data["kind"]),
        dates=Dates(date.fromisoformat(data["start"]), date.fromisoformat(data["end"])),
        place=data["place"],
        title=Bi(data["en"], data["es"]) if "en" in data else None,
        timezone=data["tz"],
        now=turn.now,
    )
    await dialogs.end(turn)
    await turn.reply(
        Join([Tr("<b>Meeting registered.</b>"), *await _outcome_lines(turn, outcome)]),
    )


async def _outcome_lines(turn: Turn, outcome: Outcome) -> list[Node]:
    meeting = outcome.meeting
    lines: list[Node] = [meetings.card(meeting), *await derived_lines(turn, meeting)]
    if outcome.attendance_moved:
        lines.append(
            Tr(
                "The attendance deadline now falls on the day before the meeting: {when}.",
                when=When(meeting.attendance_due_at) if meeting.attendance_due_at else "",
            )
        )
    lines.append(
        Tr(
            "/meeting {id} changes it, sets the attendance deadline or records commitments.",
            id=meetings.short_id(meeting),
        )
    )
    return lines


class MeetingDialog(BaseDialog):
    name = NAME

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.MEETING)
        if draft.step == "kind":
            draft = await dialogs.save(turn, draft, kind=meetings.parse_kind(value).value)
        elif draft.step == "title" and value == "notitle":
            draft = await dialogs.save(turn, draft, title_done=True)
        elif draft.step == "tz" and value == "keep":
            draft = await dialogs.save(turn, draft, tz_done=True)
        else:
            raise InputError(Tr("That button is no longer active."))
        await _next(turn, draft)

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.MEETING)
        text = turn.text.strip()
        if draft.step == "dates":
            dates, rest = meetings.parse_dates(text.split())
            meetings.check_dates(dates, ZoneInfo(draft.data["tz"]), turn.now)
            extra: dict[str, Any] = {"start": dates.start.isoformat(), "end": dates.end.isoformat()}
            if rest:
                extra["place"] = meetings.check_place(" ".join(rest))
            draft = await dialogs.save(turn, draft, **extra)
        elif draft.step == "place":
            draft = await dialogs.save(turn, draft, place=meetings.check_place(text))
        elif draft.step == "title":
            title = bilingual_of(blocks(text), Tr("The title"))
            if title is None:
                raise InputError(
                    Tr("Send the title as two lines, one starting with EN: and one with ES:.")
                )
            title = meetings.check_title(title)
            draft = await dialogs.save(turn, draft, en=title.en, es=title.es)
        elif draft.step == "tz":
            zone = meetings.parse_timezone(text)
            start = date.fromisoformat(draft.data["start"])
            end = date.fromisoformat(draft.data["end"])
            meetings.check_dates(Dates(start, end), ZoneInfo(zone), turn.now)
            draft = await dialogs.save(turn, draft, tz=zone, tz_done=True)
        else:
            raise InputError(Tr("Please use the buttons above, or /cancel to stop."))
        await _next(turn, draft)


# ---- changing ---------------------------------------------------------------------------------


def _edit_buttons(meeting: Meeting) -> Keyboard:
    def b(value: str, label: Node) -> Button:
        return dialogs.choice(EDIT, value, label)

    rows = [
        [b("date", Tr("Dates")), b("place", Tr("Place")), b("title", Tr("Title"))],
        [b("tz", Tr("Time zone")), b("attendance", Tr("Attendance deadline"))],
        [b("commitment", Tr("Add a commitment")), b("cancel", Tr("Cancel the meeting"))],
    ]
    return keyboard(*rows)


async def _edit_command(
    turn: Turn, meeting_id: int, args: list[str], command: CommandText, zone_text: str | None
) -> None:
    meeting = await meetings.get(turn.session, meeting_id)
    if not args:
        await _show_for_edit(turn, meeting)
        return
    what = _EDITS.get(args[0].lower())
    rest = args[1:]
    if what is None:
        raise InputError(
            Tr(
                "I can change date, place, title, tz, attendance, commitment or cancel, for "
                "example /meeting {id} date 2026-07-06.",
                id=meetings.short_id(meeting),
            )
        )
    if what == "title":
        title = bilingual_of(command, Tr("The title"))
        if title is None:
            raise InputError(
                Tr("Write the new title below the command, in lines starting with EN: and ES:.")
            )
        await _saved(
            turn,
            await meeting_changes.set_title(
                turn.session, turn.actor, meeting_id, title, now=turn.now
            ),
        )
        return
    if what == "tz" and zone_text is not None:
        rest = [zone_text]
    if what == "commitment":
        await start_recording(turn, meeting.id or 0, rest, command)
        return
    if what == "cancel":
        await _ask_cancel(turn, meeting)
        return
    if not rest:
        draft = await dialogs.begin(turn, EDIT, "menu", meeting_id=meeting_id)
        await _ask(turn, draft, what)
        return
    await _apply(turn, meeting_id, what, " ".join(rest))


async def _show_for_edit(turn: Turn, meeting: Meeting) -> None:
    lines = [meetings.card(meeting), *await derived_lines(turn, meeting)]
    if meeting.status == MeetingStatus.CANCELLED or meetings.is_over(meeting, turn.now):
        await turn.reply(Join(lines))
        return
    await dialogs.begin(turn, EDIT, "menu", meeting_id=meeting.id)
    await turn.reply(Join([*lines, "", Tr("What do you want to change?")]), _edit_buttons(meeting))


async def _apply(turn: Turn, meeting_id: int, what: str, value: str) -> None:
    session, actor, now = turn.session, turn.actor, turn.now
    if what == "date":
        dates, rest = meetings.parse_dates(value.split())
        if rest:
            raise InputError(Tr("Send only the date, or the first and the last day."))
        await _saved(turn, await meeting_changes.move(session, actor, meeting_id, dates, now=now))
    elif what == "place":
        await _saved(
            turn, await meeting_changes.set_place(session, actor, meeting_id, value, now=now)
        )
    elif what == "tz":
        await _saved(
            turn, await meeting_changes.set_timezone(session, actor, meeting_id, value, now=now)
        )
    elif what == "attendance":
        await _preview_attendance(turn, meeting_id, parse_date(value))


async def _saved(turn: Turn, outcome: Outcome) -> None:
    await dialogs.end(turn)
    await turn.reply(Join([Tr("<b>Saved.</b>"), *await _outcome_lines(turn, outcome)]))


_QUESTIONS: dict[str, str] = {
    "date": N_(
        "Send the new date, or the first and the last day (2026-07-06 2026-07-07). Everything "
        "derived from it is recomputed."
    ),
    "place": N_("Send the new place."),
    "title": N_("Send the new title: one line starting with EN: and one with ES:."),
    "tz": N_("Send the name of the conference time zone, for example America/Mexico_City."),
    "attendance": N_(
        "By which date must the states confirm attendance? Send a date before the meeting."
    ),
}


async def _ask(turn: Turn, draft: Draft, what: str) -> None:
    await dialogs.save(turn, draft, what)
    await turn.reply(Tr(_QUESTIONS[what]))


async def _preview_attendance(turn: Turn, meeting_id: int, day: date) -> None:
    checked = await attendance.plan(turn.session, turn.actor, meeting_id, day, turn.now)
    await dialogs.begin(turn, EDIT, "attendance_send", meeting_id=meeting_id, day=day.isoformat())
    intro = (
        Tr("<b>Ready to ask for attendance confirmations</b>")
        if checked.first
        else Tr("<b>Ready to move the attendance deadline</b>")
    )
    await turn.reply(
        Join(
            [
                intro,
                meetings.label(checked.meeting),
                Tr("Deadline: {when}", when=When(checked.due_at)),
                Tr(
                    "{count} will be asked whether their state will attend, and reminded until "
                    "their state answers.",
                    count=meetings.focal_points_count(len(checked.recipients)),
                ),
            ]
        ),
        keyboard(
            [
                dialogs.choice(EDIT, "send", Tr("Send")),
                dialogs.choice(EDIT, "drop", Tr("Cancel")),
            ]
        ),
    )


async def _ask_cancel(turn: Turn, meeting: Meeting) -> None:
    await meeting_changes.check_cancellable(turn.session, turn.actor, meeting.id or 0, now=turn.now)
    await dialogs.begin(turn, EDIT, "cancel", meeting_id=meeting.id)
    await turn.reply(
        Tr(
            "Cancel {meeting}? Its deadlines and reminders stop. Nobody is told automatically; "
            "use /announce to inform the states.",
            meeting=meetings.label(meeting),
        ),
        keyboard(
            [
                dialogs.choice(EDIT, "confirm_cancel", Tr("Yes, cancel it")),
                dialogs.choice(EDIT, "drop", Tr("No, keep it")),
            ]
        ),
    )


class MeetingEditDialog(BaseDialog):
    name = EDIT

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.MEETING)
        meeting_id = int(draft.data["meeting_id"])
        if value == "drop":
            await dialogs.end(turn)
            await turn.reply(Tr("Cancelled. Nothing was changed."))
        elif draft.step == "attendance_send" and value == "send":
            person, _ = turn.known
            checked = await attendance.open_requests(
                turn.services,
                turn.session,
                turn.actor,
                meeting_id,
                date.fromisoformat(draft.data["day"]),
                requested_by=person,
                now=turn.now,
            )
            await dialogs.end(turn)
            turn.answer(Tr("Sending."))
            await turn.reply(
                Tr(
                    "Attendance requests are on their way to {count}. /status {id} shows the "
                    "answers per state; /export {id} gives the list.",
                    count=meetings.focal_points_count(len(checked.recipients)),
                    id=meetings.short_id(checked.meeting),
                )
            )
        elif draft.step == "cancel" and value == "confirm_cancel":
            outcome = await meeting_changes.cancel(
                turn.session, turn.actor, meeting_id, now=turn.now
            )
            await dialogs.end(turn)
            await turn.reply(Tr("{meeting} is cancelled.", meeting=meetings.label(outcome.meeting)))
        elif draft.step == "menu" and value == "cancel":
            await _ask_cancel(turn, await meetings.get(turn.session, meeting_id))
        elif draft.step == "menu" and value == "commitment":
            await start_recording(turn, meeting_id)
        elif draft.step == "menu" and value in _QUESTIONS:
            await _ask(turn, draft, value)
        else:
            raise InputError(Tr("That button is no longer active."))

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.MEETING)
        meeting_id = int(draft.data["meeting_id"])
        text = turn.text.strip()
        step = draft.step
        if step == "title":
            title = bilingual_of(blocks(text), Tr("The title"))
            if title is None:
                raise InputError(
                    Tr("Send the title as two lines, one starting with EN: and one with ES:.")
                )
            await _saved(
                turn,
                await meeting_changes.set_title(
                    turn.session, turn.actor, meeting_id, title, now=turn.now
                ),
            )
        elif step in ("date", "place", "tz", "attendance"):
            await _apply(turn, meeting_id, step, text)
        else:
            raise InputError(Tr("Please use the buttons above, or /cancel to stop."))


# ---- /status M4 and /export M4 --------------------------------------------------------------


async def meeting_status(turn: Turn, number: int) -> Node | Content:
    _, actor = turn.known
    meeting = await meetings.get(turn.session, number)
    lines: list[Node] = [meetings.card(meeting), *await derived_lines(turn, meeting)]
    buttons = None
    if meeting.attendance_due_at is not None and meeting.status == MeetingStatus.SCHEDULED:
        more, buttons = await attendance_lines(turn, meeting)
        lines.extend(more)
    found = await commitments.of_meeting(turn.session, meeting.id)
    if found:
        lines.append(Tr("<b>Follow-up commitments</b>"))
        listed = [
            commitments.line(commitment, await commitments.party(turn.session, commitment))
            for commitment in found
        ]
        lines.extend(fitted(turn, listed, budget=1500))
    if actor.is_ts:
        lines.append(Tr("/meeting {id} changes it.", id=meetings.short_id(meeting)))
    return Content(Join(lines), buttons)


async def meeting_open_items(turn: Turn) -> list[Node]:
    _, actor = turn.known
    items: list[Node] = []
    if can(actor, Action.CONFIRM_ATTENDANCE) and actor.state_id is not None:
        for meeting in await attendance.open_for_state(turn.session, actor.state_id, turn.now):
            assert meeting.attendance_due_at is not None
            items.append(
                Tr(
                    "• {meeting}: confirm whether {state} attends, by {when} (/status {id})",
                    meeting=meetings.label(meeting),
                    state=await _state_name(turn, actor.state_id),
                    when=When(meeting.attendance_due_at),
                    id=meetings.short_id(meeting),
                )
            )
    if actor.is_ts:
        for meeting in await reports.awaiting(turn.session, turn.now):
            standing = reports.standing_of(meeting, None, turn.now)
            items.append(
                Tr(
                    "• {meeting}: financial report {standing} (/report {id})",
                    meeting=meetings.label(meeting),
                    standing=reports.standing_text(standing),
                    id=meetings.short_id(meeting),
                )
            )
        for meeting in await attendance.open_meetings(turn.session, turn.now):
            answers = await attendance.summary(turn.session, meeting)
            items.append(
                Tr(
                    "• {meeting}: {answered} of {total} states confirmed attendance (/status {id})",
                    meeting=meetings.label(meeting),
                    answered=sum(1 for a in answers if a.answer is not None),
                    total=len(answers),
                    id=meetings.short_id(meeting),
                )
            )
    return items


async def _state_name(turn: Turn, state_id: int | None) -> Node:
    state = await turn.session.get(MemberState, state_id)
    return state_name(state) if state else "?"


FEATURE = Feature(
    name=NAME,
    handlers=[CommandHandler("meeting", handler(meeting_command))],
    dialogs=[MeetingDialog(), MeetingEditDialog()],
    subjects=[
        Subject(
            prefix=MEETING,
            name=N_("meeting"),
            status=meeting_status,
            export=export_attendance,
            open_items=meeting_open_items,
        )
    ],
    deadline_kinds=[*attendance.DEADLINE_KINDS, *commitments.DEADLINE_KINDS],
    commands=[CommandInfo("meeting", N_("Register, list and change meetings"), Audience.TS)],
)
