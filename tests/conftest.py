"""Fixtures: a database per test, frozen time, and the whole bot on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.i18n import load_catalogs
from bot.states import ensure_states
from tests import databases
from tests.harness import Harness

# A Monday in March 2026, 09:00 in Costa Rica: a working day in the middle of a PPT term.
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def pytest_report_header() -> str:
    return f"database backend: {databases.backend()}"


@pytest.fixture(scope="session", autouse=True)
def _catalogs() -> None:
    load_catalogs()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    if databases.backend() != "sqlite":
        return None
    return databases.prepare_sqlite_template(tmp_path_factory.mktemp("schema"))


@pytest.fixture(scope="session")
def _postgres_schema() -> None:
    if databases.backend() == "postgresql":
        import asyncio

        asyncio.run(databases.prepare_postgres(databases.postgres_url()))


@pytest.fixture
async def database_url(tmp_path: Path, sqlite_template: Path | None, _postgres_schema: None) -> str:
    """A migrated, empty database for this test."""
    if sqlite_template is not None:
        return databases.sqlite_copy(sqlite_template, tmp_path)
    url = databases.postgres_url()
    await databases.empty_postgres(url)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.transaction() as session:
        await ensure_states(session, None)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    """One session for domain tests; each test commits or flushes as it needs."""
    async with db.sessions() as session:
        yield session


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as coordinates:
        yield coordinates


@pytest.fixture
async def harness(
    database_url: str,
    tmp_path: Path,
    traveller: time_machine.Coordinates,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Harness]:
    marker = request.node.get_closest_marker("settings")
    overrides = dict(marker.kwargs) if marker is not None else None
    h = Harness(database_url, tmp_path, traveller, settings_overrides=overrides)
    await h.start()
    try:
        yield h
        # Every test also checks that Telegram never refused a message as malformed.
        assert await h.refused_sends() == []
    finally:
        await h.stop()
