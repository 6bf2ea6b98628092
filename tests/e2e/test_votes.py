"""Votes end to end on the sandbox, in English and Spanish (SPEC 2.4)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

from sqlmodel import select

from bot import votes
from bot.models.dialogs import Draft
from bot.models.documents import StoredDocument
from bot.models.votes import Slate, Vote, VoteBallot, VoteStatus
from bot.sandbox.users import SimUser
from tests.harness import Harness

NO_OBJECTION_FORM = (
    "/vote no-objection 2026-03-07\n"
    "EN: Do you approve the 2026 work plan?\n"
    "ES: ¿Aprueba usted el plan de trabajo 2026?"
)


async def cast(harness: Harness) -> dict[str, SimUser]:
    """The TS (English), the PPT's Vice-Minister (Costa Rica, Spanish), Guatemala's
    Vice-Minister and alternate (Spanish), the United States' (English / Spanish), and a
    focal point of Mexico."""
    people = {}
    for name, roles, state, lang in [
        ("tess", "ts", None, "en"),
        ("lucia", "vice_minister", "CR", "es"),
        ("omar", "vice_minister", "GT", "es"),
        ("gala", "alternate", "GT", "es"),
        ("victor", "vice_minister", "US", "en"),
        ("alma", "alternate", "US", "es"),
        ("ana", "focal_point", "MX", "es"),
    ]:
        people[name], _ = await harness.person(name, roles, state, lang=lang)
    await people["tess"].send("/ppt CR")
    await harness.settle()
    return people


async def text_of(user: SimUser) -> str:
    message = await user.last_message()
    assert message is not None
    return message.content


async def ballots(harness: Harness) -> list[VoteBallot]:
    async with harness.session() as session:
        return list((await session.exec(select(VoteBallot))).all())


async def test_no_objection_vote_with_one_objection_in_both_languages(harness: Harness) -> None:
    p = await cast(harness)
    lucia = p["lucia"]
    await lucia.send(NO_OBJECTION_FORM)
    preview = await lucia.last_message()
    assert preview is not None
    assert preview.content.startswith("Vista previa: todavía no se ha enviado nada.")
    assert "Procedimiento de no objeción" in preview.content
    assert "7 de marzo de 2026, 23:59 (UTC-06:00)" in preview.content
    assert "Belice" in preview.content  # nobody has joined for Belize yet
    assert preview.button_labels == ["Enviar", "Hacerla secreta", "Cancelar"]
    async with harness.session() as session:
        assert (await session.exec(select(Vote))).all() == []  # nothing before Send
    await lucia.press("Enviar")
    await harness.settle()
    confirmed = lucia.state.find(preview.message_id)
    assert confirmed is not None and not confirmed.buttons
    assert confirmed.content.startswith("La votación V1 está abierta hasta el 7 de marzo de 2026")

    victor_ballot = next(m for m in p["victor"].bot_messages() if m.buttons)
    assert victor_ballot.content.startswith("Vote V1 · No-objection procedure")
    assert "Do you approve the 2026 work plan?" in victor_ballot.content
    assert victor_ballot.button_labels == ["No objection", "Object"]
    omar_ballot = next(m for m in p["omar"].bot_messages() if m.buttons)
    assert "¿Aprueba usted el plan de trabajo 2026?" in omar_ballot.content
    assert omar_ballot.button_labels == ["No objeción", "Objetar"]
    alma_ballot = next(m for m in p["alma"].bot_messages() if m.buttons)
    assert "vote solo si su Viceministro(a) no lo ha hecho" in alma_ballot.content
    assert p["ana"].bot_messages() == []  # focal points do not vote

    await p["omar"].press("Objetar")
    asked = await text_of(p["omar"])
    assert asked.startswith("Por favor escriba el motivo de la objeción")
    await p["omar"].send("El presupuesto no está aprobado por nuestro Congreso.")
    assert await text_of(p["omar"]) == "Su objeción a la votación V1 quedó registrada."
    await p["victor"].press("No objection")
    assert (await p["victor"].last_callback_answer()).text == "Vote recorded."  # type: ignore[union-attr]
    edited = p["victor"].state.find(victor_ballot.message_id)
    assert edited is not None and "Recorded: no objection" in edited.content
    # The alternates learn how their state now votes.
    assert any(
        "Omar, Viceministro(a), votó por Guatemala" in m.content for m in p["gala"].bot_messages()
    )

    await lucia.send("/status V1")
    status = await text_of(lucia)
    assert "Votaron: 2 de 11." in status
    assert "Guatemala: objeción — Omar (Viceministro(a))" in status
    assert "Todavía no: Belice, Canadá, Costa Rica" in status

    await lucia.send("/close V1")
    await harness.settle()
    assert any(
        "La votación V1 está cerrada: no aprobada." in m.content for m in lucia.bot_messages()
    )
    english = await text_of(p["victor"])
    assert english.startswith("Vote V1 closed: not approved\nDo you approve the 2026 work plan?")
    assert "1 member state objected." in english
    assert "Explicit concurrence: 1; concurrence by silence: 9." in english
    assert "Guatemala: objection — El presupuesto no está aprobado por nuestro Congreso." in english
    assert "United States: no objection" in english
    assert "No answer, so concurring by silence: Belize, Canada, Costa Rica" in english
    spanish = await text_of(p["omar"])
    assert spanish.startswith("Votación V1 cerrada: no aprobada\n¿Aprueba usted el plan")
    assert "1 Estado miembro objetó." in spanish
    assert "Conformidad expresa: 1; conformidad por silencio: 9." in spanish
    assert "Estados Unidos: no objeción" in spanish
    assert "Sin respuesta, por lo que concurren por silencio: Belice, Canadá" in spanish
    assert (await text_of(p["tess"])).startswith("Vote V1 closed: not approved")
    assert p["ana"].bot_messages() == []
    # The ballots lost their buttons.
    closed = p["victor"].state.find(victor_ballot.message_id)
    assert closed is not None and not closed.buttons and "This vote is closed" in closed.content

    results_before = len(p["victor"].bot_messages())
    await lucia.send("/close V1")
    assert "ya estaba cerrada" in await text_of(lucia)
    await harness.settle()
    assert len(p["victor"].bot_messages()) == results_before

    await p["tess"].send("/export V1")
    export = await p["tess"].last_message()
    assert export is not None and export.document is not None
    assert export.document.file_name == "vote-V1-ballots.csv"
    assert "Audit trail of vote V1: 2 ballots" in export.content
    rows = list(csv.DictReader(io.StringIO(export.document.data.decode("utf-8-sig"))))
    assert [(r["state"], r["role"], r["choice"], r["superseded"]) for r in rows] == [
        ("GT", "vice_minister", "object", "no"),
        ("US", "vice_minister", "no_objection", "no"),
    ]


async def test_guided_majority_vote_with_a_document_made_secret(harness: Harness) -> None:
    p = await cast(harness)
    tess = p["tess"]
    await tess.send("/vote")
    assert await text_of(tess) == "Which kind of vote?"
    await tess.press("Majority vote")
    assert (await text_of(tess)).startswith("Until which date may they vote?")
    await tess.send("2026-02-20")
    assert "has already passed" in await text_of(tess)
    await tess.send("20/03/2026")
    assert (await text_of(tess)).startswith("Send the question in English.")
    await tess.send("Extend the Coordinator's contract for one year?")
    assert await text_of(tess) == "Now send the question in Spanish."
    await tess.send("¿Extender el contrato de la Coordinación por un año?")
    preview = await text_of(tess)
    assert "Approved when more than half of all 11 member states vote yes (6 needed)" in preview
    assert "EN: Extend the Coordinator's contract for one year?" in preview
    assert "March 20, 2026, 23:59 (UTC-06:00)" in preview
    pdf = b"%PDF-1.4 evaluation report" * 50
    await tess.send_document(pdf, "evaluation.pdf")
    await harness.settle()
    assert any(m.content == "Document attached: evaluation.pdf." for m in tess.bot_messages())
    assert "Document: evaluation.pdf" in await text_of(tess)
    await tess.press("Make it secret")
    secret_preview = await tess.last_message()
    assert secret_preview is not None
    assert "Secret: the results will show only the counts." in secret_preview.content
    assert secret_preview.button_labels == ["Send", "Make it open", "Cancel"]
    await tess.press("Send")
    await harness.settle()
    received = p["omar"].bot_messages()
    assert received[0].document is not None and received[0].document.data == pdf
    assert received[0].caption == "Documento de la votación V1."
    assert received[1].button_labels == ["Sí", "No", "Abstención"]
    assert "Esta votación es secreta" in received[1].content
    async with harness.session() as session:
        (stored,) = (await session.exec(select(StoredDocument))).all()
        vote = (await session.exec(select(Vote))).one()
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest() and vote.document_id == stored.id
    assert vote.secret and vote.rule == "majority"
    await p["omar"].press("No")
    await p["victor"].press("Yes")
    await harness.settle()
    await p["victor"].send("/status V1")
    status = await text_of(p["victor"])
    assert "Secret vote: only who has voted is shown, not how." in status
    assert "Guatemala: voted — Omar (Vice-Minister)" in status
    assert "United States: voted — Victor (Vice-Minister)" in status
    await tess.send("/close V1")
    await harness.settle()
    result = await text_of(p["victor"])
    assert "Yes: 1 of 11 member states (6 needed). No: 1;" in result
    assert "Guatemala" not in result and "United States" not in result


async def test_document_sent_with_the_command_as_caption(harness: Harness) -> None:
    p = await cast(harness)
    await p["lucia"].send_document(b"%PDF plan", "plan-2026.pdf", caption=NO_OBJECTION_FORM)
    preview = await text_of(p["lucia"])
    assert "Documento: plan-2026.pdf" in preview
    await p["lucia"].press("Enviar")
    await harness.settle()
    first = p["victor"].bot_messages()[0]
    assert first.document is not None and first.document.file_name == "plan-2026.pdf"
    assert "The document is in the message above." in p["victor"].bot_messages()[1].content


async def test_presses_that_are_not_allowed_change_nothing(harness: Harness) -> None:
    p = await cast(harness)
    await p["lucia"].send(NO_OBJECTION_FORM)
    await harness.settle()
    await p["lucia"].press("Enviar")
    await harness.settle()
    victor, omar, ana = p["victor"], p["omar"], p["ana"]
    victor_ballot = next(m for m in victor.bot_messages() if m.buttons)
    omar_ballot = next(m for m in omar.bot_messages() if m.buttons)
    omar_data = omar_ballot.buttons[0][0].value
    assert omar_data is not None

    async def alert(user: SimUser, data: str, message_id: int) -> str:
        await user.press_data(data, message_id)
        answer = await user.last_callback_answer()
        assert answer is not None and answer.show_alert
        return answer.text or ""

    # Another state's seat, pressed by the United States' Vice-Minister.
    assert "your own member state" in await alert(victor, omar_data, victor_ballot.message_id)
    # A focal point of Mexico, forging a ballot press on a message of her own chat.
    await ana.send("/status")
    own = await ana.last_message()
    assert own is not None
    assert "No tiene permiso" in await alert(ana, omar_data, own.message_id)
    assert "not valid" in await alert(victor, "vote:1:99999:ok", victor_ballot.message_id)
    assert "not valid" in await alert(victor, "vote:1:1:zz", victor_ballot.message_id)
    assert "There is no vote V7" in await alert(victor, "vote:7:1:ok", victor_ballot.message_id)
    # Past the deadline, before the scheduler's tick closed it: the press itself is refused.
    harness.traveller.shift(timedelta(days=6))
    victor_data = victor_ballot.buttons[0][0].value
    assert victor_data is not None
    assert "passed on March 7, 2026" in await alert(victor, victor_data, victor_ballot.message_id)
    assert await ballots(harness) == []
    assert not any("Recorded" in m.content for m in victor.bot_messages())


async def test_same_state_presses_at_the_same_moment_count_once(harness: Harness) -> None:
    p = await cast(harness)
    await p["tess"].send(NO_OBJECTION_FORM.replace("no-objection", "consensus"))
    await harness.settle()
    await p["tess"].press("Send")
    await harness.settle()
    # Both press before the bot handles either: the updates are handled concurrently.
    await p["alma"].press("No")
    await p["victor"].press("Yes")
    await harness.settle()
    recorded = await ballots(harness)
    assert recorded[-1].choice == "yes" and [b.seq for b in recorded] == list(
        range(1, len(recorded) + 1)
    )
    await p["victor"].send("/status V1")
    assert "United States: yes — Victor (Vice-Minister)" in await text_of(p["victor"])


async def test_slate_moves_to_the_next_candidate_and_tells_why(harness: Harness) -> None:
    p = await cast(harness)
    tess = p["tess"]
    await tess.send("/vote slate 2026-03-07\nAna Pérez; 92\nLuis Mora; 88,5")
    preview = await text_of(tess)
    assert "1. Ana Pérez (score 92)" in preview and "2. Luis Mora (score 88.5)" in preview
    await tess.press("Send")
    await harness.settle()
    first = next(m for m in p["victor"].bot_messages() if m.buttons)
    assert (
        "Candidate 1 of 2 for Coordinator of the Technical Secretariat: Ana Pérez" in first.content
    )
    old_data = first.buttons[0][0].value
    assert old_data is not None
    await p["omar"].press("Objetar")
    await p["omar"].send("No cumple el requisito de idiomas.")
    await harness.settle()
    messages = [m.content for m in p["victor"].bot_messages()]
    why = next(m for m in messages if m.startswith("Vote V1 closed: not approved"))
    assert "Closed on March 2, 2026, 09:00 (UTC-06:00), when an objection was received." in why
    assert "Guatemala: objection — No cumple el requisito de idiomas." in why
    assert "The vote moves to candidate 2, Luis Mora (score 88.5), until March 7, 2026" in why
    assert messages[-1].startswith("Vote V2 · No-objection procedure on a candidate")
    assert "Candidate 2 of 2" in messages[-1]
    spanish = [m.content for m in p["alma"].bot_messages()]
    assert any("La votación pasa al candidato 2, Luis Mora (puntaje 88,5)" in m for m in spanish)
    # The superseded candidate's buttons are gone; a press from an old copy is refused.
    await p["victor"].press_data(old_data, first.message_id)
    answer = await p["victor"].last_callback_answer()
    assert answer is not None and "no longer under consideration" in (answer.text or "")
    await p["victor"].press("Object")
    await p["victor"].send("Same concern.")
    await harness.settle()
    assert any(
        "it ends with no candidate approved" in m.content for m in p["victor"].bot_messages()
    )
    async with harness.session() as session:
        slate = (await session.exec(select(Slate))).one()
        assert slate.status == "exhausted"
        assert len((await session.exec(select(Vote))).all()) == 2


async def test_committee_vote_named_by_username(harness: Harness) -> None:
    p = await cast(harness)
    carla, _ = await harness.person("carla", "committee", lang="es", username="carla_rcm")
    diego, _ = await harness.person("diego", "committee", username="diego_rcm")
    async with harness.session() as session:
        from bot.models.people import Person

        for person in (await session.exec(select(Person))).all():
            if person.display_name in ("Carla", "Diego"):
                person.username = person.display_name.lower() + "_rcm"
                session.add(person)
    await p["tess"].send(
        "/vote committee 2026-03-10\n@carla_rcm\n@diego_rcm\n"
        "EN: Select Luis Mora as Coordinator?\nES: ¿Seleccionar a Luis Mora como Coordinador?"
    )
    preview = await text_of(p["tess"])
    assert "Committee members: Carla, Diego" in preview
    await p["tess"].press("Send")
    await harness.settle()
    assert "Usted vota como miembro del comité de selección." in await text_of(carla)
    assert p["victor"].bot_messages() == []
    await carla.press("Sí")
    await diego.press("Yes")
    await harness.settle()
    await p["tess"].send("/close V1")
    await harness.settle()
    result = await text_of(diego)
    assert result.startswith("Vote V1 closed: approved")
    assert "Approved unanimously by the 2 committee members." in result
    assert "Carla: yes" in result


async def test_bad_vote_forms_are_refused_and_change_nothing(harness: Harness) -> None:
    p = await cast(harness)
    await p["ana"].send(NO_OBJECTION_FORM)
    assert "No tiene permiso" in await text_of(p["ana"])
    tess = p["tess"]
    for form, expected in [
        ("/vote frobnicate", "Unknown kind of vote frobnicate"),
        ("/vote majority 2026-02-30\nEN: a\nES: b", "is not a real calendar date"),
        ("/vote majority 2026-01-01\nEN: a\nES: b", "has already passed"),
        ("/vote majority 2026-03-20 loud\nEN: a\nES: b", "I did not understand loud"),
        ("/vote no-objection\nEN: only English", "needed in both languages"),
        ("/vote no-objection\nApprove?", "Write the question on lines starting with EN:"),
        ("/vote slate\nAna Pérez; ninety", "Write each candidate as name; score"),
        ("/vote slate\nAna; 80\nLuis; 90", "from the highest score to the lowest"),
        ("/vote committee\nEN: a\nES: b", "Nobody holds the committee role yet"),
        ("/vote committee\n@nobody\nEN: a\nES: b", "No registered person is @nobody"),
        (f"/vote majority\nEN: {'x' * 1501}\nES: y", "at most 1,500 characters"),
    ]:
        await tess.send(form)
        assert expected in await text_of(tess), form
    async with harness.session() as session:
        assert (await session.exec(select(Vote))).all() == []
        assert (await session.exec(select(Draft))).all() == []


async def test_cancel_at_the_preview_sends_nothing(harness: Harness) -> None:
    p = await cast(harness)
    await p["lucia"].send(NO_OBJECTION_FORM)
    await harness.settle()
    await p["lucia"].press("Cancelar")
    assert (await text_of(p["lucia"])) == "Cancelado. No se envió nada."
    await p["lucia"].send("texto suelto")
    assert "No entendí" in await text_of(p["lucia"])
    async with harness.session() as session:
        assert (await session.exec(select(Vote))).all() == []
    assert p["victor"].bot_messages() == []


async def test_the_reminder_button_shows_the_ballot_again(harness: Harness) -> None:
    p = await cast(harness)
    await p["tess"].send(NO_OBJECTION_FORM)
    await harness.settle()
    await p["tess"].press("Send")
    await harness.settle()
    kind = votes.VoteDeadline()
    async with harness.services.unit_of_work() as session:
        from bot import deadlines

        deadline = await deadlines.get(session, votes.deadline_key(1))
        assert deadline is not None
        pending = await kind.pending(harness.services, session, deadline, harness.now)
        for person in pending:
            await harness.services.outbox.to_person(
                session, person, kind.reminder(deadline, person, now=harness.now), now=harness.now
            )
    await harness.settle()
    reminder = await text_of(p["victor"])
    assert reminder.startswith("Reminder: Vote V1 (No-objection procedure) closes on March 7, 2026")
    assert "Recordatorio" in await text_of(p["gala"])
    await p["victor"].press("Show the ballot")
    again = await p["victor"].last_message()
    assert again is not None and again.button_labels == ["No objection", "Object"]
    await p["victor"].press("No objection", message_id=again.message_id)
    await harness.settle()
    # A focal point's forged "show" is refused.
    await p["ana"].send("/status")
    own = await p["ana"].last_message()
    assert own is not None
    await p["ana"].press_data("vote:1:show", own.message_id)
    answer = await p["ana"].last_callback_answer()
    assert answer is not None and answer.show_alert and "No tiene permiso" in (answer.text or "")
    await p["tess"].send("/close V1")
    await harness.settle()
    async with harness.session() as session:
        vote = (await session.exec(select(Vote))).one()
    assert vote.status == VoteStatus.CLOSED and vote.approved


async def test_guided_slate_and_committee_conversations(harness: Harness) -> None:
    p = await cast(harness)
    tess = p["tess"]
    await tess.send("/vote")
    await harness.settle()
    await tess.press("Candidate slate")
    assert (await text_of(tess)).startswith("Until which date may they vote?")
    await tess.press("In 5 calendar days")
    assert (await text_of(tess)).startswith("Send the candidates, one per line")
    await tess.send("Ana Pérez; 70\nLuis Mora; 90")
    assert "from the highest score to the lowest" in await text_of(tess)
    await tess.send("Luis Mora; 90\nAna Pérez; 70")
    preview = await text_of(tess)
    assert "1. Luis Mora (score 90)" in preview
    assert "Deadline: March 7, 2026, 23:59 (UTC-06:00)" in preview
    await tess.send("anything")
    assert "Press Send or Cancel under the preview" in await text_of(tess)
    await tess.press("Cancel")
    await harness.settle()

    carla, _ = await harness.person("carla", "committee", lang="es")
    await tess.send("/vote")
    await harness.settle()
    await tess.press("Committee vote")
    assert (await text_of(tess)).startswith("Until which date may they vote?")
    await tess.send("2026-03-10")
    assert (await text_of(tess)).startswith("Who is on the committee?")
    await tess.send("@unknown_person")
    assert "No registered person is @unknown_person" in await text_of(tess)
    await tess.press("Everyone with the committee role")
    assert (await text_of(tess)).startswith("Send the question in English.")
    await tess.send("EN: Select Luis Mora?\nES: ¿Seleccionar a Luis Mora?")
    preview = await text_of(tess)
    assert "Committee members: Carla" in preview and "ES: ¿Seleccionar a Luis Mora?" in preview
    await tess.send_document(b"x", "huge.pdf", file_size=25 * 1024 * 1024)
    assert "at most 20 MB" in await text_of(tess)
    await tess.press("Send")
    await harness.settle()
    assert "¿Seleccionar a Luis Mora?" in await text_of(carla)
    # /status with no id lists the open vote: the TS sees the count, the member their turn.
    await tess.send("/status")
    assert "V1 (Committee vote): 0 of 1 voted, open until March 10, 2026" in await text_of(tess)
    await carla.send("/status")
    assert "V1: se espera su voto hasta el 10 de marzo de 2026" in await text_of(carla)
    await p["victor"].send("/status V1")
    assert "You do not take part in vote V1." in await text_of(p["victor"])
