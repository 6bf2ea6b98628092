"""Follow-up commitments (SPEC 2.8; 003_ad0da034d2d9c22d.txt, follow-up matrix): recorded by
the TS after a meeting, seen and updated by whoever answers for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.commitments import CommitmentKind
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.meetings import Commitment
from bot.sandbox.users import SimUser
from tests.e2e.meetings_support import (
    count,
    deadline_rows,
    rows,
    run_due_action_twice,
    say,
    secretariat_in_both_languages,
    text,
)
from tests.harness import Harness

TEXT = (
    "EN: Send the migrant-women information to IOM\n"
    "ES: Enviar la información sobre mujeres migrantes a la OIM"
)


async def _meeting_held(harness: Harness, tess: SimUser) -> None:
    await say(tess, "/meeting rcgm 2026-03-03 2026-03-04 San Salvador")
    await harness.travel(timedelta(days=1))


async def test_the_ts_records_a_commitment_and_the_state_updates_it(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    await _meeting_held(harness, tess)
    recorded = await say(tess, f"/meeting M1 commitment MX 2026-07-15\n{TEXT}")
    assert "Commitment recorded." in recorded
    assert "F1: Send the migrant-women information to IOM" in recorded
    assert "Responsible: Mexico" in recorded and "July 15, 2026, 23:59 (UTC-06:00)" in recorded
    assert "Status: in process" in recorded
    told = await text(ana)
    assert "Nuevo compromiso de seguimiento para México" in told
    assert "Enviar la información sobre mujeres migrantes a la OIM" in told
    assert (await ana.last_message()).button_labels == ["Cumplido", "En proceso", "No logrado"]  # type: ignore[union-attr]
    assert ben.bot_messages() == []

    listed = await say(ana, "/status")
    assert "• F1 Enviar la información" in listed and "en proceso" in listed
    await ana.press("Cumplido")
    assert (await ana.last_callback_answer()).text == "F1 ahora está en estado cumplido."  # type: ignore[union-attr]
    await harness.settle()
    assert "Ana (Mexico) set commitment F1 to completed (it was in process)." in await text(tess)
    (commitment,) = await rows(harness, Commitment)
    assert commitment.status == "completed"
    (deadline,) = [d for d in await deadline_rows(harness) if d.kind == "commitment"]
    assert deadline.status == DeadlineStatus.DONE
    assert "F1" not in await say(ana, "/status")  # completed: no longer open for them
    shown = await say(tess, "/status M1")
    assert "Follow-up commitments" in shown and "(Mexico, by July 15, 2026): completed" in shown


async def test_guided_commitment_through_the_meeting_buttons_in_spanish(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    await harness.person("ana", "focal_point", "MX")
    await _meeting_held(harness, tess)
    await say(tess, "/meeting M1")
    await tess.press("Agregar un compromiso")
    assert "Envíe el compromiso en ambos idiomas" in await text(tess)
    assert "¿Quién es responsable?" in await say(tess, TEXT)
    assert "no es un responsable válido" in await say(tess, "Mexico")
    assert "¿Para qué fecha?" in await say(tess, "other:Grupo ad hoc de migrantes")
    assert "Compromiso registrado." in await say(tess, "30/09/2026")
    (commitment,) = await rows(harness, Commitment)
    assert (commitment.responsible, commitment.responsible_name) == (
        "other",
        "Grupo ad hoc de migrantes",
    )
    # Another body has nobody in the bot: the TS keeps its status, and sees it in /status.
    assert "F1 Enviar la información" in await say(tess, "/status")
    shown = await say(tess, "/status F1")
    assert "Actualice su estado:" in shown
    await tess.press("No logrado")
    await harness.settle()
    (commitment,) = await rows(harness, Commitment)
    assert commitment.status == "not_achieved"


async def test_ts_and_ppt_responsibilities(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    tom, _ = await harness.person("tom", "ts", lang="es")
    lucia, _ = await harness.person("lucia", "focal_point", "CR", lang="es")
    await say(tess, "/ppt CR")
    await _meeting_held(harness, tess)
    await say(tess, f"/meeting M1 commitment TS 2026-08-01\n{TEXT}")
    assert "Nuevo compromiso de seguimiento para la Secretaría Técnica" in await text(tom)
    await say(tess, f"/meeting M1 commitment ppt 2026-08-01\n{TEXT}")
    assert "Nuevo compromiso de seguimiento para la Presidencia Pro Tempore" in await text(lucia)
    listed = await say(lucia, "/status")
    assert "F2" in listed and "F1" not in listed
    await lucia.press("En proceso")
    assert (await lucia.last_callback_answer()).text == "F2 ya está en estado en proceso."  # type: ignore[union-attr]


async def test_bad_commitments_change_nothing(harness: Harness) -> None:
    ts = await secretariat_in_both_languages(harness)
    await _meeting_held(harness, ts["en"])
    await say(ts["en"], "/meeting wg 2026-09-01 Belmopan")  # M2, ahead
    for lang, command, expected in [
        ("en", "/meeting M1 commitment ZZ 2026-07-15", "Unknown member state ZZ"),
        ("es", "/meeting M1 commitment MX 2026-03-01", "El plazo 1 de marzo de 2026 ya pasó."),
        ("en", "/meeting M1 commitment MX 15.07.2026", "is not a date I can read"),
        ("en", "/meeting M9 commitment MX 2026-07-15", "There is no meeting M9"),
        ("es", "/meeting M2 commitment MX 2026-07-15", "se registran una vez iniciada la reunión"),
    ]:
        assert expected in await say(ts[lang], f"{command}\n{TEXT}"), command
    assert await count(harness, Commitment) == 0
    assert [d.kind for d in await deadline_rows(harness)] == ["report_due"]


async def test_only_the_responsible_state_updates_and_only_until_the_deadline(
    harness: Harness,
) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    ben, _ = await harness.person("ben", "focal_point", "CA")
    await _meeting_held(harness, tess)
    await say(tess, f"/meeting M1 commitment MX 2026-04-15\n{TEXT}")
    await ben.send("/status F1")
    shown = await ben.last_message()
    assert shown is not None and shown.button_labels == []  # not theirs: shown, no buttons
    await ben.press_data("cmt:1:c", shown.message_id)
    refused = await ben.last_callback_answer()
    assert refused is not None and refused.show_alert
    assert refused.text == "Commitment F1 is not your state's to update. Nothing was changed."
    await ana.press_data("cmt:1:x", (await ana.last_message()).message_id)  # type: ignore[union-attr]
    assert (await ana.last_callback_answer()).text == "Ese botón ya no está activo."  # type: ignore[union-attr]
    await harness.travel_to(datetime(2026, 4, 16, 6, 0, tzinfo=UTC))  # after 15 April, 23:59 CR
    await ana.press("Cumplido")
    late = await ana.last_callback_answer()
    assert late is not None and late.text is not None
    assert "El plazo de F1 venció" in late.text and "la ST registra su estado final" in late.text
    (commitment,) = await rows(harness, Commitment)
    assert commitment.status == "in_process"
    await tess.send("/status F1")
    await text(tess)
    await tess.press("Completed")
    await harness.settle()
    (commitment,) = await rows(harness, Commitment)
    assert commitment.status == "completed"


async def test_commitment_deadline_kind(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await harness.person("ana", "focal_point", "MX", lang="es")
    await _meeting_held(harness, tess)
    await say(tess, f"/meeting M1 commitment MX 2026-07-15\n{TEXT}")
    kind = CommitmentKind()
    services = harness.services
    async with harness.session() as session:
        deadline = (await session.exec(select(Deadline).where(Deadline.kind == "commitment"))).one()
        assert deadline.reminder_offsets == [7 * 86400, 86400]
        pending = await kind.pending(services, session, deadline, harness.now)
        assert [p.display_name for p in pending] == ["Ana"]
        reminder = kind.reminder(deadline, pending[0], now=harness.now)
    assert reminder.buttons is not None and [b.data for b in reminder.buttons[0]] == [
        "cmt:1:c",
        "cmt:1:p",
        "cmt:1:n",
    ]
    body = services.outbox.renderer("es").plain(reminder.body)
    assert body.startswith("Recordatorio: Compromiso F1: Enviar la información")
    await run_due_action_twice(harness, kind, deadline)
    notice = await text(tess)
    assert "Commitment deadline reached" in notice and "Status: in process" in notice
    assert sum("deadline reached" in (m.text or "") for m in tess.bot_messages()) == 1
