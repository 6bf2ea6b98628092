"""PPT terms run November to November (001_b79985bfaf76089f.txt); the Troika derives from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot import terms

CR = ZoneInfo("America/Costa_Rica")


def test_term_changes_on_first_of_november() -> None:
    assert terms.term_year(date(2026, 10, 31)) == 2025
    assert terms.term_year(date(2026, 11, 1)) == 2026
    assert terms.term_year(date(2027, 1, 15)) == 2026


def test_term_boundary_is_in_the_conference_time_zone() -> None:
    # 1 November 03:00 UTC is still 31 October 21:00 in Costa Rica (UTC-6).
    assert terms.term_year_at(datetime(2026, 11, 1, 3, 0, tzinfo=UTC), CR) == 2025
    assert terms.term_year_at(datetime(2026, 11, 1, 6, 0, tzinfo=UTC), CR) == 2026


def test_term_start_and_end() -> None:
    assert terms.term_start(2026) == date(2026, 11, 1)
    assert terms.term_end(2026) == date(2027, 10, 31)


def test_troika_across_a_november_boundary() -> None:
    presidencies = {2024: 1, 2025: 2, 2026: 3}
    before = terms.troika(presidencies, terms.term_year(date(2026, 10, 31)))
    after = terms.troika(presidencies, terms.term_year(date(2026, 11, 1)))
    assert (before.outgoing, before.incumbent, before.incoming) == (1, 2, 3)
    assert (after.outgoing, after.incumbent, after.incoming) == (2, 3, None)
    assert after.members() == frozenset({2, 3})
