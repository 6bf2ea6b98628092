"""The 40-day rule (001_b79985bfaf76089f.txt, V.c): the financial report reaches the member
states 40 days before the RCGM meeting, counted in calendar days in the conference time
zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot import report_rule as reports
from bot.report_rule import Standing

CR = ZoneInfo("America/Costa_Rica")  # no daylight saving
TORONTO = ZoneInfo("America/Toronto")  # Canada: EST/EDT
NEW_YORK = ZoneInfo("America/New_York")  # the United States


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def test_due_date_is_forty_days_before_the_first_day() -> None:
    assert reports.due_date(date(2026, 6, 15)) == date(2026, 5, 6)
    assert reports.due_date(date(2026, 3, 10)) == date(2026, 1, 29)  # across a year's months


def test_exactly_forty_days_is_on_time_and_thirty_nine_is_one_day_late() -> None:
    meeting = date(2026, 6, 15)
    on_time = reports.timeliness(local(CR, 2026, 5, 6, 23, 30), meeting, CR)
    assert (on_time.days_ahead, on_time.days_late, on_time.on_time) == (40, 0, True)
    late = reports.timeliness(local(CR, 2026, 5, 7, 0, 5), meeting, CR)
    assert (late.days_ahead, late.days_late, late.on_time) == (39, 1, False)
    early = reports.timeliness(local(CR, 2026, 4, 1, 9, 0), meeting, CR)
    assert (early.days_ahead, early.days_late, early.on_time) == (75, 0, True)


def test_on_the_day_of_the_meeting_it_is_forty_days_late() -> None:
    timing = reports.timeliness(local(CR, 2026, 6, 15, 8, 0), date(2026, 6, 15), CR)
    assert (timing.days_ahead, timing.days_late) == (0, 40)


def test_due_moment_is_the_end_of_the_due_day_in_the_zone() -> None:
    assert reports.due_at(date(2026, 6, 15), CR) == datetime(2026, 5, 7, 5, 59, tzinfo=UTC)


def test_late_evening_counts_in_the_conference_zone_not_in_utc() -> None:
    # 23:30 on the due date in Costa Rica is already the next day in UTC.
    sent = local(CR, 2026, 5, 6, 23, 30)
    assert sent.astimezone(UTC).date() == date(2026, 5, 7)
    assert reports.days_ahead(sent, date(2026, 6, 15), CR) == 40


def test_spring_forward_between_sending_and_meeting() -> None:
    # Toronto moves to daylight time on 8 March 2026: the 40 calendar days from 1 March to
    # 10 April are 40 days minus one hour, and still 40 days ahead.
    sent = local(TORONTO, 2026, 3, 1, 12, 0)
    meeting = date(2026, 4, 10)
    assert (datetime(2026, 4, 10, tzinfo=TORONTO) - sent) < timedelta(days=40)
    assert reports.timeliness(sent, meeting, TORONTO).on_time


def test_spring_forward_night_of_the_due_date() -> None:
    # Meeting 16 April 2026 (EDT): due 7 March (EST). 23:30 EST on 7 March is 04:30 UTC on
    # 8 March: on time. 00:30 on 8 March, before the clocks change at 02:00: one day late.
    meeting = date(2026, 4, 16)
    assert reports.due_date(meeting) == date(2026, 3, 7)
    in_time = local(TORONTO, 2026, 3, 7, 23, 30)
    assert in_time.utcoffset() == timedelta(hours=-5)
    assert reports.timeliness(in_time, meeting, TORONTO).on_time
    after = local(TORONTO, 2026, 3, 8, 0, 30)
    assert reports.timeliness(after, meeting, TORONTO).days_late == 1
    assert reports.due_at(meeting, TORONTO) == datetime(2026, 3, 8, 4, 59, tzinfo=UTC)


def test_fall_back_night_of_the_due_date() -> None:
    # New York returns to standard time on 1 November 2026. Meeting 10 December: due
    # 31 October (EDT). 23:59 EDT on 31 October is 03:59 UTC on 1 November: on time.
    meeting = date(2026, 12, 10)
    assert reports.due_date(meeting) == date(2026, 10, 31)
    last_minute = local(NEW_YORK, 2026, 10, 31, 23, 59)
    assert last_minute.utcoffset() == timedelta(hours=-4)
    assert reports.timeliness(last_minute, meeting, NEW_YORK).on_time
    # The repeated hour of 1 November (01:30 EDT, then 01:30 EST) is one day late either way.
    for fold in (0, 1):
        twice = local(NEW_YORK, 2026, 11, 1, 1, 30).replace(fold=fold)
        assert reports.timeliness(twice, meeting, NEW_YORK).days_late == 1
    assert reports.due_at(meeting, NEW_YORK) == datetime(2026, 11, 1, 3, 59, tzinfo=UTC)


def test_same_instant_differs_by_zone() -> None:
    # 05:30 UTC on 8 March 2026 is 23:30 on 7 March in Costa Rica, 00:30 on 8 March in Toronto.
    instant = datetime(2026, 3, 8, 5, 30, tzinfo=UTC)
    meeting = date(2026, 4, 16)
    assert reports.timeliness(instant, meeting, CR).on_time
    assert reports.timeliness(instant, meeting, TORONTO).days_late == 1


def test_a_meeting_moved_after_the_report_was_sent() -> None:
    sent_day = date(2026, 5, 1)
    meeting = date(2026, 6, 12)  # 42 days: on time
    assert reports.standing(meeting, date(2026, 5, 2), sent_day).standing == Standing.ON_TIME
    moved_earlier = meeting - timedelta(days=3)  # 39 days: one day late
    after = reports.standing(moved_earlier, date(2026, 5, 2), sent_day)
    assert (after.standing, after.days, after.days_late) == (Standing.LATE, 39, 1)
    moved_later = meeting + timedelta(days=10)
    assert reports.standing(moved_later, date(2026, 5, 2), sent_day).days == 52


def test_standing_before_sending() -> None:
    meeting = date(2026, 6, 15)  # due 6 May
    assert reports.standing(meeting, date(2026, 5, 1), None) == reports.ReportStanding(
        Standing.DUE, date(2026, 5, 6), 5
    )
    assert reports.standing(meeting, date(2026, 5, 6), None).standing == Standing.DUE
    overdue = reports.standing(meeting, date(2026, 5, 9), None)
    assert (overdue.standing, overdue.days) == (Standing.OVERDUE, 3)
    assert reports.standing(meeting, date(2026, 6, 15), None).standing == Standing.MISSED


def test_acknowledgement_due_a_week_later_but_before_the_meeting() -> None:
    assert reports.acknowledgement_due_date(date(2026, 5, 1), date(2026, 6, 15)) == date(2026, 5, 8)
    assert reports.acknowledgement_due_date(date(2026, 6, 10), date(2026, 6, 15)) == date(
        2026, 6, 14
    )
    # Sent on the eve or the day of the meeting: the same day.
    assert reports.acknowledgement_due_date(date(2026, 6, 15), date(2026, 6, 15)) == date(
        2026, 6, 15
    )


ZONES = st.sampled_from(
    [CR, TORONTO, NEW_YORK, ZoneInfo("America/Mexico_City"), ZoneInfo("America/Belize")]
)


@given(
    zone=ZONES,
    meeting=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    offset=st.integers(min_value=0, max_value=120),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_days_ahead_is_the_calendar_difference_at_any_hour(
    zone: ZoneInfo, meeting: date, offset: int, minute: int
) -> None:
    sent_day = meeting - timedelta(days=offset)
    sent = datetime(sent_day.year, sent_day.month, sent_day.day, tzinfo=zone) + timedelta(
        minutes=minute
    )
    sent = sent.astimezone(UTC).astimezone(zone)  # a real instant (skips spring's gap)
    timing = reports.timeliness(sent.astimezone(UTC), meeting, zone)
    assert timing.days_ahead == (meeting - sent.date()).days
    assert timing.on_time == (timing.days_ahead >= reports.REQUIRED_DAYS_AHEAD)
    assert timing.days_late == max(0, 40 - timing.days_ahead)
    # Sent before the due moment is on time, after it late (to the minute of 23:59).
    due = reports.due_at(meeting, zone)
    if sent.astimezone(UTC) <= due:
        assert timing.on_time
    elif sent.astimezone(UTC) >= due + timedelta(minutes=1):
        assert not timing.on_time
