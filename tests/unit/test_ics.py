"""The .ics file: one event per deadline at its exact moment, UIDs stable per deadline so a
newer file updates the events it already added, text in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.agenda import AgendaItem, short_id
from bot.ics import calendar_file, sequence, uid
from bot.text import Bi, Renderer

CR = ZoneInfo("America/Costa_Rica")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DUE = datetime(2026, 7, 16, 5, 59, tzinfo=UTC)


def item(key: str = "custom:4", due: datetime = DUE, updated: datetime = NOW) -> AgendaItem:
    return AgendaItem(
        key=key,
        title=Bi("Send information on migrant women", "Enviar información sobre mujeres"),
        due_at=due,
        updated_at=updated,
        short_id=short_id(key),
        pending=3,
        mine=True,
    )


def parse(data: bytes) -> list:  # type: ignore[type-arg]
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_one_event_per_deadline_in_utc_at_its_moment() -> None:
    data = calendar_file([item()], Renderer("en", CR), domain="rcm_bot", now=NOW)
    assert data.startswith(b"BEGIN:VCALENDAR") and b"\r\n" in data
    (event,) = parse(data)
    assert event.decoded("dtstart") == DUE
    assert "DTSTART:20260716T055900Z" in data.decode()
    assert str(event["uid"]) == "deadline-custom-4@rcm_bot"
    assert str(event["summary"]) == "D4: Send information on migrant women"
    assert "July 15, 2026, 23:59 (UTC-06:00)" in str(event["description"])


def test_spanish_reader_gets_spanish_text() -> None:
    (event,) = parse(calendar_file([item()], Renderer("es", CR), domain="rcm_bot", now=NOW))
    assert str(event["summary"]) == "D4: Enviar información sobre mujeres"
    assert "15 de julio de 2026, 23:59 (UTC-06:00)" in str(event["description"])


def test_a_moved_deadline_keeps_its_uid_with_a_higher_sequence() -> None:
    first = parse(calendar_file([item()], Renderer("en", CR), domain="rcm_bot", now=NOW))[0]
    moved = item(due=DUE + timedelta(days=3), updated=NOW + timedelta(days=1))
    second = parse(
        calendar_file([moved], Renderer("en", CR), domain="rcm_bot", now=NOW + timedelta(days=1))
    )[0]
    assert first["uid"] == second["uid"]
    assert int(second["sequence"]) > int(first["sequence"])
    assert uid("vote:3:close", "b") != uid("vote:3:report", "b")
    assert sequence(NOW) < sequence(NOW + timedelta(minutes=1))


def test_short_ids_from_the_subject_of_each_kind() -> None:
    assert short_id("vote:3") == "V3" and short_id("custom:12") == "D12"
    assert short_id("contract:1") == "K1" and short_id("survey:2") == "S2"
    assert short_id("term:2026") is None and short_id("vote:x") is None
