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
