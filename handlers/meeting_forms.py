"""Reading what the TS types about meetings: the `TZ:` line, and `EN:` / `ES:` blocks in a
plain message of a guided conversation."""

from __future__ import annotations

import re

from bot.parsing import CommandText, split_command
from bot.text import Bi, Tr

_TZ_LINE = re.compile(r"^\s*(?:TZ|ZONA)\s*:\s*(\S*)\s*$", re.IGNORECASE | re.MULTILINE)


def take_timezone(text: str) -> tuple[str | None, str]:
    """A `TZ:` line names the conference time zone; it is not part of any title."""
    found = _TZ_LINE.search(text)
    if found is None:
        return None, text
    return found[1] or None, _TZ_LINE.sub("", text, count=1)


def blocks(text: str) -> CommandText:
    """`EN:` / `ES:` blocks in a plain message (not a command)."""
    return split_command("\n" + text)


def bilingual_of(command: CommandText, what: Tr) -> Bi | None:
    """Both languages when either is given (None when neither is)."""
    if command.english is None and command.spanish is None:
        return None
    return command.bilingual(what=what)
