"""Parsing what secretariat staff paste: dates, `EN:` / `ES:` blocks, numbers (SPEC section 3).

Every failure is an InputError with a message in the reader's language; nothing is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.errors import InputError
from bot.text import Bi, Tr

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> date:
    """`YYYY-MM-DD`, or `DD/MM/YYYY` as written in the region (never month first)."""
    value = text.strip()
    iso, dmy = _ISO.match(value), _DMY.match(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if dmy:
            return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    except ValueError:
        raise InputError(Tr("{text} is not a real calendar date.", text=value)) from None
    raise InputError(
        Tr(
            "{text} is not a date I can read. Write it as YYYY-MM-DD (2026-07-15) "
            "or DD/MM/YYYY (15/07/2026).",
            text=value,
        )
    )


def looks_like_date(text: str) -> bool:
    return bool(_ISO.match(text.strip()) or _DMY.match(text.strip()))


def parse_deadline(text: str, clock: Clock, *, now: datetime) -> datetime:
    """A date as a deadline: 23:59 of that day in the conference time zone, in UTC. It must
    still be ahead of `now`."""
    moment = clock.end_of_day(parse_date(text))
    if moment <= now:
        raise InputError(Tr("The date {text} has already passed.", text=text.strip()))
    return moment


# Telegram's limit on a URL in a text link is not documented; browsers and servers agree on 2048.
MAX_URL = 2048


def looks_like_url(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


def parse_url(text: str) -> str:
    """A web address written in full (`https://...`): it goes into links people open."""
    value = text.strip()
    parts = urlsplit(value) if looks_like_url(value) else None
    if (
        parts is None
        or not parts.hostname
        or "." not in parts.hostname
        or len(value) > MAX_URL
        or any(c.isspace() or c in '<>"' for c in value)
    ):
        raise InputError(
            Tr(
                "{text} is not a web address I can use. Write it in full, starting with https://",
                text=value[:200],
            )
        )
    return value


def parse_int(text: str, *, minimum: int, maximum: int, what: Tr) -> int:
    value = text.strip()
    if not re.fullmatch(r"\d{1,9}", value):
        raise InputError(Tr("{what} must be a whole number.", what=what))
    number = int(value)
    if not minimum <= number <= maximum:
        raise InputError(
            Tr(
                "{what} must be between {minimum} and {maximum}.",
                what=what,
                minimum=minimum,
                maximum=maximum,
            )
        )
    return number


@dataclass(frozen=True)
class CommandText:
    """A one-line form: the words after the command, and any `EN:` / `ES:` blocks below."""

    args: list[str]
    english: str | None
    spanish: str | None
    rest: list[str]  # lines after the first that are not part of a block

    def bilingual(self, *, what: Tr | None = None) -> Bi:
        """Both languages, required: TS content is entered in both (SPEC section 1)."""
        label = what or Tr("The text")
        if not self.english or not self.spanish:
            raise InputError(
                Tr(
                    "{what} is needed in both languages: a line starting with EN: and one "
                    "starting with ES:.",
                    what=label,
                )
            )
        return Bi(self.english, self.spanish)


_BLOCK = re.compile(r"^\s*(EN|ES)\s*:\s?(.*)$", re.IGNORECASE)


def split_command(text: str) -> CommandText:
    """`/vote majority 2026-07-15\\nEN: Approve?\\nES: ¿Aprobar?` -> args and blocks.

    `EN:` and `ES:` each start a block that runs, over several lines, until the other begins.
    """
    lines = text.split("\n")
    first = lines[0].split()
    args = first[1:] if first and first[0].startswith("/") else first
    blocks: dict[str, list[str]] = {}
    rest: list[str] = []
    current: str | None = None
    for line in lines[1:]:
        match = _BLOCK.match(line)
        if match:
            current = match[1].upper()
            if current in blocks:
                raise InputError(Tr("{tag}: appears twice.", tag=current))
            blocks[current] = [match[2]]
        elif current is not None:
            blocks[current].append(line)
        else:
            rest.append(line)
    # A one-line message may carry `EN: ... ES: ...` inline too: not supported, on purpose:
    # the text itself may contain "ES:"; blocks start at the beginning of a line only.

    def joined(tag: str) -> str | None:
        if tag not in blocks:
            return None
        value = "\n".join(blocks[tag]).strip()
        return value or None

    return CommandText(
        args=args, english=joined("EN"), spanish=joined("ES"), rest=[r for r in rest if r.strip()]
    )
