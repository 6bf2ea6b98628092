"""getUpdates: long polling, offsets, limits, allowed_updates, conflicts."""

from __future__ import annotations

import asyncio

import pytest

from bot.sandbox import BotApiServer, SimBot
from tests.sandbox.conftest import RawApi


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    sandbox: BotApiServer, api: RawApi
) -> None:
    ana = sandbox.user("ana")
    poll = asyncio.create_task(api("getUpdates", timeout=30))
    await asyncio.sleep(0)  # let the poll reach the server before the user writes
    await ana.send("hello")
    answer = await asyncio.wait_for(poll, 5)
    assert [u["message"]["text"] for u in answer.result] == ["hello"]


async def test_long_poll_times_out_empty(api: RawApi) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await api("getUpdates", timeout=1)
    assert answer.result == []
    assert loop.time() - started >= 0.9


async def test_offset_confirms_earlier_updates(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    for text in ("one", "two", "three"):
        await ana.send(text)
    first = (await api("getUpdates")).result
    assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
    again = (await api("getUpdates")).result  # nothing confirmed yet
    assert [u["update_id"] for u in again] == [u["update_id"] for u in first]
    rest = (await api("getUpdates", offset=first[1]["update_id"])).result
    assert [u["message"]["text"] for u in rest] == ["two", "three"]
    after = (await api("getUpdates", offset=first[2]["update_id"] + 1)).result
    assert after == []


async def test_negative_offset_keeps_only_the_last_updates(
    sandbox: BotApiServer, api: RawApi
) -> None:
    ana = sandbox.user("ana")
    for text in ("a", "b", "c", "d"):
        await ana.send(text)
    tail = (await api("getUpdates", offset=-2)).result
    assert [u["message"]["text"] for u in tail] == ["c", "d"]
    assert [u["message"]["text"] for u in (await api("getUpdates")).result] == ["c", "d"]


@pytest.mark.parametrize(("limit", "expected"), [(2, 2), (0, 5), (101, 5)])
async def test_limit(sandbox: BotApiServer, api: RawApi, limit: int, expected: int) -> None:
    ana = sandbox.user("ana")
    for i in range(5):
        await ana.send(f"m{i}")
    assert len((await api("getUpdates", limit=limit)).result) == expected


async def test_allowed_updates_filters_new_updates(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    await api("getUpdates", allowed_updates=["callback_query"])
    await ana.send("ignored")
    assert (await api("getUpdates")).result == []  # the setting persists
    await api("getUpdates", allowed_updates=[])
    await ana.send("seen")
    assert [u["message"]["text"] for u in (await api("getUpdates")).result] == ["seen"]


async def test_second_poller_terminates_the_first(api: RawApi) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=30))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(api("getUpdates", timeout=0))
    old = await asyncio.wait_for(first, 5)
    assert old.status == 409
    assert old.description.startswith("Conflict: terminated by other getUpdates request")
    assert (await second).result == []


async def test_stop_releases_a_pending_poll(sandbox: BotApiServer, api: RawApi) -> None:
    poll = asyncio.create_task(api("getUpdates", timeout=30))
    await asyncio.sleep(0.05)
    await sandbox.stop()
    assert (await asyncio.wait_for(poll, 5)).result == []


async def test_raw_updates_are_queued_with_fresh_ids(
    sandbox: BotApiServer, sim_bot: SimBot, api: RawApi
) -> None:
    first = await sandbox.push_update(sim_bot, {"update_id": 999, "message": {"bogus": True}})
    second = await sandbox.push_update(None, {"edited_message": {"text": 5}})
    updates = (await api("getUpdates")).result
    assert [u["update_id"] for u in updates] == [first, second]
    assert updates[0]["message"] == {"bogus": True}
