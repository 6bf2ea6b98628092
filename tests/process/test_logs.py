"""The real process's logs (LOG_JSON=1, even at LOG_LEVEL=DEBUG): one JSON object per line,
and neither the bot token nor anything people wrote, also when calls fail."""

from __future__ import annotations

import pytest

from bot.db import Database
from tests.processes import (
    TOKEN,
    BotProcess,
    WatchedServer,
    member,
    outbox_settled,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.slow

PRIVATE = "Zqx-privado-7731 mi cuenta personal"


async def test_logs_are_json_without_the_token_or_what_people_wrote(
    server: WatchedServer, bot_process: BotProcess, db: Database
) -> None:
    ana = server.user("ana", lang="es")
    await member(db, ana, lang="es")
    stranger = server.user("zed")
    bot_process.extra_env["LOG_LEVEL"] = "DEBUG"
    await bot_process.start()

    # Failures on every path that logs: polling, sending, answering a press.
    server.faults.fail_next(1, "502", methods=["getUpdates"])
    server.faults.fail_next(1, "500", methods=["sendMessage"])
    server.faults.fail_next(1, "timeout", methods=["sendMessage"])
    server.faults.fail_next(1, "500", methods=["answerCallbackQuery"])
    await ana.send("/language")
    await wait_for(lambda: len(ana.bot_messages()) == 1, "the language keyboard")
    keyboard = ana.bot_messages()[0].message_id
    await ana.send(PRIVATE)
    await ana.send(f"/language {PRIVATE}")
    await ana.send(f"/status {PRIVATE}")
    await ana.press_data(f"lang:{PRIVATE}"[:64], keyboard)
    await ana.press("English", message_id=keyboard)
    await stranger.send(PRIVATE)
    await stranger.send(f"/start {PRIVATE}")
    last = bot_process.bot.next_update_id - 1
    await wait_for(lambda: server.fetched_up_to >= last, "every update taken", timeout=60)
    await wait_until(lambda: outbox_settled(db), "every answer sent", timeout=60)
    assert await bot_process.terminate() == 0

    entries = bot_process.log_entries()  # fails on a line that is not JSON
    everything = bot_process.all_output()
    assert PRIVATE not in everything
    assert "Zqx-privado" not in everything
    assert TOKEN not in everything and TOKEN.split(":")[1] not in everything
    # The failures were logged (so the paths above were taken), redacted.
    assert any(e["level"] == "error" and "error" in e for e in entries), entries
    assert any("could not answer callback query" in e["message"] for e in entries)
    assert ana.bot_messages() and stranger.bot_messages()
