"""SIGTERM, as Docker and systemd stop the bot: it stops taking updates, finishes the ones in
hand, leaves the outbox consistent, and acknowledges what it took, so that nothing is handled
twice after a restart."""

from __future__ import annotations

import asyncio
import signal

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.db import Database
from bot.models.audit import AuditEntry
from bot.models.outbox import OutboxMessage
from tests.processes import (
    BotProcess,
    WatchedServer,
    a_write_waits,
    all_switched_and_none_in_flight,
    member,
    wait_for,
    wait_until,
    writes_held,
)

pytestmark = pytest.mark.slow

PEOPLE = 12  # more than the bot handles at once (UPDATE_CONCURRENCY, 8)


async def test_sigterm_finishes_the_updates_in_hand_and_nothing_repeats(
    server: WatchedServer, bot_process: BotProcess, db: Database
) -> None:
    users = [server.user(f"p{i}") for i in range(PEOPLE)]
    for user in users:
        await member(db, user)
    await bot_process.start()

    async with writes_held(db):
        for user in users:
            await user.send("/language es")
        # Taken from Telegram (not confirmed yet: they are in hand) and waiting for the lock.
        last = bot_process.bot.next_update_id - 1
        await wait_for(lambda: server.fetched_up_to >= last, "the bot to take every update")
        if not db.is_sqlite:
            await wait_until(lambda: a_write_waits(db), "a handler to wait for the lock")
        else:
            await asyncio.sleep(0.3)  # let the handlers reach the lock (not an assertion)
        assert bot_process.proc is not None
        bot_process.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        # It does not leave with updates in hand.
        assert bot_process.running
    assert await bot_process.wait_exit(timeout=30) == 0

    await all_switched_and_none_in_flight(db, users, "es")
    async with db.transaction() as session:
        replies = (await session.exec(select(OutboxMessage))).all()
    assert sorted(r.chat_id for r in replies) == sorted(u.id for u in users)
    # What was handled was confirmed on the way out: Telegram will not send it again.
    assert bot_process.bot.pending == []

    # A new process: nothing taken before is handled again, and the replies left go out once.
    await bot_process.start()
    last = users[0]
    await last.send("/help")
    await wait_for(
        lambda: (
            all(len(u.bot_messages()) == 1 for u in users[1:]) and len(last.bot_messages()) == 2
        ),
        "every reply, and the answer to /help",
    )
    assert await bot_process.terminate() == 0
    async with db.transaction() as session:
        changes = await session.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action) == "person.language")
        )
        assert changes.one() == PEOPLE  # each change recorded once
        assert len((await session.exec(select(OutboxMessage))).all()) == PEOPLE + 1
    for user in users[1:]:
        assert len(user.bot_messages()) == 1, user.transcript()
