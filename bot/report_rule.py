"""The 40-day rule, as plain functions.

001_b79985bfaf76089f.txt, section V.c: the TS submits its financial report "to Member States
40 days in advance of the RCGM meeting to enable its evaluation by relevant experts". Days
are calendar days in the meeting's conference time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import as_utc, end_of_day

# 001_b79985bfaf76089f.txt, V.c: 40 days in advance of the RCGM meeting.
REQUIRED_DAYS_AHEAD = 40
# Recipients are asked to acknowledge within a week, and before the meeting in any case.
ACK_DAYS = 7


def due_date(meeting_day: date) -> date:
    """The last day on which the report is on time: the meeting's first day minus 40 days."""
    return meeting_day - timedelta(days=REQUIRED_DAYS_AHEAD)


def due_at(meeting_day: date, tz: ZoneInfo) -> datetime:
    """The due date as a deadline: 23:59 of that day in the meeting's time zone (SPEC 3)."""
    return end_of_day(due_date(meeting_day), tz)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return as_utc(moment).astimezone(tz).date()


def days_ahead(sent_at: datetime, meeting_day: date, tz: ZoneInfo) -> int:
    """Calendar days between the day the report went out and the meeting's first day, both
    in the meeting's time zone (a report sent late at night is dated where it is read)."""
    return (meeting_day - local_day(sent_at, tz)).days


@dataclass(frozen=True)
class Timeliness:
    days_ahead: int

    @property
    def days_late(self) -> int:
        return max(0, REQUIRED_DAYS_AHEAD - self.days_ahead)

    @property
    def on_time(self) -> bool:
        return self.days_late == 0


def timeliness(sent_at: datetime, meeting_day: date, tz: ZoneInfo) -> Timeliness:
    return Timeliness(days_ahead(sent_at, meeting_day, tz))


def acknowledgement_due_date(sent_day: date, meeting_day: date) -> date:
    """A week after the report went out, but the day before the meeting at the latest (and
    never before the day it went out)."""
    return max(sent_day, min(sent_day + timedelta(days=ACK_DAYS), meeting_day - timedelta(days=1)))


class Standing(StrEnum):
    DUE = "due"  # not sent, the due date has not passed
    OVERDUE = "overdue"  # not sent, the due date has passed, the meeting is ahead
    MISSED = "missed"  # not sent, and the meeting has begun
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True)
class ReportStanding:
    standing: Standing
    due: date
    # Days left until the due date (DUE), days past it (OVERDUE), or days ahead of the
    # meeting that the report went out (ON_TIME, LATE).
    days: int
    days_late: int = 0
    sent: date | None = None


def standing(meeting_day: date, today: date, sent_day: date | None) -> ReportStanding:
    """Where the report of a meeting stands on `today` (all days in the meeting's zone)."""
    due = due_date(meeting_day)
    if sent_day is not None:
        timing = Timeliness((meeting_day - sent_day).days)
        kind = Standing.ON_TIME if timing.on_time else Standing.LATE
        return ReportStanding(kind, due, timing.days_ahead, timing.days_late, sent_day)
    if today <= due:
        return ReportStanding(Standing.DUE, due, (due - today).days)
    if today < meeting_day:
        return ReportStanding(Standing.OVERDUE, due, (today - due).days)
    return ReportStanding(Standing.MISSED, due, (today - due).days)
