"""The "Received / Recibido" button on announcements and vacancy notices (SPEC 2.1)."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot import receipts
from bot.features import Feature
from bot.outbox import Content
from bot.text import Tr, from_json, keyboard
from bot.updates import Turn, handler


async def received_button(turn: Turn) -> None:
    person, _ = turn.known
    ref = receipts.ref_of(turn.callback_data)
    query = turn.callback
    message_id = query.message.message_id if query is not None and query.message else None
    result = await receipts.acknowledge(
        turn.session, ref=ref, person=person, message_id=message_id, now=turn.now
    )
    if not result.first_time:
        turn.answer(Tr("Your confirmation was already recorded."))
        return
    # The same message, its button now ticked: the person sees it is done.
    await turn.services.outbox.edit(
        turn.session,
        target=result.message,
        content=Content(
            from_json(result.message.body), keyboard([receipts.ack_button(ref, done=True)])
        ),
        now=turn.now,
    )
    turn.answer(Tr("Thank you: your confirmation was recorded."))


FEATURE = Feature(
    name="receipts",
    handlers=[
        CallbackQueryHandler(
            handler(received_button), pattern=rf"^{receipts.PREFIX}:[a-z]+:\d{{1,9}}$"
        )
    ],
)
