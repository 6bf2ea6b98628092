"""The pass/fail rule of each kind of vote, over many combinations of positions (SPEC 2.4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.vote_rules import (
    CHOICES,
    Choice,
    VoteRule,
    approved,
    deadline_in_days,
    is_allowed,
    majority_needed,
    settled,
    tally,
)

Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN
OK, OBJ = Choice.NO_OBJECTION, Choice.OBJECT


def positions_for(rule: VoteRule, max_seats: int = 30) -> st.SearchStrategy[list[Choice | None]]:
    """A seat's position: any choice its rule offers, or silence (None)."""
    one = st.one_of(st.none(), st.sampled_from(CHOICES[rule]))
    return st.lists(one, min_size=1, max_size=max_seats)


def passes(rule: VoteRule, positions: Sequence[Choice | None]) -> bool:
    return approved(rule, tally(positions))


# ---- no-objection ----------------------------------------------------------------------------


@given(positions_for(VoteRule.NO_OBJECTION))
def test_no_objection_passes_exactly_when_nobody_objects(positions: list[Choice | None]) -> None:
    assert passes(VoteRule.NO_OBJECTION, positions) == (OBJ not in positions)


@given(positions_for(VoteRule.NO_OBJECTION))
def test_no_objection_counts_explicit_and_silent_concurrence(
    positions: list[Choice | None],
) -> None:
    result = tally(positions)
    assert result.of(OK) == positions.count(OK)
    assert result.silent == positions.count(None)
    assert result.of(OK) + result.silent + result.of(OBJ) == len(positions)


def test_no_objection_silence_concurs() -> None:
    assert passes(VoteRule.NO_OBJECTION, [None] * 11)
    assert passes(VoteRule.NO_OBJECTION, [OK] + [None] * 10)
    assert not passes(VoteRule.NO_OBJECTION, [OBJ] + [OK] * 10)
    assert not passes(VoteRule.NO_OBJECTION, [None] * 10 + [OBJ])


# ---- majority --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seats", "needed"), [(1, 1), (2, 2), (3, 2), (10, 6), (11, 6), (12, 7), (35, 18)]
)
def test_majority_is_more_than_half_of_all_seats(seats: int, needed: int) -> None:
    assert majority_needed(seats) == needed


@given(positions_for(VoteRule.MAJORITY))
def test_majority_counts_yes_against_all_states_not_those_who_voted(
    positions: list[Choice | None],
) -> None:
    assert passes(VoteRule.MAJORITY, positions) == (2 * positions.count(Y) > len(positions))


def test_majority_of_eleven() -> None:
    assert passes(VoteRule.MAJORITY, [Y] * 6 + [None] * 5)
    # 5 yes and nobody else voting is a majority of those who voted, not of the states.
    assert not passes(VoteRule.MAJORITY, [Y] * 5 + [None] * 6)
    assert not passes(VoteRule.MAJORITY, [Y] * 5 + [A] * 6)
    assert passes(VoteRule.MAJORITY, [Y] * 6 + [N] * 5)


def test_majority_settles_as_soon_as_the_outcome_cannot_change() -> None:
    assert not settled(VoteRule.MAJORITY, tally([Y] * 5 + [None] * 6))
    assert settled(VoteRule.MAJORITY, tally([Y] * 6 + [None] * 5))
    # 5 no and 1 abstention: the other five cannot reach six yes.
    assert settled(VoteRule.MAJORITY, tally([N] * 5 + [A] + [None] * 5))
    assert not settled(VoteRule.MAJORITY, tally([N] * 5 + [None] * 6))


# ---- consensus and committee -----------------------------------------------------------------


@pytest.mark.parametrize("rule", [VoteRule.CONSENSUS, VoteRule.COMMITTEE])
@given(data=st.data())
def test_unanimity_rules_need_every_seat_to_say_yes(rule: VoteRule, data: st.DataObject) -> None:
    positions = data.draw(positions_for(rule))
    assert passes(rule, positions) == all(p is Y for p in positions)


@pytest.mark.parametrize("rule", [VoteRule.CONSENSUS, VoteRule.COMMITTEE])
def test_one_no_or_one_silence_is_not_consensus(rule: VoteRule) -> None:
    assert passes(rule, [Y] * 11)
    assert not passes(rule, [Y] * 10 + [N])
    assert not passes(rule, [Y] * 10 + [None])
    assert passes(rule, [Y] * 3)


# ---- settled, for every rule -----------------------------------------------------------------


def completions(rule: VoteRule, positions: Sequence[Choice | None]) -> list[list[Choice | None]]:
    """Every way the silent seats could still go, all in the same direction: the outcome of
    each rule is monotone, so these extremes decide whether it can still change."""
    options: list[Choice | None] = [None, *CHOICES[rule]]
    return [[option if p is None else p for p in positions] for option in options]


@pytest.mark.parametrize("rule", list(VoteRule))
@given(data=st.data())
def test_settled_means_no_completion_can_change_the_outcome(
    rule: VoteRule, data: st.DataObject
) -> None:
    positions = data.draw(positions_for(rule))
    outcomes = {passes(rule, filled) for filled in completions(rule, positions)}
    assert settled(rule, tally(positions)) == (len(outcomes) == 1)
    if settled(rule, tally(positions)):
        # A random completion of the silent seats agrees as well.
        choices = st.one_of(st.none(), st.sampled_from(CHOICES[rule]))
        filled = [data.draw(choices) if p is None else p for p in positions]
        assert passes(rule, filled) == passes(rule, positions)


def test_choices_offered_by_each_rule() -> None:
    assert CHOICES[VoteRule.NO_OBJECTION] == (OK, OBJ)
    assert is_allowed(VoteRule.MAJORITY, A)
    assert not is_allowed(VoteRule.CONSENSUS, A)
    assert not is_allowed(VoteRule.NO_OBJECTION, Y)
    assert not is_allowed(VoteRule.COMMITTEE, OBJ)


def test_deadline_in_calendar_days_ends_at_2359_conference_time() -> None:
    tz = ZoneInfo("America/Costa_Rica")
    # 2 March 2026, 22:30 in Costa Rica (UTC-6) is already 3 March in UTC.
    now = datetime(2026, 3, 3, 4, 30, tzinfo=UTC)
    assert deadline_in_days(now, tz, 5) == datetime(2026, 3, 8, 5, 59, tzinfo=UTC)
