"""The poller confirms an update to Telegram only once it has been handled."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from telegram import Update

from bot.app import BotApplication
from bot.polling import Poller


class FakeBot:
    """getUpdates as Telegram answers it: confirm below `offset`, return the rest."""

    def __init__(self, ids: list[int]) -> None:
        self.waiting = list(ids)
        self.offsets: list[int] = []

    async def get_updates(self, *, offset: int, **_: Any) -> list[Update]:
        self.offsets.append(offset)
        self.waiting = [i for i in self.waiting if i >= offset]
        return [Update(update_id=i) for i in self.waiting]


class FakeApp:
    def __init__(self, bot: FakeBot) -> None:
        self.bot = bot
        self.in_hand: set[int] = set()
        self.update_queue: asyncio.Queue[Update] = asyncio.Queue()

    def handled(self, update_id: int) -> None:
        self.in_hand.discard(update_id)


async def test_the_offset_never_passes_an_update_in_hand() -> None:
    bot = FakeBot([1, 2, 3])
    app = FakeApp(bot)
    poller = Poller(cast(BotApplication, app))
    assert await poller.poll_once() == 3
    assert app.in_hand == {1, 2, 3}
    app.handled(1)
    app.handled(3)
    # 2 is still being handled: Telegram keeps it (and 3), nothing is queued twice.
    bot.waiting.append(4)
    assert await poller.poll_once() == 1
    assert bot.offsets[-1] == 2
    assert [app.update_queue.get_nowait().update_id for _ in range(4)] == [1, 2, 3, 4]
    assert bot.waiting == [2, 3, 4]
    # A crash now: a new process would get 2, 3 and 4 again. Handled: all confirmed.
    app.handled(2)
    app.handled(4)
    await poller.confirm()
    assert bot.offsets[-1] == 5 and bot.waiting == []


async def test_nothing_is_confirmed_at_a_stop_while_an_update_is_in_hand() -> None:
    bot = FakeBot([7])
    app = FakeApp(bot)
    poller = Poller(cast(BotApplication, app))
    await poller.poll_once()
    await poller.confirm()
    assert bot.waiting == [7]
