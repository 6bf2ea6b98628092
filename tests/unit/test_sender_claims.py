"""Two senders on one database (a leader and one that has not yet noticed it lost the lead)
never claim the same row (docs/production.md, "Two leaders for a moment")."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.documents import DocumentStore
from bot.models.outbox import OutboxMessage, OutboxStatus
from bot.outbox import Content, Outbox
from bot.sender import Sender
from bot.text import Tr
from tests import databases

TZ = ZoneInfo("America/Costa_Rica")


def sender(database: Database, folder: Path) -> Sender:
    # The claim never calls Telegram: no bot is needed.
    return Sender(
        database, cast(Any, None), Clock(TZ), Outbox(TZ), DocumentStore(folder / "documents")
    )


async def test_a_row_held_by_one_sender_is_skipped_by_the_other(
    database_url: str, tmp_path: Path
) -> None:
    if databases.backend() != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes the second claim wait for the first")
    first, second = Database(database_url), Database(database_url)
    try:
        clock = Clock(TZ)
        now = clock.now()
        outbox = Outbox(TZ)
        async with first.transaction() as session:
            for chat_id in (101, 102, 103):
                await outbox.send(session, chat_id=chat_id, content=Content(Tr("Hello")), now=now)
        later = now + timedelta(seconds=1)
        # The first sender is in the middle of its claim: it holds chat 101's row.
        async with first.transaction() as held:
            row = (
                await held.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.chat_id == 101)
                    .with_for_update(skip_locked=True)
                )
            ).one()
            # (without SKIP LOCKED the claim would wait for this transaction: bounded here)
            async with asyncio.timeout(10):
                claimed = await sender(second, tmp_path)._claim(later)
            assert claimed is not None
            assert sorted(r.chat_id for r in claimed[0]) == [102, 103]
            row.status = OutboxStatus.IN_FLIGHT
            held.add(row)
        # Once that claim committed, the row is in flight and still not the second's to take.
        assert await sender(second, tmp_path)._claim(later + timedelta(seconds=2)) is None
        async with first.transaction() as session:
            states = (
                await session.exec(
                    select(
                        OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.attempts
                    ).order_by(col(OutboxMessage.chat_id))
                )
            ).all()
        assert [tuple(s) for s in states] == [
            (101, OutboxStatus.IN_FLIGHT, 0),
            (102, OutboxStatus.IN_FLIGHT, 1),
            (103, OutboxStatus.IN_FLIGHT, 1),
        ]
    finally:
        await first.dispose()
        await second.dispose()
