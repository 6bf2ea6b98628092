"""Webhook mode: our own small HTTP server that answers Telegram only once an update is handled.

PTB's webhook server answers 200 as soon as the update is queued, before the handlers ran, so
an update in hand when the process dies is lost: Telegram never sends it again. Here the
answer waits for the handling; if the process dies first, Telegram gets no answer and delivers
the update again to the next process (handlers are safe to run twice, as with polling).

A request is refused, and nothing is read or changed, unless it carries the secret token
(403); a body that is not an update is refused (400); while stopping, new requests get 503
(Telegram retries them later, at the next process).

A handler that fails is still answered 200: handlers answer their own errors and the error
handler logs what escaped them. A 5xx would make Telegram redeliver an update that fails the
same way every time, blocking that bot's webhook for hours (docs/decisions.md).

`run(app, ...)` is what `python -m bot run` uses with WEBHOOK_URL: start, listen, register the
webhook, and on SIGTERM or SIGINT close the listener, finish the requests in hand (their
updates handled and answered), stop the sender and scheduler (`post_stop`), exit.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from bot.startup import retry_until_done, unless_stopped

if TYPE_CHECKING:
    from bot.app import BotApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY = 1024 * 1024  # bytes: an update is a few kilobytes
# Seconds to flush the answers of finished requests once the updates in hand are handled.
FLUSH_TIMEOUT = 10.0


def path_of(url: str) -> str:
    """The path Telegram posts to: that of WEBHOOK_URL ("/" when it has none)."""
    return urlparse(url).path or "/"


class WebhookServer:
    """Receives updates for `app` at `path`; `stop()` ends it gracefully."""

    def __init__(self, app: BotApplication, *, secret: str, path: str) -> None:
        self.app = app
        self._secret = secret.encode()
        self.path = path
        self.stopping = False
        # Updates being handled, by id: a redelivery of one in hand waits for the same handling.
        self._handling: dict[int, asyncio.Task[None]] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def web_app(self) -> web.Application:
        web_app = web.Application(client_max_size=MAX_BODY)
        web_app.router.add_post(self.path, self._receive)
        return web_app

    async def start(self, host: str, port: int) -> None:
        # No access log: it would hold chat ids and addresses (docs/decisions.md, logging).
        self._runner = web.AppRunner(
            self.web_app(), access_log=None, shutdown_timeout=FLUSH_TIMEOUT
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    @property
    def in_hand(self) -> int:
        return len(self._handling)

    async def stop(self) -> None:
        """Close the listener, refuse what comes on open connections, finish what is in hand."""
        self.stopping = True
        runner = self._runner
        if runner is None:
            return
        for site in list(runner.sites):
            await site.stop()  # new connections are refused from here on
        while self._handling:
            await asyncio.wait(list(self._handling.values()))
        await runner.cleanup()  # sends the answers of finished requests, closes connections
        self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        if self.stopping:
            # Telegram retries a failed delivery: the next process takes it.
            return web.Response(status=503, headers={"Connection": "close"})
        update = await self._update(request)
        if update is None:
            return web.Response(status=400)
        await asyncio.shield(self._handled(update))
        return web.Response(status=200)

    async def _update(self, request: web.Request) -> Update | None:
        try:
            data: Any = json.loads(await request.read())
        except ValueError:  # not JSON, or not UTF-8 (a body over MAX_BODY is answered 413)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        try:
            return Update.de_json(data, self.app.bot)
        except Exception:  # any shape PTB cannot read: refused, not handled
            return None

    def _handled(self, update: Update) -> asyncio.Task[None]:
        """The handling of `update`, started once however often it is delivered meanwhile.
        A task of its own: a client that hangs up does not cancel the handling."""
        task = self._handling.get(update.update_id)
        if task is None:
            task = asyncio.create_task(self._handle(update), name=f"update-{update.update_id}")
            self._handling[update.update_id] = task
        return task

    async def _handle(self, update: Update) -> None:
        app = self.app
        app.in_hand.add(update.update_id)
        try:
            # Through the application's update processor: the same concurrency bound as
            # polling (UPDATE_CONCURRENCY); process_update sends errors to the error handler.
            await app.update_processor.process_update(update, app.process_update(update))
        except Exception:
            log.exception("update %s failed outside the handlers", update.update_id)
        finally:
            app.in_hand.discard(update.update_id)
            del self._handling[update.update_id]


async def serve(
    app: BotApplication,
    *,
    url: str,
    secret: str,
    listen: str,
    port: int,
    allowed_updates: Sequence[str],
) -> None:
    """Take updates at the webhook until SIGTERM or SIGINT; then finish what is in hand
    (`python -m bot run` with WEBHOOK_URL)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    async def register() -> None:
        # drop_pending_updates=False: what Telegram holds for us (sent while we were down,
        # or unanswered at a crash) is delivered now.
        await app.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(allowed_updates),
            drop_pending_updates=False,
        )

    starting: Callable[[], Awaitable[object]] = app.initialize
    if not await unless_stopped(retry_until_done(starting, "connecting to Telegram"), stopping):
        return
    server = WebhookServer(app, secret=secret, path=path_of(url))
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            # Listening before registering: Telegram's first delivery finds us.
            await server.start(listen, port)
            if await unless_stopped(
                retry_until_done(register, "registering the webhook"), stopping
            ):
                log.info("taking updates at the webhook on %s:%s", listen, server.port)
                await stopping.wait()
        finally:
            log.info("stopping: finishing %d update(s) in hand", server.in_hand)
            await server.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
