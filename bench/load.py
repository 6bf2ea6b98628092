"""Load benchmark (not a test): 300 people pressing buttons and sending commands at once.

    python -m bench.load [--people 300] [--rounds 5] [--database-url URL]
                         [--sandbox process|inline] [--limits relaxed|telegram] [--profile]
                         [--sql] [--arrival-rate N --duration S]

The real bot runs in real time against the local Bot API sandbox. `--people` joined persons
of the 11 member states (one Vice-Minister per state, the rest focal points, half reading
Spanish) are written straight into the database; the Technical Secretariat then sends an
announcement and opens a no-objection vote through the bot, as it would. Each round, every
person acts at the same instant, a seeded mix of: /status, /help, /language, /deadlines, the
"Received" button of the announcement, a language button, and (Vice-Ministers) the ballot's
"No objection" button. The next round starts once everything of the last one was answered.
A round is a burst, so its latency is mostly queueing; `--arrival-rate N` then adds a steady
phase: an update every 1/N s for `--duration` seconds, open loop (bench/README.md).

What it measures (all wall-clock, one machine):

- updates/s: updates of all rounds / the time from each round's first update being made
  available by the sandbox to its last update handled by the bot (summed over rounds);
  "answered" counts to the last answer reaching the sandbox instead.
- callback answer latency (button presses): update made available -> answerCallbackQuery
  reaches the sandbox. The bot makes that call itself, after its transaction commits.
- reply latency (every update answered by a message or an edit): update made available ->
  the first sendMessage/editMessage* for that chat reaches the sandbox. Replies go through the
  durable outbox and the sender, paced at Telegram's limits: with `--limits telegram` (30
  messages/s overall, 1/s per chat, on both sides) a reply to 300 people takes 10 s by
  design; the default `relaxed` lifts the limits in the sandbox and in the bot's pacer so
  that the figure is the bot's own cost.
- memory: the bot process's peak RSS (getrusage ru_maxrss), and with `--tracemalloc` the
  peak of Python allocations during the rounds (slow: tracing costs CPU, so run it apart).

By default the sandbox runs in a child process (`--sandbox process`): Telegram is another
machine, and in one process the sandbox's own work (JSON, HTTP server) would share the bot's
event loop and CPU. `--sandbox inline` runs both in this process (bot.sandbox.runner's
SandboxRun, as the tests do).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import os
import pstats
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STATES = ["BZ", "CA", "CR", "SV", "US", "GT", "HN", "MX", "NI", "PA", "DO"]
ANNOUNCE = (
    "/announce all\n"
    "EN: The plenary moves to room 4 on Tuesday. Please confirm you received this.\n"
    "ES: La plenaria pasa a la sala 4 el martes. Por favor confirme que lo recibió."
)
COMMANDS = ["/status", "/help", "/language", "/deadlines"]
# What a person does in a round, with its weight (Vice-Ministers also press their ballot).
MIX = {
    "/status": 25,
    "/help": 10,
    "/language": 10,
    "/deadlines": 10,
    "received": 30,
    "language button": 15,
}
BALLOT_WEIGHT = 40
ROUND_TIMEOUT = 120.0
STEADY_COOLDOWN = 0.5  # seconds
ANSWERS = {"answerCallbackQuery"}
REPLIES = {
    "sendMessage",
    "sendDocument",
    "sendPhoto",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
}


# ---- the sandbox side: the crowd -------------------------------------------------------------


@dataclass
class Act:
    """One person's action in a round, as the sandbox saw it."""

    kind: str
    chat_id: int
    query_id: str | None
    made_at: float
    answered_at: float | None = None
    replied_at: float | None = None


@dataclass
class Crowd:
    """The simulated people on the sandbox server, and what reached each of them when."""

    server: Any
    seed: int
    only: list[str] | None = None
    users: list[Any] = field(default_factory=list)
    vice_ministers: set[int] = field(default_factory=set)
    acts: list[Act] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    _by_query: dict[str, Act] = field(default_factory=dict)
    _by_chat: dict[int, Act] = field(default_factory=dict)
    _waiting: int = 0

    def join(self, people: int) -> dict[str, Any]:
        """Create the users (all with the chat opened) and watch the bot's calls."""
        ts = self.server.user("ts", lang="en")
        ts.state.started = True
        for i in range(people):
            user = self.server.user(f"p{i}", lang="es" if i % 2 else "en")
            user.state.started = True
            self.users.append(user)
            if i < len(STATES):
                self.vice_ministers.add(user.id)
        self._watch()
        return {
            "ts": ts.id,
            "people": [(u.id, u.language_code) for u in self.users],
            "vice_ministers": sorted(self.vice_ministers),
        }

    def _watch(self) -> None:
        handlers = self.server.methods.handlers
        for name in ANSWERS | REPLIES:
            if name in handlers:
                handlers[name] = self._timed(name, handlers[name])

    def _timed(
        self, name: str, call: Callable[[Any, dict[str, Any]], Awaitable[Any]]
    ) -> Callable[[Any, dict[str, Any]], Awaitable[Any]]:
        async def timed(bot: Any, params: dict[str, Any]) -> Any:
            result = await call(bot, params)
            now = time.time()
            if name in ANSWERS:
                act = self._by_query.get(str(params.get("callback_query_id")))
                if act is not None and act.answered_at is None:
                    act.answered_at = now
                    self._done()
            else:
                act = self._by_chat.get(_as_int(params.get("chat_id")))
                if act is not None and act.replied_at is None:
                    act.replied_at = now
                    if act.query_id is None:
                        self._done()
            return result

        return timed

    def _done(self) -> None:
        self._waiting -= 1
        if self._waiting <= 0:
            self.answered.set()

    async def ts_send(self, text: str) -> None:
        await self.server.user("ts").send(text)

    async def ts_press(self, label: str) -> None:
        await self.server.user("ts").press(label)

    async def round(self, number: int) -> int:
        """Everyone acts at once (no await in between: the bot sees them all together);
        returns the number of updates made available."""
        rng = random.Random(self.seed * 1000 + number)
        self.acts, self._by_query, self._by_chat = [], {}, {}
        self.answered.clear()
        self._waiting = len(self.users)
        for user in self.users:
            await self._make(user, rng)
        return len(self.acts)

    async def steady(self, rate: float, duration: float, number: int) -> int:
        """Open loop: an update made available every 1/rate seconds for `duration`, whatever
        the bot's progress, each by a person whose last action was answered (so that a reply
        is not counted for the wrong action); returns the number made available."""
        rng = random.Random(self.seed * 1000 + number)
        self.acts, self._by_query, self._by_chat = [], {}, {}
        self.answered.clear()
        self.crowded = 0
        total = max(1, int(rate * duration))
        self._waiting = total
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(total):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.time()
            free = [u for u in self.users if self._free(u.id, now)]
            # Nobody free (the bot is far behind): someone acts again before the answer to
            # their last action, and an answer may then be counted against the wrong one.
            self.crowded += not free
            await self._make(rng.choice(free or self.users), rng)
        return total

    def _free(self, chat_id: int, now: float) -> bool:
        act = self._by_chat.get(chat_id)
        if act is None:
            return True
        done = act.answered_at if act.query_id is not None else act.replied_at
        # A press's edit may follow its answer: leave the person a moment before acting again.
        return done is not None and now - done >= STEADY_COOLDOWN

    async def _make(self, user: Any, rng: random.Random) -> None:
        mix = dict(MIX)
        if user.id in self.vice_ministers:
            mix["ballot"] = BALLOT_WEIGHT
        if self.only:
            mix = {k: v for k, v in mix.items() if k in self.only} or {self.only[0]: 1}
        kind = rng.choices(list(mix), weights=list(mix.values()))[0]
        made_at = time.time()
        query_id = await self._act(user, kind, rng)
        act = Act(kind, user.id, query_id, made_at)
        self.acts.append(act)
        self._by_chat[user.id] = act
        if query_id is not None:
            self._by_query[query_id] = act

    async def _act(self, user: Any, kind: str, rng: random.Random) -> str | None:
        if kind.startswith("/"):
            await user.send(kind)
            return None
        if kind == "language button":
            announcement = self._with_button(user, "ack:")
            return await user.press_data(rng.choice(["lang:en", "lang:es"]), announcement)
        if kind == "received":
            message_id = self._with_button(user, "ack:")
            message = user.state.find(message_id)
            return await user.press_data(message.buttons[0][0].value, message_id)
        if kind == "ballot":
            message_id = self._with_button(user, "vote:")
            message = user.state.find(message_id)
            return await user.press_data(message.buttons[0][0].value, message_id)
        raise ValueError(kind)

    @staticmethod
    def _with_button(user: Any, prefix: str) -> int:
        for message in user.bot_messages():
            for row in message.buttons:
                for button in row:
                    if (button.value or "").startswith(prefix):
                        return int(message.message_id)
        raise LookupError(f"{user.name} has no message with a {prefix!r} button")

    def cpu(self) -> float:
        """CPU time of the process the sandbox runs in (the bot's own with --sandbox inline)."""
        return time.process_time()

    def report(self) -> dict[str, Any]:
        return {
            "acts": [
                (a.kind, a.query_id is not None, a.made_at, a.answered_at, a.replied_at)
                for a in self.acts
            ],
            "crowded": getattr(self, "crowded", 0),
            "first_made": min(a.made_at for a in self.acts),
            "last_made": max(a.made_at for a in self.acts),
        }

    async def wait_answered(self) -> bool:
        try:
            async with asyncio.timeout(ROUND_TIMEOUT):
                await self.answered.wait()
        except TimeoutError:
            return False
        return True


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _limits(relaxed: bool) -> Any:
    from bot.sandbox.limits import Limits

    return Limits(enabled=False) if relaxed else Limits()


# ---- the sandbox in a child process ------------------------------------------------------


def _serve(conn: Connection, relaxed: bool, seed: int, only: list[str] | None) -> None:
    asyncio.run(_serve_async(conn, relaxed, seed, only))


async def _serve_async(conn: Connection, relaxed: bool, seed: int, only: list[str] | None) -> None:
    from bot.sandbox import BotApiServer
    from bot.sandbox.runner import BOT_USERNAME, TOKEN

    server = BotApiServer(limits=_limits(relaxed))
    await server.start()
    server.add_bot(TOKEN, username=BOT_USERNAME)
    crowd = Crowd(server, seed, only)
    conn.send(server.base_url)
    loop = asyncio.get_running_loop()
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            break
        method = getattr(crowd, command)
        result = method(*args)
        if asyncio.iscoroutine(result):
            result = await result
        conn.send(result)
    await server.stop()


class RemoteCrowd:
    """The crowd in the child process, called through a pipe (waited for in a thread, so
    that the bot's event loop in this process is never blocked by it)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def call(self, command: str, *args: Any) -> Any:
        self.conn.send((command, *args))
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)


class LocalCrowd:
    def __init__(self, crowd: Crowd) -> None:
        self.crowd = crowd

    async def call(self, command: str, *args: Any) -> Any:
        result = getattr(self.crowd, command)(*args)
        if asyncio.iscoroutine(result):
            result = await result
        return result


# ---- the bot side --------------------------------------------------------------------------


async def _seed(run: Any, joined: dict[str, Any]) -> None:
    """Persons as if they had joined with their invitations: the TS, one Vice-Minister per
    member state, focal points for the rest, round-robin over the states."""
    from sqlmodel import select

    from bot.models.people import MemberState, Person, PersonRole

    now = datetime.now(UTC)
    async with run.session() as session:
        states = {s.code: s.id for s in (await session.exec(select(MemberState))).all() if s.id}
        ts = Person(telegram_id=joined["ts"], display_name="Tess", created_at=now, joined_at=now)
        session.add(ts)
        persons = []
        for i, (telegram_id, lang) in enumerate(joined["people"]):
            person = Person(
                telegram_id=telegram_id,
                display_name=f"Person {i}",
                language=lang,
                state_id=states[STATES[i % len(STATES)]],
                created_at=now,
                joined_at=now,
            )
            session.add(person)
            persons.append(person)
        await session.flush()
        assert ts.id is not None
        session.add(PersonRole(person_id=ts.id, role="ts"))
        vice_ministers = set(joined["vice_ministers"])
        for person in persons:
            assert person.id is not None
            role = "vice_minister" if person.telegram_id in vice_ministers else "focal_point"
            session.add(PersonRole(person_id=person.id, role=role))


class RemoteRun:
    """The bot against a sandbox elsewhere, taking updates as `python -m bot run` does:
    `bot.polling.Poller` (`polling`), `bot.webhook.WebhookServer` (`webhook`), or, as the
    tests' harness does, python-telegram-bot's own updater (`updater`)."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        base_url: str,
        overrides: dict[str, Any],
        delivery: str = "polling",
    ):
        from bot.sandbox.runner import SandboxRun

        self.inner = SandboxRun(database_url, folder, settings_overrides=overrides)
        self.base_url = base_url
        self.delivery = delivery
        self._poller: Any = None
        self._polling: asyncio.Task[None] | None = None
        self._webhook: Any = None

    async def start(self) -> None:
        from bot.config import Settings
        from bot.sandbox.runner import TOKEN

        inner = self.inner
        inner.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=self.base_url,
            DATABASE_URL=inner.database_url,
            DOCUMENTS_DIR=str(inner.folder / "documents"),
            HEARTBEAT_FILE=str(inner.folder / "heartbeat"),
            **inner.overrides,
        )
        # The runner's own start waits for its (local) sandbox to settle; nothing is queued
        # yet, so starting the bot is all there is to do.
        inner.settle = _nothing  # type: ignore[method-assign]
        from bot.app import freeze_startup_heap
        from bot.cli import ALLOWED_UPDATES

        if self.delivery == "updater":
            await inner._start_bot()
        else:
            await inner.start_app()
        freeze_startup_heap()  # as `python -m bot run` does
        app = inner.app
        if self.delivery == "updater":
            return
        if self.delivery == "polling":
            from bot.polling import Poller

            await app.bot.delete_webhook()
            self._poller = Poller(app, allowed_updates=ALLOWED_UPDATES)
            self._polling = asyncio.create_task(self._poller.run())
        else:
            from bot.webhook import WebhookServer

            secret = secrets.token_urlsafe(16)
            self._webhook = WebhookServer(app, secret=secret, path="/telegram")
            await self._webhook.start("127.0.0.1", 0)
            await app.bot.set_webhook(
                url=f"http://127.0.0.1:{self._webhook.port}/telegram",
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
            )

    @property
    def app(self) -> Any:
        return self.inner.app

    def session(self) -> Any:
        return self.inner.session()

    async def stop(self) -> None:
        if self._polling is not None:
            self._poller.stopping.set()
            await self._polling
        if self._webhook is not None:
            await self._webhook.stop()
        await self.inner._stop_bot()


async def _nothing() -> None:
    return None


async def _idle(app: Any, expected: int) -> None:
    """Every update made available so far handled, and the sender with nothing to send now."""
    from bot.app import services_of

    services = services_of(app)
    sender = services.sender
    async with asyncio.timeout(ROUND_TIMEOUT):
        while True:
            handled = app.updates_done >= expected and app.update_queue.empty()
            if handled and not sender.busy and not sender.wake_pending:
                due = await sender.next_due_at()
                if due is None or due > services.clock.now() + timedelta(seconds=30):
                    return
            await asyncio.sleep(0.005)


@dataclass
class Figures:
    updates: int = 0
    handle_seconds: float = 0.0
    answer_seconds: float = 0.0
    answers_ms: list[float] = field(default_factory=list)
    replies_ms: list[float] = field(default_factory=list)
    unanswered: int = 0
    unanswered_kinds: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)


async def run_bench(args: argparse.Namespace, folder: Path) -> tuple[Figures, dict[str, Any]]:
    from bot import db, logs

    logs.setup("WARNING")
    relaxed = args.limits == "relaxed"
    overrides: dict[str, Any] = {"UPDATE_CONCURRENCY": args.concurrency}
    if relaxed:
        overrides |= {"SEND_RATE_PER_SECOND": 100_000, "SEND_CHAT_INTERVAL_SECONDS": 0.0}
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'load.db'}"
    if url.startswith("postgresql"):
        from tests import databases

        await databases.prepare_postgres(url)
    else:
        await db.upgrade_async(url)

    process = None
    if args.sandbox == "process":
        parent, child = mp.Pipe()
        process = mp.get_context("spawn").Process(
            target=_serve, args=(child, relaxed, args.seed, args.only), daemon=True
        )
        process.start()
        base_url = parent.recv()
        crowd: LocalCrowd | RemoteCrowd = RemoteCrowd(parent)
        run: Any = RemoteRun(url, folder, base_url, overrides, args.delivery)
    else:
        from bot.sandbox.runner import SandboxRun

        run = SandboxRun(url, folder, limits=_limits(relaxed), settings_overrides=overrides)
        crowd = LocalCrowd(Crowd(run.server, args.seed, args.only))
    await run.start()
    app = run.app
    handled: list[float] = []
    process_update = app.process_update

    async def timed(update: object) -> None:
        try:
            await process_update(update)
        finally:
            handled.append(time.time())

    app.process_update = timed
    statements: Counter[str] = Counter()
    steady_statements: Counter[str] = Counter()
    counting: Counter[str] | None = None  # where statements are counted now

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if counting is not None:
            text = " ".join(statement.split())
            counting[text if len(text) <= 110 else f"{text[:50]} ... {text[-55:]}"] += 1

    from sqlalchemy import event

    from bot.app import services_of

    engine = services_of(app).db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    made = 0
    try:
        joined = await crowd.call("join", args.people)
        await _seed(run, joined)
        deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
        for text, label in [
            (ANNOUNCE, "Send"),
            (f"/vote no-objection {deadline}\nEN: Do you approve the work plan?\n"
             "ES: ¿Aprueba usted el plan de trabajo?", "Send"),
        ]:  # fmt: skip
            await crowd.call("ts_send", text)
            made += 1
            await _idle(app, made)
            await crowd.call("ts_press", label)
            made += 1
            await _idle(app, made)
        figures = Figures()
        profiler = cProfile.Profile() if args.profile else None
        if args.tracemalloc:
            tracemalloc.start()
        rss_before = _rss_mb()
        load_before = os.getloadavg()[0]
        cpu = time.process_time()
        counting = statements
        for number in range(args.rounds):
            handled.clear()
            if profiler is not None:
                profiler.enable()
            made += await crowd.call("round", number)
            complete = await crowd.call("wait_answered")
            await _idle(app, made)
            if profiler is not None:
                profiler.disable()
            report = await crowd.call("report")
            _add_round(figures, report, handled, complete)
        cpu = time.process_time() - cpu
        counting = None
        steady = None
        if args.arrival_rate:
            handled.clear()
            steady_cpu = time.process_time()
            steady_loop_cpu = time.thread_time()  # this thread runs the bot's event loop
            steady_load = os.getloadavg()[0]
            if profiler is not None:
                profiler.enable()
            counting = steady_statements
            sandbox_cpu = await crowd.call("cpu")
            made += await crowd.call("steady", args.arrival_rate, args.duration, args.rounds)
            sandbox_cpu = await crowd.call("cpu") - sandbox_cpu
            complete = await crowd.call("wait_answered")
            counting = None
            await _idle(app, made)
            if profiler is not None:
                profiler.disable()
            steady = _steady(await crowd.call("report"), handled, complete)
            steady["cpu"] = (time.process_time() - steady_cpu) / max(1, steady["updates"])
            steady["loop_cpu"] = (time.thread_time() - steady_loop_cpu) / max(1, steady["updates"])
            steady["sandbox_cpu"] = (
                sandbox_cpu / max(1, steady["updates"]) if args.sandbox == "process" else None
            )
            steady["load"] = (steady_load, os.getloadavg()[0])
            steady["statements"] = steady_statements
        traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        if args.tracemalloc:
            tracemalloc.stop()
        extra = {
            "rss_before": rss_before,
            "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "traced_peak": traced_peak,
            "cpu": cpu,
            "load": (load_before, os.getloadavg()[0]),
            "profiler": profiler,
            "backend": url.split(":", 1)[0],
            "concurrency": args.concurrency,
            "delivery": {
                "polling": "long polling (bot.polling, as `python -m bot run`)",
                "webhook": "webhook (bot.webhook, as `python -m bot run` with WEBHOOK_URL)",
                "updater": "long polling (python-telegram-bot's updater, as the tests)",
            }[args.delivery if args.sandbox == "process" else "updater"],
            "statements": statements,
            "steady": steady,
        }
        return figures, extra
    finally:
        await run.stop()
        if process is not None:
            parent.send(("stop",))
            process.join(timeout=10)


def _add_round(
    figures: Figures, report: dict[str, Any], handled: list[float], complete: bool
) -> None:
    first = report["first_made"]
    acts = report["acts"]
    figures.updates += len(acts)
    figures.handle_seconds += (max(handled) if handled else first) - first
    last_answer = first
    for kind, is_press, made_at, answered_at, replied_at in acts:
        figures.kinds[kind] = figures.kinds.get(kind, 0) + 1
        answer = answered_at if is_press else replied_at
        if answer is None:
            figures.unanswered += 1
            figures.unanswered_kinds[kind] = figures.unanswered_kinds.get(kind, 0) + 1
            continue
        last_answer = max(last_answer, answer)
        if is_press:
            figures.answers_ms.append((answered_at - made_at) * 1000)
        if replied_at is not None:
            figures.replies_ms.append((replied_at - made_at) * 1000)
    figures.answer_seconds += last_answer - first
    if not complete:
        print("warning: a round timed out before every update was answered")


def _steady(report: dict[str, Any], handled: list[float], complete: bool) -> dict[str, Any]:
    acts = report["acts"]
    first, last_made = report["first_made"], report["last_made"]
    latencies = []
    unanswered = 0
    for _kind, is_press, made_at, answered_at, replied_at in acts:
        answer = answered_at if is_press else replied_at
        if answer is None:
            unanswered += 1
        else:
            latencies.append((answer - made_at) * 1000)
    return {
        "updates": len(acts),
        "offered": (len(acts) - 1) / (last_made - first) if last_made > first else 0.0,
        "achieved": len(handled) / ((max(handled) if handled else first) - first or 1),
        "latencies": latencies,
        "unanswered": unanswered,
        "complete": complete,
        "crowded": report["crowded"],
    }


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    return (
        f"p50 {statistics.median(ordered):7.1f}  p95 {at(0.95):7.1f}  p99 {at(0.99):7.1f}  "
        f"max {ordered[-1]:7.1f} ms  (n={len(ordered)})"
    )


def _print(args: argparse.Namespace, figures: Figures, extra: dict[str, Any]) -> None:
    where = (
        "in a child process (this process runs only the bot)"
        if args.sandbox == "process"
        else "in this process, sharing the bot's event loop"
    )
    limits = (
        "relaxed: no flood limits in the sandbox, the bot's pacer at 100000 msg/s and no "
        "per-chat interval (the bot's own cost)"
        if args.limits == "relaxed"
        else "Telegram's: 30 msg/s overall and 1 msg/s per chat, in the sandbox and the pacer"
    )
    print(
        f"load: {args.people} people x {args.rounds} rounds, all at once each round; "
        f"database {extra['backend']}; {extra['delivery']}; "
        f"UPDATE_CONCURRENCY={extra['concurrency']}"
    )
    print(f"sandbox: {where}; limits {limits}")
    print("mix: " + ", ".join(f"{k} {v}" for k, v in sorted(figures.kinds.items())))
    handled, answered = figures.handle_seconds or 1, figures.answer_seconds or 1
    print(
        f"burst updates/s (made available -> handled): {figures.updates / handled:.0f}"
        f"   (-> last answer at the sandbox): {figures.updates / answered:.0f}"
        f"   over {figures.updates} updates"
    )
    print(f"burst callback answer latency (presses):  {_percentiles(figures.answers_ms)}")
    print(f"burst reply latency (message or edit):    {_percentiles(figures.replies_ms)}")
    print(
        f"never answered (a press answered after Telegram's 15 s is refused): "
        f"{figures.unanswered} {figures.unanswered_kinds or ''}"
    )
    print(
        f"bot process: peak RSS (ru_maxrss) {extra['rss_peak']:.0f} MB "
        f"(RSS {extra['rss_before']:.0f} MB before the rounds); CPU "
        f"{extra['cpu'] * 1000 / max(1, figures.updates):.2f} ms per update"
        + (
            f"; tracemalloc peak during the rounds {extra['traced_peak'] / 2**20:.1f} MB"
            if extra["traced_peak"] is not None
            else ""
        )
    )
    _print_statements("", extra["statements"], figures.updates, args.sql)
    before, after = extra["load"]
    print(
        f"machine: {os.cpu_count()} CPUs, load average {before:.1f} before the rounds and "
        f"{after:.1f} after (other work on the machine skews every figure)"
    )
    steady = extra["steady"]
    if steady is not None:
        print(
            f"steady arrival ({args.arrival_rate:g}/s asked for {args.duration:g} s, open loop): "
            f"{steady['updates']} updates made available at {steady['offered']:.0f}/s; "
            f"handled at {steady['achieved']:.0f}/s; CPU {steady['cpu'] * 1000:.2f} ms per "
            f"update (the event loop's thread {steady['loop_cpu'] * 1000:.2f}); "
            f"load average {steady['load'][0]:.1f} -> {steady['load'][1]:.1f}"
        )
        print(f"steady latency (press answer or reply): {_percentiles(steady['latencies'])}")
        if steady["sandbox_cpu"] is not None:
            print(
                f"steady: the sandbox's process (Telegram and the crowd) used "
                f"{steady['sandbox_cpu'] * 1000:.2f} ms of CPU per update, on the other CPU"
            )
        _print_statements("steady ", steady["statements"], steady["updates"], args.sql)
        if steady["unanswered"] or not steady["complete"]:
            print(f"steady: never answered {steady['unanswered']}")
        if steady["crowded"]:
            print(
                f"steady: {steady['crowded']} updates came from people still waiting for an "
                "answer (nobody was free: the rate is over capacity); their answers may be "
                "counted against the wrong update, and 'never answered' can include them"
            )
    print("targets (SQLite, relaxed): >= 200 updates/s, p99 < 100 ms")
    if extra["profiler"] is not None:
        stats = pstats.Stats(extra["profiler"])
        if os.environ.get("BENCH_PROFILE_OUT"):
            stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        print("profile of the bot process during the rounds and the steady phase (cumulative):")
        stats.sort_stats("cumulative").print_stats(35)
        print("profile (own time):")
        stats.sort_stats("tottime").print_stats(25)


def _print_statements(phase: str, counted: Counter[str], updates: int, each: bool) -> None:
    print(
        f"{phase}SQL statements (bot process, sender included): "
        f"{sum(counted.values()) / max(1, updates):.1f} per update"
    )
    if each:
        for text, n in counted.most_common(25):
            print(f"  {n / max(1, updates):6.2f}  {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--sandbox", choices=["process", "inline"], default="process")
    parser.add_argument("--limits", choices=["relaxed", "telegram"], default="relaxed")
    parser.add_argument(
        "--delivery",
        choices=["polling", "webhook", "updater"],
        default="polling",
        help="how updates reach the bot: as `python -m bot run` polls, at its webhook, or "
        "through python-telegram-bot's updater as the tests' harness does (--sandbox process)",
    )
    parser.add_argument("--concurrency", type=int, default=None, help="UPDATE_CONCURRENCY")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only",
        type=lambda text: [k.strip() for k in text.split(",")],
        help=f"a comma-separated subset of the mix: {', '.join([*MIX, 'ballot'])}",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the bot process")
    parser.add_argument(
        "--arrival-rate",
        type=float,
        default=0.0,
        help="after the rounds, updates made available at this steady rate (per second)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="of the steady phase (s)")
    parser.add_argument("--sql", action="store_true", help="the most frequent statements")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    args = parser.parse_args()
    if args.concurrency is None:
        from bot.config import Settings

        args.concurrency = Settings(_env_file=None).update_concurrency  # type: ignore[call-arg]
    if args.people < len(STATES):
        parser.error(f"--people must be at least {len(STATES)}")
    with tempfile.TemporaryDirectory(prefix="rcm-bench-") as tmp:
        figures, extra = asyncio.run(run_bench(args, Path(tmp)))
    _print(args, figures, extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
