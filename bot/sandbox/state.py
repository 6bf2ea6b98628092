"""Per-bot state: update queue and long polling, webhook settings, chats, commands."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import ApiError
from bot.sandbox.models import (
    BotCommandEntry,
    CallbackQueryRecord,
    ChatInfo,
    ChatMessage,
    PressEvent,
    UserInfo,
)
from bot.sandbox.spec import load_spec

ALL_UPDATE_TYPES: frozenset[str] = frozenset(
    f.name for f in load_spec().types["Update"].fields if f.name != "update_id"
)
# What a bot gets when allowed_updates is empty or was never set (Bot API docs).
DEFAULT_UPDATE_TYPES: frozenset[str] = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
_MAX_POLL_TIMEOUT = 3600.0


@dataclass
class ChatState:
    """One chat as seen by one bot: its messages and the user's relation to the bot."""

    chat: ChatInfo
    messages: list[ChatMessage] = field(default_factory=list)
    next_message_id: int = 1
    started: bool = False
    blocked: bool = False
    actions: list[str] = field(default_factory=list)
    log: list[ChatMessage | PressEvent] = field(default_factory=list)

    def find(self, message_id: int) -> ChatMessage | None:
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class WebhookConfig:
    """What setWebhook set, plus the delivery state getWebhookInfo reports."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0


@dataclass(frozen=True)
class CommandScopeKey:
    """A normalised BotCommandScope (chat ids resolved to integers)."""

    type: str
    chat_id: int | None = None
    user_id: int | None = None


class SimBot:
    """A bot account hosted by the sandbox: one token, its updates, chats and settings."""

    def __init__(self, token: str, user: UserInfo) -> None:
        self.token = token
        self.user = user
        self.pending: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.allowed_updates_set: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.commands: dict[tuple[CommandScopeKey, str], tuple[BotCommandEntry, ...]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.chats: dict[int, ChatState] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.calls: Counter[str] = Counter()
        self.logged_out = False
        self.closed = False
        self._changed = asyncio.Event()
        self._poll_generation = 0

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username or ""

    # ------------------------------------------------------------ chats

    def chat_state(self, chat: ChatInfo) -> ChatState:
        state = self.chats.get(chat.id)
        if state is None:
            state = ChatState(chat=chat)
            self.chats[chat.id] = state
        return state

    # ------------------------------------------------------------ updates

    def notify(self) -> None:
        """Wake long polls and the webhook sender."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def enqueue(self, kind: str, payload: dict[str, Any], *, filtered: bool = True) -> int | None:
        """Queue an update; returns its update_id, or None if allowed_updates drops it."""
        if filtered and kind in ALL_UPDATE_TYPES and kind not in self.allowed_updates:
            return None
        update_id = self.next_update_id
        self.next_update_id += 1
        self.pending.append({"update_id": update_id, kind: payload})
        self.notify()
        return update_id

    def enqueue_raw(self, update: dict[str, Any]) -> int:
        """Queue an arbitrary update JSON (hostile tests); its update_id is reassigned."""
        update_id = self.next_update_id
        self.next_update_id += 1
        self.pending.append({**update, "update_id": update_id})
        self.notify()
        return update_id

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return  # "If not specified, the previous setting will be used."
        self.allowed_updates_set = list(allowed)
        self.allowed_updates = (
            frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_UPDATE_TYPES
        )

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            # negative offset: keep the last -offset updates and forget the rest
            self.pending = self.pending[offset:]

    def drop_pending(self) -> None:
        self.pending.clear()

    async def poll(self, offset: int, limit: int, wait_seconds: float) -> list[dict[str, Any]]:
        """getUpdates: confirm up to ``offset``, then wait up to ``wait_seconds`` for updates."""
        self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.notify()  # an older poll sees the new generation and ends with a conflict
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(wait_seconds, 0.0), _MAX_POLL_TIMEOUT)
        while True:
            changed = self._changed
            if self.closed:
                return []
            if self.webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = self.pending[:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0:
                return [dict(u) for u in ready]
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    def wait_changed(self, at_most: float) -> Awaitable[None]:
        """Wait until the queue changes, or ``at_most`` seconds (webhook sender). A change from
        the moment of the call counts, even before the waiting starts."""
        return self._wait_for(self._changed, at_most)

    @staticmethod
    async def _wait_for(changed: asyncio.Event, at_most: float) -> None:
        try:
            await asyncio.wait_for(changed.wait(), at_most)
        except TimeoutError:
            return

    # ------------------------------------------------------------ commands

    def commands_for(
        self, chat: ChatInfo, user_id: int, language: str | None
    ) -> tuple[BotCommandEntry, ...]:
        """The command list a Telegram client shows this user in this chat.

        Follows the scope order the Bot API documents (administrator scopes are not
        simulated: nobody in the sandbox is a chat administrator).
        """
        if chat.is_group:
            scopes = [
                CommandScopeKey("chat_member", chat.id, user_id),
                CommandScopeKey("chat", chat.id),
                CommandScopeKey("all_group_chats"),
                CommandScopeKey("default"),
            ]
        else:
            scopes = [
                CommandScopeKey("chat", chat.id),
                CommandScopeKey("all_private_chats"),
                CommandScopeKey("default"),
            ]
        for scope in scopes:
            for lang in ([language] if language else []) + [""]:
                found = self.commands.get((scope, lang))
                if found:
                    return found
        return ()
