"""Records the sandbox keeps about people, chats and messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.sandbox.files import StoredFile
from bot.sandbox.markup import Entity


@dataclass
class UserInfo:
    """A Telegram account (a simulated person or a bot)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code and not self.is_bot:
            out["language_code"] = self.language_code
        return out


@dataclass
class ChatInfo:
    """A chat: private (id = the user's id) or a group (negative id)."""

    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    user: UserInfo | None = None
    member_ids: list[int] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            out["title"] = self.title
        if self.user is not None:
            out["first_name"] = self.user.first_name
            if self.user.last_name:
                out["last_name"] = self.user.last_name
            if self.user.username:
                out["username"] = self.user.username
        return out


class Button(NamedTuple):
    """An inline button as shown to the user: its label and its callback data or URL."""

    label: str
    value: str | None


@dataclass(frozen=True)
class MessageEdit:
    """The state of a message before one edit."""

    date: int
    text: str | None
    caption: str | None
    entities: tuple[Entity, ...]
    buttons: tuple[tuple[Button, ...], ...]


@dataclass
class ChatMessage:
    """One message in a chat, in either direction, as the sandbox keeps it."""

    message_id: int
    chat: ChatInfo
    sender: UserInfo
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    entities: tuple[Entity, ...] = ()
    reply_markup: dict[str, Any] | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: StoredFile | None = None
    photo: StoredFile | None = None
    edit_date: int | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    deleted: bool = False
    reply_to_message_id: int | None = None

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" for neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def button_labels(self) -> list[str]:
        return [b.label for row in self.buttons for b in row]

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            out["edit_date"] = self.edit_date
        if self.document is not None:
            out["document"] = self.document.document_api()
        if self.photo is not None:
            out["photo"] = self.photo.photo_api()
        if self.text is not None:
            out["text"] = self.text
            if self.entities:
                out["entities"] = [e.to_api() for e in self.entities]
        if self.caption is not None:
            out["caption"] = self.caption
            if self.entities:
                out["caption_entities"] = [e.to_api() for e in self.entities]
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            # Telegram echoes only inline keyboards in the returned Message.
            out["reply_markup"] = self.reply_markup
        return out


@dataclass
class CallbackQueryRecord:
    """A button press sent to the bot, and how the bot answered it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    date: float
    answered: bool = False
    answer: CallbackAnswer | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(frozen=True)
class BotCommandEntry:
    """One command from setMyCommands."""

    command: str
    description: str

    def to_api(self) -> dict[str, str]:
        return {"command": self.command, "description": self.description}


@dataclass(frozen=True)
class PressEvent:
    """A button press, kept in the chat log so transcripts can show it."""

    user: UserInfo
    label: str | None
    data: str
    query_id: str
    message_id: int
    date: int
