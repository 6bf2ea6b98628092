"""Two replicas of the bot on one database and one Telegram: both answer updates, only the
leader drains the outbox and runs the scheduler; when it stops, the other takes over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlmodel import col, select
from telegram import Update

from bot.app import BotApplication, build_application, services_of, start_runtime, stop_runtime
from bot.models.outbox import OutboxMessage, OutboxStatus
from tests.harness import Harness

RETRY = 0.05  # LEADER_RETRY_SECONDS: short, so that takeovers happen at once
BOUND = 15.0  # real seconds: only a bug makes a test wait this long

pytestmark = pytest.mark.settings(LEADER_RETRY_SECONDS=RETRY)


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Poll (bounded): the replicas work in their own tasks."""
    async with asyncio.timeout(BOUND):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but their state
            await asyncio.sleep(0.01)
    assert condition(), what


@pytest.fixture
def first(harness: Harness) -> Harness:
    """The first replica: the test harness (it leads, having started first)."""
    return harness


@pytest.fixture
async def second(first: Harness) -> AsyncIterator[BotApplication]:
    """Another replica on the same settings, taking the updates from now on (Telegram gives
    each update to one receiver; behind a webhook, the proxy picks the replica)."""
    assert first.app is not None and first.app.updater is not None and first.settings
    await first.app.updater.stop()
    app = build_application(first.settings, install_runtime=False)
    await app.initialize()
    await start_runtime(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5, allowed_updates=Update.ALL_TYPES)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await stop_runtime(app)
        await app.shutdown()
        await services_of(app).db.dispose()


async def test_follower_answers_and_the_leader_delivers_once(
    first: Harness, second: BotApplication
) -> None:
    ana, _ = await first.person("ana", "focal_point", "MX")
    follower = services_of(second)
    assert first.services.leader is not None and follower.leader is not None
    assert first.services.leader.is_leader and not follower.leader.is_leader
    assert first.sender.running and first.services.scheduler is not None
    assert follower.sender is not None and not follower.sender.running
    assert follower.scheduler is None

    await ana.send("/help")
    await eventually(lambda: len(ana.bot_messages()) == 1, "the answer arrives")
    # (the sender counts a message once Telegram's answer is written down)
    await eventually(lambda: first.sender.stats["sent"] == 1, "the leader sent it")
    assert second.updates_done == 1 and first.app is not None and first.app.updates_done == 0
    assert follower.sender.stats["sent"] == 0 and first.sender.stats["sent"] == 1
    # Nothing more goes: the row was sent once and is settled.
    first.sender.wake()
    await eventually(lambda: not first.sender.busy and not first.sender.wake_pending, "idle")
    assert len(ana.bot_messages()) == 1
    async with first.session() as session:
        rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == ana.id))
        ).all()
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.SENT, 1)]


async def test_follower_takes_over_when_the_leader_stops(
    first: Harness, second: BotApplication
) -> None:
    ana, _ = await first.person("ana", "focal_point", "MX", lang="es")
    follower = services_of(second)
    assert follower.leader is not None and not follower.leader.is_leader
    assert first.app is not None
    await first.app.stop()
    await stop_runtime(first.app)  # the leader goes: its sender and scheduler stop first
    assert not first.sender.running and first.services.scheduler is None

    await eventually(lambda: follower.leader is not None and follower.leader.is_leader, "lead")
    assert follower.sender is not None and follower.sender.running
    assert follower.scheduler is not None

    await ana.send("/help")
    await eventually(lambda: len(ana.bot_messages()) == 1, "the new leader delivers")
    assert "En qué puedo ayudarle" in ana.bot_messages()[0].text
    await eventually(lambda: follower.sender.stats["sent"] == 1, "the new leader sent it")
    async with first.session() as session:
        waiting = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.status) != OutboxStatus.SENT)
            )
        ).all()
    assert waiting == []
