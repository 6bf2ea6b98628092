"""Custom deadlines end to end: the TS sets one ("send information on migrant women by 15
July"), everyone concerned is told and reminded in their language until their state presses
Done; /deadlines and /calendar show it with its exact time and UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlmodel import select

from bot.models.custom_deadlines import CustomDeadline, DeadlineDone
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.outbox import OutboxMessage
from tests.harness import Harness

ONE_LINE = (
    "/deadline 2026-07-15 role:focal_point,vice_minister\n"
    "EN: Send information on migrant women\n"
    "ES: Enviar información sobre mujeres migrantes"
)
# 15 July 2026 23:59 in Costa Rica (UTC-6) is 16 July 05:59 UTC.
DUE = datetime(2026, 7, 16, 5, 59, tzinfo=UTC)


async def _cast(harness: Harness):  # type: ignore[no-untyped-def]
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    victor, _ = await harness.person("victor", "vice_minister", "MX")
    ben, _ = await harness.person("ben", "focal_point", "CR")
    return tess, ana, victor, ben


async def _rows(harness: Harness) -> tuple[list[CustomDeadline], list[Deadline]]:
    async with harness.session() as session:
        customs = list((await session.exec(select(CustomDeadline))).all())
        rows = list((await session.exec(select(Deadline).where(Deadline.kind == "custom"))).all())
    return customs, rows


async def _set(harness: Harness, tess) -> None:  # type: ignore[no-untyped-def]
    await tess.send(ONE_LINE)
    preview = await tess.last_message()
    assert preview is not None and "Preview" in preview.text
    assert "2 states or bodies must act; 3 persons will be told" in preview.text
    assert "July 15, 2026, 23:59 (UTC-06:00)" in preview.text
    await tess.press("Send")
    await harness.settle()


def _texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text or m.caption or "" for m in user.bot_messages()]


async def test_ts_sets_a_deadline_and_each_is_told_in_their_language(harness: Harness) -> None:
    tess, ana, victor, _ben = await _cast(harness)
    await _set(harness, tess)
    confirmation = _texts(tess)
    assert any("Deadline D1 is set for July 15, 2026, 23:59 (UTC-06:00)" in t for t in confirmation)
    assert any("Delivery finished: 3 sent, 0 failed" in t for t in confirmation)
    notice = (await ana.last_message()).text  # type: ignore[union-attr]
    assert "Nuevo plazo" in notice and "Enviar información sobre mujeres migrantes" in notice
    assert "15 de julio de 2026, 23:59 (UTC-06:00)" in notice
    assert (await ana.last_message()).buttons[0][0].label == "Hecho"  # type: ignore[union-attr]
    english = (await victor.last_message()).text  # type: ignore[union-attr]
    assert "Send information on migrant women" in english and "(UTC-06:00)" in english
    customs, rows = await _rows(harness)
    assert [c.audience for c in customs] == ["role:focal_point,vice_minister"]
    assert rows[0].key == "custom:1" and rows[0].due_at == DUE


async def test_reminders_go_only_to_states_that_have_not_acted(harness: Harness) -> None:
    tess, ana, victor, ben = await _cast(harness)
    await _set(harness, tess)
    await ana.press("Hecho")
    answer = await ana.last_callback_answer()
    assert answer is not None and answer.text == "Marcado como hecho. Gracias."
    assert "✓ Hecho" in (await ana.last_message()).text  # type: ignore[union-attr]
    # Mexico has acted (Ana pressed for her state): neither Ana nor Victor is reminded.
    await harness.travel_to(DUE - timedelta(days=3))
    assert not any("Recordatorio" in t or "Reminder" in t for t in _texts(ana) + _texts(victor))
    reminder = (await ben.last_message()).text  # type: ignore[union-attr]
    assert "Reminder: deadline D1" in reminder and "July 15, 2026, 23:59 (UTC-06:00)" in reminder
    # Victor pressing Done too changes nothing: Mexico had already done it.
    await victor.press("Done")
    assert "Already marked done" in (await victor.last_callback_answer()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert len((await session.exec(select(DeadlineDone))).all()) == 1
    # Costa Rica acts: every party has done it, the deadline completes and the TS is told.
    await ben.press("Done")
    await harness.settle()
    assert "every party has marked it done" in (await tess.last_message()).text  # type: ignore[union-attr]
    _, rows = await _rows(harness)
    assert rows[0].status == DeadlineStatus.DONE
    before = len(ben.bot_messages())
    await harness.travel_to(DUE + timedelta(days=2))
    assert len(ben.bot_messages()) == before  # no more reminders, no summary to members


async def test_at_the_deadline_the_ts_gets_who_has_and_has_not(harness: Harness) -> None:
    tess, _ana, victor, ben = await _cast(harness)
    await _set(harness, tess)
    await victor.press("Done")
    # The bot running all along: it wakes at each reminder's moment, then at the deadline.
    for moment in (timedelta(days=3), timedelta(days=1), timedelta(hours=2)):
        await harness.travel_to(DUE - moment)
    await harness.travel_to(DUE + timedelta(minutes=1))
    summary = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "Deadline D1 has passed" in summary and "done by 1 of 2" in summary
    assert "Not done yet: Costa Rica" in summary
    assert sum("Reminder" in t for t in _texts(ben)) == 3  # 3 days, 1 day, 2 hours before
    assert not any("late" in t for t in _texts(ben))
    # Ben can still say it is done, late; /status D1 shows it to the TS.
    await ben.press("Done")
    assert "after the deadline" in (await ben.last_callback_answer()).text  # type: ignore[union-attr]
    await tess.send("/status D1")
    status = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "Costa Rica: done" in status and "(late)" in status and "Mexico: done" in status


async def test_deadlines_and_calendar_in_both_languages(harness: Harness) -> None:
    tess, ana, _victor, _ben = await _cast(harness)
    await _set(harness, tess)
    await ana.send("/deadlines")
    listing = (await ana.last_message()).text  # type: ignore[union-attr]
    assert "Sus plazos" in listing
    assert "D1: Enviar información sobre mujeres migrantes" in listing
    assert "15 de julio de 2026, 23:59 (UTC-06:00)" in listing
    await tess.send("/deadlines")
    overview = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "D1: Send information on migrant women" in overview and "(3 still to act)" in overview
    await ana.send("/calendar")
    message = await ana.last_message()
    assert message is not None and message.document is not None
    assert message.document.file_name == "rcm-deadlines.ics"
    calendar = Calendar.from_ical(message.document.data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == "deadline-custom-1@rcm_sandbox_bot"
    assert event.decoded("dtstart") == DUE
    assert "Enviar información" in str(event["summary"])
    # Once Mexico has acted, Ana has nothing left; the file would not list it.
    await ana.press("Hecho")
    await ana.send("/deadlines")
    assert "No tiene plazos pendientes" in (await ana.last_message()).text  # type: ignore[union-attr]


async def test_step_by_step_with_audience_buttons(harness: Harness) -> None:
    tess, ana, _victor, _ben = await _cast(harness)
    await tess.send("/deadline")
    assert "By when?" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("31/02/2026")
    assert "not a real calendar date" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("2026-01-10")
    assert "has already passed" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("15/07/2026")
    assert "Who must act?" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.press("Focal points")
    assert "in English" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("Confirm attendance")
    await tess.send("Confirmar asistencia")
    preview = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "2 states or bodies must act; 2 persons will be told" in preview
    await tess.press("Cancel")
    assert (await tess.last_message()).text == "Cancelled. Nothing was sent."  # type: ignore[union-attr]
    customs, rows = await _rows(harness)
    assert customs == [] and rows == []
    assert not any("Confirmar" in t for t in _texts(ana))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/deadline 2026-13-01", "not a real calendar date"),
        ("/deadline 2026-07-15 state:ZZ\nEN: x\nES: y", "Unknown member state ZZ"),
        ("/deadline 2026-07-15 role:minister\nEN: x\nES: y", "Unknown role"),
        ("/deadline 2026-07-15 all\nEN: only English", "needed in both languages"),
        ("/deadline 2026-07-15 observers\nEN: x\nES: y", "Nobody in that audience has joined"),
    ],
)
async def test_bad_input_changes_nothing(harness: Harness, command: str, expected: str) -> None:
    tess, _ana, *_ = await _cast(harness)
    await tess.send(command)
    assert expected in (await tess.last_message()).text  # type: ignore[union-attr]
    customs, rows = await _rows(harness)
    assert customs == [] and rows == []


async def test_text_too_long_for_telegram_is_refused_at_the_preview(harness: Harness) -> None:
    tess, *_ = await _cast(harness)
    await tess.send("/deadline 2026-07-15")
    assert "in English" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("x" * 4090)
    await tess.send("y")
    assert "Telegram allows 4,096" in (await tess.last_message()).text  # type: ignore[union-attr]
    customs, rows = await _rows(harness)
    assert customs == [] and rows == []


async def test_only_the_ts_sets_deadlines_and_buttons_are_checked(harness: Harness) -> None:
    tess, ana, _victor, _ben = await _cast(harness)
    await ana.send(ONE_LINE)
    assert "No tiene permiso" in (await ana.last_message()).text  # type: ignore[union-attr]
    await _set(harness, tess)
    notice = await ana.last_message()
    own = await tess.last_message()
    assert notice is not None and own is not None
    # A forged press by someone the deadline is not for, and garbage data: alerts, no change.
    await tess.press_data("dl:1:done", own.message_id)
    assert "not addressed to you" in (await tess.last_callback_answer()).text  # type: ignore[union-attr]
    await ana.press_data("dl:99:done", notice.message_id)
    assert "No existe el plazo D99" in (await ana.last_callback_answer()).text  # type: ignore[union-attr]
    await ana.press_data("dl:1:undo", notice.message_id)
    assert "ya no está activo" in (await ana.last_callback_answer()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(DeadlineDone))).all() == []
    await ana.send("/status D1")
    assert "Todavía no lo ha cumplido su país u organismo" in (await ana.last_message()).text  # type: ignore[union-attr]


async def test_close_ends_reminders_and_sends_the_summary(harness: Harness) -> None:
    tess, _ana, _victor, ben = await _cast(harness)
    await _set(harness, tess)
    await tess.send("/close D1")
    await harness.settle()
    texts = _texts(tess)
    assert any("Deadline D1 is closed" in t for t in texts)
    assert any("Deadline D1 has passed" in t for t in texts)
    await tess.send("/close D1")
    assert "already closed" in (await tess.last_message()).text  # type: ignore[union-attr]
    await harness.travel_to(DUE + timedelta(days=1))
    assert not any("Reminder" in t for t in _texts(ben))
    async with harness.session() as session:
        dedupes = [
            r.dedupe_key for r in (await session.exec(select(OutboxMessage))).all() if r.dedupe_key
        ]
    assert not any(k.startswith("reminder:") for k in dedupes)


async def test_time_zone_with_summer_time_in_both_languages(database_url, tmp_path, traveller):  # type: ignore[no-untyped-def]
    harness = Harness(
        database_url, tmp_path, traveller, settings_overrides={"CONFERENCE_TZ": "America/Toronto"}
    )
    await harness.start()
    try:
        tess, ana, victor, _ben = await _cast(harness)
        for date_text in ("2026-07-15", "15/12/2026"):
            await tess.send(
                f"/deadline {date_text} state:MX\nEN: Send the report\nES: Enviar el informe"
            )
            assert "Preview" in (await tess.last_message()).text  # type: ignore[union-attr]
            await tess.press("Send")
            await harness.settle()
        await ana.send("/deadlines")
        listing = (await ana.last_message()).text  # type: ignore[union-attr]
        assert "15 de julio de 2026, 23:59 (UTC-04:00)" in listing
        assert "15 de diciembre de 2026, 23:59 (UTC-05:00)" in listing
        assert listing.index("julio") < listing.index("diciembre")  # soonest first
        await victor.send("/deadlines")
        listing = (await victor.last_message()).text  # type: ignore[union-attr]
        assert "July 15, 2026, 23:59 (UTC-04:00)" in listing
        assert "December 15, 2026, 23:59 (UTC-05:00)" in listing
        async with harness.session() as session:
            dues = sorted(d.due_at for d in (await session.exec(select(Deadline))).all())
        assert datetime(2026, 7, 16, 3, 59, tzinfo=UTC) in dues
        assert datetime(2026, 12, 16, 4, 59, tzinfo=UTC) in dues
        assert await harness.refused_sends() == []
    finally:
        await harness.stop()
