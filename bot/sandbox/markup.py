"""Message text formatting as Telegram applies it: parse modes, entities, lengths.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Error texts follow the
ones Telegram answers with after ``Bad Request: can't parse entities: ``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# Types the server derives from the text itself; explicit ones are dropped, then redetected.
AUTO_DETECTED = frozenset(
    {"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number"}
)
EXPLICIT_TYPES = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
# Nothing is detected inside these: they carry their own meaning for the characters.
_OPAQUE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}

MD2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


class EntityParseError(ValueError):
    """The text could not be parsed; ``str(err)`` is Telegram's reason."""


@dataclass(frozen=True)
class Entity:
    """One MessageEntity (offset/length in UTF-16 code units)."""

    type: str
    offset: int
    length: int
    url: str | None = None
    user: dict[str, Any] | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    unix_time: int | None = None
    date_time_format: str | None = None

    @property
    def end(self) -> int:
        return self.offset + self.length

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"offset": self.offset, "length": self.length, "type": self.type}
        for key in ("url", "user", "language", "custom_emoji_id", "unix_time", "date_time_format"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class FormattedText:
    """Plain text plus entities, as stored in a Message."""

    text: str
    entities: tuple[Entity, ...]

    @property
    def utf16_length(self) -> int:
        return utf16_len(self.text)

    def entities_api(self) -> list[dict[str, Any]]:
        return [e.to_api() for e in self.entities]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def check_link(url: str) -> str | None:
    """Normalise a link as Telegram does, or None when Telegram would drop it."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https", "ton"):
        host = parts.hostname or ""
        if not host or ("." not in host and host != "localhost"):
            return None
        if not parts.path:
            url += "/"
        return url
    if scheme == "tg":
        return url if len(url) > len("tg://") else None
    return None


# ---------------------------------------------------------------- HTML


class _HtmlParser:
    def __init__(self, text: str) -> None:
        self.src = text
        self.out: list[str] = []
        self.u16 = 0
        self.entities: list[Entity] = []
        # open tags: (name, argument, utf16 offset, index into self.out)
        self.stack: list[tuple[str, str, int, int]] = []

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, chars: str) -> None:
        for ch in chars:
            self.out.append(ch)
            self.u16 += _u16(ch)

    def decode_entity(self, i: int) -> tuple[str, int] | None:
        src = self.src
        j = i + 1
        if j < len(src) and src[j] == "#":
            j += 1
            hexa = j < len(src) and src[j] in "xX"
            if hexa:
                j += 1
            start = j
            digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
            while j < len(src) and src[j] in digits:
                j += 1
            if j == start or j - i >= 10:
                return None
            code = int(src[start:j], 16 if hexa else 10)
            if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            value = chr(code)
        else:
            start = j
            while j < len(src) and src[j].isascii() and src[j].isalpha():
                j += 1
            name = src[start:j]
            if name not in _NAMED_HTML_ENTITIES:
                return None
            value = _NAMED_HTML_ENTITIES[name]
        if j < len(src) and src[j] == ";":
            j += 1
        return value, j

    def parse(self) -> FormattedText:
        src = self.src
        n = len(src)
        i = 0
        while i < n:
            ch = src[i]
            if ch == "&":
                decoded = self.decode_entity(i)
                if decoded is None:
                    # Telegram itself keeps such an "&" literally; its documentation requires
                    # escaping it, and the sandbox is strict so that sloppy escaping shows.
                    raise self.fail(
                        f"Character '&' at byte offset {_byte_offset(src, i)} is not a part of "
                        "a supported HTML entity and must be replaced with &amp;"
                    )
                self.emit(decoded[0])
                i = decoded[1]
                continue
            if ch != "<":
                self.emit(ch)
                i += 1
                continue
            i = self.tag(i)
        if self.stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return FormattedText("".join(self.out), tuple(self.entities))

    def tag(self, begin: int) -> int:
        src = self.src
        n = len(src)
        offset = _byte_offset(src, begin)
        i = begin + 1
        if i < n and src[i] == "/":
            if not self.stack:
                raise self.fail(f"Unexpected end tag at byte offset {offset}")
            i += 1
            start = i
            while i < n and not src[i].isspace() and src[i] != ">":
                i += 1
            name = src[start:i].lower()
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != ">":
                raise self.fail(f"Unclosed end tag at byte offset {offset}")
            open_name = self.stack[-1][0]
            if name and name != open_name:
                raise self.fail(
                    f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            self.close()
            return i + 1

        start = i
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= n:
            raise self.fail(f"Unclosed start tag at byte offset {offset}")
        name = src[start:i].lower()
        if name not in HTML_TAGS:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {offset}')
        argument = ""
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise self.fail(f"Unclosed start tag at byte offset {offset}")
            if src[i] == ">":
                break
            attr_start = i
            while i < n and not src[i].isspace() and src[i] not in "=>":
                i += 1
            attr = src[attr_start:i].lower()
            if not attr:
                raise self.fail(f'Empty attribute name in the tag "{name}" at byte offset {offset}')
            while i < n and src[i].isspace():
                i += 1
            if name == "blockquote" and attr == "expandable" and (i >= n or src[i] != "="):
                argument = "expandable"
                continue
            if i >= n or src[i] != "=":
                raise self.fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {offset}'
                )
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise self.fail(f'Unclosed start tag "{name}" at byte offset {offset}')
            value_chars: list[str] = []
            if src[i] in "'\"":
                quote = src[i]
                i += 1
                while i < n and src[i] != quote:
                    if src[i] == "&":
                        decoded = self.decode_entity(i)
                        if decoded is not None:
                            value_chars.append(decoded[0])
                            i = decoded[1]
                            continue
                    value_chars.append(src[i])
                    i += 1
                if i >= n:
                    raise self.fail(f"Unclosed start tag at byte offset {offset}")
                i += 1
                value = "".join(value_chars)
            else:
                token_start = i
                while i < n and ((src[i].isalnum() and src[i].isascii()) or src[i] in ".-"):
                    i += 1
                value = src[token_start:i].lower()
                if i < n and not src[i].isspace() and src[i] != ">":
                    raise self.fail(
                        "Unexpected end of name token at byte offset "
                        f"{_byte_offset(src, token_start)}"
                    )
            if (name == "a" and attr == "href") or (name == "tg-emoji" and attr == "emoji-id"):
                argument = value
            elif name == "code" and attr == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif name == "span" and attr == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
        if name == "span" and argument != "spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.stack.append((name, argument, self.u16, len(self.out)))
        return i + 1

    def close(self) -> None:
        name, argument, start, out_index = self.stack.pop()
        length = self.u16 - start
        if length <= 0:
            return
        if name in _HTML_TAG_ENTITY:
            self.entities.append(Entity(_HTML_TAG_ENTITY[name], start, length))
        elif name == "blockquote":
            kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
            self.entities.append(Entity(kind, start, length))
        elif name == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise self.fail("Invalid custom emoji identifier specified")
            self.entities.append(Entity("custom_emoji", start, length, custom_emoji_id=argument))
        elif name == "a":
            url = check_link(argument or "".join(self.out[out_index:]))
            if url is not None:
                self.entities.append(Entity("text_link", start, length, url=url))
        elif name == "pre":
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last.type == "code"
                and (last.offset, last.length) == (start, length)
                and last.language
            ):
                self.entities[-1] = Entity("pre", start, length, language=last.language)
            else:
                self.entities.append(Entity("pre", start, length))
        elif name == "code":
            # The language is only kept when <code> sits directly inside <pre>.
            self.entities.append(Entity("code", start, length, language=argument or None))


def parse_html(text: str) -> FormattedText:
    """Parse Telegram's HTML subset into plain text and entities."""
    result = _HtmlParser(text).parse()
    cleaned = tuple(replace(e, language=None) if e.type == "code" else e for e in result.entities)
    return FormattedText(result.text, cleaned)


# ---------------------------------------------------------------- MarkdownV2


@dataclass
class _Open:
    type: str
    start: int  # utf16 offset in the output
    out_index: int
    src_index: int
    language: str | None = None


def parse_markdown_v2(text: str) -> FormattedText:
    """Parse MarkdownV2 into plain text and entities."""
    src = text
    n = len(src)
    out: list[str] = []
    u16 = 0
    stack: list[_Open] = []
    entities: list[Entity] = []
    in_quote = False

    def emit(ch: str) -> None:
        nonlocal u16
        out.append(ch)
        u16 += _u16(ch)

    def reserved_error(i: int) -> EntityParseError:
        return EntityParseError(
            f"Character '{src[i]}' is reserved and must be escaped with the preceding '\\'"
        )

    def unclosed(entry: _Open) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of {_MD2_NAMES[entry.type]} entity at byte offset "
            f"{_byte_offset(src, entry.src_index)}"
        )

    def peek(i: int) -> str:
        return src[i] if i < n else ""

    def read_url(i: int) -> tuple[str, int]:
        # i points just past "("; returns the URL and the index of ")"
        begin = i
        chars: list[str] = []
        while i < n and src[i] != ")":
            if src[i] == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
                chars.append(src[i + 1])
                i += 2
                continue
            chars.append(src[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of a URL at byte offset {_byte_offset(src, begin)}"
            )
        return "".join(chars), i

    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            emit(src[i + 1])
            i += 2
            continue
        top = stack[-1] if stack else None
        in_code = top is not None and top.type in ("code", "pre")
        reserved = "`" if in_code else MD2_RESERVED
        if c not in reserved:
            emit(c)
            i += 1
            continue

        if c == "\n":
            if in_quote and peek(i + 1) != ">":
                # the quote ends with this line; nothing else may still be open inside it
                assert top is not None
                if top.type != "blockquote":
                    raise unclosed(top)
                emit("\n")
                stack.pop()
                entities.append(Entity("blockquote", top.start, u16 - top.start))
                in_quote = False
                i += 1
                continue
            emit("\n")
            i += 1
            if peek(i) == ">":
                i += 1
                if not in_quote:
                    stack.append(_Open("blockquote", u16, len(out), i - 1))
                    in_quote = True
            continue

        closing = False
        if top is not None:
            t = top.type
            closing = (
                (t == "bold" and c == "*")
                or (t == "italic" and c == "_" and peek(i + 1) != "_")
                or (t == "underline" and c == "_" and peek(i + 1) == "_")
                or (t == "strikethrough" and c == "~")
                or (t == "spoiler" and c == "|" and peek(i + 1) == "|")
                or (t == "code" and c == "`")
                or (t == "pre" and src[i : i + 3] == "```")
                or (t in ("text_link", "custom_emoji") and c == "]")
            )

        if closing:
            assert top is not None
            stack.pop()
            length = u16 - top.start
            entity: Entity | None = Entity(top.type, top.start, length, language=top.language)
            if top.type in ("underline", "spoiler"):
                i += 2
            elif top.type == "pre":
                i += 3
            elif top.type == "text_link":
                if peek(i + 1) == "(":
                    url, i = read_url(i + 2)
                else:
                    url = "".join(out[top.out_index :])
                i += 1
                link = check_link(url)
                entity = Entity("text_link", top.start, length, url=link) if link else None
            elif top.type == "custom_emoji":
                if peek(i + 1) != "(":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                url, i = read_url(i + 2)
                i += 1
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if not match or int(match.group(1)) == 0:
                    raise EntityParseError("Invalid custom emoji identifier specified")
                entity = Entity("custom_emoji", top.start, length, custom_emoji_id=match.group(1))
            else:
                i += 1
            if entity is not None and length > 0:
                entities.append(entity)
            continue

        # an entity starts here
        start_index = i
        language: str | None = None
        if c == "_":
            kind = "underline" if peek(i + 1) == "_" else "italic"
            i += 2 if kind == "underline" else 1
        elif c == "*":
            kind, i = "bold", i + 1
        elif c == "~":
            kind, i = "strikethrough", i + 1
        elif c == "|":
            if peek(i + 1) != "|":
                raise reserved_error(i)
            kind, i = "spoiler", i + 2
        elif c == "[":
            kind, i = "text_link", i + 1
        elif c == "!":
            if peek(i + 1) != "[":
                raise reserved_error(i)
            kind, i = "custom_emoji", i + 2
        elif c == "`":
            if src[i : i + 3] == "```":
                kind = "pre"
                i += 3
                lang_end = i
                while lang_end < n and not src[lang_end].isspace() and src[lang_end] != "`":
                    lang_end += 1
                if lang_end > i and lang_end < n and src[lang_end] != "`":
                    language = src[i:lang_end]
                    i = lang_end
                if src[i : i + 2] in ("\r\n", "\n\r"):
                    i += 2
                elif peek(i) in ("\n", "\r"):
                    i += 1
            else:
                kind, i = "code", i + 1
        elif c == ">" and i == 0:
            kind, i = "blockquote", i + 1
            in_quote = True
        else:
            raise reserved_error(i)
        stack.append(_Open(kind, u16, len(out), start_index, language))

    if in_quote and stack and stack[-1].type == "blockquote":
        top = stack.pop()
        if u16 > top.start:
            entities.append(Entity("blockquote", top.start, u16 - top.start))
    if stack:
        raise unclosed(stack[-1])
    return FormattedText("".join(out), tuple(entities))


# ---------------------------------------------------------------- legacy Markdown


def parse_markdown(text: str) -> FormattedText:
    """Parse legacy Markdown (``*bold* _italic_ `code` ```pre``` [text](url)``)."""
    src = text
    n = len(src)
    out: list[str] = []
    u16 = 0
    entities: list[Entity] = []

    def emit(chunk: str) -> None:
        nonlocal u16
        out.append(chunk)
        u16 += utf16_len(chunk)

    def missing_end(i: int) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}"
        )

    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            emit(src[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            emit(c)
            i += 1
            continue
        begin = i
        if c == "[":
            close = src.find("]", i + 1)
            if close < 0:
                raise missing_end(begin)
            inner = src[i + 1 : close]
            start = u16
            emit(inner)
            i = close + 1
            if i < n and src[i] == "(":
                url_end = src.find(")", i + 1)
                if url_end < 0:
                    raise missing_end(begin)
                link = check_link(src[i + 1 : url_end])
                i = url_end + 1
                if link and u16 > start:
                    entities.append(Entity("text_link", start, u16 - start, url=link))
            continue
        if src.startswith("```", i):
            close = src.find("```", i + 3)
            if close < 0:
                raise missing_end(begin)
            body = src[i + 3 : close]
            language: str | None = None
            first_line, newline, rest = body.partition("\n")
            if newline and first_line and not any(ch.isspace() for ch in first_line):
                language, body = first_line, rest
            start = u16
            emit(body)
            if u16 > start:
                entities.append(Entity("pre", start, u16 - start, language=language))
            i = close + 3
            continue
        close = src.find(c, i + 1)
        if close < 0:
            raise missing_end(begin)
        start = u16
        emit(src[i + 1 : close])
        if u16 > start:
            kind = {"_": "italic", "*": "bold", "`": "code"}[c]
            entities.append(Entity(kind, start, u16 - start))
        i = close + 1
    return FormattedText("".join(out), tuple(entities))


# ---------------------------------------------------------------- explicit entities


def entities_from_api(text: str, raw: Any) -> tuple[Entity, ...]:
    """Validate an explicit ``entities`` array (already JSON-decoded)."""
    if not isinstance(raw, list):
        raise EntityParseError("Can't parse entities JSON object")
    total = utf16_len(text)
    result: list[Entity] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise EntityParseError("Can't parse MessageEntity: expected an Object")
        for key in ("offset", "length"):
            if key not in item:
                raise EntityParseError(f"Can't parse MessageEntity: Can't find field \"{key}\"")
            if not isinstance(item[key], int) or isinstance(item[key], bool):
                raise EntityParseError(
                    f'Can\'t parse MessageEntity: Field "{key}" must be a valid Number'
                )
        kind = item.get("type")
        if not isinstance(kind, str):
            raise EntityParseError(
                'Can\'t parse MessageEntity: Field "type" must be of type String'
            )
        if kind in AUTO_DETECTED:
            continue
        if kind not in EXPLICIT_TYPES:
            raise EntityParseError("Can't parse MessageEntity: Unsupported type specified")
        offset, length = item["offset"], item["length"]
        if offset < 0 or length <= 0 or offset + length > total:
            # Telegram silently drops or clips such an entity; the sandbox refuses it so that
            # an off-by-one in the bot's offset arithmetic (UTF-16!) shows up in tests.
            raise EntityParseError(
                f"Can't parse entities: entity {index} ({kind}, offset {offset}, length "
                f"{length}) does not fit "
                f"in the text of {total} UTF-16 code units"
            )
        entity = Entity(kind, offset, length)
        if kind == "text_link":
            url = item.get("url")
            if not isinstance(url, str):
                raise EntityParseError("Can't parse MessageEntity: Can't find field \"url\"")
            link = check_link(url)
            if link is None:
                raise EntityParseError("Can't parse MessageEntity: Wrong HTTP URL specified")
            entity = replace(entity, url=link)
        elif kind == "text_mention":
            user = item.get("user")
            if not isinstance(user, dict) or not isinstance(user.get("id"), int):
                raise EntityParseError("Can't parse MessageEntity: Can't find field \"user\"")
            entity = replace(entity, user=user)
        elif kind == "pre":
            language = item.get("language")
            if language is not None and not isinstance(language, str):
                raise EntityParseError(
                    'Can\'t parse MessageEntity: Field "language" must be of type String'
                )
            entity = replace(entity, language=language or None)
        elif kind == "custom_emoji":
            emoji_id = item.get("custom_emoji_id")
            if not isinstance(emoji_id, str) or not emoji_id.isdigit():
                raise EntityParseError(
                    'Can\'t parse MessageEntity: Field "custom_emoji_id" must be a valid Number'
                )
            entity = replace(entity, custom_emoji_id=emoji_id)
        elif kind == "date_time":
            unix_time = item.get("unix_time")
            if not isinstance(unix_time, int):
                raise EntityParseError("Can't parse MessageEntity: Can't find field \"unix_time\"")
            fmt = item.get("date_time_format")
            entity = replace(entity, unix_time=unix_time, date_time_format=fmt)
        result.append(entity)
    return tuple(result)


# ---------------------------------------------------------------- detection and cleanup

_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_MENTION_RE = re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*(?![\w#])")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_URL_RE = re.compile(
    r"(?<![\w@/.])(?:https?://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?::\d{1,5})?"
    r"(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?/?",
)
_DETECTORS = (
    ("url", _URL_RE),
    ("email", _EMAIL_RE),
    ("bot_command", _BOT_COMMAND_RE),
    ("mention", _MENTION_RE),
    ("hashtag", _HASHTAG_RE),
)


def _char_to_u16_offsets(text: str) -> list[int]:
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + _u16(ch))
    return offsets


def detect_entities(text: str, existing: tuple[Entity, ...] = ()) -> tuple[Entity, ...]:
    """Entities Telegram finds by itself (commands, mentions, hashtags, URLs, e-mails)."""
    u16 = _char_to_u16_offsets(text)
    taken: list[tuple[int, int]] = [(e.offset, e.end) for e in existing if e.type in _OPAQUE]
    found: list[Entity] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = u16[match.start()], u16[match.end()]
            if kind == "url" and "@" in text[max(0, match.start() - 1) : match.start()]:
                continue
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(Entity(kind, start, end - start))
    # Telegram lists entities in order of offset (clients and PTB's CommandHandler rely on it).
    return sort_entities(found)


def sort_entities(entities: tuple[Entity, ...] | list[Entity]) -> tuple[Entity, ...]:
    return tuple(sorted(entities, key=lambda e: (e.offset, -e.length, _PRIORITY.get(e.type, 50))))


def strip_text(formatted: FormattedText) -> FormattedText:
    """Trim surrounding whitespace, as Telegram does, keeping entities aligned."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    moved: list[Entity] = []
    for e in formatted.entities:
        start = max(0, e.offset - lead)
        end = min(total, e.end - lead)
        if end > start:
            moved.append(replace(e, offset=start, length=end - start))
    return FormattedText(stripped, tuple(moved))


class FormatError(ValueError):
    """Text formatting was refused; ``str(err)`` is the description after ``Bad Request: ``."""


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Apply ``parse_mode`` (or explicit entities) like sendMessage does.

    ``parse_mode`` wins over ``entities`` when both are given, as in Telegram.
    """
    mode = (parse_mode or "").lower()
    try:
        if mode and mode != "none":
            if mode == "html":
                parsed = parse_html(text)
            elif mode == "markdownv2":
                parsed = parse_markdown_v2(text)
            elif mode == "markdown":
                parsed = parse_markdown(text)
            else:
                raise FormatError("unsupported parse_mode")
        else:
            parsed = FormattedText(text, ())
    except EntityParseError as exc:
        raise FormatError(f"can't parse entities: {exc}") from exc
    if not (mode and mode != "none") and entities is not None:
        try:
            parsed = FormattedText(text, entities_from_api(text, entities))
        except EntityParseError as exc:
            reason = str(exc)
            raise FormatError(reason[:1].lower() + reason[1:]) from exc
    parsed = strip_text(parsed)
    detected = detect_entities(parsed.text, parsed.entities)
    return FormattedText(parsed.text, sort_entities(parsed.entities + detected))
