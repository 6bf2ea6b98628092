"""Announcements end to end (SPEC 2.1): preview in both languages, send, acknowledge,
report per member state, remind exactly those who have not acknowledged; refusals."""

from __future__ import annotations

from sqlmodel import col, select

from bot.models.announcements import Announcement
from bot.models.documents import StoredDocument
from bot.models.outbox import OutboxMessage
from bot.models.receipts import Receipt
from bot.sandbox.users import SimUser
from tests.harness import Harness

ANNOUNCE = (
    "/announce all\n"
    "EN: The meeting moved to <b>Tuesday</b> & room 4.\n"
    "Bring the report.\n"
    "ES: La reunión pasa al <b>martes</b> y sala 4.\n"
    "Traiga el informe."
)


async def _cast(harness: Harness) -> dict[str, SimUser]:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    victor, _ = await harness.person("victor", "vice_minister", "US")
    olga, _ = await harness.person("olga", "observer", organisation="IOM", lang="es")
    return {"tess": tess, "ana": ana, "victor": victor, "olga": olga}


async def _texts(user: SimUser) -> list[str]:
    await user.last_message()
    return [m.content for m in user.bot_messages()]


async def _outbox_count(harness: Harness) -> int:
    async with harness.session() as session:
        return len((await session.exec(select(OutboxMessage))).all())


async def test_announce_to_all_in_both_languages(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send(ANNOUNCE)
    preview = await _texts(tess)
    assert "It goes to everyone registered except observers: 3 recipients" in preview[0]
    assert "2 reading English and 1 Spanish" in preview[0]
    # Both languages as recipients will see them; the TS's markup shown as written.
    assert "The meeting moved to <b>Tuesday</b> & room 4.\nBring the report." in preview[1]
    assert "La reunión pasa al <b>martes</b> y sala 4." in preview[2]
    assert preview[3] == "Send it now?"
    async with harness.session() as session:
        assert (await session.exec(select(Announcement))).all() == []
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    assert "Sent as A1 to 3 recipients" in (await _texts(tess))[3]
    ana_text = (await cast["ana"].last_message()).content  # type: ignore[union-attr]
    assert "Anuncio de la Secretaría Técnica" in ana_text and "<b>martes</b>" in ana_text
    assert (await cast["ana"].last_message()).button_labels == ["Recibido"]  # type: ignore[union-attr]
    victor_text = (await cast["victor"].last_message()).content  # type: ignore[union-attr]
    assert "Announcement from the Technical Secretariat (A1)" in victor_text
    assert "<b>Tuesday</b> & room 4" in victor_text
    assert cast["olga"].bot_messages() == []  # observers receive only what is sent to them
    progress = [t for t in await _texts(tess) if "Delivery finished" in t]
    assert progress == ["Announcement A1\nDelivery finished: 3 sent, 0 failed."]
    async with harness.session() as session:
        receipts = (await session.exec(select(Receipt))).all()
        assert len(receipts) == 3 and {r.ref for r in receipts} == {"announcement:1"}


async def test_acknowledge_report_and_remind_exactly_those(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, ana, victor = cast["tess"], cast["ana"], cast["victor"]
    await tess.send(ANNOUNCE)
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    await harness.settle()
    await ana.press("Recibido")
    await harness.settle()
    assert (await ana.last_callback_answer()).text == "Gracias: se registró su confirmación."  # type: ignore[union-attr]
    assert (await ana.last_message()).button_labels == ["✓ Recibido"]  # type: ignore[union-attr]
    await harness.settle()
    await ana.press("✓ Recibido")
    await harness.settle()
    assert (await ana.last_callback_answer()).text == "Su confirmación ya estaba registrada."  # type: ignore[union-attr]

    await tess.send("/status A1")
    report = await tess.last_message()
    assert report is not None
    assert "Mexico: 1 sent (1 acknowledged), 0 waiting, 0 failed (0 blocked the bot)" in report.text
    assert "United States: 1 sent (0 acknowledged)" in report.text
    assert "not acknowledged: Victor" in report.text
    assert "Nobody registered to receive it in: Belize, Canada" in report.text
    assert report.button_labels == ["Remind the 2 who have not acknowledged"]
    await harness.settle()
    await tess.press("Remind the 2 who have not acknowledged")
    await harness.settle()
    reminder = (await victor.last_message()).content  # type: ignore[union-attr]
    assert reminder.startswith("Reminder: please confirm that you received this announcement.")
    assert len(ana.bot_messages()) == 1  # she had acknowledged: not reminded
    # The old report's button is stale now: nothing is sent twice.
    sent_before = await _outbox_count(harness)
    await harness.settle()
    await tess.press("Remind the 2 who have not acknowledged", message_id=report.message_id)
    await harness.settle()
    answer = await tess.last_callback_answer()
    assert answer is not None and answer.show_alert and "already sent" in (answer.text or "")
    assert await _outbox_count(harness) == sent_before
    # Victor confirms from the reminder; the report shows it.
    await harness.settle()
    await victor.press("Received")
    await harness.settle()
    await tess.send("/status A1")
    text = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "United States: 1 sent (1 acknowledged)" in text
    assert "Reminded 1 time, on" in text


async def test_blocked_recipient_is_reported_and_not_reminded(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, victor = cast["tess"], cast["victor"]
    victor.block()
    await tess.send(ANNOUNCE)
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    assert "Delivery finished: 2 sent, 1 failed." in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("/status A1")
    report = await tess.last_message()
    assert report is not None
    assert "United States: 0 sent (0 acknowledged), 0 waiting, 1 failed (1 blocked the bot)" in (
        report.text
    )
    await harness.settle()
    await tess.press("Remind the 2 who have not acknowledged")
    await harness.settle()
    assert "1 who blocked the bot cannot be reached" in (await _texts(tess))[-2] or any(
        "1 who blocked the bot cannot be reached" in t for t in await _texts(tess)
    )
    assert victor.bot_messages() == []


async def test_forged_and_stale_acknowledgements_change_nothing(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, ana, olga = cast["tess"], cast["ana"], cast["olga"]
    await tess.send(ANNOUNCE)
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    message = await ana.last_message()
    assert message is not None
    for data in ("ack:announcement:99", "ack:vacancy:1", "ack:announcement:1x"):
        await ana.press_data(data, message.message_id)
        await harness.settle()
        answer = await ana.last_callback_answer()
        assert answer is not None and answer.show_alert, data
        assert answer.text == "Ese botón ya no está activo.", data
    # The right data on another message than the one we sent her for it.
    await ana.send("/help")
    other = await ana.last_message()
    assert other is not None
    await ana.press_data("ack:announcement:1", other.message_id)
    await harness.settle()
    assert (await ana.last_callback_answer()).show_alert  # type: ignore[union-attr]
    # Someone who was not sent it.
    await olga.send("/help")
    await olga.press_data("ack:announcement:1", (await olga.last_message()).message_id)  # type: ignore[union-attr]
    assert (await olga.last_callback_answer()).show_alert  # type: ignore[union-attr]
    async with harness.session() as session:
        rows = (await session.exec(select(Receipt))).all()
        assert all(r.acknowledged_at is None for r in rows)


async def test_refusals_change_nothing(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, ana = cast["tess"], cast["ana"]
    await ana.send(ANNOUNCE)
    assert "No tiene permiso" in (await ana.last_message()).text  # type: ignore[union-attr]
    for command, expected in [
        ("/announce planets\nEN: x\nES: y", "Unknown audience planets"),
        ("/announce state:ZZ\nEN: x\nES: y", "Unknown member state ZZ"),
        ("/announce state:BZ\nEN: x\nES: y", "Nobody in that audience has joined"),
        ("/announce all\nEN: only English", "needed in both languages"),
        ("/announce all ftp://files\nEN: x\nES: y", "is not a web address"),
    ]:
        await tess.send(command)
        assert expected in (await tess.last_message()).text, command  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(Announcement))).all() == []
        assert (await session.exec(select(Receipt))).all() == []
    assert ana.bot_messages()[-1].text.startswith("No tiene permiso")


async def test_too_long_is_refused_before_anything_is_sent(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send("/announce")
    await harness.settle()
    await tess.press("Everyone")
    await harness.settle()
    await tess.send("x" * 4050)
    refusal = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "Telegram allows 4,096" in refusal and "Nothing was sent" in refusal
    await tess.send("Short English text.")
    await tess.send("Texto breve en español.")
    assert "To attach a link" in (await tess.last_message()).text  # type: ignore[union-attr]
    # A document's caption is limited to 1024 characters: refused with the number.
    await tess.send("/announce all\nEN: " + "y" * 1500 + "\nES: " + "z" * 1500)
    assert "Telegram allows 4,096" not in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send_document(b"%PDF-1.4 agenda", "agenda.pdf")
    assert "Telegram allows 1,024" in (await tess.last_message()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(Announcement))).all() == []
    for name in ("ana", "victor"):
        assert cast[name].bot_messages() == []


async def test_guided_conversation_with_a_document(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send("/announce")
    assert "Who should receive" in (await tess.last_message()).text  # type: ignore[union-attr]
    await harness.settle()
    await tess.press("Focal points")
    await harness.settle()
    await tess.send("Agenda attached.")
    await tess.send("Se adjunta la agenda.")
    await tess.send_document(b"%PDF-1.4 the agenda", "agenda.pdf")
    await harness.settle()
    previews = [m for m in tess.bot_messages() if m.document is not None]
    assert (previews[0].caption or "").startswith("Announcement from the Technical")
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    received = await cast["ana"].last_message()
    assert received is not None and received.document is not None
    assert received.document.data == b"%PDF-1.4 the agenda"
    assert "Se adjunta la agenda." in (received.caption or "")
    assert cast["victor"].bot_messages() == []  # a Vice-Minister, not a focal point
    async with harness.session() as session:
        document = (await session.exec(select(StoredDocument))).one()
        assert document.file_name == "agenda.pdf" and len(document.sha256) == 64
        row = (await session.exec(select(Announcement))).one()
        assert row.document_id == document.id and row.audience == "role:focal_point"


async def test_document_with_the_one_line_form_as_caption(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send_document(
        b"minutes", "minutes.pdf", caption="/announce state:MX\nEN: Minutes\nES: Acta"
    )
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    received = await cast["ana"].last_message()
    assert received is not None and received.document is not None
    assert "Acta" in (received.caption or "")


async def test_an_older_preview_cannot_send_the_newer_draft(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send(ANNOUNCE)
    first = await tess.last_message()
    assert first is not None
    await tess.send("/announce state:MX https://rcm.example.org/a\nEN: Other\nES: Otro")
    await harness.settle()
    await tess.press("Send", message_id=first.message_id)
    await harness.settle()
    answer = await tess.last_callback_answer()
    assert answer is not None and answer.show_alert, tess.transcript()
    async with harness.session() as session:
        assert (await session.exec(select(Announcement))).all() == []
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    text = (await cast["ana"].last_message()).text  # type: ignore[union-attr]
    assert "Otro" in text and "https://rcm.example.org/a" in text
    assert cast["victor"].bot_messages() == []


async def test_storm_of_429_and_5xx_loses_and_doubles_nothing(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    users = [
        (await harness.person(f"p{i}", "focal_point", "MX", lang="es" if i % 2 else "en"))[0]
        for i in range(24)
    ]
    await tess.send("/announce role:focal_point\nEN: Storm test\nES: Prueba de tormenta")
    await harness.settle()
    harness.server.faults.fail_rate(
        0.4, ["429", "5xx"], seed=7, methods=["sendMessage"], retry_after=2
    )
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    harness.server.faults.clear()
    assert harness.server.faults.injected["429"] > 0
    assert harness.server.faults.injected["500"] + harness.server.faults.injected["502"] > 0
    for i, user in enumerate(users):
        texts = [m.text for m in user.bot_messages()]
        expected = "Prueba de tormenta" if i % 2 else "Storm test"
        assert len(texts) == 1 and expected in (texts[0] or ""), user.name
    async with harness.session() as session:
        statuses = (
            await session.exec(
                select(OutboxMessage.status).where(col(OutboxMessage.broadcast_id).is_not(None))
            )
        ).all()
        assert set(statuses) == {"sent"} and len(statuses) == 24


async def test_export_lists_every_recipient(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send(ANNOUNCE)
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    await cast["ana"].press("Recibido")
    await tess.send("/export A1")
    export = await tess.last_message()
    assert export is not None and export.document is not None
    lines = export.document.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "state,name,roles,language,delivery,sent_at,acknowledged_at,error"
    assert len(lines) == 4
    ana_line = next(line for line in lines if line.startswith("MX,"))
    assert ",focal_point,es,sent," in ana_line and "-06:00" in ana_line
    await cast["ana"].send("/export A1")
    assert "No tiene permiso" in (await cast["ana"].last_message()).text  # type: ignore[union-attr]


async def test_recipient_sees_own_status(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, ana = cast["tess"], cast["ana"]
    await tess.send(ANNOUNCE)
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    await ana.send("/status")
    assert "Anuncio A1" in (await ana.last_message()).text  # type: ignore[union-attr]
    await ana.send("/status A1")
    assert "Aún no ha confirmado" in (await ana.last_message()).text  # type: ignore[union-attr]
    await cast["olga"].send("/status A1")
    assert "No existe el anuncio A1" in (await cast["olga"].last_message()).text  # type: ignore[union-attr]
