"""SQLite under concurrency: the in-process writer queue and the one-call aiosqlite adapter
(bot.db). These hold for SQLite only; PostgreSQL has its own engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db import Database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    async with database.transaction() as session:
        await session.exec(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))  # type: ignore[call-overload]
    yield database
    await database.dispose()


async def test_statements_return_rows_counts_and_ids(database: Database) -> None:
    async with database.transaction() as session:
        inserted = await session.exec(text("INSERT INTO t (v) VALUES ('a')"))  # type: ignore[call-overload]
        assert inserted.lastrowid == 1 and inserted.rowcount == 1
        await session.exec(text("INSERT INTO t (v) VALUES ('b'), ('c')"))  # type: ignore[call-overload]
        changed = await session.exec(text("UPDATE t SET v = v || '!' WHERE id > 1"))  # type: ignore[call-overload]
        assert changed.rowcount == 2
        rows = (await session.exec(text("SELECT id, v FROM t ORDER BY id"))).all()  # type: ignore[call-overload]
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b!"), (3, "c!")]


async def test_errors_are_sqlalchemy_errors_and_roll_back(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await session.exec(text("INSERT INTO t (v) VALUES ('x')"))  # type: ignore[call-overload]
            await session.exec(text("INSERT INTO t (v) VALUES ('x')"))  # type: ignore[call-overload]
    async with database.transaction() as session:
        assert (await session.exec(text("SELECT count(*) FROM t"))).one()[0] == 0  # type: ignore[call-overload]


async def test_transactions_take_turns_in_arrival_order(database: Database) -> None:
    order: list[str] = []
    first_in = asyncio.Event()

    async def first() -> None:
        async with database.transaction() as session:
            first_in.set()
            order.append("first begins")
            await session.exec(text("INSERT INTO t (v) VALUES ('1')"))  # type: ignore[call-overload]
            for _ in range(5):
                await asyncio.sleep(0)  # the second is waiting meanwhile, not failing
            order.append("first ends")

    async def second() -> None:
        await first_in.wait()
        async with database.transaction() as session:
            order.append("second begins")
            seen = (await session.exec(text("SELECT v FROM t"))).all()  # type: ignore[call-overload]
            order.append(f"second sees {[r[0] for r in seen]}")

    await asyncio.gather(first(), second())
    assert order == ["first begins", "first ends", "second begins", "second sees ['1']"]


async def test_statements_run_in_the_loop_and_waiting_for_the_lock_does_not(
    database: Database, tmp_path: Path
) -> None:
    """A transaction nobody contends runs wholly in the event loop's thread (no hand-off); a
    BEGIN IMMEDIATE that must wait for another process's write lock waits in aiosqlite's
    thread, so the loop keeps serving everything else meanwhile."""
    import sqlite3
    import threading

    seen: list[tuple[str, int]] = []  # (statement, the thread SQLite ran it in)
    async with database.transaction() as session:
        raw = await (await session.connection()).get_raw_connection()  # BEGIN is done
        raw.driver_connection._conn.set_trace_callback(  # type: ignore[union-attr]
            lambda statement: seen.append((statement.split()[0], threading.get_ident()))
        )
        await session.exec(text("INSERT INTO t (v) VALUES ('here')"))  # type: ignore[call-overload]
    here = threading.get_ident()
    assert seen == [("INSERT", here), ("COMMIT", here)]

    other = sqlite3.connect(tmp_path / "q.db", isolation_level=None)  # another process's lock
    other.execute("BEGIN IMMEDIATE")
    ticks = 0
    wrote = asyncio.Event()

    async def write() -> None:
        async with database.transaction() as session:  # BEGIN comes with the first statement
            await session.exec(text("INSERT INTO t (v) VALUES ('after')"))  # type: ignore[call-overload]
            wrote.set()

    task = asyncio.create_task(write())
    for _ in range(20):  # the loop turns while the transaction waits for the lock
        await asyncio.sleep(0.005)
        ticks += 1
    assert ticks == 20 and not wrote.is_set() and not task.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(task, timeout=10)
    async with database.transaction() as session:
        rows = (await session.exec(text("SELECT v FROM t ORDER BY id"))).all()  # type: ignore[call-overload]
    assert [r[0] for r in rows] == ["here", "after"]
