"""The pass/fail rules of votes, as pure functions over the seats' positions (SPEC 2.4).

A seat is a member state (or, in a committee vote, a named person); its position is the
choice of its counted ballot, or None while it is silent. Nothing here knows of persons,
ballots or the database: `bot.votes` builds the positions and asks these functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import as_utc, end_of_day


class VoteRule(StrEnum):
    NO_OBJECTION = "no_objection"  # the silence procedure
    MAJORITY = "majority"
    CONSENSUS = "consensus"
    COMMITTEE = "committee"


class Choice(StrEnum):
    NO_OBJECTION = "no_objection"
    OBJECT = "object"
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


# What each rule offers on its ballot, in button order.
CHOICES: Mapping[VoteRule, tuple[Choice, ...]] = {
    VoteRule.NO_OBJECTION: (Choice.NO_OBJECTION, Choice.OBJECT),
    VoteRule.MAJORITY: (Choice.YES, Choice.NO, Choice.ABSTAIN),
    # "Every member state has said yes": an abstention would only be a softer no.
    VoteRule.CONSENSUS: (Choice.YES, Choice.NO),
    VoteRule.COMMITTEE: (Choice.YES, Choice.NO),
}


@dataclass(frozen=True)
class Tally:
    """How many seats hold each position; `silent` seats have no counted ballot."""

    seats: int
    counts: Mapping[Choice, int] = field(default_factory=dict)

    def of(self, choice: Choice) -> int:
        return self.counts.get(choice, 0)

    @property
    def voted(self) -> int:
        return sum(self.counts.values())

    @property
    def silent(self) -> int:
        return self.seats - self.voted


def tally(positions: Iterable[Choice | None]) -> Tally:
    """Count the positions of every seat (None: the seat has not voted)."""
    listed = list(positions)
    counts = Counter(p for p in listed if p is not None)
    return Tally(seats=len(listed), counts=dict(counts))


def majority_needed(seats: int) -> int:
    """More than half of ALL member states, not of those who voted: 6 of 11, 7 of 12.
    (000_80de73a49c3b69ea.txt: each extension "approved by a majority of Member States".)"""
    return seats // 2 + 1


def approved(rule: VoteRule, result: Tally) -> bool:
    """The outcome if the vote closed with these positions (at the deadline, or now)."""
    if rule is VoteRule.NO_OBJECTION:
        # 000_80de73a49c3b69ea.txt: "If a Vice Minister fails to respond – the Secretariat
        # will consider that as concurrence": silence concurs; one objection suffices.
        return result.of(Choice.OBJECT) == 0
    if rule is VoteRule.MAJORITY:
        return result.of(Choice.YES) >= majority_needed(result.seats)
    # Consensus (the RCM "functions by consensus", 000_80de73a49c3b69ea.txt) and the
    # committee ("unanimously approved by all three members"): every seat says yes; one no
    # or one silence is not consensus.
    return result.seats > 0 and result.of(Choice.YES) == result.seats


def settled(rule: VoteRule, result: Tally) -> bool:
    """Whether the silent seats can no longer change the outcome, whatever they choose.

    Only this is asked: seats that voted may still change their vote until the deadline, so
    only the majority vote (SPEC 2.4: "closes early once the outcome cannot change") and a
    candidate's no-objection vote act on it; the others wait for their deadline.
    """
    if rule is VoteRule.NO_OBJECTION:
        return result.of(Choice.OBJECT) > 0 or result.silent == 0
    if rule is VoteRule.MAJORITY:
        needed = majority_needed(result.seats)
        yes = result.of(Choice.YES)
        return yes >= needed or yes + result.silent < needed
    yes = result.of(Choice.YES)
    return yes < result.voted or result.silent == 0


def is_allowed(rule: VoteRule, choice: Choice) -> bool:
    return choice in CHOICES[rule]


def deadline_in_days(now: datetime, tz: ZoneInfo, days: int) -> datetime:
    """`days` calendar days from today, ending at 23:59 of that day in the conference time
    zone (000_80de73a49c3b69ea.txt counts "five calendar days"; SPEC 3: a date ends at 23:59)."""
    today = as_utc(now).astimezone(tz).date()
    return end_of_day(today + timedelta(days=days), tz)
