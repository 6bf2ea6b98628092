"""Persons of one state pressing at the same moment, in truly concurrent transactions on the
test database (SQLite or PostgreSQL): one counted ballot per state, never two, and the
Vice-Minister's always wins over an alternate's."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot import vote_seats, votes
from bot.db import Database
from bot.errors import UserError
from bot.models.votes import VoteBallot
from bot.permissions import Actor
from bot.vote_rules import Choice, VoteRule
from tests.unit.votes_world import NOW, World, standard_world


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    world = await standard_world(db, tmp_path / "documents")
    await world.add("alan", "alternate", "US")  # a second alternate of the United States
    return world


async def actors(world: World) -> dict[str, Actor]:
    return {n: await world.actor(n) for n in ("tess", "victor", "alma", "alan")}


async def open_consensus(world: World) -> tuple[int, int]:
    """A consensus vote, and the seat of the United States in it."""
    vote_id = await world.open_vote(VoteRule.CONSENSUS)
    return vote_id, await world.seat_of(vote_id, "US")


async def press_all(
    world: World, vote_id: int, seat_id: int, presses: list[tuple[Actor, Choice]]
) -> list[object]:
    """Every press in its own transaction, all released at the same moment."""
    barrier = asyncio.Barrier(len(presses))
    now = NOW + timedelta(hours=1)

    async def one(actor: Actor, choice: Choice) -> object:
        async with world.db.sessions() as session:
            await barrier.wait()
            async with session.begin():
                result = await votes.cast_ballot(
                    world.services,
                    session,
                    actor=actor,
                    vote_id=vote_id,
                    seat_id=seat_id,
                    choice=choice,
                    now=now,
                )
                return result.ballot.person_id

    return await asyncio.gather(*(one(a, c) for a, c in presses), return_exceptions=True)


async def ballots(world: World, seat_id: int) -> list[VoteBallot]:
    async with world.db.transaction() as session:
        rows = await session.exec(
            select(VoteBallot).where(VoteBallot.seat_id == seat_id).order_by(col(VoteBallot.seq))
        )
        return list(rows.all())


@pytest.mark.parametrize("attempt", range(4))
async def test_vice_minister_and_alternates_at_once_count_once(world: World, attempt: int) -> None:
    by = await actors(world)
    vote_id, seat_id = await open_consensus(world)
    presses = [(by["alma"], Choice.NO), (by["victor"], Choice.YES), (by["alan"], Choice.NO)]
    if attempt % 2:
        presses.reverse()
    outcomes = await press_all(world, vote_id, seat_id, presses)
    # Nothing failed but the refusals the rules call for.
    assert all(isinstance(o, int | UserError) for o in outcomes), outcomes
    assert world.persons["victor"].id in outcomes
    trail = await ballots(world, seat_id)
    # One chain of ballots, 1, 2, 3...: each press saw the one before it.
    assert [b.seq for b in trail] == list(range(1, len(trail) + 1))
    counted = trail[-1]
    assert counted.person_id == world.persons["victor"].id and counted.choice == "yes"
    refused = [o for o in outcomes if isinstance(o, UserError)]
    assert len(trail) + len(refused) == 3


async def test_two_alternates_at_once_give_one_counted_ballot(world: World) -> None:
    by = await actors(world)
    vote_id, seat_id = await open_consensus(world)
    outcomes = await press_all(
        world, vote_id, seat_id, [(by["alma"], Choice.NO), (by["alan"], Choice.YES)]
    )
    assert set(outcomes) == {world.persons["alma"].id, world.persons["alan"].id}
    trail = await ballots(world, seat_id)
    assert [b.seq for b in trail] == [1, 2]
    async with world.db.transaction() as session:
        views = await vote_seats.seat_views(session, await votes.get_vote(session, vote_id))
    voted = [v for v in views if v.ballot is not None]
    assert len(voted) == 1 and voted[0].ballot == trail[-1]


async def test_closing_while_presses_arrive_never_counts_after_the_close(world: World) -> None:
    by = await actors(world)
    vote_id, seat_id = await open_consensus(world)
    barrier = asyncio.Barrier(2)
    now = NOW + timedelta(hours=1)

    async def close() -> votes.VoteOutcome:
        async with world.db.sessions() as session:
            await barrier.wait()
            async with session.begin():
                return await votes.close_vote(
                    world.services, session, vote_id, now=now, closed_by=by["tess"]
                )

    async def vote() -> object:
        async with world.db.sessions() as session:
            await barrier.wait()
            async with session.begin():
                return await votes.cast_ballot(
                    world.services,
                    session,
                    actor=by["victor"],
                    vote_id=vote_id,
                    seat_id=seat_id,
                    choice=Choice.YES,
                    now=now,
                )

    outcome, pressed = await asyncio.gather(close(), vote(), return_exceptions=True)
    assert isinstance(outcome, votes.VoteOutcome)
    recorded = await ballots(world, seat_id)
    # Either the ballot came first and is in the result, or it was refused as too late.
    if isinstance(pressed, UserError):
        assert recorded == [] and outcome.tally.voted == 0
    else:
        assert len(recorded) == 1 and outcome.tally.voted == 1
