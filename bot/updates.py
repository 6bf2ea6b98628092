"""Handling one update: the wrapper every handler shares (STYLE 2 and 3).

It finds the person, sets their language, opens the transaction, runs the handler with a
`Turn`, and commits; on a `UserError` it rolls back and tells the person why, in their
language; on anything else it logs first, rolls back, and says the action did not happen.
Handlers themselves only parse, call a service and reply.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update
from telegram import Message as TgMessage
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackContext, ExtBot

from bot import people, terms
from bot.errors import UserError
from bot.i18n import Language, as_language, negotiate, set_language
from bot.models.outbox import Priority
from bot.models.people import Person
from bot.outbox import BOTH, Content
from bot.parsing import CommandText, split_command
from bot.permissions import Action, Actor, require
from bot.services import Services
from bot.text import MAX_ALERT, Keyboard, Node, Renderer, Tr

log = logging.getLogger(__name__)

# A stranger gets one polite answer per this window, not one per message they send.
STRANGER_WINDOW = timedelta(minutes=1)


class BotData:
    """`context.bot_data`: holds the services (PTB builds it with no arguments)."""

    def __init__(self) -> None:
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Typed access to the services from any handler (STYLE 4)."""

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not installed on this application")
        return services


@dataclass
class Turn:
    """One update being handled: who, in which language, inside which transaction."""

    update: Update
    context: BotContext
    services: Services
    session: AsyncSession
    now: datetime
    lang: Language
    chat_id: int
    telegram_id: int
    person: Person | None = None
    actor: Actor | None = None
    _answer: tuple[Node, bool] | None = field(default=None, repr=False)
    # The person's member state, loaded with them: held so that the session keeps it.
    _held: object = field(default=None, repr=False)
    _after_commit: list[Callable[[], Awaitable[Any]]] = field(default_factory=list, repr=False)

    # ---- what the update says ---------------------------------------------------------

    @property
    def message(self) -> TgMessage | None:
        return self.update.effective_message if self.update.callback_query is None else None

    @property
    def text(self) -> str:
        message = self.update.message
        if message is None:
            return ""
        return message.text or message.caption or ""

    @property
    def command(self) -> CommandText:
        return split_command(self.text)

    @property
    def callback(self) -> CallbackQuery | None:
        return self.update.callback_query

    @property
    def callback_data(self) -> str:
        query = self.update.callback_query
        return query.data or "" if query is not None else ""

    @property
    def renderer(self) -> Renderer:
        return self.services.outbox.renderer(self.lang)

    def require(self, action: Action) -> Actor:
        return require(self.actor, action)

    @property
    def known(self) -> tuple[Person, Actor]:
        """The person and actor, for handlers that only run for known people."""
        if self.person is None or self.actor is None:
            raise RuntimeError("handler ran for a stranger")
        return self.person, self.actor

    # ---- answering ------------------------------------------------------------------------

    async def reply(
        self,
        body: Node,
        buttons: Keyboard | None = None,
        *,
        document: Any = None,
        as_photo: bool = False,
        ref: str | None = None,
    ) -> int:
        """Queue an answer to this chat, in this transaction; returns its outbox id."""
        row_id = await self.services.outbox.send(
            self.session,
            chat_id=self.chat_id,
            person_id=self.person.id if self.person else None,
            language=None if self.person else self.lang,
            content=Content(body, buttons, document=document, as_photo=as_photo),
            now=self.now,
            priority=Priority.REPLY,
            ref=ref,
        )
        assert row_id is not None
        return row_id

    async def edit_pressed(
        self, body: Node, buttons: Keyboard | None = None, *, ref: str | None = None
    ) -> None:
        """Queue an edit of the message whose button was pressed."""
        query = self.update.callback_query
        if query is None or query.message is None:
            raise RuntimeError("edit_pressed outside a button press")
        await self.services.outbox.edit(
            self.session,
            chat_id=self.chat_id,
            message_id=query.message.message_id,
            person_id=self.person.id if self.person else None,
            content=Content(body, buttons),
            now=self.now,
            ref=ref,
        )

    def after_commit(self, action: Callable[[], Awaitable[Any]]) -> None:
        """Run `action` once the transaction has committed (e.g. a menu change at Telegram,
        which must not happen for a change that was rolled back)."""
        self._after_commit.append(action)

    def answer(self, body: Node, *, alert: bool = False) -> None:
        """What the button press shows at once (a toast, or an alert to dismiss)."""
        self._answer = (body, alert)


TurnHandler = Callable[[Turn], Awaitable[None]]
PTBCallback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock_for(telegram_id: int) -> asyncio.Lock:
    # Updates of one person are handled one at a time, in the order they arrived.
    lock = _locks.get(telegram_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[telegram_id] = lock
    return lock


def handler(fn: TurnHandler, *, strangers: bool = False) -> PTBCallback:
    """Wrap a Turn handler for telegram.ext. With `strangers=True` it also runs for people
    who have not joined (e.g. /start with an invitation token, /help)."""

    async def callback(update: Update, context: BotContext) -> None:
        await handle(update, context, fn, strangers=strangers)
        raise ApplicationHandlerStop  # one handler per update: later groups are fallbacks

    callback.__name__ = getattr(fn, "__name__", "handler")
    return callback


async def handle(
    update: Update, context: BotContext, fn: TurnHandler, *, strangers: bool = False
) -> None:
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        if update.callback_query is not None and user is not None:
            # A press with no chat (a message sent in inline mode, which this bot never
            # sends): nothing to act on, but the client must not be left spinning.
            lang = negotiate(user.language_code, as_language(services.settings.default_language))
            stale = (Tr("That button is no longer active."), True)
            await _answer_query(update.callback_query, services, lang, stale)
        return
    if chat.type != ChatType.PRIVATE:
        await _refuse_group(update, context, services)
        return
    async with _lock_for(user.id):
        now = services.clock.now()
        lang = negotiate(user.language_code, as_language(services.settings.default_language))
        turn: Turn | None = None
        try:
            async with services.db.transaction() as session:
                found = await people.with_roles_by_telegram_id(
                    session, user.id, term_year=terms.term_year_at(now, services.clock.tz)
                )
                person, roles, turn_state = (
                    found if found is not None else (None, frozenset(), None)
                )
                if person is not None:
                    lang = as_language(person.language, lang)
                set_language(lang)
                turn = Turn(update, context, services, session, now, lang, chat.id, user.id)
                turn._held = turn_state
                if person is not None and person.active:
                    if person.blocked_bot:  # they are writing to us: they unblocked the bot
                        person.blocked_bot = False
                        session.add(person)
                    turn.person = person
                    turn.actor = await people.actor_for(
                        session, person, now, services.clock.tz, roles=roles
                    )
                elif not strangers:
                    await answer_stranger(turn)
                    return
                await fn(turn)
            for action in turn._after_commit:
                try:
                    await action()
                except Exception:
                    log.exception("after-commit action failed for update %s", update.update_id)
        except UserError as error:
            await _tell(services, update, chat.id, user.id, lang, error.message, now)
            if turn is not None:
                turn._answer = (error.message, True)
        except Exception:
            log.exception("update %s failed", update.update_id)
            await _tell(
                services,
                update,
                chat.id,
                user.id,
                lang,
                Tr("Something went wrong on our side and nothing was changed. Please try again."),
                now,
            )
            if turn is not None:
                turn._answer = (Tr("Something went wrong; nothing was changed."), True)
        finally:
            services.wake_sender()
            if update.callback_query is not None:
                await _answer_query(
                    update.callback_query,
                    services,
                    turn.lang if turn else lang,
                    turn._answer if turn else None,
                )


async def _tell(
    services: Services,
    update: Update,
    chat_id: int,
    telegram_id: int,
    lang: Language,
    message: Node,
    now: datetime,
) -> None:
    """The answer to a refused action, in a fresh transaction (the failed one is gone). A
    refused button press is answered by its alert only, not by a message too."""
    if update.callback_query is not None:
        return
    async with services.db.transaction() as session:
        person = await people.by_telegram_id(session, telegram_id)
        await services.outbox.send(
            session,
            chat_id=chat_id,
            person_id=person.id if person else None,
            language=None if person else lang,
            content=Content(message),
            now=now,
            priority=Priority.REPLY,
        )


async def _answer_query(
    query: CallbackQuery, services: Services, lang: Language, answer: tuple[Node, bool] | None
) -> None:
    """Every press is answered, or the person's client shows a spinner. This is the one call
    that does not go through the outbox: an answer is only useful within seconds, and
    Telegram refuses late ones."""
    text, alert = None, False
    if answer is not None:
        node, alert = answer
        text = services.outbox.renderer(lang).plain(node)
        if len(text) > MAX_ALERT:
            text = text[: MAX_ALERT - 1] + "…"
    try:
        await query.answer(text=text, show_alert=alert)
    except TelegramError as exc:
        log.info("could not answer callback query: %s", exc.message)


async def answer_stranger(turn: Turn) -> None:
    """SPEC 1: a stranger gets a polite bilingual answer and nothing else."""
    window = int(turn.now.timestamp() // STRANGER_WINDOW.total_seconds())
    await turn.services.outbox.send(
        turn.session,
        chat_id=turn.chat_id,
        language=BOTH,
        content=Content(
            Tr(
                "This is the private assistant of the Regional Conference on Migration. It "
                "works only for the people the Technical Secretariat has invited. If you should "
                "have access, ask the Technical Secretariat for an invitation link."
            )
        ),
        now=turn.now,
        priority=Priority.REPLY,
        dedupe_key=f"stranger:{turn.telegram_id}:{window}",
    )
    turn.answer(Tr("This bot is only for invited members."), alert=True)


async def _refuse_group(update: Update, context: BotContext, services: Services) -> None:
    """The bot works in private chats only; a command in a group gets one bilingual line."""
    message, chat = update.effective_message, update.effective_chat
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError as exc:
            log.info("could not answer callback query: %s", exc.message)
        return
    if message is None or chat is None or not (message.text or "").startswith("/"):
        return
    now = services.clock.now()
    window = int(now.timestamp() // STRANGER_WINDOW.total_seconds())
    async with services.unit_of_work() as session:
        await services.outbox.send(
            session,
            chat_id=chat.id,
            language=BOTH,
            content=Content(Tr("I work in private chats only. Please write to me directly.")),
            now=now,
            priority=Priority.REPLY,
            dedupe_key=f"group:{chat.id}:{window}",
        )
