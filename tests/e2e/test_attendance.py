"""Attendance confirmations (SPEC 2.8): the TS sets a deadline, each state answers once (and
may change its answer until the deadline), the TS sees the list per state."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.attendance import AttendanceKind
from bot.models.deadlines import Deadline
from bot.models.meetings import AttendanceAnswer, Meeting
from bot.sandbox.users import SimUser
from tests.e2e.meetings_support import (
    count,
    meeting_deadlines,
    rows,
    run_due_action_twice,
    say,
    secretariat_in_both_languages,
    text,
)
from tests.harness import Harness


async def _open(harness: Harness, tess: SimUser, deadline: str = "2026-06-01") -> None:
    await say(tess, "/meeting rcgm 2026-06-15 San Salvador")
    preview = await say(tess, f"/meeting M1 attendance {deadline}")
    assert "Ready to ask for attendance confirmations" in preview
    await tess.press("Send")
    await harness.settle()


async def test_states_confirm_attendance_in_both_languages_and_the_ts_sees_the_list(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    await harness.person("bea", "focal_point", "CA")  # two focal points, one answer for Canada
    victor, _ = await harness.person("victor", "vice_minister", "US")
    await _open(harness, tess)
    assert "Attendance requests are on their way to 3 focal points" in await text(tess)
    request = await text(ana)
    assert "Confirmación de asistencia" in request and "si México asistirá" in request
    assert "30 de mayo" not in request and "1 de junio de 2026, 23:59 (UTC-06:00)" in request
    assert victor.bot_messages() == []  # the request goes to focal points

    await ana.press("Asistiremos")
    assert "¿Cuántos delegados de México asistirán" in await text(ana)
    await ana.press("3")
    assert "Envíe los nombres de los delegados" in await text(ana)
    mismatch = await say(ana, "Juan Pérez\nMaría López")
    assert "Indicó 3 delegados pero envió 2 nombres" in mismatch
    assert await count(harness, AttendanceAnswer) == 0
    done = await say(ana, "Juan Pérez\nMaría López\n  Rosa   Díaz ")
    assert "Registrado para México: asistirá, 3 delegados: Juan Pérez, María López, Rosa Díaz" in (
        done
    )
    await ben.press("Attending")
    await text(ben)
    await ben.send("2")
    await text(ben)
    await ben.press("Names later")
    assert "Recorded for Canada: attending, 2 delegates." in await text(ben)

    listing = await say(tess, "/status M1")
    assert "2 of 11 states answered; 2 attending with 5 delegates." in listing
    assert "• Canada: attending, 2 delegates" in listing
    assert "• Mexico: attending, 3 delegates: Juan Pérez, María López, Rosa Díaz" in listing
    assert "Not answered yet: Belize, Costa Rica, Dominican Republic" in listing
    assert "United States" in listing.split("Not answered yet:")[1]

    await tess.send("/export M1")
    exported = await tess.last_message()
    assert exported is not None and exported.document is not None
    lines = exported.document.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "State code,State,Answer,Delegates,Names,Answered by,Answered at"
    assert "MX,Mexico,attending,3,Juan Pérez; María López; Rosa Díaz,Ana," in lines[8]
    assert lines[1] == "BZ,Belize,no answer,,,,"


async def test_one_answer_per_state_changeable_until_the_deadline(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    bea, _ = await harness.person("bea", "focal_point", "CA", lang="es")
    await _open(harness, tess)
    await ben.press("Not attending")
    assert (await ben.last_callback_answer()).text == "Recorded: not attending."  # type: ignore[union-attr]
    await bea.press("Asistiremos")
    await text(bea)
    await bea.send("1")
    await text(bea)
    changed = await say(bea, "Beatriz Roy")
    assert "Reemplaza la respuesta anterior: no asistirá." in changed
    (answer,) = await rows(harness, AttendanceAnswer)
    assert (answer.attending, answer.delegates, answer.names) == (True, 1, ["Beatriz Roy"])
    # After the deadline (1 June, 23:59 in Costa Rica) the buttons refuse and nothing changes.
    await harness.travel_to(datetime(2026, 6, 2, 6, 0, tzinfo=UTC))
    request = next(m for m in ben.bot_messages() if m.button_labels)
    await ben.press("Not attending", message_id=request.message_id)
    late = await ben.last_callback_answer()
    assert late is not None and late.show_alert
    assert late.text is not None and "The deadline to confirm attendance at M1 passed" in late.text
    (still,) = await rows(harness, AttendanceAnswer)
    assert (still.attending, still.delegates) == (True, 1)


async def test_forged_buttons_are_refused_and_change_nothing(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    iris, _ = await harness.person("iris", "observer", organisation="IOM")
    await _open(harness, tess)
    request = await ana.last_message()
    assert request is not None
    canada = 2  # another state's id in the default list
    await ana.press_data(f"att:1:{canada}:n", request.message_id)
    refused = await ana.last_callback_answer()
    assert refused is not None and refused.show_alert
    assert refused.text == "Solo puede actuar en nombre de su propio país. No se cambió nada."
    await ana.press_data("att:9:8:n", request.message_id)
    assert "No existe la reunión M9" in ((await ana.last_callback_answer()).text or "")  # type: ignore[union-attr]
    await ana.press_data("att:1:8:maybe", request.message_id)
    assert (await ana.last_callback_answer()).text == "Ese botón ya no está activo."  # type: ignore[union-attr]
    await iris.send("/status")
    own = await iris.last_message()
    assert own is not None
    await iris.press_data("att:1:8:y", own.message_id)
    assert "not allowed" in ((await iris.last_callback_answer()).text or "")  # type: ignore[union-attr]
    assert await count(harness, AttendanceAnswer) == 0


async def test_a_vice_minister_answers_through_status(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await harness.person("ana", "focal_point", "MX")
    vm, _ = await harness.person("vera", "vice_minister", "MX", lang="es")
    await _open(harness, tess)
    listed = await say(vm, "/status")
    assert "confirmar si México asistirá" in listed and "(/status M1)" in listed
    shown = await say(vm, "/status M1")
    assert "México aún no ha respondido." in shown
    await vm.press("No asistiremos")
    await harness.settle()
    assert "Respuesta de México: no asistirá" in await say(vm, "/status M1")
    (answer,) = await rows(harness, AttendanceAnswer)
    assert not answer.attending


async def test_bad_delegate_numbers(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    await _open(harness, tess)
    await ben.press("Attending")
    await text(ben)
    for wrong, expected in [
        ("0", "between 1 and 30"),
        ("31", "between 1 and 30"),
        ("three", "must be a whole number"),
    ]:
        assert expected in await say(ben, wrong)
    assert await count(harness, AttendanceAnswer) == 0


async def test_bad_attendance_deadlines(harness: Harness) -> None:
    ts = await secretariat_in_both_languages(harness)
    await harness.person("ben", "focal_point", "CA")
    await say(ts["en"], "/meeting rcgm 2026-06-15 San Salvador")
    for lang, deadline, expected in [
        ("en", "2026-06-15", "choose a date before June 15, 2026"),
        ("es", "2026-03-01", "La fecha 1 de marzo de 2026 ya pasó."),
        ("en", "June 1", "is not a date I can read"),
        ("es", "31/06/2026", "no es una fecha válida del calendario"),
    ]:
        assert expected in await say(ts[lang], f"/meeting M1 attendance {deadline}"), deadline
    (meeting,) = await rows(harness, Meeting)
    assert meeting.attendance_due_at is None
    assert await meeting_deadlines(harness) == 1  # the report's only


async def test_attendance_deadline_kind(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    await _open(harness, tess)
    await ben.press("Not attending")
    await harness.settle()
    kind = AttendanceKind()
    services = harness.services
    async with harness.session() as session:
        deadline = (await session.exec(select(Deadline).where(Deadline.kind == "attendance"))).one()
        assert deadline.due_at == datetime(2026, 6, 2, 5, 59, tzinfo=UTC)
        pending = await kind.pending(services, session, deadline, harness.now)
        assert [p.display_name for p in pending] == ["Ana"]
        reminder = kind.reminder(deadline, pending[0], now=harness.now)
    assert reminder.buttons is not None
    assert [b.data for b in reminder.buttons[0]] == ["att:1:8:y", "att:1:8:n"]
    body = services.outbox.renderer("es").plain(reminder.body)
    assert body.startswith("Recordatorio: Confirmar la asistencia a M1")
    # The reminder's buttons answer like the request's.
    async with services.unit_of_work() as session:
        await services.outbox.to_person(session, pending[0], reminder, now=harness.now)
    await harness.settle()
    await ana.press("No asistiremos")
    await harness.settle()
    async with harness.session() as session:
        assert await kind.pending(services, session, deadline, harness.now) == []
    # At the deadline the TS gets the list, once however often the action runs.
    await run_due_action_twice(harness, kind, deadline)
    final = await text(tess)
    assert "Attendance at M1 RCGM meeting" in final and "the deadline has passed" in final
    assert "• Canada: not attending" in final and "• Mexico: not attending" in final
    assert "/export M1" in final
    assert sum("the deadline has passed" in (m.text or "") for m in tess.bot_messages()) == 1


async def test_moving_the_attendance_deadline_asks_again(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    await _open(harness, tess)
    preview = await say(tess, "/meeting M1 attendance 2026-06-05")
    assert "Ready to move the attendance deadline" in preview
    await tess.press("Send")
    await harness.settle()
    assert "New date to confirm attendance" in await text(ben)
    async with harness.session() as session:
        (deadline,) = (
            await session.exec(select(Deadline).where(Deadline.kind == "attendance"))
        ).all()
        assert deadline.due_at == datetime(2026, 6, 6, 5, 59, tzinfo=UTC)
