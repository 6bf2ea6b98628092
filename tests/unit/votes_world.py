"""A small world for the vote service tests: the services on a test database, and people of
several states with their actors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, func, select

from bot import people, presidency, states
from bot.config import Settings
from bot.db import Database
from bot.models.outbox import OutboxMessage
from bot.models.people import Person
from bot.models.votes import VoteBallot
from bot.permissions import Actor
from bot.roles import parse_roles
from bot.services import Services
from bot.text import Bi

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 09:00 in Costa Rica
QUESTION = Bi("Approve the 2026 work plan?", "¿Aprueba el plan de trabajo 2026?")


@dataclass
class World:
    db: Database
    services: Services
    persons: dict[str, Person] = field(default_factory=dict)
    _next_telegram_id: int = 5000

    async def add(
        self, name: str, roles: str, state: str | None = None, *, lang: str = "en"
    ) -> Person:
        self._next_telegram_id += 1
        async with self.db.transaction() as session:
            state_row = await states.by_code(session, state) if state else None
            person = await people.add_person(
                session,
                roles=parse_roles(roles),
                now=NOW,
                telegram_id=self._next_telegram_id,
                state=state_row,
                display_name=name.capitalize(),
                language="es" if lang == "es" else "en",
            )
            person.username = name
            session.add(person)
        self.persons[name] = person
        return person

    async def actor(self, name: str, now: datetime = NOW) -> Actor:
        async with self.db.transaction() as session:
            person = await session.get(Person, self.persons[name].id)
            assert person is not None
            return await people.actor_for(session, person, now, self.services.clock.tz)

    async def count_ballots(self) -> int:
        async with self.db.transaction() as session:
            return (await session.exec(select(func.count()).select_from(VoteBallot))).one()

    async def messages_to(self, name: str) -> list[OutboxMessage]:
        async with self.db.transaction() as session:
            rows = await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.person_id == self.persons[name].id)
                .order_by(col(OutboxMessage.id))
            )
            return list(rows.all())

    async def outbox_size(self) -> int:
        async with self.db.transaction() as session:
            return (await session.exec(select(func.count()).select_from(OutboxMessage))).one()


def make_services(db: Database, folder: Path) -> Services:
    settings = Settings(_env_file=None, DATABASE_URL=db.url, DOCUMENTS_DIR=str(folder))  # type: ignore[call-arg]
    return Services.create(settings, db=db)


async def standard_world(db: Database, folder: Path) -> World:
    """The TS, the PPT's Vice-Minister (Costa Rica), Vice-Ministers of Guatemala and the
    United States, an alternate of each of those, and a focal point of Mexico."""
    world = World(db, make_services(db, folder))
    await world.add("tess", "ts")
    await world.add("lucia", "vice_minister", "CR", lang="es")
    await world.add("omar", "vice_minister", "GT", lang="es")
    await world.add("gala", "alternate", "GT", lang="es")
    await world.add("victor", "vice_minister", "US")
    await world.add("alma", "alternate", "US", lang="es")
    await world.add("ana", "focal_point", "MX", lang="es")
    ts = await world.actor("tess")
    async with db.transaction() as session:
        await presidency.set_ppt(session, ts, "CR", None, now=NOW, tz=world.services.clock.tz)
    return world
