"""A small world for the vote service tests: the services on a test database, and people of
several states with their actors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from bot import people, presidency, states, vote_seats, votes
from bot.config import Settings
from bot.db import Database
from bot.errors import UserError
from bot.models.outbox import OutboxMessage
from bot.models.people import Person
from bot.models.votes import Vote, VoteBallot, VoteSeat
from bot.permissions import Actor
from bot.roles import parse_roles
from bot.services import Services
from bot.text import Bi, Node, Renderer, from_json
from bot.vote_rules import Choice, VoteRule

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

    async def results_for(self, name: str, vote_id: int) -> OutboxMessage:
        """The results message of a vote queued to this person."""
        (row,) = [
            m
            for m in await self.messages_to(name)
            if (m.dedupe_key or "").startswith(f"vote:{vote_id}:results:")
        ]
        return row

    # ---- the vote service, one transaction per call, as updates would -----------------------

    async def open_vote(
        self,
        rule: VoteRule = VoteRule.NO_OBJECTION,
        *,
        by: str = "tess",
        days: int = 5,
        **options: Any,
    ) -> int:
        actor = await self.actor(by)
        async with self.db.transaction() as session:
            vote = await votes.open_vote(
                self.services,
                session,
                opened_by=actor,
                rule=rule,
                question=QUESTION,
                deadline=NOW + timedelta(days=days),
                now=NOW,
                **options,
            )
            assert vote.id is not None
            return vote.id

    async def get(self, vote_id: int) -> Vote:
        async with self.db.transaction() as session:
            return await votes.get_vote(session, vote_id)

    async def seat_of(self, vote_id: int, state: str) -> int:
        async with self.db.transaction() as session:
            row = await states.by_code(session, state)
            seat = (
                await session.exec(
                    select(VoteSeat).where(VoteSeat.vote_id == vote_id, VoteSeat.state_id == row.id)
                )
            ).one()
            assert seat.id is not None
            return seat.id

    async def own_seat(self, name: str, vote_id: int) -> int:
        actor = await self.actor(name)
        async with self.db.transaction() as session:
            seat = await vote_seats.seat_for(session, await votes.get_vote(session, vote_id), actor)
            assert seat is not None and seat.id is not None, name
            return seat.id

    async def press(
        self,
        actor: Actor,
        vote_id: int,
        seat_id: int,
        choice: Choice,
        *,
        now: datetime = NOW,
        reason: str | None = None,
    ) -> votes.CastResult:
        """One ballot button, pressed by `actor` on `seat_id` (which may not be theirs)."""
        async with self.db.transaction() as session:
            return await votes.cast_ballot(
                self.services,
                session,
                actor=actor,
                vote_id=vote_id,
                seat_id=seat_id,
                choice=choice,
                now=now,
                reason=reason,
            )

    async def cast(
        self,
        name: str,
        vote_id: int,
        choice: Choice,
        *,
        reason: str | None = None,
        at: timedelta = timedelta(hours=1),
    ) -> votes.CastResult:
        """`name` votes on their own seat, `at` after NOW."""
        seat_id = await self.own_seat(name, vote_id)
        actor = await self.actor(name, NOW + at)
        return await self.press(actor, vote_id, seat_id, choice, now=NOW + at, reason=reason)

    async def close(
        self, vote_id: int, *, at: timedelta, by: str | None = None
    ) -> votes.VoteOutcome:
        actor = await self.actor(by) if by else None
        async with self.db.transaction() as session:
            return await votes.close_vote(
                self.services, session, vote_id, now=NOW + at, closed_by=actor
            )


def make_services(db: Database, folder: Path) -> Services:
    settings = Settings(_env_file=None, DATABASE_URL=db.url, DOCUMENTS_DIR=str(folder))
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


def render(node: Any, lang: str = "en") -> str:
    """A stored message body (JSON) or a node, as a reader sees it."""
    shown: Node = from_json(node) if isinstance(node, dict) else node
    return Renderer("es" if lang == "es" else "en", ZoneInfo("America/Costa_Rica")).plain(shown)


def render_error(error: UserError) -> str:
    return render(error.message)
