"""The preview every message to many people goes through (SPEC section 3): the message as
recipients will see it, in English and in Spanish, then "Send" / "Cancel".

The buttons carry a one-time code kept in the dialog draft: only the latest preview's
buttons act, so an older preview can never send what the TS has since changed.
"""

from __future__ import annotations

import secrets

from bot import dialogs
from bot.i18n import LANGUAGES
from bot.models.dialogs import Draft
from bot.models.outbox import Priority
from bot.outbox import Content
from bot.text import Button, Node, Tr, keyboard
from bot.updates import Turn

STEP = "confirm"


def received_button(dialog: str) -> Button:
    """The "Received" button as the preview shows it (pressing it only explains it)."""
    return Button(Tr("Received"), data=f"{dialogs.PREFIX}:{dialog}:preview")


async def show(turn: Turn, draft: Draft, intro: Node, content: Content) -> None:
    nonce = secrets.token_hex(4)
    await dialogs.save(turn, draft, STEP, nonce=nonce)
    await turn.reply(intro)
    for lang in LANGUAGES:  # a fixed language, whatever the TS reads the bot in
        await turn.services.outbox.send(
            turn.session,
            chat_id=turn.chat_id,
            language=lang,
            content=content,
            now=turn.now,
            priority=Priority.REPLY,
        )
    await turn.reply(
        Tr("Send it now?"),
        keyboard(
            [
                dialogs.choice(draft.dialog, f"send:{nonce}", Tr("Send")),
                dialogs.choice(draft.dialog, f"cancel:{nonce}", Tr("Cancel")),
            ]
        ),
    )


def pressed(draft: Draft, action: str, code: str) -> bool:
    """Whether this is "Send" or "Cancel" of the latest preview."""
    return action in ("send", "cancel") and draft.step == STEP and code == draft.data.get("nonce")


def explain(turn: Turn) -> None:
    turn.answer(Tr("This is the preview: recipients will confirm with this button."))


async def cancel(turn: Turn) -> None:
    await dialogs.end(turn)
    await turn.edit_pressed(Tr("Cancelled. Nothing was sent."))
