"""Broadcast benchmark (not a test): the outbox sender against a naive send loop.

    python -m bench.broadcast [--recipients 1000] [--rate 300] [--database-url URL]

The sandbox runs in a child process (Telegram is another machine, after all) with its flood
limit raised to `--rate` messages per second and its per-chat limits on. The bot's own sender
drains a broadcast to every recipient; then, over the same recipients, a naive loop of
`send_message` calls (no pacing, no retry). For each it prints the achieved rate as a
fraction of the limit, messages lost, duplicates and 429s received.

The rate is messages delivered / seconds from the moment the broadcast is committed (or the
loop starts) until the sandbox accepted the last message. Under a sliding one-second window the
fastest possible is a little over the limit: the first second's burst is free.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN = "424242:RCM-bench-token-0123456789abcdef"  # noqa: S105 - only the sandbox takes it


# ---- the sandbox, in its own process --------------------------------------------------------


def _serve(conn: Connection, recipients: int, rate: int) -> None:
    asyncio.run(_serve_async(conn, recipients, rate))


async def _serve_async(conn: Connection, recipients: int, rate: int) -> None:
    from bot.sandbox import BotApiServer, Limits

    server = BotApiServer(limits=Limits(global_per_second=rate))
    await server.start()
    bot = server.add_bot(TOKEN, username="rcm_bench_bot")
    accepted: list[float] = []
    reached: set[int] = set()
    everyone = asyncio.Event()
    record = server.record_bot_message

    def timed(sim_bot: Any, state: Any, message: Any) -> None:
        accepted.append(time.time())
        reached.add(state.chat.id)
        if len(reached & wanted) == len(wanted):
            everyone.set()
        record(sim_bot, state, message)

    server.record_bot_message = timed  # type: ignore[method-assign]
    users = [server.user(f"u{i}") for i in range(recipients)]
    wanted = {u.id for u in users}
    requester = server.user("ts")
    for user in [*users, requester]:
        user.state.started = True
    conn.send((server.base_url, [u.id for u in users], requester.id))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            break
        if command == "reset":
            server.flood.reset()
            server.stats.errors.clear()
            accepted.clear()
            reached.clear()
            everyone.clear()
            for state in bot.chats.values():
                state.messages.clear()
            conn.send(True)
        elif command == "wait":  # answer once every recipient has a message (or give up)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everyone.wait(), 300)
            conn.send(True)
        elif command == "report":
            counts = [len(u.bot_messages()) for u in users]
            conn.send(
                {
                    "lost": counts.count(0),
                    "duplicates": sum(c - 1 for c in counts if c > 1),
                    "429": server.stats.errors[429],
                    "last_accepted": max(accepted) if accepted else None,
                }
            )
    await server.stop()


# ---- the two senders -----------------------------------------------------------------------


@dataclass
class Figures:
    seconds: float
    rate: float
    fraction: float
    lost: int
    duplicates: int
    too_many: int
    requests: int
    cpu_ms: float  # the bot process's CPU per recipient: what the figures cost, load aside


def _figures(
    started: float, cpu: float, report: dict[str, Any], recipients: int, limit: int, requests: int
) -> Figures:
    seconds = (report["last_accepted"] or time.time()) - started
    delivered = recipients - report["lost"]  # lost messages do not count towards the rate
    rate = delivered / seconds if seconds > 0 else 0.0
    return Figures(
        seconds,
        rate,
        rate / limit,
        report["lost"],
        report["duplicates"],
        report["429"],
        requests,
        (time.process_time() - cpu) * 1000 / recipients,
    )


async def _outbox_run(
    conn: Connection, base_url: str, ids: list[int], ts_id: int, rate: int, url: str, folder: Path
) -> Figures:
    from bot import db, people
    from bot.app import build_application, services_of
    from bot.config import Settings
    from bot.models.people import Person
    from bot.outbox import Content
    from bot.roles import Role
    from bot.text import Tr

    await db.upgrade_async(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=base_url,
        DATABASE_URL=url,
        DOCUMENTS_DIR=str(folder / "documents"),
        HEARTBEAT_FILE=str(folder / "heartbeat"),
        SEND_RATE_PER_SECOND=rate,
    )
    app = build_application(settings, install_runtime=False)
    await app.initialize()
    services = services_of(app)
    assert services.sender is not None
    await services.sender.start()
    now = services.clock.now()
    async with services.unit_of_work() as session:
        requester = await people.add_person(
            session, roles=frozenset({Role.TS}), now=now, telegram_id=ts_id
        )
        persons = []
        for i, telegram_id in enumerate(ids):
            person = Person(
                telegram_id=telegram_id,
                display_name=f"u{i}",
                language="es" if i % 2 else "en",
                created_at=now,
            )
            session.add(person)
            persons.append(person)
        await session.flush()
    async with services.unit_of_work() as session:
        await services.outbox.broadcast(
            session,
            persons,
            Content(Tr("Announcement {id}", id="A1")),
            now=services.clock.now(),
            title=Tr("Announcement {id}", id="A1"),
            requested_by=requester,
        )
        started, cpu = time.time(), time.process_time()
    await _wait_delivered(conn, len(ids))
    conn.send("report")
    report = conn.recv()
    await services.sender.stop()  # after the batch in hand is settled
    stats = services.sender.stats
    requests = stats["sent"] + stats["retried"] + stats["failed"]
    figures = _figures(started, cpu, report, len(ids), rate, requests)
    await app.shutdown()
    await services.db.dispose()
    return figures


async def _wait_delivered(conn: Connection, recipients: int) -> None:
    # Waited for in a thread: a blocking read here would stall the sender being measured.
    conn.send("wait")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def _naive_run(conn: Connection, base_url: str, ids: list[int], rate: int) -> Figures:
    import telegram
    from telegram.error import RetryAfter, TelegramError

    conn.send("reset")
    conn.recv()
    bot = telegram.Bot(TOKEN, base_url=base_url)
    await bot.initialize()
    started, cpu = time.time(), time.process_time()
    for telegram_id in ids:
        try:
            await bot.send_message(telegram_id, "Announcement A1")
        except RetryAfter:
            pass  # a naive loop neither waits nor retries: the message is lost
        except TelegramError:
            pass
    conn.send("report")
    figures = _figures(started, cpu, conn.recv(), len(ids), rate, len(ids))
    await bot.shutdown()
    return figures


def _print(limit: int, recipients: int, outbox: Figures, naive: Figures) -> None:
    rows = [
        ("seconds", f"{outbox.seconds:.2f}", f"{naive.seconds:.2f}"),
        ("messages per second", f"{outbox.rate:.1f}", f"{naive.rate:.1f}"),
        ("fraction of the limit", f"{outbox.fraction:.3f}", f"{naive.fraction:.3f}"),
        ("messages lost", str(outbox.lost), str(naive.lost)),
        ("duplicates", str(outbox.duplicates), str(naive.duplicates)),
        ("429s received", str(outbox.too_many), str(naive.too_many)),
        ("requests to Telegram", str(outbox.requests), str(naive.requests)),
        ("bot CPU ms per recipient", f"{outbox.cpu_ms:.2f}", f"{naive.cpu_ms:.2f}"),
    ]
    print(f"broadcast to {recipients} recipients, sandbox limit {limit} msg/s, per-chat limits on")
    print(f"{'':24}{'outbox sender':>16}{'naive loop':>14}")
    for name, left, right in rows:
        print(f"{name:24}{left:>16}{right:>14}")
    print("targets (outbox): fraction >= 0.95, lost 0, duplicates 0")
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores during the run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(
        target=_serve, args=(child, args.recipients, args.rate), daemon=True
    )
    process.start()
    base_url, ids, ts_id = parent.recv()
    with tempfile.TemporaryDirectory(prefix="rcm-bench-") as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        outbox = asyncio.run(_outbox_run(parent, base_url, ids, ts_id, args.rate, url, folder))
        naive = asyncio.run(_naive_run(parent, base_url, ids, args.rate))
    parent.send("stop")
    process.join(timeout=10)
    _print(args.rate, args.recipients, outbox, naive)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
