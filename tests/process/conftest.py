"""Fixtures for the real bot process: a sandbox in the test's loop, a database the test can
read and seed, and the process itself (always stopped at the end)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.processes import BotProcess, WatchedServer, sandbox


@pytest.fixture
async def server() -> AsyncIterator[WatchedServer]:
    async with sandbox() as running:
        yield running


@pytest.fixture
async def bot_process(
    server: WatchedServer, tmp_path: Path, database_url: str
) -> AsyncIterator[BotProcess]:
    process = BotProcess(server, tmp_path / "bot", database_url)
    try:
        yield process
    finally:
        await process.close()
