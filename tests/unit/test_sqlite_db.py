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
