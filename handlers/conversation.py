"""What is left after every feature's own handlers: steps of guided conversations, /cancel,
stale buttons and unknown commands."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import dialogs
from bot.errors import InputError
from bot.features import Feature
from bot.text import Tr
from bot.updates import Turn, handler


async def cancel_command(turn: Turn) -> None:
    draft = await dialogs.current(turn)
    await dialogs.end(turn)
    await turn.reply(
        Tr("Cancelled. Nothing was sent.") if draft else Tr("There was nothing to cancel.")
    )


async def on_text(turn: Turn) -> None:
    draft = await dialogs.current(turn)
    if draft is None:
        raise InputError(Tr("I did not understand that. /help lists what I can do."))
    await turn.services.dialogs[draft.dialog].on_text(turn, draft)


async def on_document(turn: Turn) -> None:
    draft = await dialogs.current(turn)
    if draft is None:
        raise InputError(
            Tr("I did not expect a file. To send a report, use /report; /help lists the rest.")
        )
    await turn.services.dialogs[draft.dialog].on_document(turn, draft)


async def on_choice(turn: Turn) -> None:
    name, value = dialogs.parse_choice(turn.callback_data)
    draft = await dialogs.current(turn)
    if draft is None or draft.dialog != name or name not in turn.services.dialogs:
        raise InputError(Tr("That button is no longer active."))
    await turn.services.dialogs[name].on_choice(turn, draft, value)


async def unknown_command(turn: Turn) -> None:
    raise InputError(Tr("I do not know that command. /help lists what I can do."))


async def stale_button(turn: Turn) -> None:
    raise InputError(Tr("That button is no longer active."))


# Only new messages: an edit of an old message is not a new request.
_NEW = filters.UpdateType.MESSAGE

FEATURE = Feature(
    name="conversation",
    handlers=[CommandHandler("cancel", handler(cancel_command))],
    late_handlers=[
        CallbackQueryHandler(handler(on_choice), pattern=rf"^{dialogs.PREFIX}:[^:]+:"),
        CallbackQueryHandler(handler(stale_button)),
        MessageHandler(_NEW & filters.COMMAND, handler(unknown_command)),
        MessageHandler(_NEW & filters.Document.ALL, handler(on_document)),
        MessageHandler(_NEW & filters.TEXT, handler(on_text)),
        MessageHandler(_NEW, handler(unknown_command)),
    ],
)
