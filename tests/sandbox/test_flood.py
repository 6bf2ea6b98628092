"""Flood limits on the wall clock: 429 with retry_after, travelling time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import telegram
import time_machine
from telegram.error import RetryAfter

from bot.sandbox import BotApiServer, Limits
from tests.sandbox.conftest import RawApi

START = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


async def _started(sandbox: BotApiServer, *names: str) -> list[int]:
    ids = []
    for name in names:
        user = sandbox.user(name)
        await user.send("/start")
        ids.append(user.id)
    return ids


async def test_per_chat_limit_and_retry_after(sandbox: BotApiServer, api: RawApi) -> None:
    (ana,) = await _started(sandbox, "ana")
    with time_machine.travel(START, tick=False) as traveller:
        assert (await api("sendMessage", chat_id=ana, text="1")).status == 200
        refused = await api("sendMessage", chat_id=ana, text="2")
        assert refused.status == 429
        assert refused.body["parameters"] == {"retry_after": 1}
        assert refused.description == "Too Many Requests: retry after 1"
        traveller.shift(0.5)
        assert (await api("sendMessage", chat_id=ana, text="2")).status == 429
        traveller.shift(0.5)
        assert (await api("sendMessage", chat_id=ana, text="2")).status == 200
    assert sandbox.stats.too_many_requests == 2
    assert [m.text for m in sandbox.sent_messages(ana)] == ["1", "2"]


async def test_per_chat_burst(sandbox: BotApiServer, api: RawApi) -> None:
    sandbox.limits = Limits(per_chat_burst=3, per_chat_per_second=1)
    (ana,) = await _started(sandbox, "ana")
    with time_machine.travel(START, tick=False) as traveller:
        statuses = [(await api("sendMessage", chat_id=ana, text=str(i))).status for i in range(4)]
        assert statuses == [200, 200, 200, 429]
        traveller.shift(1)
        assert (await api("sendMessage", chat_id=ana, text="x")).status == 200


async def test_global_limit(sandbox: BotApiServer, api: RawApi) -> None:
    sandbox.limits = Limits(global_per_second=3)
    ids = await _started(sandbox, "a", "b", "c", "d")
    with time_machine.travel(START, tick=False) as traveller:
        statuses = [(await api("sendMessage", chat_id=i, text="x")).status for i in ids]
        assert statuses == [200, 200, 200, 429]
        traveller.shift(1)
        assert (await api("sendMessage", chat_id=ids[3], text="x")).status == 200


async def test_group_limit_per_minute(sandbox: BotApiServer, api: RawApi) -> None:
    sandbox.limits = Limits(per_group_per_minute=3, per_chat_per_second=100, per_chat_burst=100)
    group = sandbox.group("Focal points")
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            assert (await api("sendMessage", chat_id=group.id, text="x")).status == 200
            traveller.shift(1)
        refused = await api("sendMessage", chat_id=group.id, text="x")
        assert refused.body["parameters"]["retry_after"] == 57
        traveller.shift(57)
        assert (await api("sendMessage", chat_id=group.id, text="x")).status == 200


async def test_edits_count_and_limits_can_be_disabled(sandbox: BotApiServer, api: RawApi) -> None:
    (ana,) = await _started(sandbox, "ana")
    with time_machine.travel(START, tick=False):
        sent = (await api("sendMessage", chat_id=ana, text="1")).result
        edit = await api("editMessageText", chat_id=ana, message_id=sent["message_id"], text="2")
        assert edit.status == 429
        sandbox.limits = Limits(enabled=False)
        for i in range(10):
            assert (await api("sendMessage", chat_id=ana, text=str(i))).status == 200


async def test_ptb_raises_retry_after(sandbox: BotApiServer, ptb: telegram.Bot) -> None:
    sandbox.limits = Limits(per_chat_per_second=0.25)
    (ana,) = await _started(sandbox, "ana")
    with time_machine.travel(START, tick=False):
        await ptb.send_message(ana, "first")
        with pytest.raises(RetryAfter) as caught:
            await ptb.send_message(ana, "second")
    assert caught.value.retry_after == timedelta(seconds=4)
