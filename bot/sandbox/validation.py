"""Checks every call's parameters against the Bot API spec, as Telegram would.

Parameters arrive as query strings, urlencoded or multipart forms (values are strings;
objects are JSON-encoded) or as a JSON body (values are JSON). They are coerced to the
types api.json declares; objects are checked field by field against their type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.markup import utf16_len
from bot.sandbox.models import BotCommandEntry, Button
from bot.sandbox.spec import ApiSpec, FieldSpec, MethodSpec

# What Telegram answers when a required parameter is missing or empty.
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "QUERY_ID_INVALID",
    "document": "there is no document in the request",
    "photo": "there is no photo in the request",
    "file_id": "file_id not specified",
    "action": "action is not specified",
    "url": "url is empty",
}
# How Telegram names JSON-encoded parameters when they do not parse.
_JSON_NAMES = {
    "reply_markup": "reply keyboard markup",
    "entities": "entities",
    "caption_entities": "entities",
}
_PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "True", "InputFile"})
_INT_RE = re.compile(r"^[+-]?\d+$")
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    field_name: str
    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InlineKeyboard:
    """A validated inline keyboard: raw JSON (as Telegram echoes it) and the buttons."""

    raw: dict[str, Any]
    rows: tuple[tuple[Button, ...], ...]


class _TypeMismatchError(Exception):
    pass


def _present(value: Any) -> bool:
    # Telegram treats an empty string exactly like a missing parameter.
    return value is not None and value != ""


def coerce_params(spec: ApiSpec, method: MethodSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """Coerce and check the declared parameters of ``method``; unknown ones are ignored."""
    uploads = {v.field_name: v for v in raw.values() if isinstance(v, Upload)}
    out: dict[str, Any] = {}
    for f in method.fields:
        value = raw.get(f.name)
        if not _present(value):
            if f.required:
                raise bad_request(_MISSING.get(f.name, f'parameter "{f.name}" is required'))
            continue
        out[f.name] = _coerce_param(spec, f, value, uploads)
    return out


def _coerce_param(spec: ApiSpec, f: FieldSpec, value: Any, uploads: dict[str, Upload]) -> Any:
    if isinstance(value, str) and value.startswith("attach://") and "InputFile" in f.types:
        name = value[len("attach://") :]
        if name not in uploads:
            raise bad_request(f"file {name!r} referenced by attach:// is not in the request")
        return uploads[name]
    needs_json = isinstance(value, str) and not any(t in _PRIMITIVES for t in f.types)
    if needs_json:
        try:
            value = json.loads(value)
        except ValueError:
            label = _JSON_NAMES.get(f.name, f.name)
            raise bad_request(f"can't parse {label} JSON object") from None
    errors: list[str] = []
    for type_name in f.types:
        try:
            return _coerce(spec, type_name, value, f.name)
        except _TypeMismatchError as exc:
            errors.append(str(exc))
    if f.name == "reply_markup":
        raise bad_request(f"can't parse reply keyboard markup: {errors[0]}")
    raise bad_request(f'parameter "{f.name}" {errors[0]}')


def _coerce(spec: ApiSpec, type_name: str, value: Any, where: str) -> Any:
    if type_name.startswith("Array of "):
        inner = type_name[len("Array of ") :]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _TypeMismatchError(f"must be a JSON-serialized {type_name}") from None
        if not isinstance(value, list):
            raise _TypeMismatchError(f"must be an Array ({type_name})")
        return [_coerce(spec, inner, item, where) for item in value]
    if type_name == "Integer":
        if isinstance(value, bool):
            raise _TypeMismatchError("must be of type Integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        raise _TypeMismatchError("must be of type Integer")
    if type_name == "Float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise _TypeMismatchError("must be of type Float")
    if type_name in ("Boolean", "True"):
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise _TypeMismatchError("must be of type Boolean")
    if type_name == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _TypeMismatchError("must be of type String")
    if type_name == "InputFile":
        if isinstance(value, (Upload, str)):
            return value
        raise _TypeMismatchError("must be a file or a file_id")
    return _check_object(spec, type_name, value)


def _check_object(spec: ApiSpec, type_name: str, value: Any) -> dict[str, Any]:
    type_spec = spec.types.get(type_name)
    if type_spec is None:
        raise _TypeMismatchError(f"has unknown type {type_name}")
    if not isinstance(value, dict):
        raise _TypeMismatchError(f"must be an Object ({type_name})")
    if type_spec.subtypes:
        wanted = value.get("type")
        for sub in type_spec.subtypes:
            sub_spec = spec.types.get(sub)
            if sub_spec is not None and sub_spec.type_value == wanted:
                return _check_object(spec, sub, value)
        raise _TypeMismatchError(f"({type_name}) has unsupported type {wanted!r}")
    out = dict(value)
    for f in type_spec.fields:
        if f.name not in value or value[f.name] is None:
            if f.required:
                raise _TypeMismatchError(f'({type_name}): can\'t find field "{f.name}"')
            continue
        errors: list[str] = []
        for t in f.types:
            try:
                out[f.name] = _coerce(spec, t, value[f.name], f.name)
                break
            except _TypeMismatchError as exc:
                errors.append(str(exc))
        else:
            raise _TypeMismatchError(f'({type_name}): field "{f.name}" {errors[0]}')
    if type_spec.type_value is not None and value.get("type") != type_spec.type_value:
        raise _TypeMismatchError(f'({type_name}): field "type" must be "{type_spec.type_value}"')
    return out


# ---------------------------------------------------------------- semantic checks


def valid_button_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname)
    return parts.scheme == "tg" and len(url) > len("tg://")


def inline_keyboard(markup: dict[str, Any] | None) -> InlineKeyboard | None:
    """Check an inline keyboard by Telegram's rules; None for other kinds of markup."""
    if markup is None or "inline_keyboard" not in markup:
        return None
    rows: list[tuple[Button, ...]] = []
    count = 0
    for row in markup["inline_keyboard"]:
        buttons: list[Button] = []
        for button in row:
            count += 1
            text = button.get("text", "")
            actions = [a for a in _INLINE_ACTIONS if _present(button.get(a))]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                # The Bot API documents "exactly one"; Telegram silently picks one.
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used to specify type of the button, got {', '.join(actions)}"
                )
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            action = actions[0]
            value: str | None = None
            if action == "callback_data":
                data = str(button["callback_data"])
                if not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
                value = data
            elif action == "url":
                url = str(button["url"])
                if not valid_button_url(url):
                    raise bad_request("BUTTON_URL_INVALID")
                value = url
            buttons.append(Button(text, value))
        rows.append(tuple(buttons))
    if count > 100:
        raise bad_request("reply markup is too long")
    return InlineKeyboard(raw=markup, rows=tuple(rows))


def bot_commands(raw: list[dict[str, Any]]) -> tuple[BotCommandEntry, ...]:
    """Check setMyCommands' ``commands`` by Telegram's rules."""
    if len(raw) > 100:
        raise bad_request("too many commands specified")
    result: list[BotCommandEntry] = []
    for item in raw:
        command = str(item["command"]).strip()
        if command.startswith("/"):
            command = command[1:]
        description = str(item["description"]).strip()
        if not _COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append(BotCommandEntry(command, description))
    return tuple(result)


def language_code(value: str | None) -> str:
    code = value or ""
    if code and not _LANGUAGE_RE.match(code):
        raise bad_request("invalid language code specified")
    return code


def secret_token(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > 256:
        raise bad_request("secret token is too long")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise bad_request("secret token contains unallowed characters")
    return value


def limit_length(value: str, maximum: int, error: str) -> None:
    if utf16_len(value) > maximum:
        raise bad_request(error)


__all__ = [
    "ApiError",
    "InlineKeyboard",
    "Upload",
    "bot_commands",
    "coerce_params",
    "inline_keyboard",
    "language_code",
    "limit_length",
    "secret_token",
]
