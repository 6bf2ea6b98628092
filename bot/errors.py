"""Errors a person can cause and be told about. Each carries a translatable message; the
update wrapper rolls the transaction back and answers in the person's language."""

from __future__ import annotations

from bot.text import Node, Plural, Tr, Value

# How much of a person's own input a refusal quotes back. A refusal that quoted a whole
# 4096-character message would itself be too long to send (and would fill the logs).
QUOTE_LIMIT = 100


def _cut(value: Value) -> Value:
    if isinstance(value, str) and len(value) > QUOTE_LIMIT:
        return value[: QUOTE_LIMIT - 1] + "…"
    if isinstance(value, Tr | Plural):
        return bounded(value)
    return value


def bounded(message: Node) -> Node:
    """The message with every quoted value cut to `QUOTE_LIMIT` characters."""
    if isinstance(message, Tr):
        return Tr(message.msgid, **{k: _cut(v) for k, v in message.kwargs.items()})
    if isinstance(message, Plural):
        kwargs = {k: _cut(v) for k, v in message.kwargs.items()}
        return Plural(message.singular, message.plural, message.n, **kwargs)
    return message


class UserError(Exception):
    """Bad input or a refused action: nothing changed, and the person is told why."""

    def __init__(self, message: Node) -> None:
        message = bounded(message)
        super().__init__(message if isinstance(message, str) else repr(message))
        self.message = message


class PermissionDenied(UserError):
    def __init__(self, message: Node | None = None) -> None:
        super().__init__(message or Tr("You are not allowed to do that. Nothing was changed."))


class NotFound(UserError):
    pass


class InputError(UserError):
    pass
