"""Leader election (bot.leader) on the test database's own lock: PostgreSQL's advisory lock
when DATABASE_URL points at PostgreSQL, the file lock next to the SQLite file otherwise."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.leader import AlwaysLeader, FileLock, Leader, PostgresLock, lock_for
from tests import databases

RETRY = 0.05  # seconds between attempts: short, so takeovers happen quickly
BOUND = 15.0  # real seconds: only a bug makes a test wait this long
ROOT = Path(__file__).resolve().parents[2]


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Poll (bounded) until `condition` holds: the contenders work in background tasks."""
    async with asyncio.timeout(BOUND):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but their state
            await asyncio.sleep(0.01)
    assert condition(), what


class Contender:
    """A Leader with callbacks that record what it was told."""

    def __init__(self, url: str, name: str, events: list[str]) -> None:
        self.name = name

        async def elected() -> None:
            events.append(f"{name} leads")

        async def lost() -> None:
            events.append(f"{name} follows")

        self.leader = Leader(lock_for(url), retry_seconds=RETRY, on_elected=elected, on_lost=lost)


def test_lock_kind_follows_the_database(tmp_path: Path) -> None:
    assert isinstance(lock_for("postgresql+asyncpg://u@h/db"), PostgresLock)
    lock = lock_for(f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    assert isinstance(lock, FileLock) and lock.path == tmp_path / "bot.db.leader"
    assert isinstance(lock_for("sqlite+aiosqlite:///:memory:"), AlwaysLeader)


async def test_two_contenders_one_leader_and_takeover_on_stop(database_url: str) -> None:
    events: list[str] = []
    a, b = Contender(database_url, "a", events), Contender(database_url, "b", events)
    await a.leader.start()
    await b.leader.start()
    try:
        assert (a.leader.is_leader, b.leader.is_leader) == (True, False)
        # Several retry intervals later nothing has changed: the lock is held.
        for _ in range(5):
            await asyncio.sleep(RETRY)
            assert a.leader.is_leader and not b.leader.is_leader
        assert events == ["a leads"]
        await a.leader.stop()  # a graceful stop releases the lock
        assert events[:2] == ["a leads", "a follows"]
        await eventually(lambda: b.leader.is_leader, "b takes over")
        assert events == ["a leads", "a follows", "b leads"]
        # and a, starting again, stays a follower
        await a.leader.start()
        assert not a.leader.is_leader
    finally:
        await b.leader.stop()
        await a.leader.stop()


async def test_leader_process_killed_the_other_takes_over(database_url: str) -> None:
    """A leader that dies without a word (SIGKILL) loses the lock with its connection or its
    file descriptor, and a follower takes over within the retry interval."""
    holder = subprocess.Popen(  # noqa: S603, ASYNC220 - our own code; started, not awaited
        [sys.executable, "-c", _HOLDER, database_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    events: list[str] = []
    follower = Contender(database_url, "b", events)
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), BOUND)
        assert line.strip() == "leading"
        await follower.leader.start()
        assert not follower.leader.is_leader
        holder.send_signal(signal.SIGKILL)
        await asyncio.to_thread(holder.wait, BOUND)
        await eventually(lambda: follower.leader.is_leader, "the follower takes over")
        assert events == ["b leads"]
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
        await follower.leader.stop()


# Takes the lock and holds it until killed.
_HOLDER = """
import asyncio, sys
from bot.leader import lock_for

async def main():
    lock = lock_for(sys.argv[1])
    assert await lock.try_acquire()
    print("leading", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_leader_whose_connection_drops_steps_down(database_url: str) -> None:
    if databases.backend() != "postgresql":
        pytest.skip("a dropped database connection is PostgreSQL's case (SQLite: process death)")
    import asyncpg  # type: ignore[import-untyped]

    events: list[str] = []
    a, b = Contender(database_url, "a", events), Contender(database_url, "b", events)
    await a.leader.start()
    lock = a.leader.lock
    assert isinstance(lock, PostgresLock) and lock.conn is not None
    pid = lock.conn.get_server_pid()
    await b.leader.start()
    try:
        killer = await asyncpg.connect(lock.dsn)
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()
        # The lock went with the session: b takes it, and a notices and stops its runtime.
        await eventually(lambda: b.leader.is_leader, "b takes over")
        await eventually(lambda: "a follows" in events, "a steps down")
        assert not a.leader.is_leader
        assert events.index("a follows") > events.index("a leads")
        assert events.count("b leads") == 1
    finally:
        await a.leader.stop()
        await b.leader.stop()


async def test_wake_reaches_the_leader(database_url: str) -> None:
    """A follower that queued a message pokes the leader, whose sender wakes at once."""
    if databases.backend() != "postgresql":
        pytest.skip("cross-process wake-ups use LISTEN/NOTIFY (SQLite: the sender's idle check)")
    woken = asyncio.Event()

    async def nothing() -> None:
        return None

    leader = Leader(
        lock_for(database_url, on_wake=woken.set),
        retry_seconds=RETRY,
        on_elected=nothing,
        on_lost=nothing,
    )
    follower = Leader(
        lock_for(database_url), retry_seconds=RETRY, on_elected=nothing, on_lost=nothing
    )
    await leader.start()
    await follower.start()
    try:
        assert leader.is_leader and not follower.is_leader
        leader.poke()  # the leader itself never notifies: its own sender is local
        follower.poke()
        await asyncio.wait_for(woken.wait(), BOUND)
    finally:
        await follower.stop()
        await leader.stop()


async def test_failing_election_callback_releases_the_lock(database_url: str) -> None:
    events: list[str] = []

    async def broken() -> None:
        events.append("elected")
        raise RuntimeError("the sender could not start")

    async def lost() -> None:
        events.append("lost")

    # a long retry interval: a must not try again while b starts
    a = Leader(lock_for(database_url), retry_seconds=60, on_elected=broken, on_lost=lost)
    b = Contender(database_url, "b", events)
    await a.start()
    try:
        # a did not half-lead: it stepped down and let go, so b can lead
        assert not a.is_leader and events[:2] == ["elected", "lost"]
        await b.leader.start()
        assert b.leader.is_leader
    finally:
        await b.leader.stop()
        await a.stop()


async def test_replicas_starting_together_migrate_once(tmp_path: Path) -> None:
    """Every replica runs the migrations at start; started together, none fails."""
    from sqlalchemy import text

    from bot import db

    if databases.backend() == "postgresql":
        url = databases.postgres_url()
        await databases.drop_schema(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    # Processes, as replicas are (Alembic's context is one per process).
    upgrades = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "upgrade",
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outcomes = await asyncio.wait_for(
        asyncio.gather(*(p.communicate() for p in upgrades)), timeout=120
    )
    assert [p.returncode for p in upgrades] == [0, 0, 0], [err for _out, err in outcomes]
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
