"""Errors a person can cause and be told about. Each carries a translatable message; the
update wrapper rolls the transaction back and answers in the person's language."""

from __future__ import annotations

from bot.text import Node, Tr


class UserError(Exception):
    """Bad input or a refused action: nothing changed, and the person is told why."""

    def __init__(self, message: Node) -> None:
        super().__init__(message if isinstance(message, str) else repr(message))
        self.message = message


class PermissionDenied(UserError):
    def __init__(self, message: Node | None = None) -> None:
        super().__init__(message or Tr("You are not allowed to do that. Nothing was changed."))


class NotFound(UserError):
    pass


class InputError(UserError):
    pass
