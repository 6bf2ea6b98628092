"""Long polling that acknowledges an update only once it has been handled.

getUpdates confirms every update below the `offset` it is called with. PTB's own updater
confirms what it fetched with the very next poll, before the handlers have run, so an update
in hand when the process dies (a press, a ballot) is lost. Here the offset never passes an
update still being handled: after a crash Telegram sends it again, and the handlers, which
are safe to run twice (a ballot pressed again records nothing new), finish the work.

The price: while updates are in hand, every getUpdates answers at once and brings them back
again with whatever is new. So a poll asks for a bounded window of updates, and only the new
ones are read into PTB's objects (reading all of them on every poll cost the bot more than
handling them: bench/load.py --delivery polling).

`run(app, ...)` is what `python -m bot run` uses without a webhook: start, poll, and on
SIGTERM or SIGINT stop taking updates, finish those in hand, stop the sender and scheduler
(`post_stop`), and confirm what was handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.clock import as_seconds
from bot.startup import MAX_PAUSE, retry_until_done, unless_stopped

if TYPE_CHECKING:
    from bot.app import BotApplication

log = logging.getLogger(__name__)

# Seconds: a poll that brought nothing new waits for a handler to finish, or this long (a
# slow update in hand must not hold back the next person's for long).
WAIT_FOR_HANDLERS = 0.1
# Updates per poll, per concurrent handler: enough to keep the handlers busy past a slow one
# at the front, few enough that repeating them on each poll costs little (Telegram: 1-100).
WINDOW_PER_HANDLER = 4
MIN_WINDOW, MAX_WINDOW = 16, 100

# getUpdates as Telegram answers it, unread: (offset, wait in seconds, limit) -> updates.
Fetch = Callable[[int, int, int], Awaitable[list[Any]]]


class Poller:
    def __init__(
        self,
        app: BotApplication,
        *,
        allowed_updates: Sequence[str] | None = None,
        timeout: int = 10,
        fetch: Fetch | None = None,
    ) -> None:
        self.app = app
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.timeout = timeout
        handlers = app.update_processor.max_concurrent_updates
        self.window = min(MAX_WINDOW, max(MIN_WINDOW, WINDOW_PER_HANDLER * handlers))
        self._fetch = fetch or self._get_updates
        self.next_offset = 0  # one past the newest update fetched
        self._seen: set[int] = set()
        self.stopping = asyncio.Event()

    @property
    def offset(self) -> int:
        """What may be confirmed: everything below the oldest update still in hand."""
        in_hand = self.app.in_hand
        return min(in_hand) if in_hand else self.next_offset

    async def run(self) -> None:
        pause = 0.0
        while not self.stopping.is_set():
            try:
                fresh = await self.poll_once()
                pause = 0.0
            except InvalidToken:
                raise
            except RetryAfter as exc:
                pause = as_seconds(exc.retry_after)
                log.warning("polling: Telegram asks to wait %.0f s", pause)
            except TimedOut:
                pause = 0.0
            except TelegramError as exc:
                pause = min(MAX_PAUSE, max(1.0, pause * 2))
                log.warning("polling failed (%s); again in %.0f s", exc.message, pause)
            else:
                if not fresh and self.app.in_hand:
                    # Only updates still in hand came back: wait for one of them to finish.
                    await self._wait(self.app.update_finished.wait(), WAIT_FOR_HANDLERS)
                continue
            if pause:
                await self._wait(self.stopping.wait(), pause)

    async def poll_once(self) -> int:
        """One getUpdates; queues the updates not seen before; returns how many."""
        self.app.update_finished.clear()  # from here on, a finished update is noticed
        offset = self.offset
        # While updates are in hand, Telegram answers at once with them: no long poll.
        wait = 0 if self.app.in_hand else self.timeout
        request = asyncio.ensure_future(self._fetch(offset, wait, self.window))
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not request.done():
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await request
            return 0
        fresh = 0
        for data in request.result():
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int):
                continue
            self.next_offset = max(self.next_offset, update_id + 1)
            if update_id in self._seen:
                continue  # in hand, or handled behind one that is
            self._seen.add(update_id)
            try:
                update = Update.de_json(data, self.app.bot)
            except Exception:
                # It can never be handled; confirmed with the rest rather than fetched forever.
                log.error("update %s could not be read; skipped", update_id)
                continue
            self.app.in_hand.add(update_id)
            await self.app.update_queue.put(update)
            fresh += 1
        self._seen = {i for i in self._seen if i >= offset}
        return fresh

    async def _get_updates(self, offset: int, wait: int, limit: int) -> list[Any]:
        """getUpdates through the bot's polling connection, its answer left as JSON."""
        request = self.app.polling_request
        assert request is not None
        params: dict[str, Any] = {"offset": offset, "timeout": wait, "limit": limit}
        if self.allowed_updates is not None:
            params["allowed_updates"] = json.dumps(self.allowed_updates)
        # The parameters in the query string, which the Bot API reads as it reads a form.
        result = await request.post(
            f"{self.app.bot.base_url}/getUpdates?{urlencode(params)}",
            # A long poll's own wait comes on top of the usual margin, as PTB does it.
            read_timeout=(request.read_timeout or 0) + wait,
        )
        return result if isinstance(result, list) else []

    async def confirm(self) -> None:
        """Tell Telegram that everything handled is done (at a graceful stop)."""
        if self.app.in_hand or not self.next_offset:
            return
        try:
            await self._fetch(self.next_offset, 0, 1)
        except TelegramError as exc:
            log.warning("could not confirm the last updates (%s); they may come again", exc)

    async def _wait(self, waiting: Awaitable[object], seconds: float) -> None:
        waiter = asyncio.ensure_future(waiting)
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({waiter, stop}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            stop.cancel()


async def serve(app: BotApplication, allowed_updates: Sequence[str]) -> None:
    """Poll and handle until SIGTERM or SIGINT; then finish what is in hand (`python -m bot
    run` without WEBHOOK_URL)."""
    poller = Poller(app, allowed_updates=allowed_updates)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, poller.stopping.set)
    if not await unless_stopped(
        retry_until_done(app.initialize, "connecting to Telegram"), poller.stopping
    ):
        return
    try:
        # Polling and a webhook exclude each other; drop a webhook left by an earlier run.
        if not await unless_stopped(
            retry_until_done(app.bot.delete_webhook, "removing the webhook"), poller.stopping
        ):
            return
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        log.info("polling for updates")
        try:
            await poller.run()
        finally:
            log.info("stopping: finishing %d update(s) in hand", len(app.in_hand))
            await app.stop()  # handles what is queued and waits for the handlers
            if app.post_stop is not None:
                await app.post_stop(app)
            await poller.confirm()
    finally:
        await app.shutdown()
