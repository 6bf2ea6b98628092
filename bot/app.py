"""The composition root: `build_application(settings)` wires everything (STYLE 1).

Importing this module does nothing; building the application creates the services, adds
every feature's handlers, and installs the runtime (sender, scheduler) that starts with it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot import commands, people, states
from bot.config import Settings
from bot.dialogs import Dialog
from bot.features import Feature, discover
from bot.health import Heartbeat
from bot.i18n import as_language
from bot.ids import Subjects
from bot.leader import Leader, lock_for
from bot.models.people import Person
from bot.sender import Sender
from bot.services import Services
from bot.telegram_request import AiohttpRequest
from bot.updates import BotContext, BotData

log = logging.getLogger(__name__)

LATE_GROUP = 10
MIN_CONNECT_TIMEOUT = 5.0  # seconds


class ConfigError(Exception):
    """A setting the command cannot run without; printed as one line."""


class BotApplication(Application):  # type: ignore[type-arg]
    """Counts finished updates, so tests and benchmarks can wait until the bot is idle."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.updates_done = 0
        # Set whenever an update is done. The poller clears it before each poll, so an update
        # that finishes while the poll is out still wakes it (a condition would miss it).
        self.update_finished = asyncio.Event()
        # Ids of updates taken from Telegram and not handled yet (bot.polling confirms only
        # what is below the oldest of them).
        self.in_hand: set[int] = set()
        # The connection getUpdates goes through (bot.polling reads its answers itself).
        self.polling_request: BaseRequest | None = None

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                self.in_hand.discard(update.update_id)
            self.updates_done += 1
            self.update_finished.set()


def freeze_startup_heap() -> None:
    """Leave what exists once the application is built (modules, catalogs, the application)
    out of the garbage collector's full passes, which otherwise walk all of it: 70 to 85 ms
    each on this bot's heap, every few seconds under load, a stall for every update in hand
    (bench/load.py). What is made afterwards is collected as before. For processes that
    serve (`python -m bot run`, the benchmark), not for tests, which build many applications."""
    gc.collect()
    gc.freeze()


def services_of(app: Application) -> Services:  # type: ignore[type-arg]
    services = app.bot_data.services
    assert isinstance(services, Services)
    return services


def build_application(
    settings: Settings,
    *,
    services: Services | None = None,
    features: Sequence[Feature] | None = None,
    install_runtime: bool = True,
) -> BotApplication:
    if settings.bot_token is None:
        raise ConfigError(
            "BOT_TOKEN is not set: get one from @BotFather, or try `python -m bot sandbox`"
        )
    # Opt in to PTB 22's timedelta durations (RetryAfter.retry_after); without it every 429
    # also raises a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    services = services or Services.create(settings)
    features = list(features if features is not None else discover())
    polling_request = _request(settings, 1, least=MIN_CONNECT_TIMEOUT)
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_file_url)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(settings.update_concurrency)
        .request(_request(settings, max(16, settings.update_concurrency * 2)))
        # getUpdates: one long poll at a time; PTB adds the poll's own timeout to the read
        # timeout, which keeps at least its old 5 s of margin under a test's short one.
        .get_updates_request(polling_request)
        # No AIORateLimiter: every message goes through the outbox sender, which paces itself
        # (bot.sender.Pacer) and reschedules on 429 instead of sleeping inside the request.
    )
    if install_runtime:
        builder = builder.post_init(start_runtime).post_stop(stop_runtime)
    app: BotApplication = builder.build()  # type: ignore[assignment]
    app.polling_request = polling_request
    app.bot_data.services = services
    services.features = features
    services.subjects = Subjects([s for f in features for s in f.subjects])
    services.dialogs = _dialogs(features)
    services.deadline_kinds = {k.kind: k for f in features for k in f.deadline_kinds}
    services.vote_listeners = [listener for f in features for listener in f.vote_listeners]
    services.sender = Sender(
        services.db,
        app.bot,
        services.clock,
        services.outbox,
        services.documents,
        rate=settings.send_rate_per_second,
        chat_interval=settings.send_chat_interval_seconds,
    )
    for feature in features:
        for item in feature.handlers:
            app.add_handler(item)
        for item in feature.late_handlers:
            app.add_handler(item, group=LATE_GROUP)
    app.add_error_handler(_log_error)
    return app


def _request(settings: Settings, pool_size: int, *, least: float = 0.0) -> AiohttpRequest:
    return AiohttpRequest(
        connection_pool_size=pool_size,
        read_timeout=max(settings.telegram_timeout, least),
        write_timeout=max(settings.telegram_timeout, least),
        # Connecting and waiting for a pooled connection are bounded more loosely: a busy
        # machine (or a test's short TELEGRAM_TIMEOUT) must not turn a slow accept into a
        # failed start. An unanswered request is still cut at TELEGRAM_TIMEOUT.
        connect_timeout=max(settings.telegram_timeout, MIN_CONNECT_TIMEOUT),
        pool_timeout=max(settings.telegram_timeout, MIN_CONNECT_TIMEOUT),
    )


def _dialogs(features: Sequence[Feature]) -> dict[str, Dialog]:
    found: dict[str, Dialog] = {}
    for feature in features:
        for dialog in feature.dialogs:
            if dialog.name in found:
                raise ValueError(f"two dialogs are named {dialog.name}")
            found[dialog.name] = dialog
    return found


async def _log_error(update: object, context: BotContext) -> None:
    # Handlers answer their own errors (bot.updates); what reaches here escaped them.
    log.error(
        "unhandled error for update %s",
        update.update_id if isinstance(update, Update) else "?",
        exc_info=context.error,
    )


async def start_runtime(app: Application) -> None:  # type: ignore[type-arg]
    """What runs alongside the handlers: states loaded, the menus, the heartbeat; and, on the
    one replica that leads (bot.leader), the sender and the schedule."""
    services = services_of(app)
    services.bot_username = app.bot.username
    async with services.unit_of_work() as session:
        await states.ensure_states(session, services.settings.states_file)
    assert services.sender is not None
    services.heartbeat = Heartbeat(services.settings.heartbeat_file)
    services.heartbeat.start()
    await commands.publish_defaults(app.bot, services.features)
    await refresh_admin_menus(app)
    services.leader = Leader(
        lock_for(services.settings.database_url, on_wake=services.sender.wake),
        retry_seconds=services.settings.leader_retry_seconds,
        on_elected=lambda: _lead(app),
        on_lost=lambda: _follow(app),
    )
    await services.leader.start()


async def _lead(app: Application) -> None:  # type: ignore[type-arg]
    services = services_of(app)
    from schedules import start_schedules

    assert services.sender is not None
    await services.sender.start()
    await start_schedules(app, services)


async def _follow(app: Application) -> None:  # type: ignore[type-arg]
    services = services_of(app)
    from schedules import stop_schedules

    await stop_schedules(app, services)
    if services.sender is not None:
        await services.sender.stop()


async def stop_runtime(app: Application) -> None:  # type: ignore[type-arg]
    services = services_of(app)
    if services.leader is not None:
        await services.leader.stop()  # the leader's sender and schedule stop first
        services.leader = None
    if services.heartbeat is not None:
        await services.heartbeat.stop()


async def refresh_admin_menus(app: Application) -> None:  # type: ignore[type-arg]
    services = services_of(app)
    async with services.db.transaction() as session:
        persons = (
            await session.exec(
                select(Person).where(col(Person.telegram_id).is_not(None), col(Person.active))
            )
        ).all()
        targets = []
        for person in persons:
            actor = await people.actor_for(session, person, services.clock.now(), services.clock.tz)
            if commands.is_admin(actor) and person.telegram_id is not None:
                targets.append((person.telegram_id, as_language(person.language), actor))
    for chat_id, lang, actor in targets:
        await commands.publish_for(app.bot, services.features, chat_id, lang, actor)
