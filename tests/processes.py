"""The real bot process (`python -m bot run`) against a sandbox Bot API server that runs in the
test's own event loop: start it, wait until it is ready, stop it gently or kill it, restart.

The sandbox must keep answering while a test waits, so every wait here polls with short
`asyncio.sleep`s instead of blocking on the child process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from aiohttp import web
from sqlalchemy import func, text
from sqlmodel import col, select

from bot import people, states
from bot.db import Database
from bot.i18n import as_language
from bot.models.outbox import Broadcast, OutboxMessage, OutboxStatus
from bot.models.people import Person
from bot.roles import parse_roles
from bot.sandbox.limits import Limits
from bot.sandbox.runner import BOT_USERNAME, TOKEN
from bot.sandbox.server import BotApiServer
from bot.sandbox.state import SimBot
from bot.sandbox.users import SimUser

ROOT = Path(__file__).resolve().parents[1]
# Generous: a cold interpreter imports PTB, SQLAlchemy and matplotlib, on a busy CI machine.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
POLL = 0.02


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_for(
    condition: Callable[[], bool],
    what: str,
    timeout: float = 30.0,  # noqa: ASYNC109 - a plain bound reads best in tests
) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` real seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(POLL)


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    what: str,
    timeout: float = 30.0,  # noqa: ASYNC109
    *,
    explain: Callable[[], Awaitable[str]] | None = None,
) -> None:
    """`wait_for` for a condition that must be awaited (a database query); on a timeout,
    `explain` says what the state was (a failure on CI is read from its log alone)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            detail = f"\n{await explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        await asyncio.sleep(POLL * 5)


@contextlib.asynccontextmanager
async def writes_held(db: Database) -> AsyncIterator[None]:
    """Keep the bot's transactions waiting: an update it takes now stays in hand until the
    block ends (SQLite: the one write lock; PostgreSQL: the person table, read first)."""
    async with db.engine.connect() as conn, conn.begin():
        if db.is_sqlite:
            await conn.execute(text("SELECT 1"))  # BEGIN IMMEDIATE took the write lock
        else:
            await conn.execute(text("LOCK TABLE person IN ACCESS EXCLUSIVE MODE"))
        yield


async def a_write_waits(db: Database) -> bool:
    """Is some transaction of the bot waiting for our lock? (Only PostgreSQL can say.)"""
    async with db.engine.connect() as conn:
        waiting = await conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        return bool(waiting.scalar_one())


async def all_switched_and_none_in_flight(
    db: Database, users: list[SimUser], language: str
) -> None:
    """After a stop: every user's change of language was saved, and no outbox row was left
    in flight (the sender recorded what it had handed to Telegram)."""
    async with db.transaction() as session:
        for user in users:
            person = await people.by_telegram_id(session, user.id)
            assert person is not None and person.language == language, user.name
        stuck = await session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.IN_FLIGHT)
        )
        assert stuck.one() == 0


async def outbox_settled(db: Database) -> bool:
    """Nothing left to send: every row sent, failed or cancelled, and every broadcast's
    progress message final (the sender queues its last edit once the rest has gone)."""
    async with db.transaction() as session:
        waiting = await session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]))
        )
        open_broadcasts = await session.exec(
            select(func.count()).select_from(Broadcast).where(col(Broadcast.finished_at).is_(None))
        )
        return waiting.one() == 0 and open_broadcasts.one() == 0


async def outbox_unsettled(db: Database, limit: int = 40) -> str:
    """The rows still to send and the open broadcasts, one line each: why `outbox_settled`
    does not hold yet."""
    async with db.transaction() as session:
        rows = (
            await session.exec(
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT])
                )
                .order_by(col(OutboxMessage.id))
                .limit(limit)
            )
        ).all()
        broadcasts = (
            await session.exec(select(Broadcast).where(col(Broadcast.finished_at).is_(None)))
        ).all()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"unsettled at {now} (first {limit}):"]
    lines += [
        f"  row {r.id} chat {r.chat_id} {r.method} {r.status} attempts {r.attempts} "
        f"next {r.next_attempt_at} target {r.target_id} error {r.last_error!r}"
        for r in rows
    ]
    lines += [f"  broadcast {b.id} open, progress row {b.progress_id}" for b in broadcasts]
    return "\n".join(lines)


class BotProcess:
    """One bot process at a time on the given sandbox and database; `start()` again after a
    stop or a kill is a restart (the database and Telegram remain, memory is gone)."""

    def __init__(
        self,
        server: BotApiServer,
        folder: Path,
        database_url: str,
        *,
        env: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        self.folder = folder
        self.database_url = database_url
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self._out: IO[bytes] | None = None
        self._err: IO[bytes] | None = None
        self._polls_before = self._hooks_before = 0
        folder.mkdir(parents=True, exist_ok=True)

    # ---- where things are -------------------------------------------------------------

    @property
    def bot(self) -> SimBot:
        return self.server.bots[TOKEN]

    @property
    def heartbeat(self) -> Path:
        return self.folder / "heartbeat"

    def stdout_path(self, run: int | None = None) -> Path:
        return self.folder / f"stdout.{self.runs if run is None else run}.log"

    def stderr_path(self, run: int | None = None) -> Path:
        return self.folder / f"stderr.{self.runs if run is None else run}.log"

    def stdout(self, run: int | None = None) -> str:
        return self.stdout_path(run).read_text(encoding="utf-8", errors="replace")

    def stderr(self, run: int | None = None) -> str:
        return self.stderr_path(run).read_text(encoding="utf-8", errors="replace")

    def all_output(self) -> str:
        """Everything every run printed, stdout and stderr."""
        parts = []
        for run in range(1, self.runs + 1):
            parts += [self.stdout(run), self.stderr(run)]
        return "\n".join(parts)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.extra_env.get("WEBHOOK_URL"))

    def environment(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": self.server.base_url,
            "DATABASE_URL": self.database_url,
            "DOCUMENTS_DIR": str(self.folder / "documents"),
            "HEARTBEAT_FILE": str(self.heartbeat),
            "LOG_JSON": "1",
            # An injected timeout ends when the bot gives up: keep that short.
            "TELEGRAM_TIMEOUT": "2",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(self.extra_env)
        return env

    # ---- lifecycle --------------------------------------------------------------------

    def spawn(self) -> None:
        """Start the process without waiting for it to be ready."""
        if self.running:
            raise RuntimeError("the bot process is already running")
        self._close_files()
        self.runs += 1
        self.heartbeat.unlink(missing_ok=True)
        self._out = self.stdout_path().open("wb")
        self._err = self.stderr_path().open("wb")
        self._polls_before = self.bot.calls["getUpdates"]
        self._hooks_before = self.bot.calls["setWebhook"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=self.folder,  # no .env here
            env=self.environment(),
            stdout=self._out,
            stderr=self._err,
        )

    def ready(self) -> bool:
        """Running, beating, and taking updates (polling, or its webhook registered)."""
        if not self.running or not self.heartbeat.exists():
            return False
        if self.webhook_mode:
            hook = self.bot.webhook
            return (
                self.bot.calls["setWebhook"] > self._hooks_before
                and hook is not None
                and hook.url == self.extra_env["WEBHOOK_URL"]
            )
        return self.bot.calls["getUpdates"] > self._polls_before

    async def start(self) -> None:
        self.spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not self.ready():
            if not self.running:
                raise AssertionError(
                    f"the bot exited with {self.returncode} while starting:\n{self.stderr()}"
                )
            if loop.time() > deadline:
                raise AssertionError(f"the bot was not ready in {START_TIMEOUT} s")
            await asyncio.sleep(POLL)
        if self.webhook_mode:
            # The webhook is registered once the server listens; check the port anyway.
            await self._wait_listening(int(self.extra_env["WEBHOOK_PORT"]), deadline)

    async def _wait_listening(self, port: int, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if loop.time() > deadline:
                    raise AssertionError(f"nothing listens on port {port}") from None
                await asyncio.sleep(POLL)
                continue
            writer.close()
            await writer.wait_closed()
            return

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    async def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        await wait_for(lambda: not self.running, "the bot process to exit", timeout)
        code = self.proc.wait()
        self._close_files()
        return code

    async def terminate(self, timeout: float = STOP_TIMEOUT) -> int:  # noqa: ASYNC109
        """SIGTERM, as Docker and systemd stop a service; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await self.wait_exit(timeout)

    async def kill(self) -> None:
        """SIGKILL: a crash, no chance to clean up."""
        assert self.proc is not None
        self.proc.kill()
        await self.wait_exit()

    async def restart(self) -> None:
        if self.running:
            await self.kill()
        await self.start()

    async def close(self) -> None:
        if self.running:
            await self.kill()
        self._close_files()

    def _close_files(self) -> None:
        for handle in (self._out, self._err):
            if handle is not None:
                handle.close()
        self._out = self._err = None

    # ---- what it logged -----------------------------------------------------------------

    def tail(self, lines: int = 30) -> str:
        """The last lines the current (or last) run wrote to stderr."""
        if self.runs == 0:
            return ""
        return "\n".join(self.stderr().splitlines()[-lines:])

    def log_entries(self) -> list[dict[str, Any]]:
        """Every stderr line of every run as JSON (fails on a line that is not JSON)."""
        entries = []
        for run in range(1, self.runs + 1):
            for line in self.stderr(run).splitlines():
                if line.strip():
                    try:
                        entries.append(json.loads(line))
                    except ValueError:
                        raise AssertionError(f"run {run}: not a JSON log line: {line!r}") from None
        return entries


async def member(
    db: Database,
    user: SimUser,
    roles: str = "focal_point",
    state: str | None = "MX",
    *,
    lang: str = "en",
) -> Person:
    """A person who has joined with these roles and opened the chat, written straight into the
    database (the bot reads people from there on every update)."""
    user.state.started = True
    async with db.transaction() as session:
        return await people.add_person(
            session,
            roles=parse_roles(roles),
            now=datetime.now(UTC),
            telegram_id=user.id,
            state=await states.by_code(session, state) if state else None,
            display_name=user.info.first_name,
            language=as_language(lang),
        )


_SENDS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


class WatchedServer(BotApiServer):
    """The sandbox, also counting messages it sent whose answer the bot no longer waited for
    (its client timed out): Telegram delivered them, the bot will send them again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.abandoned_sends = 0
        self.fetched_up_to = 0  # the newest update id getUpdates has returned
        get_updates = self.methods.handlers["getUpdates"]

        async def recording(bot: SimBot, params: Any) -> Any:
            updates = await get_updates(bot, params)
            if updates:
                self.fetched_up_to = max(self.fetched_up_to, updates[-1]["update_id"])
            return updates

        self.methods.handlers["getUpdates"] = recording

    async def _api_call(self, request: web.Request, token: str, name: str) -> web.StreamResponse:
        response = await super()._api_call(request, token, name)
        transport = request.transport
        gone = transport is None or transport.is_closing()
        if gone and response.status == 200 and name in _SENDS:
            self.abandoned_sends += 1
        return response


@contextlib.asynccontextmanager
async def sandbox(limits: Limits | None = None) -> AsyncIterator[WatchedServer]:
    """A sandbox Bot API server on loopback hosting the bot's token."""
    server = WatchedServer(limits=limits)
    await server.start()
    server.add_bot(TOKEN, username=BOT_USERNAME)
    try:
        yield server
    finally:
        await server.stop()


__all__ = [
    "TOKEN",
    "BotProcess",
    "WatchedServer",
    "free_port",
    "member",
    "outbox_settled",
    "outbox_unsettled",
    "sandbox",
    "wait_for",
    "wait_until",
]
