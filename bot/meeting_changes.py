"""Registering and changing meetings, and keeping everything derived from their dates in step:
the financial report's deadlines and the attendance deadline (SPEC 2.3: "moving a meeting
recomputes everything derived from its date")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import attendance, audit, meetings, reports
from bot.errors import InputError
from bot.meetings import Dates
from bot.models.meetings import Meeting, MeetingKind, MeetingStatus
from bot.permissions import Action, Actor, require
from bot.text import Bi, Day, Tr


@dataclass(frozen=True)
class Outcome:
    meeting: Meeting
    # The attendance deadline had to move to the day before the (moved) meeting.
    attendance_moved: bool = False


async def refresh(session: AsyncSession, meeting: Meeting, now: datetime) -> Outcome:
    await reports.sync_deadlines(session, meeting, now)
    moved = await attendance.sync_deadline(session, meeting, now)
    return Outcome(meeting, attendance_moved=moved)


async def register(
    session: AsyncSession,
    actor: Actor | None,
    *,
    kind: MeetingKind,
    dates: Dates,
    place: str,
    title: Bi | None,
    timezone: str,
    now: datetime,
) -> Outcome:
    """A new meeting; an RCGM meeting gets its financial report deadline at once."""
    actor = require(actor, Action.MEETING)
    tz = ZoneInfo(meetings.parse_timezone(timezone))
    meetings.check_dates(dates, tz, now)
    place = meetings.check_place(place)
    title = meetings.check_title(title) if title is not None else None
    meeting = Meeting(
        kind=kind,
        title_en=title.en if title else None,
        title_es=title.es if title else None,
        start_date=dates.start,
        end_date=dates.end,
        place=place,
        timezone=tz.key,
        created_by_id=actor.person_id,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    await session.flush()
    await audit.record(
        session,
        action="meeting.create",
        now=now,
        actor_id=actor.person_id,
        subject=meetings.ref(meeting),
        kind=kind.value,
        start=dates.start.isoformat(),
        end=dates.end.isoformat(),
        place=place,
        timezone=tz.key,
    )
    return await refresh(session, meeting, now)


async def _editable(
    session: AsyncSession, actor: Actor | None, meeting_id: int, now: datetime
) -> tuple[Actor, Meeting]:
    actor = require(actor, Action.MEETING)
    meeting = await meetings.get(session, meeting_id)
    meetings.require_scheduled(meeting)
    if meetings.is_over(meeting, now):
        raise InputError(
            Tr(
                "Meeting {id} is over ({dates}); it can no longer be changed.",
                id=meetings.short_id(meeting),
                dates=meetings.dates_text(meeting),
            )
        )
    return actor, meeting


async def _saved(
    session: AsyncSession,
    actor: Actor,
    meeting: Meeting,
    now: datetime,
    action: str,
    **details: str,
) -> Outcome:
    meeting.updated_at = now
    session.add(meeting)
    await session.flush()
    outcome = await refresh(session, meeting, now)
    await audit.record(
        session,
        action=action,
        now=now,
        actor_id=actor.person_id,
        subject=meetings.ref(meeting),
        **details,
    )
    return outcome


async def move(
    session: AsyncSession, actor: Actor | None, meeting_id: int, dates: Dates, *, now: datetime
) -> Outcome:
    actor, meeting = await _editable(session, actor, meeting_id, now)
    meetings.check_dates(dates, meetings.zone(meeting), now)
    before = f"{meeting.start_date.isoformat()}/{meeting.end_date.isoformat()}"
    meeting.start_date, meeting.end_date = dates.start, dates.end
    return await _saved(
        session,
        actor,
        meeting,
        now,
        "meeting.move",
        before=before,
        after=f"{dates.start.isoformat()}/{dates.end.isoformat()}",
    )


async def set_place(
    session: AsyncSession, actor: Actor | None, meeting_id: int, place: str, *, now: datetime
) -> Outcome:
    actor, meeting = await _editable(session, actor, meeting_id, now)
    meeting.place = meetings.check_place(place)
    return await _saved(session, actor, meeting, now, "meeting.place", place=meeting.place)


async def set_title(
    session: AsyncSession, actor: Actor | None, meeting_id: int, title: Bi, *, now: datetime
) -> Outcome:
    actor, meeting = await _editable(session, actor, meeting_id, now)
    checked = meetings.check_title(title)
    meeting.title_en, meeting.title_es = checked.en, checked.es
    return await _saved(session, actor, meeting, now, "meeting.title")


async def set_timezone(
    session: AsyncSession, actor: Actor | None, meeting_id: int, timezone: str, *, now: datetime
) -> Outcome:
    """Another time zone moves every deadline counted in it, and may put the meeting's first
    day in the past there."""
    actor, meeting = await _editable(session, actor, meeting_id, now)
    name = meetings.parse_timezone(timezone)
    meeting.timezone = name
    meetings.check_dates(Dates(meeting.start_date, meeting.end_date), meetings.zone(meeting), now)
    return await _saved(session, actor, meeting, now, "meeting.timezone", timezone=name)


async def check_cancellable(
    session: AsyncSession, actor: Actor | None, meeting_id: int, *, now: datetime
) -> tuple[Actor, Meeting]:
    """Only a meeting that has not begun can be cancelled."""
    actor, meeting = await _editable(session, actor, meeting_id, now)
    if meetings.has_started(meeting, now):
        raise InputError(
            Tr(
                "Meeting {id} began on {day}; it can no longer be cancelled.",
                id=meetings.short_id(meeting),
                day=Day(meeting.start_date),
            )
        )
    return actor, meeting


async def cancel(
    session: AsyncSession, actor: Actor | None, meeting_id: int, *, now: datetime
) -> Outcome:
    """Cancel a meeting that has not begun; its deadlines and reminders stop."""
    actor, meeting = await check_cancellable(session, actor, meeting_id, now=now)
    meeting.status = MeetingStatus.CANCELLED
    return await _saved(session, actor, meeting, now, "meeting.cancel")
