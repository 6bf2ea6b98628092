"""Presidency Pro-Tempore terms and the Troika, as plain functions.

001_b79985bfaf76089f.txt: the PPT term runs November to November. A term is named by the year
in which it starts (1 November); 003_ad0da034d2d9c22d.txt: the Troika is the outgoing,
incumbent and incoming PPT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TERM_START_MONTH = 11


def term_year(day: date) -> int:
    """The term a date falls in: 31 October 2026 is in term 2025, 1 November 2026 in 2026."""
    return day.year if day.month >= TERM_START_MONTH else day.year - 1


def term_year_at(moment: datetime, tz: ZoneInfo) -> int:
    """Terms change at midnight in the conference time zone, not in UTC."""
    return term_year(moment.astimezone(tz).date())


def term_start(year: int) -> date:
    return date(year, TERM_START_MONTH, 1)


def term_end(year: int) -> date:
    """The last day of the term (31 October of the next year)."""
    return date(year + 1, TERM_START_MONTH, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Troika:
    """State ids of the outgoing, incumbent and incoming PPT (None where not set yet)."""

    outgoing: int | None
    incumbent: int | None
    incoming: int | None

    def members(self) -> frozenset[int]:
        return frozenset(s for s in (self.outgoing, self.incumbent, self.incoming) if s)


def troika(presidencies: dict[int, int], year: int) -> Troika:
    """From {term_year: state_id}, the Troika of term `year`."""
    return Troika(presidencies.get(year - 1), presidencies.get(year), presidencies.get(year + 1))
