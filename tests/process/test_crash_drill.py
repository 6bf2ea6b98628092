"""The crash drill: the real bot process, a sandbox failing 20% of its calls (5xx, timeouts
and 429, seeded), an announcement to some two hundred people and a vote in progress, and the
process SIGKILLed five times while it sends and while people vote (at least twice while the
announcement is still going out).

At the end: everyone got the announcement, every ballot pressed is recorded once, the vote's
outcome is right, and no reminder went out twice. A message can arrive twice only if it was
in flight when the process died (or Telegram sent it after the bot stopped waiting for the
answer): every extra copy in the sandbox is accounted for by one of those, and counted.

getUpdates is left out of the faults: a failed long poll only delays updates (PTB retries it
with a growing pause), and the drill is about what the bot sends and records.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot import announcements, deadlines, people, votes
from bot.audiences import Audience
from bot.clock import as_utc
from bot.config import Settings
from bot.db import Database
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.people import Person
from bot.models.votes import VoteBallot
from bot.sandbox.limits import Limits
from bot.sandbox.runner import TOKEN
from bot.sandbox.users import SimUser
from bot.services import Services
from bot.text import Bi, from_json
from bot.vote_rules import Choice, VoteRule
from tests.processes import (
    BotProcess,
    WatchedServer,
    member,
    outbox_settled,
    outbox_unsettled,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.slow

FOCAL_POINTS = 140
KILLS = 5
# Kills that must land while the announcement is still going out. The others may come after
# it ended (a restart sends while it starts, and the faster the bot the sooner it ends): they
# still cut the vote's presses, results and reminders.
KILLS_DURING_BROADCAST = 2
# Bounds on the waits, not pauses (a good run takes under a minute in all). A message that
# fails n times in a row waits 2 + 4 + ... + 2^n s before it goes; with a fifth of all calls
# failing, some row of the ~200 fails 5 times in a row in about one run in twenty (62 s).
WAIT = 180.0  # seconds
MARK = "Drill-announcement-4417"
# A reminder of the vote falls due this long after it opens: during the drill.
REMIND_AFTER = timedelta(seconds=6)
# Who presses what, in batches between kills: 8 no objection, 1 objection, 2 stay silent.
PRESSES = [
    [("BZ", "No objection"), ("CA", "No objection")],
    [("CR", "No objection"), ("DO", "Object")],
    [("SV", "No objection"), ("GT", "No objection")],
    [("HN", "No objection"), ("MX", "No objection")],
    [("NI", "No objection")],
]
SILENT = ("PA", "US")
STATES = [code for batch in PRESSES for code, _ in batch] + list(SILENT)


def _announced(server: WatchedServer) -> int:
    """How many people have the announcement so far."""
    return sum(
        any(MARK in (m.text or "") for m in chat.messages if m.from_bot)
        for chat in server.default_bot.chats.values()
    )


async def _in_flight(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as session:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.IN_FLIGHT)
        )
        return list(rows.all())


async def _ballots(db: Database, vote_id: int) -> list[VoteBallot]:
    async with db.transaction() as session:
        rows = await session.exec(select(VoteBallot).where(VoteBallot.vote_id == vote_id))
        return list(rows.all())


async def test_crash_drill(
    server: WatchedServer, bot_process: BotProcess, db: Database, database_url: str
) -> None:
    started = time.monotonic()
    server.limits = Limits(global_per_second=1000, per_chat_per_second=50, per_chat_burst=10)
    bot_process.extra_env.update(
        {
            # Slow enough that the announcement is still going out at the first kills.
            "SEND_RATE_PER_SECOND": "20",
            "SEND_CHAT_INTERVAL_SECONDS": "0.05",
            "TELEGRAM_TIMEOUT": "1.5",
            "DEADLINE_SAFETY_TICK_SECONDS": "1",
        }
    )

    # ---- people, a vote and an announcement, written as the bot would write them ------------
    tess = server.user("tess")
    ts = await member(db, tess, "ts", None)
    vms: dict[str, SimUser] = {}
    for code in STATES:
        vms[code] = server.user(f"vm_{code.lower()}")
        await member(db, vms[code], "vice_minister", code)
    focal = [server.user(f"fp{i}") for i in range(FOCAL_POINTS)]
    for i, user in enumerate(focal):
        await member(db, user, "focal_point", STATES[i % len(STATES)])
    everyone = [tess, *vms.values(), *focal]

    settings = Settings(_env_file=None, BOT_TOKEN=TOKEN, DATABASE_URL=database_url)
    services = Services.create(settings, db=db)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        person = await session.get(Person, ts.id)
        assert person is not None
        actor = await people.actor_for(session, person, now, settings.tz)
        vote = await votes.open_vote(
            services,
            session,
            opened_by=actor,
            rule=VoteRule.NO_OBJECTION,
            question=Bi("Approve the drill report?", "¿Aprobar el informe del simulacro?"),
            deadline=now + timedelta(days=3),
            now=now,
        )
        assert vote.id is not None
        closing = await deadlines.get(session, votes.deadline_key(vote.id))
        assert closing is not None
        due = as_utc(closing.due_at)
        await deadlines.schedule(
            session,
            key=closing.key,
            kind=closing.kind,
            ref=closing.ref,
            title=from_json(closing.title),
            due_at=due,
            now=now,
            reminders=[due - (now + REMIND_AFTER)],
        )
        _, broadcast = await announcements.send(
            services,
            session,
            actor,
            announcements.Draft(Bi(f"{MARK} en", f"{MARK} es"), Audience()),
            now=now,
        )

    # ---- the drill -----------------------------------------------------------------------------
    server.faults.fail_rate(0.2, ["5xx", "timeout", "429"], seed=20260309)
    await bot_process.start()
    at_risk: Counter[int] = Counter()  # chat id -> rows in flight when the process died
    pressed: dict[str, str] = {}
    step = len(everyone) // (KILLS + 1)
    during_broadcast = 0  # kills that came before everyone had the announcement
    for kill, batch in enumerate(PRESSES, start=1):
        for code, label in batch:
            user = vms[code]
            await wait_for(
                lambda user=user: any(m.buttons for m in user.bot_messages()),
                f"the ballot of {user.name}",
                timeout=WAIT,
            )
            ballot = next(m for m in user.bot_messages() if m.buttons)
            await user.press(label, message_id=ballot.message_id)
            if label == "Object":  # the bot asks for the reason first
                await wait_for(
                    lambda user=user: any(
                        "reason for the objection" in (m.text or "") for m in user.bot_messages()
                    ),
                    "the question for the reason",
                    timeout=WAIT,
                )
                await user.send("The figures are not final yet.")
            pressed[code] = label
        await wait_for(
            lambda kill=kill: _announced(server) >= min(kill * step, len(everyone)),
            f"{kill * step} people announced to before kill {kill}",
            timeout=WAIT,
        )
        during_broadcast += _announced(server) < len(everyone)
        await bot_process.kill()
        for row in await _in_flight(db):
            at_risk[row.chat_id] += row.method == OutboxMethod.SEND
        await bot_process.start()

    # Once everything is in, the TS closes the vote (still with faults).
    await wait_until(lambda: _count_ballots(db, vote.id), "every press recorded", timeout=WAIT)
    await tess.send(f"/close V{vote.id}")
    await wait_until(lambda: _closed(db, vote.id), "the vote closed", timeout=WAIT)

    async def explain() -> str:
        return f"{await outbox_unsettled(db)}\nthe bot's last log lines:\n{bot_process.tail()}"

    await wait_until(
        lambda: outbox_settled(db), "every message sent", timeout=2 * WAIT, explain=explain
    )
    assert await bot_process.terminate() == 0
    assert during_broadcast >= KILLS_DURING_BROADCAST, during_broadcast
    elapsed = time.monotonic() - started

    # ---- the end state -------------------------------------------------------------------------
    async with db.transaction() as session:
        rows = list((await session.exec(select(OutboxMessage))).all())
        outcome = await votes.outcome_of(session, vote.id)
        by_telegram = {p.telegram_id: p.id for p in (await session.exec(select(Person))).all()}
    assert all(r.status in (OutboxStatus.SENT, OutboxStatus.CANCELLED) for r in rows), Counter(
        r.status for r in rows
    )

    # Nothing lost: every message the outbox sent is in its chat, under the id it recorded.
    delivered = {
        (chat_id, m.message_id): m
        for chat_id, state in server.default_bot.chats.items()
        for m in state.messages
        if m.from_bot
    }
    sends = [r for r in rows if r.method == OutboxMethod.SEND and r.status == OutboxStatus.SENT]
    for row in sends:
        assert (row.chat_id, row.telegram_message_id) in delivered, row
    # The announcement: one row per person, each delivered.
    mine = [r for r in sends if r.broadcast_id == broadcast.id]
    assert sorted(r.chat_id for r in mine) == sorted(u.id for u in everyone)

    # Extra copies: only of rows in flight at a kill (or abandoned by the bot's timeout).
    recorded = {(r.chat_id, r.telegram_message_id) for r in sends}
    extra = Counter(chat for chat, message_id in delivered if (chat, message_id) not in recorded)
    slack = server.abandoned_sends
    for chat, copies in extra.items():
        assert copies <= at_risk[chat] + slack, (chat, copies, at_risk[chat], slack)
    assert sum(extra.values()) <= sum(at_risk.values()) + slack
    announcement_copies = Counter(
        chat for (chat, _), m in delivered.items() if MARK in (m.text or "")
    )
    assert set(announcement_copies) == {u.id for u in everyone}

    # Every ballot pressed is recorded once, with what was pressed; the silent have none.
    ballots = await _ballots(db, vote.id)
    state_of = {by_telegram[vms[code].id]: code for code in STATES}
    recorded_ballots = Counter(state_of[b.person_id] for b in ballots)
    assert recorded_ballots == Counter(pressed.keys())
    choice = {"No objection": Choice.NO_OBJECTION, "Object": Choice.OBJECT}
    for b in ballots:
        assert b.choice == choice[pressed[state_of[b.person_id]]]

    # The outcome: one objection, so the silence procedure fails.
    assert outcome is not None and not outcome.approved
    assert outcome.tally.of(Choice.NO_OBJECTION) == 8
    assert outcome.tally.of(Choice.OBJECT) == 1
    assert outcome.tally.silent == len(SILENT)

    # Reminders: at most one per person; the two who never voted got theirs.
    reminders = Counter(r.person_id for r in rows if (r.dedupe_key or "").startswith("reminder:"))
    assert all(n == 1 for n in reminders.values()), reminders
    for code in SILENT:
        assert reminders[by_telegram[vms[code].id]] == 1
    # The results: once to each Vice-Minister.
    results = Counter(
        r.person_id for r in rows if (r.dedupe_key or "").startswith(f"vote:{vote.id}:results")
    )
    assert all(results[by_telegram[u.id]] == 1 for u in vms.values())

    print(  # noqa: T201 - the figures of this run
        f"\ncrash drill: {len(everyone)} recipients, {KILLS} kills ({during_broadcast} during "
        f"the announcement), {elapsed:.1f} s; "
        f"faults {dict(server.faults.injected)}; rows in flight at kills "
        f"{sum(at_risk.values())}; most failures of one row {max(r.failures for r in rows)}; "
        f"abandoned by timeout {slack}; extra copies "
        f"{sum(extra.values())} (announcement {sum(announcement_copies.values()) - len(everyone)})"
    )


async def _count_ballots(db: Database, vote_id: int) -> bool:
    return len({b.seat_id for b in await _ballots(db, vote_id)}) == sum(map(len, PRESSES))


async def _closed(db: Database, vote_id: int) -> bool:
    async with db.transaction() as session:
        return await votes.outcome_of(session, vote_id) is not None
