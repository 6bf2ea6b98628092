"""The poller confirms an update to Telegram only once it has been handled."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from telegram import Update

from bot.app import BotApplication
from bot.polling import MIN_WINDOW, Poller


class FakeTelegram:
    """getUpdates as Telegram answers it: confirm below `offset`, return up to `limit` of the
    rest, as JSON."""

    def __init__(self, ids: list[int]) -> None:
        self.waiting = list(ids)
        self.offsets: list[int] = []
        self.returned = 0
        self.malformed: set[int] = set()

    async def fetch(self, offset: int, wait: int, limit: int) -> list[Any]:
        self.offsets.append(offset)
        self.waiting = [i for i in self.waiting if i >= offset]
        answer = self.waiting[:limit]
        self.returned += len(answer)
        return [
            {"update_id": i, "message": "not a message"} if i in self.malformed
            else {"update_id": i}
            for i in answer
        ]  # fmt: skip


class FakeApp:
    def __init__(self, concurrency: int = 1) -> None:
        self.bot = None
        self.in_hand: set[int] = set()
        self.update_queue: asyncio.Queue[Update] = asyncio.Queue()
        self.update_processor = SimpleNamespace(max_concurrent_updates=concurrency)
        self.update_finished = asyncio.Event()

    def handled(self, update_id: int) -> None:
        self.in_hand.discard(update_id)

    def queued(self) -> list[int]:
        return [self.update_queue.get_nowait().update_id for _ in range(self.update_queue.qsize())]


def _poller(app: FakeApp, telegram: FakeTelegram) -> Poller:
    return Poller(cast(BotApplication, app), fetch=telegram.fetch)


async def test_the_offset_never_passes_an_update_in_hand() -> None:
    telegram = FakeTelegram([1, 2, 3])
    app = FakeApp()
    poller = _poller(app, telegram)
    assert await poller.poll_once() == 3
    assert app.in_hand == {1, 2, 3}
    app.handled(1)
    app.handled(3)
    # 2 is still being handled: Telegram keeps it (and 3), nothing is queued twice.
    telegram.waiting.append(4)
    assert await poller.poll_once() == 1
    assert telegram.offsets[-1] == 2
    assert app.queued() == [1, 2, 3, 4]
    assert telegram.waiting == [2, 3, 4]
    # A crash now: a new process would get 2, 3 and 4 again. Handled: all confirmed.
    app.handled(2)
    app.handled(4)
    await poller.confirm()
    assert telegram.offsets[-1] == 5 and telegram.waiting == []


async def test_nothing_is_confirmed_at_a_stop_while_an_update_is_in_hand() -> None:
    telegram = FakeTelegram([7])
    app = FakeApp()
    poller = _poller(app, telegram)
    await poller.poll_once()
    await poller.confirm()
    assert telegram.waiting == [7]


async def test_a_poll_takes_a_window_and_more_as_the_oldest_are_handled() -> None:
    telegram = FakeTelegram(list(range(1, 301)))  # a burst: 300 people at once
    app = FakeApp(concurrency=2)
    poller = _poller(app, telegram)
    assert poller.window == MIN_WINDOW
    assert await poller.poll_once() == MIN_WINDOW
    # Nothing handled yet: the same window comes back, and nothing is queued twice.
    assert await poller.poll_once() == 0
    assert telegram.returned == 2 * MIN_WINDOW
    app.handled(2)  # not the oldest: the window cannot move
    assert await poller.poll_once() == 0
    app.handled(1)
    assert await poller.poll_once() == 2  # 17 and 18 (2 is done, so the window starts at 3)
    assert app.queued() == list(range(1, MIN_WINDOW + 3))


async def test_an_update_that_cannot_be_read_is_skipped_and_confirmed() -> None:
    telegram = FakeTelegram([1, 2, 3])
    telegram.malformed = {2}
    app = FakeApp()
    poller = _poller(app, telegram)
    assert await poller.poll_once() == 2
    assert app.queued() == [1, 3]
    app.handled(1)
    app.handled(3)
    await poller.confirm()
    assert telegram.offsets[-1] == 4 and telegram.waiting == []


async def test_an_update_finished_while_the_poll_is_out_is_not_missed() -> None:
    # The poller waits for `update_finished` when a poll brings nothing new; an update that
    # finished during the poll must leave it set, or the poller would sleep with nothing left
    # to wake it while new updates wait at Telegram.
    telegram = FakeTelegram([1])
    app = FakeApp()
    poller = _poller(app, telegram)
    await poller.poll_once()
    app.update_finished.set()  # long before the next poll: not news to it
    fetch = telegram.fetch

    async def finishing(offset: int, wait: int, limit: int) -> list[Any]:
        app.handled(1)
        app.update_finished.set()
        return await fetch(offset, wait, limit)

    poller._fetch = finishing
    assert await poller.poll_once() == 0
    assert app.update_finished.is_set()
    telegram.waiting.append(2)
    poller._fetch = fetch
    assert await poller.poll_once() == 1
    assert not app.update_finished.is_set()
