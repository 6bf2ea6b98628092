"""An iCalendar file (RFC 5545) of a person's deadlines, for their phone's calendar.

Each deadline is one VEVENT at the moment it falls due (an instant: DTSTART, no DTEND), in
UTC, so every calendar shows it in its own zone. Its UID comes from the deadline's key, which
never changes, and its SEQUENCE from when it last changed: importing the file again updates
the events instead of adding copies. VEVENT rather than VTODO: phone calendars show events;
most ignore to-dos.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event

from bot.agenda import AgendaItem
from bot.text import Join, Renderer, Tr, When

PRODUCT = "-//RCM focal-point bot//Deadlines//EN"
# SEQUENCE counts minutes since this moment: it grows each time a deadline moves.
_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


def uid(key: str, domain: str) -> str:
    return f"deadline-{key.replace(':', '-')}@{domain}"


def sequence(updated_at: datetime) -> int:
    return max(0, int(updated_at.timestamp() - _EPOCH) // 60)


def calendar_file(
    items: Sequence[AgendaItem], renderer: Renderer, *, domain: str, now: datetime
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", renderer.plain(Tr("RCM deadlines")))
    for item in items:
        event = Event()
        event.add("uid", uid(item.key, domain))
        event.add("dtstamp", now)
        event.add("dtstart", item.due_at)
        event.add("last-modified", item.updated_at)
        event.add("sequence", sequence(item.updated_at))
        event.add("summary", renderer.plain(item.label))
        event.add(
            "description",
            renderer.plain(Join([item.title, Tr("Due: {due}", due=When(item.due_at))])),
        )
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
