"""Webhook mode on the real process: the webhook is registered with its secret, updates the
sandbox delivers are answered, and a request without the secret changes nothing. The bot
answers a delivery only once the update is handled, so an update in hand at a crash comes
again, and SIGTERM finishes what is in hand and takes nothing new."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot import people
from bot.db import Database
from bot.models.audit import AuditEntry
from bot.models.outbox import OutboxMessage
from bot.sandbox.server import BotApiServer
from bot.sandbox.users import SimUser
from tests.processes import (
    BotProcess,
    WatchedServer,
    a_write_waits,
    all_switched_and_none_in_flight,
    free_port,
    member,
    wait_for,
    wait_until,
    writes_held,
)

pytestmark = pytest.mark.slow

SECRET = "hook-secret_0123456789"
PEOPLE = 12  # more than the bot handles at once (UPDATE_CONCURRENCY, 8)


def _forged(user: SimUser, text: str) -> dict[str, Any]:
    """An update as Telegram would post it, from a member, sent by someone else."""
    sender = {"id": user.id, "is_bot": False, "first_name": user.info.first_name}
    return {
        "update_id": 900_000,
        "message": {
            "message_id": 900,
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.info.first_name},
            "from": sender,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.index(" ")}],
        },
    }


async def _language(db: Database, telegram_id: int) -> str:
    async with db.transaction() as session:
        person = await people.by_telegram_id(session, telegram_id)
        assert person is not None
        return person.language


async def _outbox_rows(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxMessage))).one())


async def _language_changes(db: Database) -> int:
    async with db.transaction() as session:
        changes = await session.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action) == "person.language")
        )
        return int(changes.one())


async def _in_hand(server: WatchedServer, db: Database, delivered: int) -> None:
    """Wait until the sandbox has posted `delivered` updates and the bot holds them."""
    await wait_for(lambda: server.webhooks.attempts >= delivered, "the deliveries")
    if not db.is_sqlite:
        await wait_until(lambda: a_write_waits(db), "a handler to wait for the lock")
    else:
        await asyncio.sleep(0.3)  # let the handlers reach the lock (not an assertion)


@pytest.fixture
async def hook(
    server: BotApiServer, tmp_path: Path, database_url: str
) -> AsyncIterator[BotProcess]:
    port = free_port()
    process = BotProcess(
        server,
        tmp_path / "bot",
        database_url,
        env={
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
        },
    )
    try:
        yield process
    finally:
        await process.close()


async def test_webhook_mode_answers_only_requests_with_the_secret(
    server: BotApiServer, hook: BotProcess, db: Database
) -> None:
    ana = server.user("ana")
    await member(db, ana)
    try:
        await hook.start()
        registered = hook.bot.webhook
        assert registered is not None
        assert registered.url == hook.extra_env["WEBHOOK_URL"]
        assert registered.secret_token == SECRET
        assert "long polling" not in hook.stdout()
        assert f"mode: webhook {registered.url}" in hook.stdout()

        # Delivered by "Telegram" with the secret header: answered.
        await ana.send("/help")
        await wait_for(lambda: len(ana.bot_messages()) == 1, "the answer to /help")
        assert registered.delivered >= 1 and registered.last_error_message is None

        # Posted by anyone else, without the secret or with a wrong one: refused, unread.
        rows = await _outbox_rows(db)
        forged = _forged(ana, "/language es")
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with client.post(registered.url, json=forged, headers=headers) as resp:
                    assert resp.status == 403
        # The next genuine update is answered after anything queued before it would have been.
        await ana.send("/help")
        await wait_for(lambda: len(ana.bot_messages()) == 2, "the answer to the second /help")
        assert await _language(db, ana.id) == "en"
        assert await _outbox_rows(db) == rows + 1

        # The same request with the right secret is taken: only the header made the difference.
        async with aiohttp.ClientSession() as client:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with client.post(registered.url, json=forged, headers=headers) as resp:
                assert resp.status == 200
        await wait_for(lambda: len(ana.bot_messages()) == 3, "the answer to /language es")
        assert await _language(db, ana.id) == "es"
        assert await hook.terminate() == 0
    finally:
        await hook.close()


async def test_webhook_mode_without_a_secret_is_one_line(hook: BotProcess) -> None:
    del hook.extra_env["WEBHOOK_SECRET"]
    hook.spawn()
    assert await hook.wait_exit() == 2
    assert hook.stderr().strip() == "error: WEBHOOK_SECRET is required in webhook mode"
    assert hook.stdout() == ""
    assert hook.bot.webhook is None


async def test_an_update_in_hand_at_a_crash_is_delivered_again_and_handled_once(
    server: WatchedServer, hook: BotProcess, db: Database
) -> None:
    ana = server.user("ana")
    await member(db, ana)
    await hook.start()
    async with writes_held(db):
        await ana.send("/language es")
        await _in_hand(server, db, server.webhooks.attempts + 1)
        await hook.kill()
    # Never answered: Telegram still holds it, and nothing of it was written.
    assert [u["message"]["text"] for u in hook.bot.pending] == ["/language es"]
    assert await _language(db, ana.id) == "en"
    assert hook.bot.webhook is not None and hook.bot.webhook.delivered == 0

    await hook.start()
    await wait_for(lambda: len(ana.bot_messages()) == 1, "the answer to /language es")
    await wait_for(lambda: not hook.bot.pending, "Telegram to have its answer")
    await ana.send("/help")
    await wait_for(lambda: len(ana.bot_messages()) == 2, "the answer to /help")
    assert await hook.terminate() == 0
    assert await _language(db, ana.id) == "es"
    assert await _language_changes(db) == 1
    assert await _outbox_rows(db) == 2


async def test_sigterm_finishes_the_updates_in_hand_and_takes_no_new_one(
    server: WatchedServer, hook: BotProcess, db: Database
) -> None:
    users = [server.user(f"p{i}") for i in range(PEOPLE)]
    late = server.user("late")
    for user in [*users, late]:
        await member(db, user)
    await hook.start()

    async with writes_held(db):
        for user in users:
            await user.send("/language es")
        # All delivered at once (max_connections), each waiting for its answer.
        await _in_hand(server, db, server.webhooks.attempts + PEOPLE)
        assert hook.bot.webhook is not None and hook.bot.webhook.delivered == 0
        assert hook.proc is not None
        hook.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        assert hook.running  # it does not leave with updates in hand
        # Stopping: a new update is not taken (refused; Telegram keeps it).
        await late.send("/language es")
        await wait_for(
            lambda: server.webhooks.failures > 0, "the late update to be refused", timeout=10
        )
    assert await hook.wait_exit(timeout=30) == 0

    await all_switched_and_none_in_flight(db, users, "es")
    assert await _language(db, late.id) == "en"
    # Every update in hand was answered; only the late one waits at Telegram.
    assert [u["message"]["from"]["id"] for u in hook.bot.pending] == [late.id]

    await hook.start()
    await wait_for(
        lambda: all(len(u.bot_messages()) == 1 for u in [*users, late]),
        "every reply, and the answer to the late update",
    )
    await wait_for(lambda: not hook.bot.pending, "Telegram to have every answer")
    assert await hook.terminate() == 0
    assert await _language(db, late.id) == "es"
    assert await _language_changes(db) == PEOPLE + 1  # each handled once
    assert await _outbox_rows(db) == PEOPLE + 1
    for user in [*users, late]:
        assert len(user.bot_messages()) == 1, user.transcript()
