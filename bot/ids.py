"""Short ids shown to the TS (`V3` for a vote) and what `/status`, `/close` and `/export` do
with each kind (SPEC section 3). Each capability registers a `Subject` for its prefix."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import InputError
from bot.text import Node, Tr

if TYPE_CHECKING:
    from bot.outbox import Content
    from bot.updates import Turn

# One letter per kind; fixed so that ids in e-mails and minutes stay meaningful.
ANNOUNCEMENT = "A"
VACANCY = "N"  # vacancy notice
MEETING = "M"
REPORT = "R"
VOTE = "V"
SURVEY = "S"
DEADLINE = "D"
COMMITMENT = "F"  # follow-up commitment
CONTRACT = "K"

_ID = re.compile(r"^([A-Za-z])(\d{1,9})$")


def format_id(prefix: str, number: int | None) -> str:
    if number is None:
        raise ValueError("an object gets its short id once it is stored")
    return f"{prefix}{number}"


def parse_id(text: str) -> tuple[str, int]:
    match = _ID.match(text.strip())
    if not match:
        raise InputError(
            Tr("{text} is not an id. Ids look like V3 (a letter and a number).", text=text)
        )
    return match[1].upper(), int(match[2])


# A status is text, or text with buttons (e.g. "Remind those who have not acknowledged").
StatusFn = Callable[["Turn", int], Awaitable["Node | Content"]]
ActionFn = Callable[["Turn", int], Awaitable[None]]
OpenItemsFn = Callable[["Turn"], Awaitable[Sequence[Node]]]


@dataclass(frozen=True)
class Subject:
    """What the generic commands can do with one kind of object."""

    prefix: str
    name: str  # shown in errors, e.g. Tr("vote") via N_
    status: StatusFn
    close: ActionFn | None = None
    export: ActionFn | None = None
    # Lines for `/status` with no argument: what is open for this person.
    open_items: OpenItemsFn | None = None


class Subjects:
    def __init__(self, subjects: Sequence[Subject]) -> None:
        self._by_prefix: dict[str, Subject] = {}
        for subject in subjects:
            if subject.prefix in self._by_prefix:
                raise ValueError(f"two subjects claim prefix {subject.prefix}")
            self._by_prefix[subject.prefix] = subject

    def get(self, prefix: str) -> Subject:
        subject = self._by_prefix.get(prefix)
        if subject is None:
            raise InputError(Tr("Nothing has an id starting with {prefix}.", prefix=prefix))
        return subject

    def all(self) -> list[Subject]:
        return list(self._by_prefix.values())
