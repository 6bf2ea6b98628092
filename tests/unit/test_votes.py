"""The vote service against a real database: seats, ballots, precedence of the Vice-Minister,
closing (early, at the deadline, twice), the audit trail, committees and secret votes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bot import deadlines, states, vote_seats, vote_trail, votes
from bot.db import Database
from bot.errors import InputError, NotFound, PermissionDenied, UserError
from bot.models.deadlines import DeadlineStatus
from bot.models.votes import CloseReason, Vote, VoteBallot, VoteStatus
from bot.states import StateEntry
from bot.text import Renderer
from bot.vote_rules import Choice, VoteRule
from tests.unit.votes_world import NOW, QUESTION, World, render, render_error, standard_world


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    return await standard_world(db, tmp_path / "documents")


# ---- opening ---------------------------------------------------------------------------------


async def test_a_vote_has_one_seat_per_active_member_state(world: World) -> None:
    vote_id = await world.open_vote(VoteRule.MAJORITY)
    async with world.db.transaction() as session:
        seats = await vote_seats.seats_of(session, vote_id)
        assert len(seats) == len(await states.member_states(session)) == 11
        deadline = await deadlines.get(session, votes.deadline_key(vote_id))
        assert deadline is not None and deadline.kind == "vote"
        assert deadline.due_at == NOW + timedelta(days=5)


async def test_majority_threshold_follows_the_member_states_loaded(world: World) -> None:
    # 002_9138b89dd8fde4ed.txt: another process has another number of states.
    async with world.db.transaction() as session:
        await states.load_states(
            session,
            [StateEntry(c, c, c) for c in ("CR", "GT", "US", "MX")],
        )
    vote_id = await world.open_vote(VoteRule.MAJORITY)
    await world.cast("lucia", vote_id, Choice.YES)
    assert (await world.get(vote_id)).status == VoteStatus.OPEN
    result = await world.cast("omar", vote_id, Choice.YES)
    # 2 of 4 is not more than half; the vote stays open.
    assert result.outcome is None
    result = await world.cast("victor", vote_id, Choice.YES)
    assert result.outcome is not None and result.outcome.approved
    assert result.outcome.tally.seats == 4


async def test_ballots_go_to_vice_ministers_and_marked_to_alternates(world: World) -> None:
    vote_id = await world.open_vote()
    (ballot,) = [m for m in await world.messages_to("alma") if m.buttons]
    assert "vote only if your Vice-Minister has not" in render(ballot.body)
    (ballot,) = [m for m in await world.messages_to("victor") if m.buttons]
    assert "as its Vice-Minister" in render(ballot.body)
    assert await world.messages_to("ana") == []  # a focal point does not vote
    labels = [b["label"]["id"] for b in ballot.buttons[0]]
    assert labels == ["No objection", "Object"]
    assert ballot.buttons[0][1]["data"].startswith(f"vote:{vote_id}:")


async def test_only_ts_or_ppt_open_and_nothing_is_stored_otherwise(world: World) -> None:
    for name in ("ana", "victor"):
        with pytest.raises(PermissionDenied):
            await world.open_vote(by=name)
    async with world.db.transaction() as session:
        assert (await session.exec(select(Vote))).all() == []
    assert await world.outbox_size() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"days": -1}, "already passed"),
        ({"days": 400}, "at most one year"),
        ({"committee": ["x"]}, "Only a committee vote"),
    ],
)
async def test_bad_opening_is_refused(
    world: World, change: dict[str, object], message: str
) -> None:
    if "committee" in change:
        change = {"committee": [world.persons["victor"]]}
    with pytest.raises(InputError) as error:
        await world.open_vote(**change)  # type: ignore[arg-type]
    assert message in render_error(error.value)
    async with world.db.transaction() as session:
        assert (await session.exec(select(Vote))).all() == []


# ---- ballots ---------------------------------------------------------------------------------


async def test_alternate_counts_until_the_vice_minister_votes(world: World) -> None:
    vote_id = await world.open_vote(VoteRule.CONSENSUS)
    await world.cast("alma", vote_id, Choice.NO)
    await world.cast("victor", vote_id, Choice.YES, at=timedelta(hours=2))
    with pytest.raises(InputError) as error:
        await world.cast("alma", vote_id, Choice.NO, at=timedelta(hours=3))
    assert "Vice-Minister has already voted" in render_error(error.value)
    async with world.db.transaction() as session:
        rows = await vote_trail.trail(session, vote_id)
    assert [(r.person, r.ballot.choice, r.superseded) for r in rows] == [
        ("Alma", "no", True),
        ("Victor", "yes", False),
    ]


async def test_a_state_may_change_its_vote_until_the_deadline(world: World) -> None:
    vote_id = await world.open_vote(VoteRule.CONSENSUS)
    await world.cast("victor", vote_id, Choice.NO)
    again = await world.cast("victor", vote_id, Choice.NO, at=timedelta(hours=2))
    assert not again.changed  # the same press twice records nothing new
    await world.cast("victor", vote_id, Choice.YES, at=timedelta(days=4))
    async with world.db.transaction() as session:
        views = await vote_seats.seat_views(session, await votes.get_vote(session, vote_id))
    us = next(v for v in views if v.ballot is not None)
    assert us.position is Choice.YES and us.ballot is not None and us.ballot.seq == 2
    with pytest.raises(InputError) as error:
        await world.cast("victor", vote_id, Choice.NO, at=timedelta(days=5))
    assert "deadline of vote V" in render_error(error.value)
    assert await world.count_ballots() == 2


async def test_every_check_of_a_press_refuses_and_changes_nothing(world: World) -> None:
    vote_id = await world.open_vote()
    mexico = await world.seat_of(vote_id, "MX")
    refusals: list[tuple[str, str, int, Choice]] = [
        ("victor", "your own member state", mexico, Choice.NO_OBJECTION),  # another state's seat
        ("ana", "not allowed", await world.seat_of(vote_id, "MX"), Choice.NO_OBJECTION),
        ("tess", "not allowed", mexico, Choice.NO_OBJECTION),
        ("victor", "not valid", 999_999, Choice.NO_OBJECTION),  # a forged seat
        ("victor", "not valid", await world.seat_of(vote_id, "US"), Choice.YES),  # not offered
    ]
    for name, message, seat_id, choice in refusals:
        actor = await world.actor(name)
        with pytest.raises(UserError) as error:
            await world.press(actor, vote_id, seat_id, choice)
        assert message in render_error(error.value), name
    us = await world.seat_of(vote_id, "US")
    with pytest.raises(NotFound):  # a forged vote id
        await world.press(await world.actor("victor"), vote_id + 1, us, Choice.NO_OBJECTION)
    assert await world.count_ballots() == 0


async def test_an_objection_needs_a_reason(world: World) -> None:
    vote_id = await world.open_vote()
    for reason in (None, "   ", "x" * (votes.MAX_REASON + 1)):
        with pytest.raises(InputError):
            await world.cast("omar", vote_id, Choice.OBJECT, reason=reason)
    await world.cast("omar", vote_id, Choice.OBJECT, reason="  Budget too high.  ")
    async with world.db.transaction() as session:
        (ballot,) = (await session.exec(select(VoteBallot))).all()
    assert ballot.reason == "Budget too high."


async def test_colleagues_of_the_state_are_told(world: World) -> None:
    vote_id = await world.open_vote()
    await world.cast("gala", vote_id, Choice.NO_OBJECTION)
    notice = (await world.messages_to("omar"))[-1]
    assert "Gala, alternate, voted for Guatemala" in render(notice.body)
    await world.cast("omar", vote_id, Choice.OBJECT, reason="No.")
    notice = (await world.messages_to("gala"))[-1]
    assert "This is the vote that counts for Guatemala" in render(notice.body)


async def test_the_trail_is_append_only_in_the_database(world: World) -> None:
    vote_id = await world.open_vote()
    await world.cast("victor", vote_id, Choice.NO_OBJECTION)
    for statement in ("UPDATE vote_ballot SET choice = 'object'", "DELETE FROM vote_ballot"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with world.db.transaction() as session:
                await session.exec(text(statement))  # type: ignore[call-overload]
    assert await world.count_ballots() == 1


# ---- closing ---------------------------------------------------------------------------------


async def test_majority_closes_as_soon_as_it_is_decided(world: World) -> None:
    vote_id = await world.open_vote(VoteRule.MAJORITY)
    async with world.db.transaction() as session:
        await states.load_states(session, [StateEntry(c, c, c) for c in ("CR", "GT", "US")])
    # The seats were fixed at opening: eleven, six needed.
    for name in ("lucia", "omar", "victor"):
        assert (await world.cast(name, vote_id, Choice.NO)).outcome is None
    assert (await world.get(vote_id)).status == VoteStatus.OPEN
    vote_id = await world.open_vote(VoteRule.MAJORITY)  # three seats now
    await world.cast("lucia", vote_id, Choice.NO)
    result = await world.cast("omar", vote_id, Choice.NO)
    assert result.outcome is not None and not result.outcome.approved
    assert result.outcome.reason is CloseReason.DECIDED
    with pytest.raises(InputError):
        await world.cast("victor", vote_id, Choice.YES)


async def test_close_is_idempotent_and_sends_results_once(world: World) -> None:
    vote_id = await world.open_vote()
    await world.cast("omar", vote_id, Choice.OBJECT, reason="Budget.")
    await world.cast("victor", vote_id, Choice.NO_OBJECTION)
    first = await world.close(vote_id, at=timedelta(days=1), by="lucia")
    size = await world.outbox_size()
    second = await world.close(vote_id, at=timedelta(days=2), by="tess")
    assert first == second
    assert await world.outbox_size() == size
    assert not first.approved and first.reason is CloseReason.MANUAL
    assert first.tally.of(Choice.NO_OBJECTION) == 1 and first.tally.silent == 9
    vote = await world.get(vote_id)
    assert vote.closed_at == NOW + timedelta(days=1)
    assert vote.closed_by_id == world.persons["lucia"].id
    async with world.db.transaction() as session:
        deadline = await deadlines.get(session, votes.deadline_key(vote_id))
        assert deadline is not None and deadline.status == DeadlineStatus.DONE
    results = [m for m in await world.messages_to("ana")]
    assert results == []  # a focal point is not a participant
    result = await world.results_for("tess", vote_id)
    shown = render(result.body)
    assert "closed: not approved" in shown and "Guatemala: objection — Budget." in shown
    assert "Explicit concurrence: 1; concurrence by silence: 9." in shown


async def test_a_focal_point_cannot_close(world: World) -> None:
    vote_id = await world.open_vote()
    with pytest.raises(PermissionDenied):
        await world.close(vote_id, at=timedelta(hours=1), by="ana")
    assert (await world.get(vote_id)).status == VoteStatus.OPEN


async def test_the_deadline_kind_reminds_the_silent_and_closes(world: World) -> None:
    vote_id = await world.open_vote(VoteRule.CONSENSUS)
    kind = votes.VoteDeadline()
    await world.cast("victor", vote_id, Choice.YES)
    async with world.db.transaction() as session:
        deadline = await deadlines.get(session, votes.deadline_key(vote_id))
        assert deadline is not None
        pending = await kind.pending(world.services, session, deadline, NOW)
        assert {p.display_name for p in pending} == {"Lucia", "Omar", "Gala"}
        reminder = kind.reminder(deadline, pending[0], now=NOW)
        assert reminder.buttons is not None
        assert reminder.buttons[0][0].data == f"vote:{vote_id}:show"
        assert "Vote V" in Renderer("en", world.services.clock.tz).plain(reminder.body)
        await kind.on_due(world.services, session, deadline, NOW + timedelta(days=5))
        await kind.on_due(world.services, session, deadline, NOW + timedelta(days=5, hours=1))
        assert await kind.pending(world.services, session, deadline, NOW) == []
    outcome = await world.close(vote_id, at=timedelta(days=6))
    assert outcome.reason is CloseReason.DEADLINE and not outcome.approved  # silence: no consensus
    assert outcome.closed_at == NOW + timedelta(days=5)


async def test_no_objection_silence_concurs_at_the_deadline(world: World) -> None:
    vote_id = await world.open_vote()
    await world.cast("victor", vote_id, Choice.NO_OBJECTION)
    outcome = await world.close(vote_id, at=timedelta(days=5))
    assert outcome.approved and outcome.tally.silent == 10


async def test_secret_vote_results_show_counts_only(world: World) -> None:
    vote_id = await world.open_vote(VoteRule.MAJORITY, secret=True)
    await world.cast("omar", vote_id, Choice.NO)
    await world.cast("victor", vote_id, Choice.YES)
    await world.close(vote_id, at=timedelta(days=1), by="tess")
    result = await world.results_for("tess", vote_id)
    shown = render(result.body)
    assert "Yes: 1 of 11 member states (6 needed). No: 1" in shown
    assert "Guatemala" not in shown and "United States" not in shown
    async with world.db.transaction() as session:
        rows = await vote_trail.trail(session, vote_id)
        vote = await votes.get_vote(session, vote_id)
    exported = list(
        csv.reader(
            io.StringIO(
                vote_trail.trail_csv(vote, rows, world.services.clock.tz).decode("utf-8-sig")
            )
        )
    )
    assert exported[0] == list(vote_trail.TRAIL_COLUMNS)
    assert {row[8] for row in exported[1:]} == {""}  # no choices in a secret vote's export


async def test_export_marks_superseded_ballots(world: World) -> None:
    vote_id = await world.open_vote()
    await world.cast("alma", vote_id, Choice.OBJECT, reason="=cmd|calc")
    await world.cast("victor", vote_id, Choice.NO_OBJECTION, at=timedelta(hours=2))
    async with world.db.transaction() as session:
        rows = await vote_trail.trail(session, vote_id)
        vote = await votes.get_vote(session, vote_id)
    data = vote_trail.trail_csv(vote, rows, world.services.clock.tz)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["person"], r["state"], r["role"], r["choice"], r["superseded"]) for r in table] == [
        ("Alma", "US", "alternate", "object", "yes"),
        ("Victor", "US", "vice_minister", "no_objection", "no"),
    ]
    assert table[0]["reason"] == "'=cmd|calc"  # not a spreadsheet formula
    assert table[0]["cast_at_local"].endswith("-06:00")


async def test_results_fit_one_message_whatever_the_reasons(world: World) -> None:
    for code in ("BZ", "CA", "DO", "SV", "HN", "MX", "NI", "PA"):
        await world.add(f"vm{code.lower()}", "vice_minister", code)
    vote_id = await world.open_vote()
    names = ["lucia", "omar", "victor"] + [
        f"vm{c.lower()}" for c in ("BZ", "CA", "DO", "SV", "HN", "MX", "NI", "PA")
    ]
    for name in names:
        await world.cast(name, vote_id, Choice.OBJECT, reason="ñ" * votes.MAX_REASON)
    outcome = await world.close(vote_id, at=timedelta(days=1), by="tess")
    assert outcome.tally.of(Choice.OBJECT) == 11
    result = await world.results_for("tess", vote_id)
    assert "…" in render(result.body) and len(render(result.body, "es")) <= 4096


# ---- committee -------------------------------------------------------------------------------


async def test_committee_members_vote_as_persons_unanimously(world: World) -> None:
    for name in ("carla", "diego", "elena"):
        await world.add(name, "committee")
    async with world.db.transaction() as session:
        members = await vote_seats.find_committee(session, ["@carla", "@DIEGO", "@elena"])
        with pytest.raises(InputError):
            await vote_seats.find_committee(session, ["@victor"])  # no committee role
        with pytest.raises(InputError):
            await vote_seats.find_committee(session, ["@nobody"])
        with pytest.raises(InputError):
            await vote_seats.find_committee(session, ["@carla", "@carla"])
        everyone = await vote_seats.find_committee(session, [])
    assert {m.display_name for m in everyone} == {"Carla", "Diego", "Elena"}
    vote_id = await world.open_vote(VoteRule.COMMITTEE, committee=members)
    async with world.db.transaction() as session:
        seats = await vote_seats.seats_of(session, vote_id)
    assert all(s.person_id is not None and s.state_id is None for s in seats)
    # A member cannot press another member's ballot.
    with pytest.raises(PermissionDenied):
        await world.press(await world.actor("carla"), vote_id, seats[1].id or 0, Choice.YES)
    # A Vice-Minister has no seat in a committee vote.
    victor = await world.actor("victor")
    async with world.db.transaction() as session:
        vote = await votes.get_vote(session, vote_id)
        assert await vote_seats.seat_for(session, vote, victor) is None
    for name in ("carla", "diego", "elena"):
        await world.cast(name, vote_id, Choice.YES)
    outcome = await world.close(vote_id, at=timedelta(days=5))
    assert outcome.approved and outcome.tally.seats == 3


async def test_a_committee_vote_needs_members(world: World) -> None:
    with pytest.raises(InputError):
        await world.open_vote(VoteRule.COMMITTEE)
    async with world.db.transaction() as session:
        with pytest.raises(InputError):
            await vote_seats.find_committee(session, [])  # nobody holds the role


async def test_the_bot_opens_a_vote_for_another_capability(world: World) -> None:
    """The contract work opens the majority vote on an extension on a schedule."""
    async with world.db.transaction() as session:
        vote = await votes.open_vote(
            world.services,
            session,
            opened_by=None,
            rule=VoteRule.MAJORITY,
            question=QUESTION,
            deadline=NOW + timedelta(days=10),
            now=NOW,
            origin="contract:1:year-1",
        )
        assert vote.id is not None and vote.opened_by_id is None
        assert [v.id for v in await votes.by_origin(session, "contract:1:year-1")] == [vote.id]
        assert await votes.outcome_of(session, vote.id) is None
    outcome = await world.close(vote.id, at=timedelta(days=10))
    async with world.db.transaction() as session:
        assert await votes.outcome_of(session, vote.id) == outcome
    assert not outcome.approved and outcome.reason is CloseReason.DEADLINE
    # The results still reach the TS, though nobody opened the vote.
    assert (await world.results_for("tess", vote.id)) is not None
