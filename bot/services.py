"""The core objects every capability uses, built once by the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.documents import DocumentStore
from bot.outbox import Outbox

if TYPE_CHECKING:
    from bot.deadlines import DeadlineKind
    from bot.dialogs import Dialog
    from bot.features import Feature, VoteClosedListener
    from bot.health import Heartbeat
    from bot.ids import Subjects
    from bot.leader import Leader
    from bot.sender import Sender
    from schedules.jobs import DeadlineScheduler


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    outbox: Outbox
    documents: DocumentStore
    sender: Sender | None = None
    bot_username: str = "bot"
    # Filled by the composition root from the features.
    features: list[Feature] = field(default_factory=list)
    subjects: Subjects | None = None
    dialogs: dict[str, Dialog] = field(default_factory=dict)
    deadline_kinds: dict[str, DeadlineKind] = field(default_factory=dict)
    heartbeat: Heartbeat | None = None
    vote_listeners: list[VoteClosedListener] = field(default_factory=list)
    # The running deadline scheduler (schedules/), while the bot runs.
    scheduler: DeadlineScheduler | None = None
    # Whether this replica runs the sender and the scheduler (bot.leader).
    leader: Leader | None = None

    @classmethod
    def create(cls, settings: Settings, *, db: Database | None = None) -> Services:
        clock = Clock(settings.tz)
        return cls(
            settings=settings,
            db=db or Database(settings.database_url),
            clock=clock,
            outbox=Outbox(settings.tz),
            documents=DocumentStore(settings.documents_dir),
        )

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A transaction for work outside an update (jobs, the CLI): committed at the end,
        then the sender is woken for whatever it queued."""
        async with self.db.transaction() as session:
            yield session
        self.wake_sender()

    def wake_sender(self) -> None:
        if self.sender is not None:
            self.sender.wake()
        if self.leader is not None:
            self.leader.poke()  # a follower tells the leader, whose sender drains the outbox
