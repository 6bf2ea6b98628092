"""The one clock. Everything stored is UTC; domain functions take `now` as an argument.

Tests travel time with time-machine, which moves `datetime.now`, so this one clock serves
production and tests alike (no second notion of time to keep in step).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Tells the time in UTC and converts to and from the conference time zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in the conference time zone."""
        return self.now().astimezone(self.tz).date()

    def local(self, moment: datetime) -> datetime:
        return as_utc(moment).astimezone(self.tz)

    def end_of_day(self, day: date) -> datetime:
        """A deadline given as a date ends at 23:59 of that date in the conference time zone
        (SPEC section 3), stored in UTC."""
        return end_of_day(day, self.tz)

    def start_of_day(self, day: date) -> datetime:
        return datetime.combine(day, time(0, 0), tzinfo=self.tz).astimezone(UTC)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59), tzinfo=tz).astimezone(UTC)


def at_hour(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour`:00 of that date in the conference time zone, in UTC (automatic notices go out
    in working hours, not at midnight)."""
    return datetime.combine(day, time(hour, 0), tzinfo=tz).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """Values read back from SQLite lose their zone; every stored value is UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def days_between(earlier: date, later: date) -> int:
    return (later - earlier).days


def as_seconds(value: float | timedelta) -> float:
    """A duration Telegram gave (PTB: seconds, or a timedelta with PTB_TIMEDELTA) in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
