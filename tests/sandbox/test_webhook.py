"""Webhooks: delivery with the secret header, retries, getWebhookInfo, 409 on polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox import BotApiServer
from tests.sandbox.conftest import RawApi


@dataclass
class Receiver:
    """A tiny webhook endpoint on loopback that records what it gets."""

    url: str = ""
    fail_first: int = 0
    received: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    calls: int = 0
    gate: asyncio.Event | None = None  # when set up, requests wait for it before the answer
    entered: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.calls <= self.fail_first:
            return web.Response(status=500)
        if self.gate is not None:
            self.entered.append((await request.json())["update_id"])
            await self.gate.wait()
        self.received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        self.arrived.set()
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()


async def test_updates_are_posted_with_the_secret_header(
    sandbox: BotApiServer, api: RawApi, receiver: Receiver
) -> None:
    answer = await api("setWebhook", url=receiver.url, secret_token="s3cret_-X")
    assert answer.result is True
    await sandbox.user("ana").send("/start")
    await asyncio.wait_for(receiver.arrived.wait(), 5)
    update, secret = receiver.received[0]
    assert secret == "s3cret_-X"
    assert update["message"]["text"] == "/start"
    info = (await api("getWebhookInfo")).result
    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0
    assert "last_error_date" not in info


async def test_get_updates_conflicts_while_a_webhook_is_set(
    api: RawApi, receiver: Receiver
) -> None:
    await api("setWebhook", url=receiver.url)
    answer = await api("getUpdates")
    assert answer.status == 409
    assert answer.description.startswith("Conflict: can't use getUpdates method while webhook")
    await api("deleteWebhook")
    assert (await api("getUpdates")).result == []


async def test_set_webhook_ends_a_running_poll(api: RawApi, receiver: Receiver) -> None:
    poll = asyncio.create_task(api("getUpdates", timeout=30))
    await asyncio.sleep(0.05)
    await api("setWebhook", url=receiver.url)
    answer = await asyncio.wait_for(poll, 5)
    assert (answer.status, answer.description) == (
        409,
        "Conflict: terminated by setWebhook request",
    )


async def test_failed_delivery_is_recorded_and_retried(
    sandbox: BotApiServer, api: RawApi, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    await api("setWebhook", url=receiver.url)
    await sandbox.user("ana").send("hi")
    await asyncio.wait_for(receiver.arrived.wait(), 5)
    assert receiver.calls == 3
    assert [u["message"]["text"] for u, _ in receiver.received] == ["hi"]
    info = (await api("getWebhookInfo")).result
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(info["last_error_date"], int)


async def test_unreachable_webhook_keeps_updates_pending(
    sandbox: BotApiServer, api: RawApi
) -> None:
    await api("setWebhook", url="http://127.0.0.1:9/nothing-listens-here")
    await sandbox.user("ana").send("hi")
    bot = sandbox.default_bot
    for _ in range(200):
        if bot.webhook is not None and bot.webhook.last_error_message:
            break
        await bot.wait_changed(0.05)
    info = (await api("getWebhookInfo")).result
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"


async def test_delete_webhook_can_drop_pending_updates(sandbox: BotApiServer, api: RawApi) -> None:
    await sandbox.user("ana").send("old")
    await api("deleteWebhook", drop_pending_updates=True)
    assert (await api("getUpdates")).result == []


@pytest.mark.parametrize(
    ("secret", "description"),
    [
        ("x" * 257, "Bad Request: secret token is too long"),
        ("bad token!", "Bad Request: secret token contains unallowed characters"),
    ],
)
async def test_secret_token_is_validated(
    api: RawApi, receiver: Receiver, secret: str, description: str
) -> None:
    answer = await api("setWebhook", url=receiver.url, secret_token=secret)
    assert (answer.status, answer.description) == (400, description)


async def test_webhook_must_be_a_loopback_url(api: RawApi) -> None:
    answer = await api("setWebhook", url="https://example.org/hook")
    assert answer.status == 400
    assert "loopback" in answer.description
    bad = await api("setWebhook", url="ftp://127.0.0.1/x")
    assert bad.description == "Bad Request: invalid webhook URL specified"


async def test_updates_go_out_up_to_max_connections_and_leave_only_when_answered(
    sandbox: BotApiServer, api: RawApi, receiver: Receiver
) -> None:
    """As Telegram: several deliveries at once, each kept pending until the bot answers."""
    receiver.gate = release = asyncio.Event()
    held = receiver.entered
    await api("setWebhook", url=receiver.url, max_connections=3)
    ana = sandbox.user("ana")
    for i in range(5):
        await ana.send(f"m{i}")
    bot = sandbox.default_bot
    for _ in range(200):
        if len(held) == 3:
            break
        await bot.wait_changed(0.05)
    await asyncio.sleep(0.1)  # room for a fourth delivery, which must not start
    assert sorted(held) == [1, 2, 3]
    assert (await api("getWebhookInfo")).result["pending_update_count"] == 5
    release.set()
    for _ in range(200):
        if not bot.pending:
            break
        await bot.wait_changed(0.05)
    assert sorted(held) == [1, 2, 3, 4, 5]
    assert bot.webhook is not None and bot.webhook.delivered == 5


async def test_an_update_whose_receiver_died_is_delivered_again_when_one_listens(
    sandbox: BotApiServer, api: RawApi
) -> None:
    """A bot killed while an update was in hand gets it again once it listens again."""
    taken = asyncio.Event()

    async def dies(request: web.Request) -> web.Response:
        taken.set()
        request.transport.close()  # type: ignore[union-attr]  # the process is gone
        return web.Response(text="never sent")

    first = web.Application()
    first.router.add_post("/hook", dies)
    runner = web.AppRunner(first, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await api("setWebhook", url=f"http://127.0.0.1:{port}/hook")
    await sandbox.user("ana").send("in hand")
    await asyncio.wait_for(taken.wait(), 5)
    await runner.cleanup()
    bot = sandbox.default_bot
    for _ in range(200):
        if bot.webhook is not None and bot.webhook.last_error_message == "Connection refused":
            break
        await bot.wait_changed(0.05)
    assert bot.webhook is not None and bot.webhook.last_error_message == "Connection refused"
    assert len(bot.pending) == 1

    again = Receiver()
    second = web.Application()
    second.router.add_post("/hook", again.handle)
    runner = web.AppRunner(second, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await asyncio.wait_for(again.arrived.wait(), 10)
        assert [u["message"]["text"] for u, _ in again.received] == ["in hand"]
        for _ in range(100):
            if not bot.pending:
                break
            await bot.wait_changed(0.05)
        assert bot.pending == []
    finally:
        await runner.cleanup()
