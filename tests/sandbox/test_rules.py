"""Telegram's content rules: text, caption, keyboard and entity limits and errors."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.sandbox import BotApiServer
from tests.sandbox.conftest import RawApi


@pytest.fixture
async def ana_id(sandbox: BotApiServer) -> int:
    ana = sandbox.user("ana")
    await ana.send("/start")
    sandbox.limits = type(sandbox.limits)(enabled=False)  # flood limits have their own tests
    return ana.id


async def test_4096_characters_pass_and_4097_fail(api: RawApi, ana_id: int) -> None:
    ok = await api("sendMessage", chat_id=ana_id, text="a" * 4096)
    assert len(ok.result["text"]) == 4096
    too_long = await api("sendMessage", chat_id=ana_id, text="a" * 4097)
    assert (too_long.status, too_long.description) == (400, "Bad Request: message is too long")


async def test_length_counts_utf16_code_units(api: RawApi, ana_id: int) -> None:
    emoji = "😀"  # one code point, two UTF-16 code units
    assert (await api("sendMessage", chat_id=ana_id, text=emoji * 2048)).status == 200
    over = await api("sendMessage", chat_id=ana_id, text=emoji * 2048 + "a")
    assert over.description == "Bad Request: message is too long"


async def test_length_is_measured_after_entity_parsing(api: RawApi, ana_id: int) -> None:
    text = "&amp;" * 4096  # 20480 characters of markup, 4096 after parsing
    ok = await api("sendMessage", chat_id=ana_id, text=text, parse_mode="HTML")
    assert ok.result["text"] == "&" * 4096
    bold = await api(
        "sendMessage", chat_id=ana_id, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML"
    )
    assert bold.result["entities"] == [{"offset": 0, "length": 4096, "type": "bold"}]


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", "Character '&' at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=x", "Unclosed start tag"),
    ],
)
async def test_html_errors(api: RawApi, ana_id: int, text: str, description: str) -> None:
    answer = await api("sendMessage", chat_id=ana_id, text=text, parse_mode="HTML")
    assert answer.status == 400
    assert answer.description.startswith(f"Bad Request: can't parse entities: {description}")


async def test_html_entities_and_tags(api: RawApi, ana_id: int) -> None:
    text = (
        "<b>B</b> <i>I</i> <u>U</u> <s>S</s> <tg-spoiler>P</tg-spoiler> <code>c</code> "
        '<a href="https://example.org">L</a> &lt;&gt;&quot;&#233;&#x1F600; '
        '<pre><code class="language-python">x</code></pre>'
    )
    result = (await api("sendMessage", chat_id=ana_id, text=text, parse_mode="HTML")).result
    assert result["text"] == 'B I U S P c L <>"é😀 x'
    types = [(e["type"], e["offset"], e["length"]) for e in result["entities"]]
    assert types == [
        ("bold", 0, 1),
        ("italic", 2, 1),
        ("underline", 4, 1),
        ("strikethrough", 6, 1),
        ("spoiler", 8, 1),
        ("code", 10, 1),
        ("text_link", 12, 1),
        ("pre", 21, 1),
    ]
    assert result["entities"][6]["url"] == "https://example.org/"
    assert result["entities"][7]["language"] == "python"


async def test_markdown_v2(api: RawApi, ana_id: int) -> None:
    ok = await api(
        "sendMessage",
        chat_id=ana_id,
        text="*bold* _it_ 1\\.5 [x](https://t.me)",
        parse_mode="MarkdownV2",
    )
    assert ok.result["text"] == "bold it 1.5 x"
    bad = await api("sendMessage", chat_id=ana_id, text="1.5", parse_mode="MarkdownV2")
    assert bad.description == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )


async def test_empty_after_parsing_is_empty(api: RawApi, ana_id: int) -> None:
    for text in ("<b></b>", "   \n "):
        answer = await api("sendMessage", chat_id=ana_id, text=text, parse_mode="HTML")
        assert answer.description == "Bad Request: message text is empty"


async def test_explicit_entities_are_validated(api: RawApi, ana_id: int) -> None:
    ok = await api(
        "sendMessage",
        chat_id=ana_id,
        text="😀 hi",
        entities=[{"type": "bold", "offset": 3, "length": 2}],
    )
    assert ok.result["entities"] == [{"offset": 3, "length": 2, "type": "bold"}]
    outside = await api(
        "sendMessage",
        chat_id=ana_id,
        text="hi",
        entities=[{"type": "bold", "offset": 1, "length": 2}],
    )
    assert outside.status == 400
    unknown = await api(
        "sendMessage",
        chat_id=ana_id,
        text="hi",
        entities=[{"type": "glow", "offset": 0, "length": 1}],
    )
    assert (
        unknown.description == "Bad Request: can't parse MessageEntity: Unsupported type specified"
    )


async def test_caption_limit(sandbox: BotApiServer, api: RawApi, ana_id: int) -> None:
    doc = await api("sendDocument", chat_id=ana_id, document=_doc_id(sandbox), caption="c" * 1024)
    assert doc.result["caption"] == "c" * 1024
    over = await api("sendDocument", chat_id=ana_id, document=_doc_id(sandbox), caption="c" * 1025)
    assert over.description == "Bad Request: message caption is too long"


def _doc_id(sandbox: BotApiServer) -> str:
    return sandbox.files.add(
        b"%PDF-1.4", kind="document", file_name="a.pdf", mime_type=None
    ).file_id


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "x", "callback_data": "d" * 65}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": "ñ" * 33}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "", "callback_data": "d"}, "Bad Request: BUTTON_TEXT_INVALID"),
        ({"text": "x", "url": "javascript:alert(1)"}, "Bad Request: BUTTON_URL_INVALID"),
        (
            {"text": "x"},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "x", "url": "https://a.org", "callback_data": "d"},
            "Bad Request: can't parse inline keyboard button: exactly one",
        ),
    ],
)
async def test_inline_keyboard_rules(
    api: RawApi, ana_id: int, button: dict[str, str], description: str
) -> None:
    answer = await api(
        "sendMessage", chat_id=ana_id, text="hi", reply_markup={"inline_keyboard": [[button]]}
    )
    assert answer.status == 400
    assert answer.description.startswith(description)


async def test_64_byte_callback_data_passes(api: RawApi, ana_id: int) -> None:
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 64}]]}
    answer = await api("sendMessage", chat_id=ana_id, text="hi", reply_markup=markup)
    assert answer.result["reply_markup"] == markup


async def test_missing_and_malformed_parameters(api: RawApi, ana_id: int) -> None:
    assert (await api("sendMessage", text="x")).description == "Bad Request: chat_id is empty"
    assert (await api("sendMessage", chat_id=ana_id)).description == (
        "Bad Request: message text is empty"
    )
    assert (await api("sendMessage", chat_id=ana_id, text="")).description == (
        "Bad Request: message text is empty"
    )
    assert (await api("sendMessage", chat_id=424242, text="x")).description == (
        "Bad Request: chat not found"
    )
    bad_markup = await api.form(
        "sendMessage", {"chat_id": str(ana_id), "text": "x", "reply_markup": "{nope"}
    )
    assert bad_markup.description == "Bad Request: can't parse reply keyboard markup JSON object"
    bad_mode = await api("sendMessage", chat_id=ana_id, text="x", parse_mode="BBCode")
    assert bad_mode.description == "Bad Request: unsupported parse_mode"


async def test_ptb_raises_bad_request(ptb: telegram.Bot, ana_id: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await ptb.send_message(ana_id, "hi", reply_markup=markup)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await ptb.send_message(ana_id, "<b>x", parse_mode="HTML")
