"""Simulated people and groups that talk to the bot through the sandbox."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.sandbox.files import StoredFile
from bot.sandbox.markup import detect_entities, utf16_len
from bot.sandbox.models import (
    BotCommandEntry,
    Button,
    CallbackAnswer,
    CallbackQueryRecord,
    ChatInfo,
    ChatMessage,
    PressEvent,
    UserInfo,
)
from bot.sandbox.state import ChatState, SimBot

if TYPE_CHECKING:
    from bot.sandbox.server import BotApiServer

MAX_TEXT = 4096


def _user_message(
    server: BotApiServer,
    bot: SimBot,
    state: ChatState,
    user: UserInfo,
    *,
    text: str | None = None,
    document: StoredFile | None = None,
    caption: str | None = None,
) -> ChatMessage:
    content = text if text is not None else caption
    if content is not None:
        if utf16_len(content) > (MAX_TEXT if text is not None else 1024):
            # the real client refuses to send it at all
            raise ValueError(f"a Telegram client cannot send {utf16_len(content)} characters")
        if text is not None and not text.strip():
            raise ValueError("a Telegram client cannot send an empty message")
    message = ChatMessage(
        message_id=state.take_message_id(),
        chat=state.chat,
        sender=user,
        from_bot=False,
        date=int(server.now()),
        text=text,
        caption=caption,
        entities=detect_entities(content) if content else (),
        document=document,
    )
    state.messages.append(message)
    state.log.append(message)
    payload = message.to_api()
    bot.enqueue("message", payload)
    server.notify_activity()
    return message


class SimUser:
    """A simulated person in a private chat with a bot.

    ``name`` is the handle tests use; every async method returns the sandbox's record
    of what was sent.
    """

    def __init__(
        self, server: BotApiServer, name: str, info: UserInfo, bot: SimBot | None = None
    ) -> None:
        self.server = server
        self.name = name
        self.info = info
        self._bot = bot

    def __repr__(self) -> str:
        return f"SimUser({self.name!r}, id={self.id}, lang={self.language_code!r})"

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def language_code(self) -> str | None:
        return self.info.language_code

    @language_code.setter
    def language_code(self, value: str | None) -> None:
        self.info.language_code = value

    @property
    def bot(self) -> SimBot:
        return self._bot or self.server.default_bot

    @property
    def chat(self) -> ChatInfo:
        return self.server.private_chat(self.info)

    @property
    def state(self) -> ChatState:
        return self.bot.chat_state(self.chat)

    @property
    def blocked(self) -> bool:
        return self.state.blocked

    # ------------------------------------------------------------ reading

    @property
    def messages(self) -> list[ChatMessage]:
        """Every message of the chat, both directions, oldest first."""
        return list(self.state.messages)

    def bot_messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        return [m for m in self.state.messages if m.from_bot and (include_deleted or not m.deleted)]

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer | None]:
        """Answer per callback query id this user sent (None while unanswered)."""
        return {q.id: q.answer for q in self.bot.callback_queries.values() if q.user_id == self.id}

    @property
    def chat_actions(self) -> list[str]:
        return list(self.state.actions)

    async def last_message(self) -> ChatMessage | None:
        """The newest (not deleted) bot message, after the bot settled."""
        await self.server.settle()
        found = self.bot_messages()
        return found[-1] if found else None

    async def last_callback_answer(self) -> CallbackAnswer | None:
        await self.server.settle()
        mine = [q for q in self.bot.callback_queries.values() if q.user_id == self.id]
        return mine[-1].answer if mine else None

    # a plain ``timeout`` keyword reads best in tests
    async def wait_messages(
        self,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[ChatMessage]:
        """Wait until the bot has sent ``count`` messages since this user's last message."""
        await self.server.settle()

        def fresh() -> list[ChatMessage]:
            mine = [i for i, m in enumerate(self.state.messages) if not m.from_bot]
            start = mine[-1] + 1 if mine else 0
            return [m for m in self.state.messages[start:] if m.from_bot]

        try:
            async with asyncio.timeout(timeout):
                while len(fresh()) < count:
                    await self.server.activity()
        except TimeoutError:
            raise TimeoutError(
                f"{self.name} waited {timeout}s for {count} bot message(s), got "
                f"{len(fresh())}:\n{self.transcript()}"
            ) from None
        return fresh()

    def transcript(self) -> str:
        return self.server.transcript(self)

    def visible_commands(self) -> list[BotCommandEntry]:
        """The command menu a Telegram client would show this user (scope + language)."""
        return list(self.bot.commands_for(self.chat, self.id, self.language_code))

    # ------------------------------------------------------------ acting

    def _ready(self) -> ChatState:
        state = self.state
        if state.blocked:
            raise RuntimeError(f"{self.name} blocked the bot; call unblock() first")
        state.started = True
        return state

    async def send(self, text: str) -> ChatMessage:
        """Send a text message (``/command`` text gets a bot_command entity)."""
        state = self._ready()
        return _user_message(self.server, self.bot, state, self.info, text=text)

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        file_size: int | None = None,
    ) -> ChatMessage:
        """Send a file; ``file_size`` can claim a larger size (e.g. for the 20 MB rule)."""
        state = self._ready()
        stored = self.server.files.add(
            data, kind="document", file_name=file_name, mime_type=mime_type, file_size=file_size
        )
        return _user_message(
            self.server, self.bot, state, self.info, document=stored, caption=caption
        )

    async def press(self, label: str, *, message_id: int | None = None) -> str:
        """Press the inline button labelled ``label``; returns the callback query id."""
        message, data = self._find_button(label, message_id)
        return self._callback(message, data, label)

    async def press_data(self, data: str, message_id: int) -> str:
        """Send arbitrary (possibly forged) callback data for a message."""
        message = self.state.find(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in the chat of {self.name}")
        return self._callback(message, data, None)

    def _find_button(self, label: str, message_id: int | None) -> tuple[ChatMessage, str]:
        if message_id is not None:
            message = self.state.find(message_id)
            if message is None or message.deleted or not message.from_bot:
                raise LookupError(f"no bot message {message_id} in the chat of {self.name}")
            candidates = [message]
        else:
            candidates = [m for m in reversed(self.bot_messages()) if m.buttons]
        if not candidates:
            raise LookupError(f"{self.name} sees no inline buttons in the chat")
        # the newest message with a button of exactly this label wins
        for message in candidates:
            exact = [b for row in message.buttons for b in row if b.label == label]
            if len(exact) == 1:
                return message, self._callback_value(message, exact[0])
        message = candidates[0]
        buttons = [b for row in message.buttons for b in row]
        labels = ", ".join(f"[{b.label}]" for b in buttons)
        matches = [b for b in buttons if b.label == label] or [
            b for b in buttons if label.lower() in b.label.lower()
        ]
        if len(matches) != 1:
            how = "no" if not matches else "several"
            raise LookupError(
                f"{how} button matches {label!r} in message {message.message_id}: {labels}"
            )
        return message, self._callback_value(message, matches[0])

    def _callback_value(self, message: ChatMessage, button: Button) -> str:
        if button.value is None or not self._is_callback(message, button.label):
            raise LookupError(f"button [{button.label}] does not send callback data")
        return button.value

    @staticmethod
    def _is_callback(message: ChatMessage, label: str) -> bool:
        raw = message.reply_markup or {}
        for row in raw.get("inline_keyboard", []):
            for button in row:
                if button.get("text") == label and button.get("callback_data"):
                    return True
        return False

    def _callback(self, message: ChatMessage, data: str, label: str | None) -> str:
        state = self._ready()
        bot = self.bot
        query_id = self.server.next_callback_id()
        now = self.server.now()
        bot.callback_queries[query_id] = CallbackQueryRecord(
            id=query_id,
            user_id=self.id,
            chat_id=state.chat.id,
            message_id=message.message_id,
            data=data,
            date=now,
        )
        state.log.append(PressEvent(self.info, label, data, query_id, message.message_id, int(now)))
        payload: dict[str, Any] = {
            "id": query_id,
            "from": self.info.to_api(),
            "message": message.to_api(),
            "chat_instance": str(abs(hash((bot.id, state.chat.id))) % 10**18),
            "data": data,
        }
        bot.enqueue("callback_query", payload)
        self.server.notify_activity()
        return query_id

    def block(self) -> None:
        """Block the bot: its sends to this user now fail with 403."""
        state = self.state
        if not state.blocked:
            state.blocked = True
            self._member_update("member", "kicked")

    def unblock(self) -> None:
        state = self.state
        if state.blocked:
            state.blocked = False
            self._member_update("kicked", "member")

    def _member(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": self.bot.user.to_api()}
        if status == "kicked":
            member["until_date"] = 0  # banned "forever", as Telegram reports a block
        return member

    def _member_update(self, old: str, new: str) -> None:
        # Telegram tells the bot about (un)blocking with a my_chat_member update.
        bot = self.bot
        payload = {
            "chat": self.chat.to_api(),
            "from": self.info.to_api(),
            "date": int(self.server.now()),
            "old_chat_member": self._member(old),
            "new_chat_member": self._member(new),
        }
        bot.enqueue("my_chat_member", payload)
        self.server.notify_activity()


class SimGroup:
    """A simulated group (or supergroup) the bot is a member of."""

    def __init__(self, server: BotApiServer, chat: ChatInfo, bot: SimBot | None = None) -> None:
        self.server = server
        self.chat = chat
        self._bot = bot

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    @property
    def bot(self) -> SimBot:
        return self._bot or self.server.default_bot

    @property
    def state(self) -> ChatState:
        return self.bot.chat_state(self.chat)

    @property
    def messages(self) -> list[ChatMessage]:
        return list(self.state.messages)

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.state.messages if m.from_bot and not m.deleted]

    async def send(self, user: SimUser, text: str) -> ChatMessage:
        """``user`` writes ``text`` in the group (the bot sees every group message)."""
        if user.id not in self.chat.member_ids:
            self.chat.member_ids.append(user.id)
        return _user_message(self.server, self.bot, self.state, user.info, text=text)

    def transcript(self) -> str:
        return self.server.transcript(self)
