"""What the bot says, as data: translatable nodes rendered in the reader's language.

A message is built from nodes (`Tr`, `Plural`, `Bi`, `When`, `Day`, `Join`, `Link`) and plain
strings. It is stored in the outbox as JSON and rendered only when it is sent, so a person who
changes language before delivery reads it in the new one. Rendering produces Telegram HTML:
our own catalog strings may carry markup (`<b>`), while every plain string and every value
written by people (announcement text, names, reasons) is escaped, never interpreted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from bot.i18n import Language, babel_locale, gettext, ngettext, use_language

# Telegram's limits (Bot API: sendMessage text 1-4096 characters after entity parsing;
# captions 0-1024; callback data 1-64 bytes; answerCallbackQuery text 0-200).
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_ALERT = 200

Value: TypeAlias = "Node | int | float | None"


@dataclass(frozen=True)
class Tr:
    """A catalog string, translated at render time; `{name}` fields are filled from kwargs."""

    msgid: str
    kwargs: Mapping[str, Value] = field(default_factory=dict)

    def __init__(self, msgid: str, **kwargs: Value) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "kwargs", dict(kwargs))


@dataclass(frozen=True)
class Plural:
    """A catalog string with plural forms chosen by `n` (also available as `{n}`)."""

    singular: str
    plural: str
    n: int
    kwargs: Mapping[str, Value] = field(default_factory=dict)

    def __init__(self, singular: str, plural: str, n: int, **kwargs: Value) -> None:
        object.__setattr__(self, "singular", singular)
        object.__setattr__(self, "plural", plural)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "kwargs", dict(kwargs))


@dataclass(frozen=True)
class Bi:
    """Content written in both languages by people (the TS): each reader gets their own,
    escaped. An empty side falls back to the other one."""

    en: str
    es: str

    def pick(self, lang: Language) -> str:
        first, second = (self.es, self.en) if lang == "es" else (self.en, self.es)
        return first or second


@dataclass(frozen=True)
class When:
    """A moment shown in the conference time zone with its UTC offset."""

    moment: datetime
    with_time: bool = True


@dataclass(frozen=True)
class Day:
    """A calendar date, without time."""

    day: date


@dataclass(frozen=True)
class Join:
    parts: tuple[Node, ...]
    sep: str = "\n"

    def __init__(self, parts: Sequence[Node], sep: str = "\n") -> None:
        object.__setattr__(self, "parts", tuple(parts))
        object.__setattr__(self, "sep", sep)


@dataclass(frozen=True)
class Link:
    url: str
    label: Node


@dataclass(frozen=True)
class Bold:
    inner: Node


Node: TypeAlias = "str | Tr | Plural | Bi | When | Day | Join | Link | Bold"


@dataclass(frozen=True)
class Button:
    """An inline button: a translatable label and either callback data or a URL."""

    label: Node
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has exactly one of data or url")
        if self.data is not None and not 1 <= len(self.data.encode()) <= MAX_CALLBACK_DATA:
            raise ValueError(f"callback data must be 1-{MAX_CALLBACK_DATA} bytes: {self.data!r}")


Keyboard: TypeAlias = "tuple[tuple[Button, ...], ...]"


def keyboard(*rows: Sequence[Button]) -> Keyboard:
    return tuple(tuple(row) for row in rows)


# ---- rendering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Renderer:
    """Renders nodes for one reader: their language and the conference time zone."""

    lang: Language
    tz: ZoneInfo

    def html(self, node: Node) -> str:
        with use_language(self.lang):
            return self._render(node, markup=True)

    def plain(self, node: Node) -> str:
        """For places without markup: button labels, callback answers, command descriptions."""
        with use_language(self.lang):
            return strip_markup(self._render(node, markup=False))

    def _render(self, node: Node, *, markup: bool) -> str:
        esc = html.escape if markup else _identity
        if isinstance(node, str):
            return esc(node, quote=False) if markup else node
        if isinstance(node, Tr):
            return gettext(node.msgid).format(**self._args(node.kwargs, markup=markup))
        if isinstance(node, Plural):
            args = self._args(node.kwargs, markup=markup)
            args.setdefault("n", self._value(node.n, markup=markup))
            return ngettext(node.singular, node.plural, node.n).format(**args)
        if isinstance(node, Bi):
            text = node.pick(self.lang)
            return esc(text, quote=False) if markup else text
        if isinstance(node, When):
            return self.when(node.moment, with_time=node.with_time)
        if isinstance(node, Day):
            return format_date(node.day, "long", locale=babel_locale(self.lang))
        if isinstance(node, Join):
            return node.sep.join(self._render(p, markup=markup) for p in node.parts)
        if isinstance(node, Link):
            label = self._render(node.label, markup=markup)
            if not markup:
                return f"{label} ({node.url})"
            return f'<a href="{html.escape(node.url, quote=True)}">{label}</a>'
        if isinstance(node, Bold):
            inner = self._render(node.inner, markup=markup)
            return f"<b>{inner}</b>" if markup else inner
        raise TypeError(f"not a message node: {node!r}")

    def _args(self, kwargs: Mapping[str, Value], *, markup: bool) -> dict[str, str]:
        return {key: self._value(value, markup=markup) for key, value in kwargs.items()}

    def _value(self, value: Value, *, markup: bool) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            return format_decimal(value, locale=babel_locale(self.lang))
        return self._render(value, markup=markup)

    def when(self, moment: datetime, *, with_time: bool = True) -> str:
        """`15 July 2026, 23:59 (UTC-06:00)` / `15 de julio de 2026, 23:59 (UTC-06:00)`."""
        local = _aware(moment).astimezone(self.tz)
        loc = babel_locale(self.lang)
        day = format_date(local.date(), "long", locale=loc)
        if not with_time:
            return day
        clock = format_time(local.timetz(), "HH:mm", locale=loc)
        return f"{day}, {clock} ({utc_offset(local)})"


def utc_offset(local: datetime) -> str:
    offset = local.utcoffset()
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _identity(text: str, quote: bool = False) -> str:
    return text


_TAG = re.compile(r"<[^>]+>")


def strip_markup(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def telegram_length(text: str, *, markup: bool = True) -> int:
    """Length as Telegram counts it: after entity parsing, in UTF-16 code units."""
    plain = strip_markup(text) if markup else text
    return len(plain.encode("utf-16-le")) // 2


# ---- JSON for the outbox -------------------------------------------------------------------


def to_json(node: Value) -> Any:
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, Tr):
        return {"t": "tr", "id": node.msgid, "kw": _kw_json(node.kwargs)}
    if isinstance(node, Plural):
        return {
            "t": "pl",
            "s": node.singular,
            "p": node.plural,
            "n": node.n,
            "kw": _kw_json(node.kwargs),
        }
    if isinstance(node, Bi):
        return {"t": "bi", "en": node.en, "es": node.es}
    if isinstance(node, When):
        return {"t": "when", "at": _aware(node.moment).isoformat(), "time": node.with_time}
    if isinstance(node, Day):
        return {"t": "day", "d": node.day.isoformat()}
    if isinstance(node, Join):
        return {"t": "join", "parts": [to_json(p) for p in node.parts], "sep": node.sep}
    if isinstance(node, Link):
        return {"t": "link", "url": node.url, "label": to_json(node.label)}
    if isinstance(node, Bold):
        return {"t": "b", "in": to_json(node.inner)}
    raise TypeError(f"not a message node: {node!r}")


def _kw_json(kwargs: Mapping[str, Value]) -> dict[str, Any]:
    return {key: to_json(value) for key, value in kwargs.items()}


def from_json(data: Any) -> Any:
    if data is None or isinstance(data, bool | int | float | str):
        return data
    kind = data["t"]
    # Built through aliases so that catalog extraction does not take the JSON keys for text.
    if kind == "tr":
        return _TR(data["id"], **_kw_from(data["kw"]))
    if kind == "pl":
        return _PLURAL(data["s"], data["p"], data["n"], **_kw_from(data["kw"]))
    if kind == "bi":
        return Bi(data["en"], data["es"])
    if kind == "when":
        return When(datetime.fromisoformat(data["at"]), data["time"])
    if kind == "day":
        return Day(date.fromisoformat(data["d"]))
    if kind == "join":
        return Join([from_json(p) for p in data["parts"]], data["sep"])
    if kind == "link":
        return Link(data["url"], from_json(data["label"]))
    if kind == "b":
        return Bold(from_json(data["in"]))
    raise ValueError(f"unknown node kind {kind!r}")


_TR, _PLURAL = Tr, Plural


def _kw_from(data: Mapping[str, Any]) -> dict[str, Value]:
    return {key: from_json(value) for key, value in data.items()}


def keyboard_to_json(rows: Keyboard | None) -> list[list[dict[str, Any]]] | None:
    if not rows:
        return None
    return [
        [{"label": to_json(b.label), "data": b.data, "url": b.url} for b in row] for row in rows
    ]


def keyboard_from_json(data: list[list[dict[str, Any]]] | None) -> Keyboard | None:
    if not data:
        return None
    return tuple(
        tuple(Button(from_json(b["label"]), data=b["data"], url=b["url"]) for b in row)
        for row in data
    )
