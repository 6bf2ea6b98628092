"""Follow-up commitments (SPEC 2.8): the TS records them with `/meeting M4 commitment MX
2026-09-30` and `EN:` / `ES:` lines (what is left out is asked); `/status F4` shows one, with
buttons to update its status for whoever answers for it; `/status` lists those a person
answers for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from telegram.ext import CallbackQueryHandler

from bot import commitments, dialogs, meetings
from bot.dialogs import BaseDialog
from bot.errors import InputError, UserError
from bot.features import Feature
from bot.i18n import N_
from bot.ids import COMMITMENT, Subject
from bot.models.dialogs import Draft
from bot.outbox import Content
from bot.parsing import CommandText, parse_date
from bot.permissions import Action
from bot.text import Bi, Join, Node, Tr
from bot.updates import Turn, handler
from handlers.meeting_forms import bilingual_of, blocks

NAME = "commitment"
_ASK_TEXT = N_(
    "Send the commitment in both languages: one line starting with EN: and one with ES:."
)


async def start_recording(
    turn: Turn, meeting_id: int, args: Sequence[str] = (), command: CommandText | None = None
) -> None:
    """Record a commitment of a meeting; whatever the one-line form left out is asked."""
    await commitments.check_recordable(turn.session, turn.actor, meeting_id, turn.now)
    data: dict[str, Any] = {"meeting_id": meeting_id}
    text = bilingual_of(command, Tr("The commitment")) if command is not None else None
    if text is not None:
        text = commitments.check_text(text)
        data["en"], data["es"] = text.en, text.es
    if args:
        await commitments.parse_party(turn.session, args[0])  # refused now, not at the end
        data["party"] = args[0]
    if len(args) > 1:
        data["due"] = parse_date(args[1]).isoformat()
    draft = await dialogs.begin(turn, NAME, "next", **data)
    await _next(turn, draft)


async def _next(turn: Turn, draft: Draft) -> None:
    data = draft.data
    if "en" not in data:
        await dialogs.save(turn, draft, "text")
        await turn.reply(Tr(_ASK_TEXT))
        return
    if "party" not in data:
        await dialogs.save(turn, draft, "party")
        await turn.reply(
            Tr(
                "Who is responsible? Send a member state code (MX), TS, PPT, or other: followed "
                "by the name of the body (other:Working group on migrant children)."
            )
        )
        return
    if "due" not in data:
        await dialogs.save(turn, draft, "due")
        await turn.reply(Tr("By which date? Send the deadline (2026-09-30)."))
        return
    commitment = await commitments.create(
        turn.services,
        turn.session,
        turn.actor,
        meeting_id=int(data["meeting_id"]),
        text=Bi(data["en"], data["es"]),
        party=await commitments.parse_party(turn.session, data["party"]),
        day=date.fromisoformat(data["due"]),
        now=turn.now,
    )
    await dialogs.end(turn)
    party = await commitments.party(turn.session, commitment)
    await turn.reply(
        Join(
            [
                Tr("<b>Commitment recorded.</b>"),
                commitments.describe(commitment, party),
                Tr(
                    "Whoever answers for it was told, and will be reminded until it is "
                    "completed. /status {id} shows it.",
                    id=commitments.short_id(commitment),
                ),
            ]
        )
    )


class CommitmentDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.MEETING)
        text = turn.text.strip()
        if draft.step == "text":
            body = bilingual_of(blocks(text), Tr("The commitment"))
            if body is None:
                raise InputError(Tr(_ASK_TEXT))
            body = commitments.check_text(body)
            draft = await dialogs.save(turn, draft, "next", en=body.en, es=body.es)
        elif draft.step == "party":
            await commitments.parse_party(turn.session, text)
            draft = await dialogs.save(turn, draft, "next", party=text)
        elif draft.step == "due":
            day = parse_date(text)
            meeting = await meetings.get(turn.session, int(draft.data["meeting_id"]))
            commitments.check_due(day, meetings.zone(meeting), turn.now)
            draft = await dialogs.save(turn, draft, "next", due=day.isoformat())
        else:
            raise InputError(Tr("Please use the buttons above, or /cancel to stop."))
        await _next(turn, draft)


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


async def commitment_status(turn: Turn, number: int) -> Node | Content:
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
    return Content(Join(lines), commitments.status_buttons(commitment.id))


async def commitment_open_items(turn: Turn) -> list[Node]:
    _, actor = turn.known
    found = await commitments.open_for(turn.session, actor, turn.now, turn.services.clock.tz)
    return [commitments.line(c, await commitments.party(turn.session, c)) for c in found[:15]]


FEATURE = Feature(
    name=NAME,
    handlers=[
        CallbackQueryHandler(handler(status_pressed), pattern=rf"^{commitments.PREFIX}:"),
    ],
    dialogs=[CommitmentDialog()],
    subjects=[
        Subject(
            prefix=COMMITMENT,
            name=N_("commitment"),
            status=commitment_status,
            open_items=commitment_open_items,
        )
    ],
)
