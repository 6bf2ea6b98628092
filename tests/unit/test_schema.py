"""The migrations build exactly the schema the models describe, and the audit log is
append-only in the database itself."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.db import Database
from bot.models import load_all


async def test_migrations_match_models(db: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return compare_metadata(context, load_all())

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_audit_log_refuses_update_and_delete(db: Database) -> None:
    async with db.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            text(
                "INSERT INTO audit_entry (at, action, details) "
                "VALUES (CURRENT_TIMESTAMP, 'x', '{}')"
            )
        )
    for statement in ("UPDATE audit_entry SET action = 'y'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.transaction() as session:
                await session.exec(text(statement))  # type: ignore[call-overload]


def test_one_line_of_migrations() -> None:
    """Branches merged into main are chained: one head, so `upgrade head` is unambiguous."""
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1


def test_migrations_go_down_and_up_again(tmp_path: object) -> None:
    from pathlib import Path

    from alembic import command

    from bot.db import alembic_config

    assert isinstance(tmp_path, Path)
    config = alembic_config(f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
