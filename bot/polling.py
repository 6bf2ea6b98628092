"""Long polling that acknowledges an update only once it has been handled.

getUpdates confirms every update below the `offset` it is called with. PTB's own updater
confirms what it fetched with the very next poll, before the handlers have run, so an update
in hand when the process dies (a press, a ballot) is lost. Here the offset never passes an
update still being handled: after a crash Telegram sends it again, and the handlers, which
are safe to run twice (a ballot pressed again records nothing new), finish the work.

`run(app, ...)` is what `python -m bot run` uses without a webhook: start, poll, and on
SIGTERM or SIGINT stop taking updates, finish those in hand, stop the sender and scheduler
(`post_stop`), and confirm what was handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.clock import as_seconds
from bot.startup import MAX_PAUSE, retry_until_done, unless_stopped

if TYPE_CHECKING:
    from bot.app import BotApplication

log = logging.getLogger(__name__)

WAIT_FOR_HANDLERS = 1.0  # seconds: a poll that brought nothing new waits for a handler


class Poller:
    def __init__(
        self,
        app: BotApplication,
        *,
        allowed_updates: Sequence[str] | None = None,
        timeout: int = 10,
    ) -> None:
        self.app = app
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.timeout = timeout
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
                    await self._wait(self.app.wait_update_done(), WAIT_FOR_HANDLERS)
                continue
            if pause:
                await self._wait(self.stopping.wait(), pause)

    async def poll_once(self) -> int:
        """One getUpdates; queues the updates not seen before; returns how many."""
        offset = self.offset
        # While updates are in hand, Telegram answers at once with them: no long poll.
        wait = 0 if self.app.in_hand else self.timeout
        request = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=offset, timeout=wait, allowed_updates=self.allowed_updates
            )
        )
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
        updates = request.result()
        fresh = [u for u in updates if u.update_id not in self._seen]
        for update in fresh:
            self._seen.add(update.update_id)
            self.app.in_hand.add(update.update_id)
            await self.app.update_queue.put(update)
        if updates:
            self.next_offset = max(self.next_offset, updates[-1].update_id + 1)
        self._seen = {i for i in self._seen if i >= offset}
        return len(fresh)

    async def confirm(self) -> None:
        """Tell Telegram that everything handled is done (at a graceful stop)."""
        if self.app.in_hand or not self.next_offset:
            return
        try:
            await self.app.bot.get_updates(offset=self.next_offset, timeout=0, limit=1)
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
