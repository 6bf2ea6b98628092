"""A refusal quotes a bounded piece of what the person wrote."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.errors import QUOTE_LIMIT, InputError
from bot.outbox import Content, Outbox
from bot.text import MAX_TEXT, Plural, Tr


def test_a_refusal_quoting_a_whole_message_can_still_be_sent() -> None:
    word = "<b>" * (MAX_TEXT // 3)
    error = InputError(Tr("I did not understand {word}.", word=word, n=3))
    assert isinstance(error.message, Tr)
    quoted = error.message.kwargs["word"]
    assert isinstance(quoted, str) and len(quoted) == QUOTE_LIMIT and quoted.endswith("…")
    assert error.message.kwargs["n"] == 3
    Outbox(ZoneInfo("America/Costa_Rica")).check(Content(error.message))
    assert word not in str(error)  # nor is the whole text in the logs


def test_nested_and_plural_messages_are_bounded_too() -> None:
    inner = Tr("Unknown {name}", name="x" * 500)
    error = InputError(Plural("{n} thing: {what}", "{n} things: {what}", 2, what=inner))
    assert isinstance(error.message, Plural) and error.message.n == 2
    what = error.message.kwargs["what"]
    assert isinstance(what, Tr) and len(str(what.kwargs["name"])) == QUOTE_LIMIT


def test_short_values_are_kept() -> None:
    assert InputError(Tr("Unknown {name}", name="ZZ")).message == Tr("Unknown {name}", name="ZZ")
