"""Start-up calls to Telegram, shared by polling and webhook mode: retried while Telegram
fails (a bad token is not retried), and given up at once when a stop is asked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram.error import InvalidToken, TelegramError

from bot import tasks

log = logging.getLogger(__name__)

MAX_PAUSE = 30.0  # seconds between attempts while Telegram keeps failing


async def retry_until_done(action: Callable[[], Awaitable[object]], what: str) -> None:
    pause = 1.0
    while True:
        try:
            await action()
            return
        except InvalidToken:
            raise
        except TelegramError as exc:
            log.warning("%s failed (%s); again in %.0f s", what, exc.message, pause)
        await asyncio.sleep(pause)
        pause = min(MAX_PAUSE, pause * 2)


async def unless_stopped(action: Awaitable[object], stopping: asyncio.Event) -> bool:
    """Run `action` until it ends or a stop is asked; True if it ended."""
    task = asyncio.ensure_future(action)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if task.done():
        task.result()
        return True
    await tasks.cancel(task)
    return False
