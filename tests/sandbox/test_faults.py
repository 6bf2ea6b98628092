"""Fault injection, seen through the real python-telegram-bot client."""

from __future__ import annotations

from datetime import timedelta

import pytest
import telegram
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.sandbox import BotApiServer, Limits
from tests.sandbox.conftest import RawApi


@pytest.fixture
async def ana_id(sandbox: BotApiServer) -> int:
    sandbox.limits = Limits(enabled=False)
    sandbox.faults.hold_seconds = 5
    ana = sandbox.user("ana")
    await ana.send("/start")
    return ana.id


async def test_5xx_alternates_bad_gateway_and_internal_error(
    sandbox: BotApiServer, api: RawApi, ptb: telegram.Bot, ana_id: int
) -> None:
    sandbox.faults.fail_next(2, "5xx", methods=["sendMessage"])
    first = await api.session.post(f"{sandbox.base_url}123456:SANDBOX-test_token/sendMessage")
    assert first.status == 502 and "Bad Gateway" in await first.text()
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await ptb.send_message(ana_id, "x")
    assert sandbox.sent_messages(ana_id) == []
    await ptb.send_message(ana_id, "after the outage")
    assert sandbox.faults.injected == {"502": 1, "500": 1}


async def test_timeout_drops_the_request_without_acting(
    sandbox: BotApiServer, ptb: telegram.Bot, ana_id: int
) -> None:
    sandbox.faults.fail_next(1, "timeout")
    with pytest.raises(TimedOut):
        await ptb.send_message(ana_id, "lost", read_timeout=0.2)
    assert sandbox.sent_messages(ana_id) == []


async def test_timeout_after_apply_delivers_but_never_answers(
    sandbox: BotApiServer, ptb: telegram.Bot, ana_id: int
) -> None:
    sandbox.faults.fail_next(1, "timeout_after_apply", methods=["sendMessage"])
    with pytest.raises(TimedOut):
        await ptb.send_message(ana_id, "delivered twice?", read_timeout=0.2)
    assert [m.text for m in sandbox.sent_messages(ana_id)] == ["delivered twice?"]


async def test_held_request_is_dropped_when_hold_ends(
    sandbox: BotApiServer, api: RawApi, ana_id: int
) -> None:
    sandbox.faults.hold_seconds = 0.05
    sandbox.faults.fail_next(1, "timeout")
    with pytest.raises(Exception) as caught:
        await api("sendMessage", chat_id=ana_id, text="x")
    assert "disconnect" in repr(caught.value).lower() or "reset" in repr(caught.value).lower()


async def test_injected_429(sandbox: BotApiServer, ptb: telegram.Bot, ana_id: int) -> None:
    sandbox.faults.fail_next(1, "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await ptb.send_message(ana_id, "x")
    assert caught.value.retry_after == timedelta(seconds=7)
    assert sandbox.stats.too_many_requests == 1


async def test_fail_rate_is_reproducible(sandbox: BotApiServer, api: RawApi, ana_id: int) -> None:
    async def run() -> list[int]:
        sandbox.faults.fail_rate(0.5, ["429", "500"], seed=42, methods=["getMe"])
        statuses = [(await api("getMe")).status for _ in range(20)]
        sandbox.faults.clear()
        return statuses

    first, second = await run(), await run()
    assert first == second
    assert {200, 429, 500} == set(first)
    assert (await api("getMe")).status == 200


async def test_get_updates_is_spared_unless_named(
    sandbox: BotApiServer, api: RawApi, ana_id: int
) -> None:
    sandbox.faults.fail_next(1, "500")
    assert (await api("getUpdates")).status == 200
    assert sandbox.faults.pending == 1
    sandbox.faults.clear()
    sandbox.faults.fail_next(1, "500", methods=["getUpdates"])
    assert (await api("getUpdates")).status == 500
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.faults.fail_next(1, "boom")  # type: ignore[arg-type]
