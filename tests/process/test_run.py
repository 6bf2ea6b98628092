"""`python -m bot run` as an operator starts it: what it prints, and a gentle stop."""

from __future__ import annotations

import pytest

from bot.config import redact_url
from tests.processes import TOKEN, BotProcess

pytestmark = pytest.mark.slow


async def test_run_says_what_it_is_connected_to_and_never_the_token(
    bot_process: BotProcess,
) -> None:
    password = "pw-not-for-logs"
    if bot_process.database_url.startswith("postgresql"):
        # trust authentication ignores the password; it is there to be hidden
        bot_process.database_url = bot_process.database_url.replace(
            "postgres@", f"postgres:{password}@"
        )
    await bot_process.start()
    assert await bot_process.terminate() == 0
    out = bot_process.stdout()
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert lines["telegram"] == bot_process.server.base_url
    assert lines["database"] == redact_url(bot_process.database_url)
    assert lines["mode"] == "long polling"
    assert password not in out
    everything = bot_process.all_output()
    assert TOKEN not in everything
    assert TOKEN.split(":")[1] not in everything
