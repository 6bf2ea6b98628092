"""Candidate slates: an objection moves the vote to the next candidate, with the same number
of days, until one is approved or none is left (000_80de73a49c3b69ea.txt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot import slates, votes
from bot.db import Database
from bot.errors import InputError
from bot.models.votes import Slate, SlateStatus, Vote, VoteStatus
from bot.slates import CandidateEntry
from bot.text import Bi
from bot.vote_rules import Choice
from tests.unit.votes_world import NOW, World, render, render_error, standard_world

SLATE = [
    CandidateEntry("Ana Pérez", 92),
    CandidateEntry("Luis Mora", 88.5),
    CandidateEntry("Rosa Díaz", 80),
]


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    return await standard_world(db, tmp_path / "documents")


async def open_slate(world: World, candidates: list[CandidateEntry] = SLATE, days: int = 5) -> int:
    actor = await world.actor("lucia")  # the PPT
    async with world.db.transaction() as session:
        vote = await votes.open_slate(
            world.services,
            session,
            opened_by=actor,
            candidates=candidates,
            deadline=votes.default_deadline(NOW, world.services.clock.tz)
            if days == 5
            else NOW + timedelta(days=days),
            now=NOW,
        )
        assert vote.id is not None
        return vote.id


async def test_an_objection_moves_the_vote_to_the_next_candidate(world: World) -> None:
    first = await open_slate(world)
    async with world.db.transaction() as session:
        vote = await votes.get_vote(session, first)
    assert (
        "Candidate 1 of 3 for Coordinator of the Technical Secretariat: Ana Pérez (score 92)"
        in render(vote.question)
    )
    # 2 March + 5 calendar days, 23:59 in Costa Rica.
    assert vote.deadline == datetime(2026, 3, 8, 5, 59, tzinfo=UTC)
    await world.cast("victor", first, Choice.NO_OBJECTION, at=timedelta(hours=1))
    result = await world.cast(
        "omar", first, Choice.OBJECT, at=timedelta(days=2), reason="Falta experiencia."
    )
    assert result.outcome is not None and not result.outcome.approved
    second = result.outcome.next_vote_id
    assert second is not None
    async with world.db.transaction() as session:
        closed = await votes.get_vote(session, first)
        following = await votes.get_vote(session, second)
    assert closed.status == VoteStatus.CLOSED and closed.close_reason == "objection"
    # The same five calendar days, counted from the day of the objection.
    assert following.deadline == datetime(2026, 3, 10, 5, 59, tzinfo=UTC)
    assert "Candidate 2 of 3" in render(following.question)
    assert "Luis Mora" in render(following.question, "es")
    # Everyone is told why, then gets the next ballot.
    messages = await world.messages_to("alma")
    why = next(m for m in messages if (m.dedupe_key or "").startswith(f"vote:{first}:results:"))
    shown = render(why.body)
    assert "Guatemala: objection — Falta experiencia." in shown
    assert "The vote moves to candidate 2, Luis Mora (score 88.5)" in shown
    assert messages.index(why) < next(
        i
        for i, m in enumerate(messages)
        if (m.dedupe_key or "").startswith(f"vote:{second}:ballot:")
    )
    assert "88,5" in render(why.body, "es")
    # A press on the superseded candidate changes nothing.
    with pytest.raises(InputError) as error:
        await world.cast(
            "victor", first, Choice.OBJECT, at=timedelta(days=2, hours=1), reason="late"
        )
    assert "no longer under consideration" in render_error(error.value)
    # The next candidate passes by silence at its deadline.
    async with world.db.transaction() as session:
        outcome = await votes.close_vote(
            world.services, session, second, now=following.deadline, closed_by=None
        )
        slate = await session.get(Slate, following.slate_id)
    assert outcome.approved and outcome.next_vote_id is None
    assert slate is not None and slate.status == SlateStatus.APPROVED
    result_row = next(
        m
        for m in await world.messages_to("tess")
        if (m.dedupe_key or "").startswith(f"vote:{second}:results:")
    )
    assert "Luis Mora is approved" in render(result_row.body)


async def test_a_slate_with_no_candidate_left_ends_with_none_approved(world: World) -> None:
    vote_id = await open_slate(world, [CandidateEntry("Ana Pérez", 92)])
    result = await world.cast("victor", vote_id, Choice.OBJECT, at=timedelta(hours=1), reason="No.")
    assert result.outcome is not None and result.outcome.next_vote_id is None
    async with world.db.transaction() as session:
        slate = (await session.exec(select(Slate))).one()
        assert len((await session.exec(select(Vote))).all()) == 1
    assert slate.status == SlateStatus.EXHAUSTED
    row = next(
        m
        for m in await world.messages_to("lucia")
        if (m.dedupe_key or "").startswith(f"vote:{vote_id}:results:")
    )
    assert "ends with no candidate approved" in render(row.body)
    assert "termina sin ningún candidato aprobado" in render(row.body, "es")


async def test_closing_twice_does_not_open_a_third_candidate(world: World) -> None:
    first = await open_slate(world)
    result = await world.cast("omar", first, Choice.OBJECT, at=timedelta(hours=1), reason="No.")
    assert result.outcome is not None
    async with world.db.transaction() as session:
        again = await votes.close_vote(
            world.services, session, first, now=NOW + timedelta(days=6), closed_by=None
        )
        assert len((await session.exec(select(Vote))).all()) == 2
    assert again.next_vote_id == result.outcome.next_vote_id


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ([], "at least one candidate"),
        ([CandidateEntry("A", 80), CandidateEntry("B", 90)], "highest score to the lowest"),
        ([CandidateEntry("Ana", 90), CandidateEntry("ana ", 80)], "listed twice"),
        ([CandidateEntry(" ", 90)], "needs a name"),
        ([CandidateEntry(f"C{i}", 90) for i in range(11)], "at most 10"),
        ([CandidateEntry("x" * 121, 90)], "at most 120"),
    ],
)
def test_candidates_are_checked(candidates: list[CandidateEntry], message: str) -> None:
    with pytest.raises(InputError) as error:
        slates.check_candidates(candidates)
    assert message in render_error(error.value)


async def test_a_slate_deadline_must_be_after_today(world: World) -> None:
    with pytest.raises(InputError):
        await open_slate(world, days=0)  # NOW + 0: already passed
    actor = await world.actor("lucia")
    with pytest.raises(InputError):
        async with world.db.transaction() as session:
            await votes.open_slate(
                world.services,
                session,
                opened_by=actor,
                candidates=SLATE,
                deadline=NOW + timedelta(hours=8),  # today, 17:00 in Costa Rica
                now=NOW,
                subject=Bi("Coordinator", "Coordinador(a)"),
            )
    async with world.db.transaction() as session:
        assert (await session.exec(select(Slate))).all() == []
