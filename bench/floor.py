"""The stack's floor (not a test): how fast bare python-telegram-bot answers on this machine.

    python -m bench.floor [--people 300] [--rounds 5] [--concurrency 8]

The same crowd and sandbox child process as bench.load, every person sending /help at once
each round, but the bot is python-telegram-bot alone: long polling, the project's aiohttp
request class, and one handler that answers with `sendMessage` straight away. No database,
no outbox, no translation, no permissions. Whatever the real bot does per update costs on top
of this, so this figure bounds what any amount of tuning of our own code can reach with the
chosen stack (bench/README.md, "The floor").
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import Figures, RemoteCrowd, _add_round, _percentiles, _serve

REPLY = "How I can help: /status, /deadlines, /language."


async def run_floor(args: argparse.Namespace) -> tuple[Figures, float, float]:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bot.sandbox.runner import TOKEN
    from bot.telegram_request import AiohttpRequest

    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(
        target=_serve, args=(child, True, args.seed, ["/help"]), daemon=True
    )
    process.start()
    base_url = parent.recv()
    crowd = RemoteCrowd(parent)
    handled: list[float] = []

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, REPLY)
        handled.append(time.time())

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(base_url)
        .concurrent_updates(args.concurrency)
        .request(AiohttpRequest(connection_pool_size=max(16, 2 * args.concurrency)))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, answer))
    figures = Figures()
    try:
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await crowd.call("join", args.people)
        cpu = time.process_time()
        for number in range(args.rounds):
            handled.clear()
            await crowd.call("round", number)
            complete = await crowd.call("wait_answered")
            _add_round(figures, await crowd.call("report"), handled, complete)
        cpu = time.process_time() - cpu
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    finally:
        parent.send(("stop",))
        process.join(timeout=10)
    return figures, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    figures, cpu, rss = asyncio.run(run_floor(args))
    handled = figures.handle_seconds or 1
    answered = figures.answer_seconds or 1
    print(
        f"floor: bare python-telegram-bot, {args.people} people x {args.rounds} rounds of /help "
        f"at once, concurrency {args.concurrency}, no database"
    )
    print(
        f"burst updates/s (made available -> handled): {figures.updates / handled:.0f}"
        f"   (-> last answer at the sandbox): {figures.updates / answered:.0f}"
        f"   over {figures.updates} updates"
    )
    print(f"burst reply latency: {_percentiles(figures.replies_ms)}")
    print(
        f"bot process: CPU {cpu * 1000 / max(1, figures.updates):.2f} ms per update; "
        f"peak RSS {rss:.0f} MB; never answered {figures.unanswered}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
