"""Liveness: the running bot touches a heartbeat file; `python -m bot health` checks it and
the database (the Docker health check)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import text

from bot import tasks
from bot.db import Database

HEARTBEAT_EVERY = 30.0  # seconds
STALE_AFTER = 120.0  # seconds without a heartbeat: the process is stuck or gone


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def heartbeat_problem(path: Path, now: float) -> str | None:
    if not path.exists():
        return f"no heartbeat at {path}"
    if now - path.stat().st_mtime > STALE_AFTER:
        return f"heartbeat older than {STALE_AFTER:.0f} s"
    return None


async def beat_forever(path: Path) -> None:
    while True:
        await asyncio.to_thread(_touch, path)
        await asyncio.sleep(HEARTBEAT_EVERY)


class Heartbeat:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(beat_forever(self.path), name="heartbeat")

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        self._task = None


async def check(database_url: str, heartbeat: Path) -> list[str]:
    """What is wrong, if anything (an empty list: healthy)."""
    problems = []
    stale = await asyncio.to_thread(heartbeat_problem, heartbeat, time.time())
    if stale:
        problems.append(stale)
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        problems.append(f"database unreachable: {type(exc).__name__}")
    finally:
        await database.dispose()
    return problems
