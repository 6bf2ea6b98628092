"""The entity parsers on their own, including property-based round trips."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.markup import Entity, FormattedText, format_text, parse_html, utf16_len

_MD2_SPECIAL = "_*[]()~`>#+-=|{}.!\\"


def _md2_escape(text: str) -> str:
    return "".join("\\" + c if c in _MD2_SPECIAL else c for c in text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_escaped_html_round_trips(text: str) -> None:
    parsed = parse_html(html.escape(text, quote=False))
    assert parsed.text == text
    assert parsed.entities == ()


@given(
    st.text(
        alphabet=st.characters(codec="utf-8").filter(lambda c: not c.isspace() and c.isprintable()),
        min_size=1,
        max_size=80,
    )
)
def test_bold_html_entity_covers_the_text_in_utf16(text: str) -> None:
    parsed = parse_html("<b>" + html.escape(text) + "</b>")
    assert parsed.text == text
    assert parsed.entities == (Entity("bold", 0, utf16_len(text)),)


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=100))
def test_escaped_markdown_v2_round_trips(text: str) -> None:
    parsed = format_text(_md2_escape(text), "MarkdownV2")
    assert parsed.text == text.strip()


def test_strip_keeps_entities_aligned() -> None:
    assert format_text("  <i>hi</i> ", "HTML") == FormattedText("hi", (Entity("italic", 0, 2),))


def test_detected_entities() -> None:
    parsed = format_text("Ask @focal_point about /agenda or https://rcm.example.org #RCM", None)
    kinds = {(e.type, parsed.text[e.offset : e.end]) for e in parsed.entities}
    assert kinds == {
        ("mention", "@focal_point"),
        ("bot_command", "/agenda"),
        ("url", "https://rcm.example.org"),
        ("hashtag", "#RCM"),
    }


def test_nothing_is_detected_inside_code() -> None:
    assert format_text("<code>/start</code>", "HTML").entities == (Entity("code", 0, 6),)


def test_legacy_markdown() -> None:
    parsed = format_text("*b* _i_ `c` [l](https://x.org)", "Markdown")
    assert parsed.text == "b i c l"
    assert [e.type for e in parsed.entities] == ["bold", "italic", "code", "text_link"]
