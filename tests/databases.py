"""Test databases: SQLite by default; PostgreSQL when DATABASE_URL points at it.

SQLite: the schema is migrated once per session into a template file, copied for each test.
PostgreSQL: migrated once per session, every table emptied before each test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot import db
from bot.models import load_all


def backend() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def postgres_url() -> str:
    return os.environ["DATABASE_URL"]


def prepare_sqlite_template(folder: Path) -> Path:
    template = folder / "template.db"
    db.upgrade(f"sqlite+aiosqlite:///{template}")
    return template


def sqlite_copy(template: Path, folder: Path) -> str:
    target = folder / "bot.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def drop_schema(url: str) -> None:
    """An empty PostgreSQL database: no tables, not even Alembic's version."""
    engine = db.create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def prepare_postgres(url: str) -> None:
    """Start from an empty schema, then migrate: the migrations are what is tested."""
    await drop_schema(url)
    await db.upgrade_async(url)


async def empty_postgres(url: str) -> None:
    tables = [t.name for t in load_all().sorted_tables]
    engine = db.create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


def describe(url: str) -> str:
    return make_url(url).get_backend_name()
