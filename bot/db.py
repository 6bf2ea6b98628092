"""Engine, sessions and migrations. SQLite (WAL) by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine. On SQLite: WAL, foreign keys, and `BEGIN IMMEDIATE` for every
    transaction, so that a transaction which reads and then writes never fails with "database
    is locked" half-way (SQLite's deferred transactions cannot upgrade a read lock safely)."""
    parsed = make_url(url)
    # A database error's message would otherwise carry its statement's parameters (what
    # people typed) into the logs.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # The connection is made in aiosqlite's thread and also used from the event loop's
        # (never both at once: see _one_call_aiosqlite).
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        if parsed.get_driver_name() == "aiosqlite":
            kwargs.setdefault("module", _one_call_aiosqlite())
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Off: a statement run in the event loop must never sleep in SQLite's busy handler;
        # what may wait turns it on around itself, in aiosqlite's thread (_one_call_aiosqlite).
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# What one statement gives back: description, lastrowid, rowcount, rows.
_Outcome = tuple[Any, int, int, list[Any] | None]
# How long a statement that may wait for another process's write lock waits for it (ms).
BUSY_WAIT_MS = 30_000


def _one_call_aiosqlite() -> Any:
    """SQLAlchemy's aiosqlite adapter, calling SQLite in the event loop's own thread unless a
    call has to wait for another process.

    A hand-off to aiosqlite's thread and back costs more than a simple query itself (about
    0.3 ms each way on this machine; bench/load.py), and a transaction made four. The bot's
    own transactions take turns in `Database.transaction`, so only another process (the
    CLI, a replica on the same file) can hold SQLite's write lock. Every call is therefore
    made in place with SQLite's busy wait off; one that SQLite refuses as busy (in practice
    the `BEGIN IMMEDIATE` of a transaction while another process writes; a refused statement
    or COMMIT has done nothing and may be made again) is made again in aiosqlite's thread
    with the busy wait on, and the loop goes on meanwhile. What runs in place also holds the
    loop: statements of a few tenths of a millisecond on this bot's data, and now and then the
    WAL checkpoint at a COMMIT (docs/decisions.md, "Performance")."""
    import sqlite3

    import aiosqlite
    from sqlalchemy.dialects.sqlite import aiosqlite as adapter

    class Cursor(adapter.AsyncAdapt_aiosqlite_cursor):
        __slots__ = ()

        def execute(self, operation: Any, parameters: Any = None) -> Any:
            connection = self._connection
            raw: sqlite3.Connection = connection._conn

            def run() -> _Outcome:
                # The whole statement, rows included, in one call.
                cursor = raw.cursor()
                try:
                    cursor.execute(operation, () if parameters is None else parameters)
                    if cursor.description:
                        return cursor.description, -1, -1, cursor.fetchall()
                    return None, cursor.lastrowid or 0, cursor.rowcount, None
                finally:
                    cursor.close()

            try:
                outcome: _Outcome = self.await_(_in_place_or_waiting(connection, run))
            except Exception as error:
                self._adapt_connection._handle_exception(error)
            self.description, self.lastrowid, self.rowcount, rows = outcome
            if rows is not None:
                self._rows = deque(rows)

    async def _in_place_or_waiting(connection: Any, call: Callable[[], Any]) -> Any:
        # Awaited by SQLAlchemy's adapter, which must await something; in place, this
        # awaits without leaving the thread.
        try:
            return call()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        return await connection._execute(_waiting(connection._conn, call))

    def _waiting(raw: sqlite3.Connection, call: Callable[[], Any]) -> Callable[[], Any]:
        def wait() -> Any:  # in aiosqlite's thread: it may block there
            raw.execute(f"PRAGMA busy_timeout={BUSY_WAIT_MS}")
            try:
                return call()
            finally:
                raw.execute("PRAGMA busy_timeout=0")

        return wait

    class Connection(adapter.AsyncAdapt_aiosqlite_connection):
        __slots__ = ()

        def cursor(self, server_side: bool = False) -> Any:
            return super().cursor(server_side) if server_side else Cursor(self)

        def commit(self) -> None:
            try:
                self.await_(_in_place_or_waiting(self._connection, self._connection._conn.commit))
            except Exception as error:
                self._handle_exception(error)

        def rollback(self) -> None:
            try:
                self.await_(_in_place_or_waiting(self._connection, self._connection._conn.rollback))
            except Exception as error:
                self._handle_exception(error)

    class Dbapi(adapter.AsyncAdapt_aiosqlite_dbapi):
        def connect(self, *args: Any, **kwargs: Any) -> Any:
            connection = super().connect(*args, **kwargs)
            return Connection(self, connection._connection)

    return Dbapi(aiosqlite, sqlite3)


# How long a transaction waits for SQLite's one writer, as busy_timeout does across processes.
WRITER_TIMEOUT = 30.0


class Database:
    """The engine and a session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time, and every transaction here writes (BEGIN IMMEDIATE).
        # Queued here, each gets the database the moment the last one ends; left to SQLite, a
        # waiting connection polls with sleeps of up to 100 ms, which under load cost far more
        # than the transactions themselves (bench/load.py).
        self._writer = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with asyncio.timeout(WRITER_TIMEOUT):
            await self._writer.acquire()
        try:
            async with self.sessions() as session, session.begin():
                yield session
        finally:
            self._writer.release()

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the schema up to date (`python -m bot db upgrade`; also run at start).

    Processes starting together (replicas, the CLI beside the bot) take turns: PostgreSQL
    through an advisory lock in migrations/env.py; SQLite through an exclusive lock on a file
    beside the database, because Alembic does not run SQLite's migrations in one transaction,
    so a second process could read the version before the first has finished."""
    from alembic import command

    with _sqlite_migration_lock(url):
        command.upgrade(alembic_config(url), revision)


@contextmanager
def _sqlite_migration_lock(url: str) -> Iterator[None]:
    parsed = make_url(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    path = Path(database).with_name(Path(database).name + ".migrating")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released on close, or by the kernel
        yield


async def upgrade_async(url: str, revision: str = "heads") -> None:
    import asyncio

    await asyncio.to_thread(upgrade, url, revision)


def append_only_statements(table: str, dialect: str) -> list[str]:
    """SQL that makes `table` append-only (UPDATE and DELETE refused), for migrations."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        ]
    raise NotImplementedError(f"append-only triggers for {dialect}")
