"""The Coordinator's contract as dates: pure functions from what the TS recorded to what must
happen when (SPEC 2.7). Every rule comes from 000_80de73a49c3b69ea.txt:

- "an initial period of one year, which may be extended for a maximum of two additional
  years ... in one year increments, with each annual extension approved by a majority of
  Member States";
- "Contract extensions will depend on the result of performance evaluations ... at the end of
  each contract year", with member states' feedback "through a simple survey (i.e. 5
  questions)" in advance of the review;
- "The vacancy ... will be communicated directly to the RCM Vice Ministers at the beginning of
  the last year of the maximum period or immediately, when circumstances require";
- an interim Coordinator "for up to six months ... Any extension beyond the six months would
  require the approval of a majority of Member States ... not ... more than 12 consecutive
  months";
- "a minimum of 30 days notice of his/her resignation".

The offsets are settings (`ContractOffsets.from_settings`) with the defaults of SPEC 2.7.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import at_hour, end_of_day
from bot.config import Settings

TERM_YEARS = 1  # the initial period
MAX_EXTENSIONS = 2  # one-year extensions: the maximum period is three years
LAST_YEAR = 1 + MAX_EXTENSIONS


class Step(StrEnum):
    SURVEY = "survey"  # the performance survey opens
    VOTE = "vote"  # the majority vote on the annual extension opens
    DECISION = "decision"  # the TS records the vote's outcome before the year ends
    VACANCY = "vacancy"  # Vice-Ministers told the vacancy must be announced (last year)
    INTERIM_WARNING = "interim6"  # the interim period reaches six months
    INTERIM_LIMIT = "interim12"  # ... and twelve, the most allowed


@dataclass(frozen=True)
class ContractOffsets:
    survey_opens_days: int = 60
    survey_closes_days: int = 30
    vote_deadline_days: int = 14
    decision_reminder_days: tuple[int, ...] = (7, 3, 1)
    interim_warning_months: int = 6
    interim_limit_months: int = 12
    interim_warn_days: tuple[int, ...] = (30, 7)
    resignation_notice_days: int = 30
    notice_hour: int = 9

    @classmethod
    def from_settings(cls, settings: Settings) -> ContractOffsets:
        return cls(
            survey_opens_days=settings.contract_survey_opens_days,
            survey_closes_days=settings.contract_survey_closes_days,
            vote_deadline_days=settings.contract_vote_deadline_days,
            decision_reminder_days=tuple(settings.contract_decision_reminder_days),
            interim_warning_months=settings.contract_interim_warning_months,
            interim_limit_months=settings.contract_interim_limit_months,
            interim_warn_days=tuple(settings.contract_interim_warn_days),
            resignation_notice_days=settings.contract_resignation_notice_days,
            notice_hour=settings.notice_hour,
        )


@dataclass(frozen=True)
class ContractFacts:
    """What the TS recorded."""

    start: date
    interim: bool = False
    extensions: int = 0  # approved so far
    not_extended_after: int | None = None  # the contract year after which it was not extended
    resigned: bool = False


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def year_end(start: date, year: int) -> date:
    """The first day after contract year `year` (1-based): its anniversary."""
    return add_months(start, 12 * year)


def term_end(facts: ContractFacts, offsets: ContractOffsets) -> date:
    """The first day the Coordinator is no longer under contract, as recorded now."""
    if facts.interim:
        return add_months(facts.start, offsets.interim_limit_months)
    years = facts.not_extended_after or TERM_YEARS + facts.extensions
    return year_end(facts.start, years)


def latest_end(facts: ContractFacts, offsets: ContractOffsets) -> date:
    """The end of the maximum period (three years; 12 months for an interim Coordinator)."""
    if facts.interim:
        return add_months(facts.start, offsets.interim_limit_months)
    return year_end(facts.start, LAST_YEAR)


def current_year(facts: ContractFacts, today: date) -> int:
    """The contract year `today` falls in (1 before the start)."""
    year = 1
    while year < LAST_YEAR and today >= year_end(facts.start, year):
        year += 1
    return year


@dataclass(frozen=True)
class Planned:
    """Something the contract makes happen."""

    step: Step
    year: int  # the contract year it belongs to (0 for the interim limits)
    at: datetime  # when it happens (UTC)
    until: datetime | None  # after this, doing it late is pointless (None: never)
    closes_at: datetime | None = None  # the survey's or the vote's own deadline
    conditional: bool = False  # only if an extension not yet approved is approved
    decided: bool = False  # the year's extension is already decided: its review is moot
    months: int = 0  # the interim limits: how many months

    @property
    def name(self) -> str:
        return f"{self.step.value}:{self.year}"


def plan(facts: ContractFacts, offsets: ContractOffsets, tz: ZoneInfo) -> list[Planned]:
    """Everything the contract makes happen, in time order, conditional items included (they
    are shown, not scheduled). After a resignation nothing more is planned: the vacancy is
    announced at once instead."""
    if facts.resigned:
        return []
    if facts.interim:
        return _interim(facts, offsets, tz)
    items: list[Planned] = []
    hour = offsets.notice_hour
    last = facts.not_extended_after or LAST_YEAR
    for year in range(1, last + 1):
        conditional = year > TERM_YEARS + facts.extensions
        decided = year <= facts.extensions or year == facts.not_extended_after
        end = year_end(facts.start, year)
        survey_closes = end_of_day(end - timedelta(days=offsets.survey_closes_days), tz)
        items.append(
            Planned(
                Step.SURVEY,
                year,
                at=at_hour(end - timedelta(days=offsets.survey_opens_days), hour, tz),
                until=survey_closes,
                closes_at=survey_closes,
                conditional=conditional,
                decided=decided,
            )
        )
        if year <= MAX_EXTENSIONS:
            vote_closes = end_of_day(end - timedelta(days=offsets.vote_deadline_days), tz)
            # The vote opens once the survey has closed, in the next morning's working hours.
            vote_opens = at_hour(end - timedelta(days=offsets.survey_closes_days - 1), hour, tz)
            items.append(
                Planned(
                    Step.VOTE,
                    year,
                    at=vote_opens,
                    until=vote_closes,
                    closes_at=vote_closes,
                    conditional=conditional,
                    decided=decided,
                )
            )
            items.append(
                Planned(
                    Step.DECISION,
                    year,
                    # The last day of the contract year: its outcome must be known by then.
                    at=at_hour(end - timedelta(days=1), hour, tz),
                    until=None,
                    conditional=conditional,
                    decided=decided,
                )
            )
        if year == LAST_YEAR:
            items.append(
                Planned(
                    Step.VACANCY,
                    year,
                    at=at_hour(year_end(facts.start, LAST_YEAR - 1), hour, tz),
                    until=at_hour(year_end(facts.start, LAST_YEAR), hour, tz),
                    conditional=conditional,
                )
            )
    return sorted(items, key=lambda item: item.at)


def _interim(facts: ContractFacts, offsets: ContractOffsets, tz: ZoneInfo) -> list[Planned]:
    hour = offsets.notice_hour
    limit = at_hour(add_months(facts.start, offsets.interim_limit_months), hour, tz)
    return [
        Planned(
            Step.INTERIM_WARNING,
            0,
            at=at_hour(add_months(facts.start, offsets.interim_warning_months), hour, tz),
            until=limit,
            months=offsets.interim_warning_months,
        ),
        Planned(Step.INTERIM_LIMIT, 0, at=limit, until=None, months=offsets.interim_limit_months),
    ]


def find(items: Sequence[Planned], name: str) -> Planned | None:
    return next((item for item in items if item.name == name), None)


def resignation_leaves_on(notified: date, offsets: ContractOffsets) -> date:
    """The earliest last day after a resignation: 30 days' notice."""
    return notified + timedelta(days=offsets.resignation_notice_days)
