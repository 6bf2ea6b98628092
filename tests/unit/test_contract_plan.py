"""The Coordinator's contract as dates (000_80de73a49c3b69ea.txt, SPEC 2.7), over many
start dates: surveys, extension votes, the vacancy notice at the start of the last year, the
interim limits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.contract_plan import (
    ContractFacts,
    ContractOffsets,
    Step,
    add_months,
    current_year,
    latest_end,
    plan,
    term_end,
    year_end,
)

CR = ZoneInfo("America/Costa_Rica")
TORONTO = ZoneInfo("America/Toronto")
OFFSETS = ContractOffsets()
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def local(moment: datetime, tz: ZoneInfo = CR) -> datetime:
    return moment.astimezone(tz)


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_a_regular_contract_with_no_extension_yet() -> None:
    facts = ContractFacts(start=date(2026, 3, 1))
    items = plan(facts, OFFSETS, CR)
    year1 = [i for i in items if not i.conditional]
    assert [(i.step, i.year) for i in year1] == [
        (Step.SURVEY, 1),
        (Step.VOTE, 1),
        (Step.DECISION, 1),
    ]
    survey, vote, decision = year1
    # Year 1 ends on 1 March 2027: survey 60 days before, closing 30 days before.
    assert local(survey.at) == datetime(2026, 12, 31, 9, 0, tzinfo=CR)
    assert local(survey.closes_at) == datetime(2027, 1, 30, 23, 59, tzinfo=CR)  # type: ignore[arg-type]
    # The vote opens once the survey has closed; its deadline is 14 days before the end.
    assert local(vote.at) == datetime(2027, 1, 31, 9, 0, tzinfo=CR)
    assert local(vote.closes_at) == datetime(2027, 2, 15, 23, 59, tzinfo=CR)  # type: ignore[arg-type]
    assert local(decision.at) == datetime(2027, 2, 28, 9, 0, tzinfo=CR)
    # Later years are shown as depending on extensions, and the last one brings the notice.
    later = [(i.step, i.year) for i in items if i.conditional]
    assert (Step.VACANCY, 3) in later and (Step.SURVEY, 3) in later
    assert (Step.VOTE, 3) not in later  # no extension beyond the maximum period
    assert term_end(facts, OFFSETS) == date(2027, 3, 1)
    assert latest_end(facts, OFFSETS) == date(2029, 3, 1)


@settings(max_examples=300, deadline=None)
@given(start=starts, extensions=st.integers(min_value=0, max_value=2))
def test_plan_over_many_start_dates(start: date, extensions: int) -> None:
    facts = ContractFacts(start=start, extensions=extensions)
    items = plan(facts, OFFSETS, CR)
    assert [i.at for i in items] == sorted(i.at for i in items)
    for item in items:
        end = year_end(start, item.year)
        assert item.conditional == (item.year > 1 + extensions)
        assert item.decided == (item.year <= extensions)
        if item.step == Step.SURVEY:
            assert local(item.at).date() == end - timedelta(days=60)
            assert local(item.at).hour == 9
            assert local(item.closes_at).date() == end - timedelta(days=30)  # type: ignore[arg-type]
            assert item.until == item.closes_at
        elif item.step == Step.VOTE:
            survey = next(i for i in items if i.step == Step.SURVEY and i.year == item.year)
            assert item.at > survey.closes_at  # type: ignore[operator]
            assert item.at - survey.closes_at < timedelta(hours=10)  # type: ignore[operator]
            assert local(item.closes_at).date() == end - timedelta(days=14)  # type: ignore[arg-type]
            assert item.year <= 2
        elif item.step == Step.DECISION:
            assert local(item.at).date() == end - timedelta(days=1)
        elif item.step == Step.VACANCY:
            # The start of the last year of the maximum period: start + 2 years.
            assert item.year == 3
            assert local(item.at).date() == year_end(start, 2)
    steps = [(i.step, i.year) for i in items]
    assert steps.count((Step.VACANCY, 3)) == 1
    assert len([s for s in steps if s[0] == Step.VOTE]) == 2
    assert len([s for s in steps if s[0] == Step.SURVEY]) == 3


@settings(max_examples=100, deadline=None)
@given(start=starts)
def test_not_extended_ends_the_plan_at_that_year(start: date) -> None:
    facts = ContractFacts(start=start, extensions=1, not_extended_after=2)
    items = plan(facts, OFFSETS, CR)
    assert max(i.year for i in items) == 2
    assert not any(i.step == Step.VACANCY for i in items)
    assert all(i.decided for i in items)
    assert term_end(facts, OFFSETS) == year_end(start, 2)


def test_a_resignation_leaves_nothing_planned() -> None:
    assert plan(ContractFacts(start=date(2026, 3, 1), resigned=True), OFFSETS, CR) == []


@settings(max_examples=200, deadline=None)
@given(start=starts)
def test_interim_limits_at_six_and_twelve_months(start: date) -> None:
    facts = ContractFacts(start=start, interim=True)
    warning, limit = plan(facts, OFFSETS, CR)
    assert (warning.step, limit.step) == (Step.INTERIM_WARNING, Step.INTERIM_LIMIT)
    assert local(warning.at).date() == add_months(start, 6)
    assert local(limit.at).date() == add_months(start, 12)
    assert warning.until == limit.at and limit.until is None
    assert (warning.months, limit.months) == (6, 12)
    assert term_end(facts, OFFSETS) == latest_end(facts, OFFSETS) == add_months(start, 12)


def test_offsets_are_settings() -> None:
    values = {
        "CONTRACT_SURVEY_OPENS_DAYS": 45,
        "CONTRACT_SURVEY_CLOSES_DAYS": 20,
        "CONTRACT_VOTE_DEADLINE_DAYS": 7,
        "CONTRACT_INTERIM_WARNING_MONTHS": 4,
        "NOTICE_HOUR": 8,
    }
    offsets = ContractOffsets.from_settings(Settings(_env_file=None, **values))  # type: ignore[arg-type]
    survey, vote = plan(ContractFacts(start=date(2026, 3, 1)), offsets, CR)[:2]
    assert local(survey.at) == datetime(2027, 1, 15, 8, 0, tzinfo=CR)
    assert local(vote.closes_at).date() == date(2027, 2, 22)  # type: ignore[arg-type]
    interim = plan(ContractFacts(start=date(2026, 3, 1), interim=True), offsets, CR)
    assert local(interim[0].at).date() == date(2026, 7, 1)


def test_offsets_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="CONTRACT_SURVEY_OPENS_DAYS"):
        Settings(_env_file=None, CONTRACT_SURVEY_CLOSES_DAYS=90)  # type: ignore[call-arg]


def test_moments_follow_the_conference_time_zone_with_summer_time() -> None:
    facts = ContractFacts(start=date(2026, 9, 1))
    survey = plan(facts, OFFSETS, TORONTO)[0]
    # 2 July 2027 09:00 in Toronto is summer time (UTC-4).
    assert survey.at.utcoffset() == timedelta(0)
    assert local(survey.at, TORONTO) == datetime(2027, 7, 3, 9, 0, tzinfo=TORONTO)
    assert survey.at.hour == 13


def test_current_year() -> None:
    facts = ContractFacts(start=date(2026, 3, 1))
    assert current_year(facts, date(2026, 1, 1)) == 1
    assert current_year(facts, date(2027, 2, 28)) == 1
    assert current_year(facts, date(2027, 3, 1)) == 2
    assert current_year(facts, date(2028, 3, 1)) == 3
    assert current_year(facts, date(2030, 1, 1)) == 3
