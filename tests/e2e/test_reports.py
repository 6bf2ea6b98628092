"""/report: the TS financial report, 40 days before each RCGM meeting (SPEC 2.3;
001_b79985bfaf76089f.txt, V.c), delivered to every member state's focal points, acknowledged,
and kept in a compliance history."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.documents import StoredDocument
from bot.models.meetings import FinancialReport
from bot.models.outbox import OutboxMessage
from bot.models.people import Person
from bot.models.receipts import Receipt
from bot.report_receipts import ReportAckKind
from bot.reports import ReportDueKind
from bot.rollover import KIND as ROLLOVER_KIND
from tests.e2e.meetings_support import (
    PDF,
    count,
    rows,
    run_due_action_twice,
    say,
    secretariat_in_both_languages,
    send_report,
    text,
)
from tests.harness import Harness

MB = 1024 * 1024


async def _focal_points(harness: Harness):  # type: ignore[no-untyped-def]
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    ben, _ = await harness.person("ben", "focal_point", "CA", lang="en")
    return ana, ben


async def test_report_in_time_reaches_every_focal_point_and_is_acknowledged(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, ben = await _focal_points(harness)
    victor, _ = await harness.person("victor", "vice_minister", "US")
    iris, _ = await harness.person("iris", "observer", organisation="IOM")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador\nEN: First RCGM\nES: Primera GRCM")
    assert "Send the financial report for M1 First RCGM" in await say(tess, "/report M1")
    await tess.send_document(PDF, "financial-report.pdf")
    preview = await text(tess)
    assert "Ready to send" in preview and "It arrives 105 days before the meeting." in preview
    assert "2 focal points of 2 member states" in preview
    assert await count(harness, FinancialReport) == 0  # nothing goes before "Send"
    await tess.press("Send")
    await harness.settle()
    answer = await text(tess)
    assert "Report R1 sent" in answer and "on time" in answer

    (for_ana,) = [m for m in ana.bot_messages() if m.document]
    assert for_ana.document is not None and for_ana.document.data == PDF
    assert "Informe financiero de la Secretaría Técnica" in (for_ana.caption or "")
    assert "Para Primera GRCM, 15 de junio de 2026, San Salvador." in (for_ana.caption or "")
    assert "Llega 105 días antes de la reunión." in (for_ana.caption or "")
    assert for_ana.button_labels == ["Recibido"]
    (for_ben,) = [m for m in ben.bot_messages() if m.document]
    assert "It arrives 105 days before the meeting." in (for_ben.caption or "")
    assert victor.bot_messages() == [] and iris.bot_messages() == []

    (document,) = await rows(harness, StoredDocument)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest() and document.size == len(PDF)
    stored = (harness.folder / "documents" / document.storage_path).read_bytes()
    assert stored == PDF

    await ana.press("Recibido")
    assert (await ana.last_callback_answer()).text == "Gracias: recepción confirmada."  # type: ignore[union-attr]
    caption = (await ana.last_message()).caption  # type: ignore[union-attr]
    assert "✓ Recepción confirmada el 2 de marzo de 2026" in (caption or "")
    assert (await ana.last_message()).button_labels == []  # type: ignore[union-attr]
    status = await say(tess, "/status R1")
    assert "Receipt confirmed by 1 of 2 recipients." in status
    assert "Not confirmed yet:\n• Ben (Canada)" in status
    async with harness.session() as session:
        ack = (await session.exec(select(Deadline).where(Deadline.key == "report:1:ack"))).one()
        assert ack.status == DeadlineStatus.OPEN
        assert ack.due_at == datetime(2026, 3, 10, 5, 59, tzinfo=UTC)  # a week: 9 March 23:59
        due = (await session.exec(select(Deadline).where(Deadline.key == "meeting:1:report"))).one()
        assert due.status == DeadlineStatus.DONE
    await ben.press("Received")
    await harness.settle()
    assert "Receipt confirmed by 2 of 2 recipients." in await say(tess, "/status R1")
    async with harness.session() as session:
        ack = (await session.exec(select(Deadline).where(Deadline.key == "report:1:ack"))).one()
        assert ack.status == DeadlineStatus.DONE


async def test_report_as_the_caption_of_the_pdf_with_an_activity_report(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    _, ben = await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await tess.send_document(PDF, "informe-financiero.pdf", caption="/report M1")
    preview = await text(tess)
    assert "Listo para enviar" in preview and "Informe de actividades: ninguno" in preview
    await tess.send_document(PDF + b"%activity", "informe-actividades.pdf")
    assert "Informe de actividades: informe-actividades.pdf" in await text(tess)
    await tess.press("Enviar")
    await harness.settle()
    assert "Informe R1 enviado" in await text(tess)
    files = [m.document.file_name for m in ben.bot_messages() if m.document]
    assert files == ["informe-financiero.pdf", "informe-actividades.pdf"]
    (report,) = await rows(harness, FinancialReport)
    assert report.activity_document_id is not None


async def test_caption_without_an_id_asks_which_meeting(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await say(tess, "/meeting rcgm 2026-10-20 Tegucigalpa")
    await tess.send_document(PDF, "report.pdf", caption="/report")
    asked = await text(tess)
    assert "Which meeting is the report for?" in asked
    await tess.press("M2 RCGM meeting (October 20, 2026, Tegucigalpa)")
    assert "For M2 RCGM meeting" in await text(tess)
    await tess.press("Send")
    await harness.settle()
    (report,) = await rows(harness, FinancialReport)
    assert report.meeting_id == 2


async def test_report_without_arguments_is_guided_and_shows_the_history(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts")
    await _focal_points(harness)
    assert "No RCGM meeting is registered yet." in await say(tess, "/report")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    shown = await say(tess, "/report")
    assert "M1 RCGM meeting (June 15, 2026, San Salvador): due May 6, 2026" in shown
    await tess.press("M1 RCGM meeting (June 15, 2026, San Salvador)")
    assert "Send the financial report for M1" in await text(tess)
    assert "Please send the report as a PDF file" in await say(tess, "here it is")
    await tess.send_document(PDF, "report.pdf")
    assert "Ready to send" in await text(tess)
    await tess.press("Cancel")
    assert "Cancelled. Nothing was sent." in await text(tess)
    assert await count(harness, FinancialReport) == 0


async def test_exactly_forty_days_ahead_is_on_time(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await harness.person("lucia", "vice_minister", "CR", lang="es")
    ana, _ = await _focal_points(harness)
    await say(tess, "/ppt CR")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    # 6 May 2026, 23:30 in Costa Rica: the due date, 40 calendar days ahead.
    await harness.travel_to(datetime(2026, 5, 7, 5, 30, tzinfo=UTC))
    answer = await send_report(harness, tess)
    assert "It arrives 40 days before the meeting." in answer and "on time" in answer
    (report,) = await rows(harness, FinancialReport)
    assert report.days_ahead_at_send == 40
    caption = next(m.caption for m in ana.bot_messages() if m.document)
    assert "Llega 40 días antes de la reunión." in (caption or "")
    assert "a tiempo" in (caption or "")


async def test_thirty_nine_days_is_late_and_the_ppt_is_told(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    lucia, _ = await harness.person("lucia", "vice_minister", "CR", lang="es")
    _, ben = await _focal_points(harness)
    await say(tess, "/ppt CR")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    # 7 May 2026, 00:05 in Costa Rica: one day after the due date.
    await harness.travel_to(datetime(2026, 5, 7, 6, 5, tzinfo=UTC))
    answer = await send_report(harness, tess)
    assert "It arrives 39 days before the meeting." in answer
    assert "It is late: it was due 40 days before the meeting, by May 6, 2026, 1 day ago." in (
        answer
    )
    assert "The Presidency Pro-Tempore (Costa Rica) was told: 1 person." in answer
    caption = next(m.caption for m in ben.bot_messages() if m.document)
    assert "It is late" in (caption or "")
    told = await text(lucia)
    assert "Informe financiero tardío" in told
    assert "39 días antes de la reunión: 1 día de retraso" in told
    assert "a más tardar el 6 de mayo de 2026" in told
    history = await say(tess, "/report")
    assert "sent May 7, 2026, 39 days ahead: 1 day late (R1)" in history


async def test_late_without_a_ppt_says_nobody_was_told(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-04-01 San Salvador")  # 30 days ahead
    answer = await send_report(harness, tess)
    assert "10 days ago" in answer and "No Presidency Pro-Tempore is set" in answer


@pytest.mark.parametrize(
    ("moment", "ahead", "late"),
    [
        # Meeting in Toronto on 16 April 2026 (daylight time); due 7 March (standard time).
        (datetime(2026, 3, 8, 4, 30, tzinfo=UTC), 40, False),  # 7 March, 23:30 EST
        (datetime(2026, 3, 8, 5, 30, tzinfo=UTC), 39, True),  # 8 March, 00:30 EST
    ],
)
async def test_days_ahead_in_the_meetings_time_zone_across_daylight_saving(
    harness: Harness, moment: datetime, ahead: int, late: bool
) -> None:
    tess, _ = await harness.person("tess", "ts")
    await _focal_points(harness)
    registered = await say(tess, "/meeting rcgm 2026-04-16 Ottawa\nTZ: America/Toronto")
    assert "Time zone: America/Toronto" in registered
    assert "due March 7, 2026" in registered
    await harness.travel_to(moment)
    answer = await send_report(harness, tess)
    assert f"It arrives {ahead} days before the meeting." in answer
    assert ("It is late" in answer) is late
    # In Costa Rica (the bot's own zone) both moments are still 7 March: the meeting's zone
    # decides, not the bot's.
    assert harness.services.clock.local(moment).day == 7


async def test_a_meeting_in_a_zone_with_daylight_saving_set_as_the_conference_zone(
    database_url: str,
    tmp_path,
    traveller,  # type: ignore[no-untyped-def]
) -> None:
    toronto = Harness(
        database_url, tmp_path, traveller, settings_overrides={"CONFERENCE_TZ": "America/Toronto"}
    )
    await toronto.start()
    try:
        tess, _ = await toronto.person("tess", "ts")
        await toronto.person("ben", "focal_point", "CA")
        assert "Time zone: America/Toronto" in await say(tess, "/meeting rcgm 2026-04-16 Ottawa")
        await toronto.travel_to(datetime(2026, 3, 8, 4, 30, tzinfo=UTC))  # 23:30 EST, 7 March
        answer = await send_report(toronto, tess)
        assert "It arrives 40 days before the meeting." in answer and "on time" in answer
        assert await toronto.refused_sends() == []
    finally:
        await toronto.stop()


BAD_FILES = [
    ("en", ("report.txt", "text/plain", PDF, None), "report.txt is not a PDF file"),
    ("es", ("informe.docx", "application/msword", PDF, None), "no es un archivo PDF"),
    ("en", ("fake.pdf", "application/pdf", b"MZ\x90 not a pdf", None), "content is not PDF"),
    ("es", ("falso.pdf", "application/pdf", b"<html>", None), "su contenido no es PDF"),
    ("en", ("big.pdf", "application/pdf", PDF, 25 * MB), "too large (25 MB)"),
    ("es", ("grande.pdf", "application/pdf", PDF, 20 * MB + 1), "demasiado grande (20 MB)"),
]


async def test_files_that_are_not_a_pdf_or_too_big_are_refused_before_anything_is_kept(
    harness: Harness,
) -> None:
    ts = await secretariat_in_both_languages(harness)
    await _focal_points(harness)
    await say(ts["en"], "/meeting rcgm 2026-06-15 San Salvador")
    for lang, (name, mime, data, size), expected in BAD_FILES:
        downloads = harness.server.stats.calls["getFile"]
        await ts[lang].send("/report M1")
        await text(ts[lang])
        await ts[lang].send_document(data, name, mime, file_size=size)
        assert expected in await text(ts[lang]), name
        # Also as the caption of the file.
        await ts[lang].send_document(data, name, mime, caption="/report M1", file_size=size)
        assert expected in await text(ts[lang]), name
        if size is not None or mime != "application/pdf":
            # Refused before downloading: the bot never asked Telegram for the file.
            assert harness.server.stats.calls["getFile"] == downloads, name
    assert await count(harness, StoredDocument) == 0
    assert await count(harness, FinancialReport) == 0


BAD_MEETINGS_FOR_REPORTS = [
    ("en", "/report M9", "There is no meeting M9"),
    ("es", "/report R1", "R1 no es una reunión"),
    ("en", "/report M1", "M1 is a Working group meeting"),
    ("es", "/report M2", "M2 es una reunión de tipo Viceministerial"),
]


async def test_a_report_for_a_meeting_that_does_not_exist_or_is_not_rcgm(
    harness: Harness,
) -> None:
    ts = await secretariat_in_both_languages(harness)
    await _focal_points(harness)
    await say(ts["en"], "/meeting wg 2026-06-15 Belmopan")
    await say(ts["en"], "/meeting vm 2026-11-20 Panamá")
    for lang, command, expected in BAD_MEETINGS_FOR_REPORTS:
        assert expected in await say(ts[lang], command), command
        await ts[lang].send_document(PDF, "report.pdf", caption=command)
        assert expected in await text(ts[lang]), command
    assert await count(harness, FinancialReport) == 0
    assert await count(harness, StoredDocument) == 0


async def test_no_second_report_and_none_after_the_meeting_began(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await say(tess, "/meeting rcgm 2026-03-04 Belmopan")
    await send_report(harness, tess, "M1")
    assert "already sent on March 2, 2026" in await say(tess, "/report M1")
    await harness.travel(timedelta(days=3))
    assert "Meeting M2 began on March 4, 2026" in await say(tess, "/report M2")
    history = await say(tess, "/report")
    assert "M2 RCGM meeting (March 4, 2026, Belmopan): due January 23, 2026: not sent" in history
    assert await count(harness, FinancialReport) == 1


async def test_only_the_ts_sends_reports(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    assert "No tiene permiso" in await say(ana, "/report M1")
    await ana.send_document(PDF, "x.pdf", caption="/report M1")
    assert "No tiene permiso" in await text(ana)
    assert await count(harness, StoredDocument) == 0


async def test_forged_and_repeated_acknowledgements(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await _focal_points(harness)
    victor, _ = await harness.person("victor", "vice_minister", "US")
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await send_report(harness, tess)
    await victor.send("/status")
    own = await victor.last_message()
    assert own is not None
    await victor.press_data("rpt:1:ack", own.message_id)
    refusal = await victor.last_callback_answer()
    assert refusal is not None and refusal.show_alert
    assert refusal.text == "This report was not sent to you, so there is nothing to confirm."
    await ana.press_data("rpt:7:ack", (await ana.last_message()).message_id)  # type: ignore[union-attr]
    assert (await ana.last_callback_answer()).text == "No existe el informe R7."  # type: ignore[union-attr]
    await ana.press_data("rpt:1:nope", (await ana.last_message()).message_id)  # type: ignore[union-attr]
    assert (await ana.last_callback_answer()).text == "Ese botón ya no está activo."  # type: ignore[union-attr]
    receipts = await rows(harness, Receipt)
    assert [r.acknowledged_at for r in receipts] == [None, None]
    message = next(m for m in ana.bot_messages() if m.document)
    await ana.press("Recibido", message_id=message.message_id)
    await harness.settle()
    first = {r.person_id: r.acknowledged_at for r in await rows(harness, Receipt)}
    await harness.travel(timedelta(hours=3))
    # The button is gone, but an old copy of it (a reminder) pressed again changes nothing.
    await ana.press_data("rpt:1:ack", message.message_id)
    assert (await ana.last_callback_answer()).text == "Ya había confirmado la recepción."  # type: ignore[union-attr]
    again = {r.person_id: r.acknowledged_at for r in await rows(harness, Receipt)}
    assert again == first and sum(1 for moment in again.values() if moment) == 1


async def test_recipients_see_it_in_status_and_can_acknowledge_there(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await send_report(harness, tess)
    listed = await say(ana, "/status")
    assert "confirmar la recepción del informe financiero (/status R1)" in listed
    shown = await say(ana, "/status R1")
    assert "Por favor, confirme que lo recibió." in shown
    await ana.press("Recibido")
    await harness.settle()
    assert "✓ Recepción confirmada" in await say(ana, "/status R1")
    assert "informe financiero (/status R1)" not in await say(ana, "/status")


async def test_export_of_receipts(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await send_report(harness, tess)
    await ana.press("Recibido")
    await harness.settle()
    await tess.send("/export R1")
    message = await tess.last_message()
    assert message is not None and message.document is not None
    assert "receipt confirmed by 1 of 2 recipients" in (message.caption or "")
    lines = message.document.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "State code,State,Name,Receipt confirmed at"
    assert lines[1:] == ["CA,Canada,Ben,", "MX,Mexico,Ana,2026-03-02T09:00-06:00"]


async def test_report_deadline_kind(harness: Harness) -> None:
    """What the scheduler asks: who is reminded, with what, and the due action (once)."""
    tess, _ = await harness.person("tess", "ts")
    tom, _ = await harness.person("tom", "ts", lang="es")
    await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    kind = ReportDueKind()
    services = harness.services
    async with harness.session() as session:
        deadline = (
            await session.exec(select(Deadline).where(Deadline.kind != ROLLOVER_KIND))
        ).one()
        pending = await kind.pending(services, session, deadline, harness.now)
        assert sorted(p.display_name for p in pending) == ["Tess", "Tom"]
        ahead = kind.reminder(deadline, pending[0], now=harness.now)
        rendered = services.outbox.renderer("en").plain(ahead.body)
        assert rendered.startswith("Reminder: Financial report for M1 RCGM meeting")
        assert "May 6, 2026, 23:59 (UTC-06:00)" in rendered and "/report M1" in rendered
        later = deadline.due_at + timedelta(days=2)
        overdue = services.outbox.renderer("es").plain(
            kind.reminder(deadline, pending[0], now=later).body
        )
        assert overdue.startswith("Vencido: Informe financiero para M1")
    await run_due_action_twice(harness, kind, deadline)
    assert "Vencido" in await text(tom) and "Overdue" in await text(tess)
    async with harness.session() as session:
        notices = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith("report_due:"))
        )
        assert len(notices.all()) == 2  # the due action's notice: once to each TS officer
    await send_report(harness, tess)
    async with harness.session() as session:
        deadline = (await session.exec(select(Deadline).where(Deadline.kind == "report_due"))).one()
        assert await kind.pending(services, session, deadline, harness.now) == []
        before = await _outbox_count(session)
        await kind.on_due(services, session, deadline, harness.now)  # sent: nothing to say
        assert await _outbox_count(session) == before


async def test_no_more_overdue_reminders_once_the_meeting_began(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await say(tess, "/meeting rcgm 2026-03-20 Belmopan")  # already overdue when registered
    kind = ReportDueKind()
    async with harness.session() as session:
        deadline = (
            await session.exec(select(Deadline).where(Deadline.kind != ROLLOVER_KIND))
        ).one()
        assert deadline.due_at < harness.now
        assert [
            p.display_name
            for p in await kind.pending(harness.services, session, deadline, harness.now)
        ] == ["Tess"]
    await harness.travel_to(datetime(2026, 3, 20, 6, 0, tzinfo=UTC))  # 20 March, 00:00 CR
    async with harness.session() as session:
        assert await kind.pending(harness.services, session, deadline, harness.now) == []
    history = await say(tess, "/report")
    assert "M1 RCGM meeting (March 20, 2026, Belmopan): due February 8, 2026: not sent" in history
    assert "No RCGM meeting is waiting for its report." in history
    assert "Meeting M1 began on March 20, 2026" in await say(tess, "/report M1")


async def test_acknowledgement_deadline_kind(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, ben = await _focal_points(harness)
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    await send_report(harness, tess)
    await ana.press("Recibido")
    await harness.settle()
    kind = ReportAckKind()
    services = harness.services
    async with harness.session() as session:
        deadline = (await session.exec(select(Deadline).where(Deadline.kind == "report_ack"))).one()
        pending = await kind.pending(services, session, deadline, harness.now)
        assert [p.display_name for p in pending] == ["Ben"]
        reminder = kind.reminder(deadline, pending[0], now=harness.now)
        assert reminder.buttons is not None and reminder.buttons[0][0].data == "rpt:1:ack"
        assert "Confirm receipt of the financial report for M1" in services.outbox.renderer(
            "en"
        ).plain(reminder.body)
    await run_due_action_twice(harness, kind, deadline)
    notice = await text(tess)
    assert "the deadline has passed. Not acknowledged yet:\n• Ben (Canada)" in notice
    assert sum("Not acknowledged yet" in (m.text or "") for m in tess.bot_messages()) == 1
    # The reminder's button works like the original's.
    async with harness.services.unit_of_work() as session:
        person = (await session.exec(select(Person).where(Person.display_name == "Ben"))).one()
        await services.outbox.to_person(session, person, reminder, now=harness.now)
    await harness.settle()
    await ben.press("Received")
    await harness.settle()
    assert "Receipt confirmed on" in await text(ben)
    assert all(r.acknowledged_at for r in await rows(harness, Receipt))


async def _outbox_count(session) -> int:  # type: ignore[no-untyped-def]
    return len((await session.exec(select(OutboxMessage))).all())
