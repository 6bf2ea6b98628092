"""A state's answer to an attendance request (SPEC 2.8): the "Attending" / "Not attending"
buttons, then, for "Attending", how many delegates and who.

Every press and every step checks again that the person may answer for that state now: the
right state, a focal point or Vice-Minister, and the deadline not passed.
"""

from __future__ import annotations

import re

from telegram.ext import CallbackQueryHandler

from bot import attendance, dialogs, meetings
from bot.attendance import Answered
from bot.dialogs import BaseDialog
from bot.errors import InputError
from bot.features import Feature
from bot.models.dialogs import Draft
from bot.models.people import MemberState
from bot.parsing import parse_int
from bot.states import state_name
from bot.text import Join, Node, Tr, When, keyboard
from bot.updates import Turn, handler

NAME = "attendance"
_PRESS = re.compile(rf"^{attendance.PREFIX}:(\d+):(\d+):([yn])$")


async def attendance_pressed(turn: Turn) -> None:
    match = _PRESS.match(turn.callback_data)
    if match is None:
        raise InputError(Tr("That button is no longer active."))
    meeting_id, state_id, choice = int(match[1]), int(match[2]), match[3]
    if choice == "n":
        result = await attendance.answer(
            turn.session, turn.actor, meeting_id, state_id, attending=False, now=turn.now
        )
        draft = await dialogs.current(turn)
        if draft is not None and draft.dialog == NAME:
            await dialogs.end(turn)  # a half-given "attending" answer is replaced
        turn.answer(Tr("Recorded: not attending."))
        await _confirm(turn, result)
        return
    meeting = await attendance.check_can_answer(
        turn.session, turn.actor, meeting_id, state_id, turn.now
    )
    await dialogs.begin(turn, NAME, "count", meeting_id=meeting_id, state_id=state_id)
    turn.answer(Tr("How many delegates?"))
    await turn.reply(
        Tr(
            "How many delegates of {state} will attend {meeting}? Send the number, or choose "
            "it below. /cancel stops.",
            state=await _state(turn, state_id),
            meeting=meetings.label(meeting),
        ),
        keyboard([dialogs.choice(NAME, str(n), str(n)) for n in range(1, 6)]),
    )


async def _state(turn: Turn, state_id: int) -> Node:
    state = await turn.session.get(MemberState, state_id)
    return state_name(state) if state else "?"


async def _confirm(turn: Turn, result: Answered) -> None:
    meeting = result.meeting
    assert meeting.attendance_due_at is not None
    lines: list[Node] = [
        Tr(
            "Recorded for {state}: {answer}.",
            state=await _state(turn, result.answer.state_id),
            answer=attendance.answer_text(result.answer),
        ),
        meetings.label(meeting),
    ]
    if result.previous is not None:
        lines.append(Tr("It replaces the earlier answer: {answer}.", answer=result.previous))
    lines.append(
        Tr(
            "It can be changed until {when} with /status {id}.",
            when=When(meeting.attendance_due_at),
            id=meetings.short_id(meeting),
        )
    )
    await turn.reply(Join(lines))


class AttendanceDialog(BaseDialog):
    name = NAME

    def _ids(self, draft: Draft) -> tuple[int, int]:
        return int(draft.data["meeting_id"]), int(draft.data["state_id"])

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        if draft.step == "count" and value.isdigit():
            await self._count(turn, draft, value)
        elif draft.step == "names" and value == "later":
            await self._save(turn, draft, [])
        else:
            raise InputError(Tr("That button is no longer active."))

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        if draft.step == "count":
            await self._count(turn, draft, turn.text)
        else:
            await self._save(turn, draft, attendance.parse_names(turn.text))

    async def _count(self, turn: Turn, draft: Draft, text: str) -> None:
        meeting_id, state_id = self._ids(draft)
        await attendance.check_can_answer(turn.session, turn.actor, meeting_id, state_id, turn.now)
        count = parse_int(
            text,
            minimum=1,
            maximum=attendance.MAX_DELEGATES,
            what=Tr("The number of delegates"),
        )
        await dialogs.save(turn, draft, "names", delegates=count)
        await turn.reply(
            Tr(
                "Send the names of the delegates, one per line, or press Names later if they "
                "are not known yet."
            ),
            keyboard([dialogs.choice(NAME, "later", Tr("Names later"))]),
        )

    async def _save(self, turn: Turn, draft: Draft, names: list[str]) -> None:
        meeting_id, state_id = self._ids(draft)
        result = await attendance.answer(
            turn.session,
            turn.actor,
            meeting_id,
            state_id,
            attending=True,
            delegates=int(draft.data["delegates"]),
            names=names,
            now=turn.now,
        )
        await dialogs.end(turn)
        await _confirm(turn, result)


FEATURE = Feature(
    name=NAME,
    handlers=[
        CallbackQueryHandler(handler(attendance_pressed), pattern=rf"^{attendance.PREFIX}:"),
    ],
    dialogs=[AttendanceDialog()],
)
