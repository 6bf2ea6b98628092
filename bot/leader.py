"""Leader election: several replicas may answer updates, but only one drains the outbox and
runs the scheduler.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) taken on a connection of
its own, held for as long as this process leads. The server releases it when that connection
ends, however it ends (crash, network loss, `pg_terminate_backend`), so a dead leader never
keeps the lock. The leader checks its connection every `LEADER_RETRY_SECONDS` and steps down
the moment the check fails; followers try the lock at the same interval and take over.
The same connection carries wake-ups: a follower that queued a message NOTIFYs, and the
leader, LISTENing, wakes its sender at once instead of at its next idle check (a minute).

SQLite lives in one file on one host: an exclusive `flock` on a file next to the database
(`bot.db.leader`) plays the lock, released by the kernel when the process dies; the leader's
sender looks for rows queued by others at each check of the lock. An in-memory
database (or a system without `fcntl`) has one process by construction: it always leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from bot import tasks

log = logging.getLogger(__name__)

# One lock per database: advisory locks are scoped to the database, so the key only has to
# be distinct from other advisory locks of the same application ("RCMLEAD" in ASCII).
ADVISORY_KEY = 0x52434D4C454144
WAKE_CHANNEL = "rcm_bot_wake"
CHECK_TIMEOUT = 5.0  # seconds: a leader whose connection does not answer this fast steps down

Callback = Callable[[], Awaitable[None]]


class Lock(Protocol):
    """One contender's hold on the leadership; the lock itself is the database's or the OS's."""

    async def try_acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...
    async def poke(self) -> None: ...


class PostgresLock:
    def __init__(self, database_url: str, on_wake: Callable[[], None] | None = None) -> None:
        self.dsn = _asyncpg_dsn(database_url)
        self.on_wake = on_wake
        self.conn: Any = None  # asyncpg.Connection, kept open while contending
        self.held = False
        # One operation at a time on the connection (asyncpg refuses overlapping ones): a
        # follower's NOTIFY may come while its loop tries the lock.
        self._using = asyncio.Lock()

    async def _connection(self) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        if self.conn is None or self.conn.is_closed():
            self.held = False
            self.conn = await asyncpg.connect(self.dsn, timeout=CHECK_TIMEOUT)
        return self.conn

    async def try_acquire(self) -> bool:
        async with self._using:
            conn = await self._connection()
            query = "SELECT pg_try_advisory_lock($1)"
            got = bool(await conn.fetchval(query, ADVISORY_KEY, timeout=CHECK_TIMEOUT))
            if got:
                self.held = True
                if self.on_wake is not None:
                    await conn.add_listener(WAKE_CHANNEL, self._notified)
            return got

    def _notified(self, *_args: Any) -> None:
        if self.on_wake is not None:
            self.on_wake()

    async def still_held(self) -> bool:
        async with self._using:
            if not self.held or self.conn is None or self.conn.is_closed():
                return False
            # The lock lives exactly as long as this session; a round trip proves the session.
            await self.conn.fetchval("SELECT 1", timeout=CHECK_TIMEOUT)
            return True

    async def release(self) -> None:
        async with self._using:
            self.held = False
            conn, self.conn = self.conn, None
            if conn is not None and not conn.is_closed():
                # Closing the session releases the lock; no unlock call that could hang.
                try:
                    await conn.close(timeout=CHECK_TIMEOUT)
                except Exception:
                    conn.terminate()

    async def poke(self) -> None:
        async with self._using:
            conn = await self._connection()
            await conn.execute(f"NOTIFY {WAKE_CHANNEL}", timeout=CHECK_TIMEOUT)


class FileLock:
    """An exclusive `flock` on a file: released by the kernel when the holder dies."""

    def __init__(self, path: Path, on_wake: Callable[[], None] | None = None) -> None:
        self.path = path
        self.on_wake = on_wake
        self.fd: int | None = None

    async def try_acquire(self) -> bool:
        import fcntl
        import os

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    async def still_held(self) -> bool:
        if self.fd is None:
            return False
        # No notifications between processes here: at each check the leader's sender looks
        # for rows a follower queued, so they wait at most one interval.
        if self.on_wake is not None:
            self.on_wake()
        return True

    async def release(self) -> None:
        import os

        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the lock

    async def poke(self) -> None:
        return None  # the leader looks at each check (`still_held`)


class AlwaysLeader:
    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None

    async def poke(self) -> None:
        return None


def lock_for(database_url: str, on_wake: Callable[[], None] | None = None) -> Lock:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLock(database_url, on_wake)
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        try:
            import fcntl  # noqa: F401
        except ImportError:  # not a POSIX system: one process is all SQLite should have
            return AlwaysLeader()
        return FileLock(Path(database + ".leader"), on_wake)
    return AlwaysLeader()


class Leader:
    """Contends for leadership in the background; runs `on_elected` when this process becomes
    the leader and `on_lost` when it stops being it (lock lost, or `stop`)."""

    def __init__(
        self,
        lock: Lock,
        *,
        retry_seconds: float,
        on_elected: Callback,
        on_lost: Callback,
    ) -> None:
        self.lock = lock
        self.retry_seconds = retry_seconds
        self.on_elected = on_elected
        self.on_lost = on_lost
        self.is_leader = False
        self.elections = 0  # how many times this process took the lead
        self._task: asyncio.Task[None] | None = None
        self._poking: asyncio.Task[None] | None = None
        self._electing = False  # on_elected is running (a stop then must still undo it)

    async def start(self) -> None:
        """One attempt now, so that a lone replica leads before `start` returns; then retry
        (or watch the lock) in the background."""
        await self._step()
        self._task = asyncio.create_task(self._loop(), name="leader-election")

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        self._task = None
        await tasks.cancel(self._poking)
        if self.is_leader or self._electing:
            self._electing = False
            await self._step_down("stopping")
        await self.lock.release()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry_seconds)
            await self._step()

    async def _step(self) -> None:
        try:
            if self.is_leader:
                if not await self.lock.still_held():
                    await self._step_down("the lock was lost")
            elif await self.lock.try_acquire():
                self.elections += 1
                log.info("leader: this process now runs the sender and the scheduler")
                self._electing = True
                try:
                    await self.on_elected()
                except Exception:
                    # Never half a leader: stop what started and let another replica lead.
                    self._electing = False
                    await self._step_down("the runtime failed to start")
                    raise
                # (a cancelled election stays `_electing`, for `stop` to undo)
                self._electing = False
                self.is_leader = True  # only once the sender and the scheduler run
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The database went away: whatever we held is gone with the session.
            log.warning("leader: lock check failed (%s)", type(exc).__name__)
            if self.is_leader:
                await self._step_down("the lock connection failed")
            await _quietly(self.lock.release())

    async def _step_down(self, why: str) -> None:
        self.is_leader = False
        log.log(
            logging.INFO if why == "stopping" else logging.WARNING, "leader: stepping down, %s", why
        )
        try:
            await self.on_lost()
        finally:
            await _quietly(self.lock.release())

    def poke(self) -> None:
        """A follower queued something: tell the leader (coalesced, never blocking)."""
        if self.is_leader or (self._poking is not None and not self._poking.done()):
            return
        self._poking = asyncio.create_task(_quietly(self.lock.poke()), name="leader-poke")


async def _quietly(action: Awaitable[None]) -> None:
    try:
        await action
    except Exception as exc:
        log.debug("leader: ignored %s", type(exc).__name__)


def _asyncpg_dsn(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
