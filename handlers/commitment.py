"""Follow-up commitments (SPEC 2.8): `/status F4` shows one, with buttons to update its
status for whoever answers for it; `/status` lists those a person answers for. The TS records
them with `/meeting M4 commitment ...` (handlers/meeting.py)."""

from __future__ import annotations

import re

from telegram.ext import CallbackQueryHandler

from bot import commitments, meetings
from bot.errors import InputError, UserError
from bot.features import Feature
from bot.i18n import N_
from bot.ids import COMMITMENT, Subject, View
from bot.text import Join, Node, Tr
from bot.updates import Turn, handler

_PRESS = re.compile(rf"^{commitments.PREFIX}:(\d+):([cpn])$")


async def status_pressed(turn: Turn) -> None:
    match = _PRESS.match(turn.callback_data)
    if match is None:
        raise InputError(Tr("That button is no longer active."))
    result = await commitments.set_status(
        turn.services,
        turn.session,
        turn.actor,
        int(match[1]),
        commitments.STATUS_CODES[match[2]],
        now=turn.now,
    )
    commitment = result.commitment
    status = commitments.status_text(commitment.status)
    if not result.changed:
        turn.answer(
            Tr("{id} is already {status}.", id=commitments.short_id(commitment), status=status)
        )
        return
    turn.answer(Tr("{id} is now {status}.", id=commitments.short_id(commitment), status=status))
    await turn.reply(
        Join(
            [
                Tr("<b>Status updated.</b>"),
                commitments.describe(commitment, await commitments.party(turn.session, commitment)),
            ]
        )
    )


async def commitment_status(turn: Turn, number: int) -> Node | View:
    _, actor = turn.known
    commitment = await commitments.get(turn.session, number)
    meeting = await meetings.get(turn.session, commitment.meeting_id)
    party = await commitments.party(turn.session, commitment)
    lines: list[Node] = [
        commitments.describe(commitment, party),
        Tr("From {meeting}.", meeting=meetings.label(meeting)),
    ]
    try:
        await commitments.check_may_update(
            turn.session, actor, commitment, turn.now, turn.services.clock.tz
        )
    except UserError:
        return Join(lines)  # shown, but not theirs to change (or no longer)
    lines.append(Tr("Update its status:"))
    return View(Join(lines), commitments.status_buttons(commitment.id))


async def commitment_open_items(turn: Turn) -> list[Node]:
    _, actor = turn.known
    found = await commitments.open_for(turn.session, actor, turn.now, turn.services.clock.tz)
    return [commitments.line(c, await commitments.party(turn.session, c)) for c in found[:15]]


FEATURE = Feature(
    name="commitment",
    handlers=[
        CallbackQueryHandler(handler(status_pressed), pattern=rf"^{commitments.PREFIX}:"),
    ],
    subjects=[
        Subject(
            prefix=COMMITMENT,
            name=N_("commitment"),
            status=commitment_status,
            open_items=commitment_open_items,
        )
    ],
)
