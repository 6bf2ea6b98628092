"""The whole bot running against the sandbox: used by the walkthrough and by the tests.

`settle()` waits until every update is handled and every message that may go now has gone.
When messages wait for Telegram's pace, it either sleeps until they may go (the walkthrough,
in real time) or asks `travel` to move the clock there (the tests, with time frozen).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from bot import people, states
from bot.app import (
    BotApplication,
    build_application,
    services_of,
    start_runtime,
    stop_runtime,
)
from bot.config import Settings
from bot.i18n import as_language
from bot.models.people import Person
from bot.roles import parse_roles
from bot.sandbox.limits import Limits
from bot.sandbox.server import BotApiServer
from bot.sandbox.state import SimBot
from bot.sandbox.users import SimUser
from bot.sender import Sender
from bot.services import Services

TOKEN = "424242:RCM-sandbox-token-0123456789abc"  # noqa: S105 - the sandbox accepts it only
BOT_USERNAME = "rcm_sandbox_bot"
SETTLE_TIMEOUT = 20.0  # real seconds: only a bug makes anyone wait this long


class NotSettled(AssertionError):
    """The bot kept working (or hung) past the settle timeout."""


class SandboxRun:
    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        limits: Limits | None = None,
        settings_overrides: dict[str, Any] | None = None,
        travel: Callable[[timedelta], None] | None = None,
    ) -> None:
        self.database_url = database_url
        self.folder = folder
        self.travel_by = travel
        self.server = BotApiServer(limits=limits)
        self.overrides = settings_overrides or {}
        self.app: BotApplication | None = None
        self.settings: Settings | None = None
        # Updates handled by the bot processes before the current one (restarts).
        self._handled_before = 0

    # ---- lifecycle ------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        await self.server.start(port=port)
        self.server.add_bot(TOKEN, username=BOT_USERNAME)
        self.server.settle_hook = self.settle
        values: dict[str, Any] = {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": self.server.base_url,
            "DATABASE_URL": self.database_url,
            "DOCUMENTS_DIR": str(self.folder / "documents"),
            "HEARTBEAT_FILE": str(self.folder / "heartbeat"),
            **self.overrides,
        }
        self.settings = Settings(_env_file=None, **values)
        await self._start_bot()

    async def _start_bot(self) -> None:
        await self.start_app()
        assert self.app is not None and self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=5, allowed_updates=Update.ALL_TYPES
        )
        await self.settle()

    async def start_app(self) -> None:
        """The application with its runtime (sender, schedule), taking no updates yet."""
        assert self.settings is not None
        self.app = build_application(self.settings, install_runtime=False)
        await self.app.initialize()
        await start_runtime(self.app)
        await self.app.start()

    async def _stop_bot(self) -> None:
        if self.app is None:
            return
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await stop_runtime(self.app)
        await self.app.shutdown()
        await self.services.db.dispose()
        self._handled_before += self.app.updates_done
        self.app = None

    async def stop(self) -> None:
        await self._stop_bot()
        await self.server.stop()

    async def restart(self) -> None:
        """A new bot process on the same database and sandbox: memory is gone, the database
        and Telegram remain."""
        await self._stop_bot()
        await self._start_bot()

    # ---- access ----------------------------------------------------------------------

    @property
    def services(self) -> Services:
        assert self.app is not None
        return services_of(self.app)

    @property
    def sender(self) -> Sender:
        assert self.services.sender is not None
        return self.services.sender

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.services.db.transaction() as session:
            yield session

    def user(self, name: str, lang: str | None = "en", **kwargs: Any) -> SimUser:
        return self.server.user(name, lang=lang, **kwargs)

    async def person(
        self,
        name: str,
        roles: str,
        state: str | None = None,
        *,
        lang: str = "en",
        organisation: str | None = None,
        **user_fields: Any,
    ) -> tuple[SimUser, Person]:
        """A simulated user who has already joined with these roles (and opened the chat)."""
        user = self.user(name, lang, **user_fields)
        user.state.started = True
        async with self.session() as session:
            state_row = await states.by_code(session, state) if state else None
            person = await people.add_person(
                session,
                roles=parse_roles(roles),
                now=self.now,
                telegram_id=user.id,
                state=state_row,
                organisation=organisation,
                display_name=user.info.first_name,
                language=as_language(lang),
            )
        return user, person

    # ---- idleness ----------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until the bot is idle, moving over Telegram's pacing waits."""
        try:
            await self._settle()
        except TimeoutError:
            raise NotSettled(await self.describe_activity()) from None

    async def describe_activity(self) -> str:
        bot = self.server.default_bot
        assert self.app is not None
        return (
            f"the bot did not settle in {SETTLE_TIMEOUT} s: updates handled "
            f"{self._handled_before + self.app.updates_done} of {bot.next_update_id - 1}, "
            f"{len(bot.pending)} waiting at Telegram, {self.app.update_queue.qsize()} queued; "
            f"sender busy={self.sender.busy} woken={self.sender.wake_pending} "
            f"next due={await self.sender.next_due_at()} now={self.now}"
        )

    async def _settle(self) -> None:
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while True:
                await self._quiet()
                due = await self.sender.next_due_at()
                if due is None:
                    return
                wait = due - self.now
                if wait > timedelta(0):
                    if self.travel_by is not None:
                        self.travel_by(wait + timedelta(milliseconds=1))
                    else:
                        await asyncio.sleep(wait.total_seconds() + 0.001)
                self.sender.wake()
                await asyncio.sleep(0)

    async def _quiet(self) -> None:
        """Every update handled, and the sender has nothing it may send now."""
        bot = self.server.default_bot
        while True:
            if self._updates_handled(bot) and self._sender_resting():
                due = await self.sender.next_due_at()
                if (due is None or due > self.now) and self._sender_resting():
                    return
            await asyncio.sleep(0.002)

    def _updates_handled(self, bot: SimBot) -> bool:
        assert self.app is not None
        return (
            self._handled_before + self.app.updates_done >= bot.next_update_id - 1
            and not bot.pending
            and self.app.update_queue.empty()
        )

    def _sender_resting(self) -> bool:
        return not self.sender.busy and not self.sender.wake_pending


__all__ = ["BOT_USERNAME", "TOKEN", "SandboxRun"]
