"""Database errors reach the logs without what people typed (SECURITY.md, "Logs")."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.models.people import MemberState


async def test_database_errors_hide_their_parameters(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    typed = "Texto privado de la persona 4711"
    with pytest.raises(IntegrityError) as raised:
        async with db.transaction() as session:
            # MX exists already: the insert fails on the unique code
            session.add(MemberState(code="MX", name_en=typed, name_es=typed))
            await session.flush()
    logging.getLogger("test").error("failed", exc_info=raised.value)
    assert typed not in str(raised.value)
    assert typed not in caplog.text
    assert "hidden due to hide_parameters" in str(raised.value)
