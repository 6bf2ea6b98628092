"""The webhook server without a process: what it refuses, and that it answers Telegram only
once the update is handled (bot.webhook)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
import pytest
from telegram import Update
from telegram.ext import SimpleUpdateProcessor

from bot.app import BotApplication
from bot.webhook import SECRET_HEADER, WebhookServer, path_of

SECRET = "right-secret_123"


class FakeApp:
    """What the server uses of the application: handling is held until `gate` opens."""

    def __init__(self) -> None:
        self.bot = None
        self.in_hand: set[int] = set()
        self.update_processor = SimpleUpdateProcessor(4)
        self.gate = asyncio.Event()
        self.entered: list[int] = []
        self.handled: list[int] = []
        self.fail = False

    async def process_update(self, update: Update) -> None:
        self.entered.append(update.update_id)
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("a bug")
        self.handled.append(update.update_id)


class Running:
    def __init__(self, app: FakeApp, server: WebhookServer, client: aiohttp.ClientSession) -> None:
        self.app = app
        self.server = server
        self.client = client
        self.url = f"http://127.0.0.1:{server.port}/telegram"

    async def post(self, body: Any, *, secret: str | None = SECRET, url: str | None = None) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        data = body if isinstance(body, bytes) else None
        json = None if isinstance(body, bytes) else body
        async with self.client.post(url or self.url, data=data, json=json, headers=headers) as resp:
            return resp.status


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    app = FakeApp()
    server = WebhookServer(cast(BotApplication, app), secret=SECRET, path="/telegram")
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as client:
            yield Running(app, server, client)
    finally:
        app.gate.set()
        await server.stop()


def _update(update_id: int = 7) -> dict[str, Any]:
    return {"update_id": update_id}


async def _until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


def test_the_path_is_that_of_the_webhook_url() -> None:
    assert path_of("https://bot.example.org/telegram") == "/telegram"
    assert path_of("https://bot.example.org/a/b?x=1") == "/a/b"
    assert path_of("https://bot.example.org") == "/"


@pytest.mark.parametrize(
    "secret", [None, "", "guess", SECRET + "x", SECRET[:-1], SECRET.upper(), "ñ" + SECRET]
)
async def test_a_request_without_the_secret_is_refused_unread(
    running: Running, secret: str | None
) -> None:
    assert await running.post(_update(), secret=secret) == 403
    assert running.app.entered == [] and running.app.in_hand == set()


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"{}", b'{"update_id": "7"}'],
)
async def test_a_body_that_is_not_an_update_is_refused(running: Running, body: bytes) -> None:
    assert await running.post(body) == 400
    assert running.app.entered == []


async def test_an_oversized_body_is_refused(running: Running) -> None:
    body = io.BytesIO(b"{" + b" " * (1024 * 1024) + b'"update_id": 1}')
    async with running.client.post(running.url, data=body, headers={SECRET_HEADER: SECRET}) as resp:
        assert resp.status == 413
    assert running.app.entered == []


async def test_wrong_paths_and_methods_are_refused(running: Running) -> None:
    base = f"http://127.0.0.1:{running.server.port}"
    assert await running.post(_update(), url=base + "/other") == 404
    assert await running.post(_update(), url=base + "/") == 404
    headers = {SECRET_HEADER: SECRET}
    async with running.client.get(running.url, headers=headers) as resp:
        assert resp.status == 405
    async with running.client.put(running.url, json=_update(), headers=headers) as resp:
        assert resp.status == 405
    assert running.app.entered == []


async def test_the_answer_comes_only_once_the_update_is_handled(running: Running) -> None:
    answer = asyncio.create_task(running.post(_update(7)))
    await _until(lambda: running.app.entered == [7])
    assert not answer.done()
    assert running.app.in_hand == {7} and running.server.in_hand == 1
    running.app.gate.set()
    assert await answer == 200
    assert running.app.handled == [7]
    assert running.app.in_hand == set() and running.server.in_hand == 0


async def test_a_redelivery_of_an_update_in_hand_is_handled_once(running: Running) -> None:
    first = asyncio.create_task(running.post(_update(9)))
    await _until(lambda: running.app.entered == [9])
    # Telegram timed out and sends it again while it is still being handled.
    again = asyncio.create_task(running.post(_update(9)))
    await asyncio.sleep(0.05)
    running.app.gate.set()
    assert (await first, await again) == (200, 200)
    assert running.app.entered == [9] and running.app.handled == [9]


async def test_a_handler_that_fails_is_answered_200_and_logged(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    running.app.fail = True
    running.app.gate.set()
    assert await running.post(_update(3)) == 200
    assert "update 3 failed" in caplog.text
    assert running.app.in_hand == set()


async def test_stop_closes_the_listener_and_finishes_what_is_in_hand(running: Running) -> None:
    answer = asyncio.create_task(running.post(_update(5)))
    await _until(lambda: running.app.entered == [5])
    assert await running.post(b"{}") == 400  # leaves an idle kept-alive connection
    stopping = asyncio.create_task(running.server.stop())
    await _until(lambda: running.server.stopping)
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the update in hand
    # A new connection is refused: Telegram keeps the update for the next process.
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectorError):
            await fresh.post(running.url, json=_update(6), headers={SECRET_HEADER: SECRET})
    # On the connection still open, an update is refused with 503: Telegram retries it.
    assert await running.post(_update(6)) == 503
    running.app.gate.set()
    assert await answer == 200
    await asyncio.wait_for(stopping, 10)
    assert running.app.handled == [5] and running.app.entered == [5]
