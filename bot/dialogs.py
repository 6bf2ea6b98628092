"""Guided conversations: every command given no arguments asks for what is missing, one
step at a time (SPEC section 3). The draft lives in the database, so a restart loses nothing.

A capability writes a `Dialog` (its steps) and starts it with `begin()`; text, documents and
`dlg:` button presses from that person are then routed to it until it calls `end()`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import as_utc
from bot.errors import InputError
from bot.models.dialogs import Draft
from bot.text import Button, Node, Tr

if TYPE_CHECKING:
    from bot.updates import Turn

# A draft untouched for this long is forgotten: the person has moved on.
DRAFT_TTL = timedelta(hours=24)
PREFIX = "dlg"


class Dialog(Protocol):
    name: str

    async def on_text(self, turn: Turn, draft: Draft) -> None: ...

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None: ...

    async def on_document(self, turn: Turn, draft: Draft) -> None: ...


class BaseDialog:
    """Defaults that refuse what a step does not expect, with a clear answer."""

    name = "base"

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        raise InputError(Tr("Please use the buttons above, or /cancel to stop."))

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        raise InputError(Tr("That button is no longer active."))

    async def on_document(self, turn: Turn, draft: Draft) -> None:
        raise InputError(Tr("I was not expecting a file here. /cancel stops this conversation."))


def _person_id(turn: Turn) -> int:
    person, _ = turn.known
    assert person.id is not None
    return person.id


async def begin(turn: Turn, dialog: str, step: str, **data: Any) -> Draft:
    """Start (or restart) a dialog for this person; any other one in progress is dropped."""
    person_id = _person_id(turn)
    draft = await turn.session.get(Draft, person_id)
    if draft is None:
        draft = Draft(person_id=person_id, dialog=dialog, step=step)
    draft.dialog, draft.step, draft.data, draft.updated_at = dialog, step, dict(data), turn.now
    turn.session.add(draft)
    await turn.session.flush()
    return draft


async def current(turn: Turn) -> Draft | None:
    if turn.person is None or turn.person.id is None:
        return None
    draft = await turn.session.get(Draft, turn.person.id)
    if draft is None:
        return None
    if as_utc(draft.updated_at) + DRAFT_TTL < turn.now:
        await turn.session.delete(draft)
        await turn.session.flush()
        return None
    return draft


async def save(turn: Turn, draft: Draft, step: str | None = None, **data: Any) -> Draft:
    """Move to `step` and merge `data` into the draft."""
    if step is not None:
        draft.step = step
    # A new dict, so that SQLAlchemy sees the JSON column change.
    draft.data = {**draft.data, **data}
    draft.updated_at = turn.now
    turn.session.add(draft)
    await turn.session.flush()
    return draft


async def end(turn: Turn) -> None:
    draft = await turn.session.get(Draft, _person_id(turn))
    if draft is not None:
        await turn.session.delete(draft)
        await turn.session.flush()


def choice(dialog: str, value: str, label: Node) -> Button:
    """A button answered by the dialog's `on_choice(value)`."""
    return Button(label, data=f"{PREFIX}:{dialog}:{value}")


def parse_choice(data: str) -> tuple[str, str]:
    _, dialog, value = data.split(":", 2)
    return dialog, value
