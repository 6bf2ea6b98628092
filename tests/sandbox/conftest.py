"""Fixtures for the sandbox's own tests: a server on a free loopback port, clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.sandbox import BotApiServer, SimBot
from bot.telegram_request import AiohttpRequest

TOKEN = "123456:SANDBOX-test_token"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta ``retry_after``.

    Without it PTB warns while *building* RetryAfter, and with filterwarnings=error a
    429 would surface as PTBDeprecationWarning instead of RetryAfter.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiServer]:
    """A running sandbox with one bot (token ``TOKEN``); stopped after the test."""
    server = BotApiServer()
    await server.start()
    server.add_bot(TOKEN)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def sim_bot(sandbox: BotApiServer) -> SimBot:
    return sandbox.bots[TOKEN]


@pytest.fixture(params=["httpx", "aiohttp"])
async def ptb(sandbox: BotApiServer, request: pytest.FixtureRequest) -> AsyncIterator[telegram.Bot]:
    """The real python-telegram-bot client pointed at the sandbox, with PTB's own HTTP client
    (httpx) and with the bot's (bot.telegram_request): both must see the same sandbox."""
    kind = HTTPXRequest if request.param == "httpx" else AiohttpRequest
    bot = telegram.Bot(
        TOKEN,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
        request=kind(read_timeout=2.0, connect_timeout=2.0),
        get_updates_request=kind(read_timeout=5.0),
    )
    async with bot:
        yield bot


@dataclass
class Answer:
    """A raw HTTP answer from the sandbox."""

    status: int
    body: dict[str, Any]

    @property
    def description(self) -> str:
        return str(self.body.get("description"))

    @property
    def result(self) -> Any:
        assert self.body["ok"] is True, self.body
        return self.body["result"]


class RawApi:
    """Calls the sandbox over plain HTTP, the way any Bot API client could."""

    def __init__(self, server: BotApiServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session

    async def __call__(self, method: str, token: str = TOKEN, **params: Any) -> Answer:
        url = f"{self.server.base_url}{token}/{method}"
        async with self.session.post(url, json=params) as resp:
            return Answer(resp.status, json.loads(await resp.read()))

    async def form(self, method: str, data: Any, token: str = TOKEN) -> Answer:
        url = f"{self.server.base_url}{token}/{method}"
        async with self.session.post(url, data=data) as resp:
            return Answer(resp.status, json.loads(await resp.read()))

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.session.get(f"{self.server.url}{path}") as resp:
            return resp.status, await resp.read()


@pytest.fixture
async def api(sandbox: BotApiServer) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(sandbox, session)
