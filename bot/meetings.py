"""Meetings: registering, finding and describing them (SPEC 2.3 and 2.8).

A meeting's dates are calendar days in its own conference time zone (where it is held; by
default the configured CONFERENCE_TZ), and everything derived from them (the report's due
date, the attendance deadline, commitments' deadlines) is counted in that zone.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audiences import with_roles
from bot.clock import as_utc
from bot.errors import InputError, NotFound
from bot.i18n import N_
from bot.ids import MEETING, format_id
from bot.models.meetings import Meeting, MeetingKind, MeetingStatus
from bot.models.people import MemberState, Person
from bot.parsing import looks_like_date, parse_date
from bot.roles import Role
from bot.text import Bi, Day, Join, Node, Plural, Tr

MAX_PLACE = 120
MAX_TITLE = 200
MAX_DAYS_LONG = 31  # a meeting lasting longer is a typing mistake
MAX_YEARS_AHEAD = 3

KIND_NAMES: dict[MeetingKind, str] = {
    MeetingKind.RCGM: N_("RCGM"),
    MeetingKind.VM: N_("Vice-Ministerial"),
    MeetingKind.WG: N_("Working group"),
    MeetingKind.OTHER: N_("Other"),
}
# The name of a meeting the TS gave no title.
KIND_TITLES: dict[MeetingKind, str] = {
    MeetingKind.RCGM: N_("RCGM meeting"),
    MeetingKind.VM: N_("Vice-Ministerial meeting"),
    MeetingKind.WG: N_("Working group meeting"),
    MeetingKind.OTHER: N_("Meeting"),
}
# What people type (SPEC section 3: rcgm|vm|wg|other), and the Spanish acronyms.
_KIND_WORDS = {
    "rcgm": MeetingKind.RCGM,
    "grcm": MeetingKind.RCGM,
    "vm": MeetingKind.VM,
    "wg": MeetingKind.WG,
    "gt": MeetingKind.WG,
    "other": MeetingKind.OTHER,
    "otra": MeetingKind.OTHER,
}


def parse_kind(text: str) -> MeetingKind:
    kind = _KIND_WORDS.get(text.strip().lower())
    if kind is None:
        raise InputError(
            Tr(
                "{text} is not a kind of meeting. Use rcgm, vm (Vice-Ministerial), wg (working "
                "group) or other.",
                text=text.strip(),
            )
        )
    return kind


def is_kind(text: str) -> bool:
    return text.strip().lower() in _KIND_WORDS


@functools.cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_timezone(text: str) -> str:
    """An IANA time zone name (America/Mexico_City), in any letter case."""
    name = _zones().get(text.strip().lower())
    if name is None:
        raise InputError(
            Tr(
                "{text} is not a time zone I know. Use its IANA name, for example "
                "America/Costa_Rica or America/Mexico_City.",
                text=text.strip(),
            )
        )
    return name


def zone(meeting: Meeting) -> ZoneInfo:
    return ZoneInfo(meeting.timezone)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return as_utc(now).astimezone(tz).date()


@dataclass(frozen=True)
class Dates:
    start: date
    end: date


def parse_dates(words: Sequence[str]) -> tuple[Dates, list[str]]:
    """`2026-07-06 [2026-07-07] rest...` -> the dates and the words after them."""
    if not words:
        raise InputError(Tr("Which date? Write it as YYYY-MM-DD (2026-07-15) or DD/MM/YYYY."))
    start = parse_date(words[0])
    rest = list(words[1:])
    end = start
    if rest and looks_like_date(rest[0]):
        end = parse_date(rest.pop(0))
    return Dates(start, end), rest


def check_dates(dates: Dates, tz: ZoneInfo, now: datetime) -> Dates:
    """A meeting starts today or later (in its time zone) and ends after it starts."""
    today = local_today(now, tz)
    if dates.start < today:
        raise InputError(
            Tr(
                "The meeting date {day} has already passed. Meetings are registered ahead of "
                "time; nothing was saved.",
                day=Day(dates.start),
            )
        )
    if dates.end < dates.start:
        raise InputError(
            Tr(
                "The meeting cannot end ({end}) before it starts ({start}).",
                end=Day(dates.end),
                start=Day(dates.start),
            )
        )
    if (dates.end - dates.start).days >= MAX_DAYS_LONG:
        raise InputError(
            Tr("A meeting lasts at most {days} days; check the dates.", days=MAX_DAYS_LONG)
        )
    if dates.start > today + timedelta(days=365 * MAX_YEARS_AHEAD):
        raise InputError(
            Tr(
                "{day} is more than {years} years ahead; check the year.",
                day=Day(dates.start),
                years=MAX_YEARS_AHEAD,
            )
        )
    return dates


def check_place(text: str) -> str:
    place = " ".join(text.split())
    if not place:
        raise InputError(Tr("Where is the meeting held? Write the place, for example San José."))
    if len(place) > MAX_PLACE:
        raise InputError(Tr("The place may be at most {limit} characters long.", limit=MAX_PLACE))
    return place


def check_title(title: Bi) -> Bi:
    for text in (title.en, title.es):
        if len(text) > MAX_TITLE:
            raise InputError(Tr("A title may be at most {limit} characters long.", limit=MAX_TITLE))
    return Bi(" ".join(title.en.split()), " ".join(title.es.split()))


async def get(session: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(
            Tr(
                "There is no meeting {id}. /meeting lists the meetings.",
                id=format_id(MEETING, meeting_id),
            )
        )
    return meeting


def require_scheduled(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise InputError(
            Tr("Meeting {id} was cancelled. Nothing was changed.", id=short_id(meeting))
        )


async def listing(
    session: AsyncSession, now: datetime, *, include_past: bool = False, limit: int = 40
) -> list[Meeting]:
    """Meetings not yet over (today counts), soonest first; with `include_past`, all of them,
    newest first."""
    query = select(Meeting)
    if include_past:
        query = query.order_by(col(Meeting.start_date).desc(), col(Meeting.id).desc())
    else:
        # A day of margin either side of UTC; the exact test is in each meeting's own zone.
        earliest = as_utc(now).date() - timedelta(days=1)
        query = query.where(
            col(Meeting.end_date) >= earliest, Meeting.status == MeetingStatus.SCHEDULED
        ).order_by(col(Meeting.start_date), col(Meeting.id))
    rows = list((await session.exec(query.limit(limit * 2))).all())
    if not include_past:
        rows = [m for m in rows if m.end_date >= local_today(now, zone(m))]
    return rows[:limit]


def is_over(meeting: Meeting, now: datetime) -> bool:
    return meeting.end_date < local_today(now, zone(meeting))


def has_started(meeting: Meeting, now: datetime) -> bool:
    return meeting.start_date <= local_today(now, zone(meeting))


async def focal_points(session: AsyncSession, state_id: int | None = None) -> list[Person]:
    """Joined focal points of the active member states (or of one state)."""
    persons = await with_roles(session, [Role.FOCAL_POINT], state_id=state_id)
    active = {
        s.id for s in (await session.exec(select(MemberState).where(col(MemberState.active)))).all()
    }
    return [p for p in persons if p.state_id in active]


def focal_points_count(n: int) -> Node:
    return Plural("{n} focal point", "{n} focal points", n)


def states_count(n: int) -> Node:
    return Plural("{n} member state", "{n} member states", n)


# ---- how a meeting is named ------------------------------------------------------------------


def ref(meeting: Meeting) -> str:
    """The subject string deadlines and outbox rows carry, e.g. "meeting:4"."""
    return f"meeting:{meeting.id}"


def short_id(meeting: Meeting) -> str:
    return format_id(MEETING, meeting.id)


def title(meeting: Meeting) -> Node:
    if meeting.title_en or meeting.title_es:
        return Bi(meeting.title_en or "", meeting.title_es or "")
    return Tr(KIND_TITLES[MeetingKind(meeting.kind)])


def dates_text(meeting: Meeting) -> Node:
    if meeting.end_date == meeting.start_date:
        return Day(meeting.start_date)
    return Tr("{start} to {end}", start=Day(meeting.start_date), end=Day(meeting.end_date))


def label(meeting: Meeting) -> Node:
    """`M4 RCGM meeting (June 15, 2026, San Salvador)`: one line naming a meeting."""
    return Tr(
        "{id} {title} ({dates}, {place})",
        id=short_id(meeting),
        title=title(meeting),
        dates=dates_text(meeting),
        place=meeting.place,
    )


def card(meeting: Meeting) -> Node:
    """The meeting's own lines: what, when, where, in which time zone."""
    lines: list[Node] = [
        Tr("<b>{id} {title}</b>", id=short_id(meeting), title=title(meeting)),
        Tr("Kind: {kind}", kind=Tr(KIND_NAMES[MeetingKind(meeting.kind)])),
        Tr("Dates: {dates}", dates=dates_text(meeting)),
        Tr("Place: {place}", place=meeting.place),
        Tr("Time zone: {zone}", zone=meeting.timezone),
    ]
    if meeting.status == MeetingStatus.CANCELLED:
        lines.append(Tr("<b>This meeting was cancelled.</b>"))
    return Join(lines)
