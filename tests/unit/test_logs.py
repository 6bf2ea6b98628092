"""What reaches the logs: never the bot token, never what people wrote."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import logs
from bot.db import Database

TOKEN = "424242:RCM-sandbox-token-0123456789abc"
PERSONAL = "Querida Ana, mi dirección privada es Calle 7"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {n: logging.getLogger(n).level for n in ("telegram", "aiosqlite", "bot")}
    logs.setup("DEBUG", as_json=True)
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_token_inside_a_telegram_url_is_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("bot.test")
    log.warning("calling https://api.telegram.org/bot%s/sendMessage", TOKEN)
    try:
        raise RuntimeError(f"Client error for url 'http://127.0.0.1/bot{TOKEN}/getMe'")
    except RuntimeError:
        log.exception("failed")
    out = captured.getvalue()
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    first, second = _lines(captured)
    assert first["message"] == "calling https://api.telegram.org/bot<token>/sendMessage"
    assert "<token>" in second["error"]


def test_debug_level_does_not_open_the_libraries_that_log_content(
    captured: io.StringIO,
) -> None:
    logging.getLogger("telegram.ext.ExtBot").debug("Calling sendMessage with %s", PERSONAL)
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", PERSONAL)
    logging.getLogger("aiosqlite").debug("executing %s", PERSONAL)
    logging.getLogger("bot.sender").debug("ours still follow LOG_LEVEL")
    assert [line["message"] for line in _lines(captured)] == ["ours still follow LOG_LEVEL"]


async def test_a_database_error_does_not_carry_the_values(
    tmp_path: Path, captured: io.StringIO
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(Exception) as failure:
            async with database.engine.begin() as conn:
                await conn.execute(
                    text("SELECT * FROM no_such_table WHERE x = :x"), {"x": PERSONAL}
                )
    finally:
        await database.dispose()
    logging.getLogger("bot.updates").error("update 1 failed", exc_info=failure.value)
    [entry] = [line for line in _lines(captured) if line["logger"] == "bot.updates"]
    assert "no_such_table" in entry["error"]
    assert PERSONAL not in entry["error"]
