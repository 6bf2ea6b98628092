"""/meeting: registering, listing, changing and cancelling meetings (SPEC 2.3, 2.8), in both
languages, and everything derived from a meeting's date kept in step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select
from sqlmodel.sql.expression import SelectOfScalar

from bot.models.audit import AuditEntry
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.meetings import Meeting, MeetingStatus
from tests.e2e.meetings_support import (
    count,
    deadline_rows,
    meeting_deadlines,
    rows,
    say,
    secretariat_in_both_languages,
    send_report,
    text,
)
from tests.harness import Harness


async def test_register_an_rcgm_meeting_in_one_line(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    answer = await say(
        tess,
        "/meeting rcgm 2026-06-15 2026-06-16 San Salvador\nEN: First RCGM\nES: Primera GRCM",
    )
    assert "Meeting registered." in answer
    assert "M1 First RCGM" in answer and "June 15, 2026 to June 16, 2026" in answer
    assert "San Salvador" in answer and "America/Costa_Rica" in answer
    assert "Financial report: due May 6, 2026: not sent yet, 65 days left" in answer
    (meeting,) = await rows(harness, Meeting)
    assert (meeting.kind, meeting.start_date, meeting.end_date) == (
        "rcgm",
        date(2026, 6, 15),
        date(2026, 6, 16),
    )
    assert (meeting.title_en, meeting.title_es, meeting.timezone) == (
        "First RCGM",
        "Primera GRCM",
        "America/Costa_Rica",
    )
    (deadline,) = await deadline_rows(harness)
    # Due 6 May 2026 at 23:59 in Costa Rica (UTC-6); reminded 7, 3 and 1 day ahead, then daily.
    assert deadline.key == "meeting:1:report" and deadline.kind == "report_due"
    assert deadline.due_at == datetime(2026, 5, 7, 5, 59, tzinfo=UTC)
    assert deadline.reminder_offsets == [7 * 86400, 3 * 86400, 86400]
    assert deadline.overdue_every == 86400


async def test_register_a_working_group_as_a_guided_conversation_in_spanish(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    first = await say(tess, "/meeting")
    assert "No hay reuniones próximas." in first and "elija su tipo" in first
    await tess.press("Grupo de trabajo")
    assert "¿En qué fecha comienza?" in await text(tess)
    assert "¿Dónde se realiza?" in await say(tess, "06/07/2026 07/07/2026")
    assert "Envíe su título en ambos idiomas" in await say(tess, "Ciudad de México")
    asked = await say(tess, "EN: Ad-hoc group on extra-regional migrants\nES: Grupo ad hoc")
    assert "zona horaria de la conferencia, America/Costa_Rica" in asked
    done = await say(tess, "america/mexico_city")
    assert "Reunión registrada." in done
    assert "M1 Grupo ad hoc" in done and "del 6 de julio de 2026 al 7 de julio de 2026" in done
    assert "Tipo: Grupo de trabajo" in done and "Zona horaria: America/Mexico_City" in done
    assert "Informe financiero" not in done  # only RCGM meetings have the 40-day report
    (meeting,) = await rows(harness, Meeting)
    assert meeting.kind == "wg" and meeting.timezone == "America/Mexico_City"
    assert await meeting_deadlines(harness) == 0


async def test_guided_defaults_name_it_by_its_kind(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await say(tess, "/meeting vm")
    await say(tess, "2026-11-20")
    await say(tess, "Panama City")  # one-line start: title and zone are not asked
    (meeting,) = await rows(harness, Meeting)
    assert meeting.title_en is None and meeting.place == "Panama City"
    answer = await say(tess, "/status M1")
    assert "M1 Vice-Ministerial meeting" in answer


BAD_MEETINGS = [
    ("en", "/meeting rcgm 2026-02-27 San José", "The meeting date February 27, 2026 has"),
    ("es", "/meeting rcgm 2026-02-27 San José", "La fecha de la reunión, 27 de febrero"),
    ("en", "/meeting rcgm 15-03-2026 San José", "is not a date I can read"),
    ("es", "/meeting rcgm March 15 San José", "No puedo leer la fecha March"),
    ("en", "/meeting rcgm 31/02/2026 San José", "is not a real calendar date"),
    ("es", "/meeting rcgm 2026-02-30 San José", "no es una fecha válida del calendario"),
    ("en", "/meeting summit 2026-06-15 San José", "summit is not a kind of meeting"),
    ("es", "/meeting cumbre 2026-06-15 San José", "cumbre no es un tipo de reunión"),
    ("en", "/meeting wg 2026-06-15 2026-06-14 Belmopan", "cannot end (June 14, 2026)"),
    ("es", "/meeting wg 2026-06-15 San José\nTZ: Mars/Olympus", "No conozco la zona horaria"),
    ("en", "/meeting rcgm 2026-06-15 San José\nEN: only English", "needed in both languages"),
    ("en", "/meeting rcgm 2031-06-15 San José", "more than 3 years ahead"),
    ("en", "/meeting M7", "There is no meeting M7"),
    ("es", "/meeting V3 place Tegucigalpa", "V3 no es una reunión"),
]


async def test_bad_meeting_input_is_refused_and_changes_nothing(harness: Harness) -> None:
    ts = await secretariat_in_both_languages(harness)
    for lang, command, expected in BAD_MEETINGS:
        assert expected in await say(ts[lang], command), command
    assert await count(harness, Meeting) == 0
    assert await meeting_deadlines(harness) == 0


async def test_only_the_ts_registers_meetings(harness: Harness) -> None:
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    assert "No tiene permiso" in await say(ana, "/meeting rcgm 2026-06-15 San José")
    assert await count(harness, Meeting) == 0
    assert "meeting" not in {c.command for c in ana.visible_commands()}


async def test_listing_coming_and_all_meetings(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await say(tess, "/meeting wg 2026-03-05 Guatemala City")
    await say(tess, "/meeting other 2026-04-01 Online")
    await harness.travel(timedelta(days=5))  # the working group is over
    coming = await say(tess, "/meeting")
    assert "Coming meetings" in coming and "M2" not in coming
    assert coming.index("M3") < coming.index("M1")  # soonest first
    assert "M1 RCGM meeting (June 15, 2026, San Salvador): report due May 6, 2026" in coming
    await tess.send("/cancel")
    everything = await say(tess, "/meeting list")
    assert all(f"M{n} " in everything for n in (1, 2, 3))


async def test_moving_a_meeting_recomputes_what_derives_from_its_date(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await harness.person("ana", "focal_point", "MX")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await say(tess, "/meeting M1 attendance 2026-06-01")
    await tess.press("Send")
    await harness.settle()
    moved = await say(tess, "/meeting M1 date 2026-05-28 2026-05-29")
    assert "Saved." in moved and "May 28, 2026 to May 29, 2026" in moved
    assert "Financial report: due April 18, 2026: not sent yet, 47 days left" in moved
    assert "attendance deadline now falls on the day before the meeting" in moved
    async with harness.session() as session:
        report = (await session.exec(_deadline("meeting:1:report"))).one()
        assert report.due_at == datetime(2026, 4, 19, 5, 59, tzinfo=UTC)  # 18 April, 23:59 CR
        attendance = (await session.exec(_deadline("meeting:1:attendance"))).one()
        assert attendance.due_at == datetime(2026, 5, 28, 5, 59, tzinfo=UTC)  # 27 May, 23:59
        meeting = await session.get(Meeting, 1)
        assert meeting is not None and meeting.attendance_due_at == attendance.due_at
        moves = (await session.exec(_audit("meeting.move"))).all()
        assert [m.details["after"] for m in moves] == ["2026-05-28/2026-05-29"]


async def test_changing_the_time_zone_moves_the_deadlines(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await say(tess, "/meeting rcgm 2026-06-15 Ottawa")
    assert "Time zone: America/Toronto" in await say(tess, "/meeting M1 tz America/Toronto")
    async with harness.session() as session:
        report = (await session.exec(_deadline("meeting:1:report"))).one()
        assert report.due_at == datetime(2026, 5, 7, 3, 59, tzinfo=UTC)  # 23:59 EDT


async def test_changing_through_the_buttons(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    card = await say(tess, "/meeting M1")
    assert "¿Qué desea modificar?" in card
    await tess.press("Lugar")
    assert "Envíe el nuevo lugar." in await text(tess)
    assert "Lugar: Antigua Guatemala" in await say(tess, "Antigua Guatemala")
    await say(tess, "/meeting M1")
    await tess.press("Título")
    saved = await say(tess, "EN: Second RCGM\nES: Segunda reunión del GRCM")
    assert "M1 Segunda reunión del GRCM" in saved
    async with harness.session() as session:
        report = (await session.exec(_deadline("meeting:1:report"))).one()
        assert "Second RCGM" in str(report.title)  # reminders name the meeting as it is now


async def test_cancelling_a_meeting_stops_its_deadlines(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    asked = await say(tess, "/meeting M1 cancel")
    assert "Cancel M1 RCGM meeting" in asked
    await tess.press("Yes, cancel it")
    assert "is cancelled" in await text(tess)
    (meeting,) = await rows(harness, Meeting)
    assert meeting.status == MeetingStatus.CANCELLED
    (deadline,) = await deadline_rows(harness)
    assert deadline.status == DeadlineStatus.CANCELLED
    assert "Meeting M1 was cancelled" in await say(tess, "/report M1")
    assert "Meeting M1 was cancelled" in await say(tess, "/meeting M1 place Online")


async def test_a_meeting_that_began_cannot_be_cancelled_or_moved_to_the_past(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts")
    await say(tess, "/meeting wg 2026-03-03 2026-03-05 Belmopan")
    await harness.travel(timedelta(days=1))
    assert "it can no longer be cancelled" in await say(tess, "/meeting M1 cancel")
    assert "has already passed" in await say(tess, "/meeting M1 date 2026-03-01")
    (meeting,) = await rows(harness, Meeting)
    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.start_date == date(2026, 3, 3)


async def test_a_moved_meeting_after_the_report_keeps_the_report_and_recomputes_it(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts")
    await harness.person("ana", "focal_point", "MX")
    await say(tess, "/meeting rcgm 2026-04-12 San Salvador")  # 41 days after 2 March
    assert "on time" in await send_report(harness, tess)
    moved = await say(tess, "/meeting M1 date 2026-04-10")
    assert "Financial report R1: sent March 2, 2026, 39 days ahead: 1 day late" in moved
    history = await say(tess, "/report")
    assert "39 days ahead: 1 day late (R1)" in history
    async with harness.session() as session:
        due = (await session.exec(_deadline("meeting:1:report"))).one()
        assert due.status == DeadlineStatus.DONE  # the report went: no reminder reopens


def _deadline(key: str) -> SelectOfScalar[Deadline]:
    return select(Deadline).where(Deadline.key == key)


def _audit(action: str) -> SelectOfScalar[AuditEntry]:
    return select(AuditEntry).where(AuditEntry.action == action)
