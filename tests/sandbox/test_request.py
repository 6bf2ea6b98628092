"""bot.telegram_request.AiohttpRequest where it differs from httpx's: its pool, its errors,
and how the application is built with it. (Faults, files and the protocol run through it in
the other sandbox tests, whose `ptb` fixture uses both clients.)"""

from __future__ import annotations

import asyncio
import socket

import pytest
import telegram
from telegram.error import NetworkError, TimedOut
from yarl import URL

from bot.app import MIN_CONNECT_TIMEOUT, build_application
from bot.config import Settings
from bot.sandbox import BotApiServer
from bot.telegram_request import AiohttpRequest, _proxy_for
from tests.sandbox.conftest import TOKEN


def _bot(sandbox: BotApiServer, request: AiohttpRequest) -> telegram.Bot:
    return telegram.Bot(TOKEN, base_url=sandbox.base_url, request=request)


async def test_a_full_pool_times_out_without_sending(sandbox: BotApiServer) -> None:
    sandbox.faults.hold_seconds = 5
    ana = sandbox.user("ana")
    await ana.send("/start")
    async with _bot(sandbox, AiohttpRequest(connection_pool_size=1, pool_timeout=0.1)) as bot:
        sandbox.faults.fail_next(1, "timeout", methods=["sendMessage"])
        held = asyncio.create_task(bot.send_message(ana.id, "held", read_timeout=3))
        while sandbox.faults.injected.get("timeout", 0) == 0:  # noqa: ASYNC110 - a counter
            await asyncio.sleep(0.01)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(ana.id, "waits for the pool")
        with pytest.raises(TimedOut):
            await held
    assert sandbox.sent_messages(ana.id) == []


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    await bot.request.initialize()
    try:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError") as caught:
            await bot.get_me()
        assert not isinstance(caught.value, TimedOut)
    finally:
        await bot.request.shutdown()


async def test_requests_need_initialize_and_work_again_after_shutdown(
    sandbox: BotApiServer,
) -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await request.post(f"{sandbox.base_url}{TOKEN}/getMe")
    for _ in range(2):
        await request.initialize()
        assert (await request.post(f"{sandbox.base_url}{TOKEN}/getMe"))["is_bot"] is True
        await request.shutdown()


def test_the_application_uses_it_with_the_settings_timeouts() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        BOT_TOKEN=TOKEN,
        TELEGRAM_TIMEOUT=1.0,
        UPDATE_CONCURRENCY=12,
    )
    app = build_application(settings, install_runtime=False)
    main, updates = app.bot._request[1], app.bot._request[0]
    assert isinstance(main, AiohttpRequest) and isinstance(updates, AiohttpRequest)
    assert main.read_timeout == 1.0
    assert main._write_timeout == 1.0
    assert main._connect_timeout == main._pool_timeout == MIN_CONNECT_TIMEOUT
    assert main._pool_size == 24
    assert updates._pool_size == 1
    assert updates.read_timeout == MIN_CONNECT_TIMEOUT


def test_proxies_come_from_the_environment_once_per_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    _proxy_for.cache_clear()
    try:
        assert _proxy_for(URL("https://api.telegram.org")) == (
            URL("http://proxy.example:3128"),
            None,
        )
        assert _proxy_for(URL("https://localhost:8081")) == (None, None)
        assert _proxy_for(URL("http://api.telegram.org")) == (None, None)  # no HTTP_PROXY
    finally:
        _proxy_for.cache_clear()
