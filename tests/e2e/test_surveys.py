"""Surveys end to end on the sandbox: opening, answering in Spanish and English (with going
back and revising), refusals that change nothing, results with a chart and an export in the
reader's language, and the guided construction of a survey."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from PIL import Image
from sqlmodel import func, select

from bot import people, survey_store, surveys
from bot.models.deadlines import Deadline
from bot.models.dialogs import Draft
from bot.models.outbox import OutboxMessage
from bot.models.people import Person
from bot.models.surveys import (
    QuestionKind,
    Survey,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveySubmission,
)
from bot.rollover import KIND as ROLLOVER_KIND
from bot.sandbox.models import ChatMessage
from bot.sandbox.users import SimUser
from tests.harness import Harness

STATE_NAMES = [
    "Mexico", "México", "United States", "Estados Unidos", "Guatemala", "Costa Rica",
    "Panama", "Panamá", "Honduras", "Belize", "Belice", "Canada", "Canadá",
]  # fmt: skip
LABELS = {
    "en": {"answer": "Answer for my state", "submit": "Submit", "skip": "Skip"},
    "es": {"answer": "Responder por mi país", "submit": "Enviar", "skip": "Omitir"},
}


async def _press(user: SimUser, label: str, *, message_id: int | None = None) -> None:
    """Press, and let the bot answer before anything else happens (the next press looks for
    the newest buttons)."""
    await user.press(label, message_id=message_id)
    await user.server.settle()


async def _say(user: SimUser, text: str) -> None:
    await user.send(text)
    await user.server.settle()


async def _text(user: SimUser) -> str:
    message = await user.last_message()
    assert message is not None
    return message.content


async def _open(harness: Harness, tess: SimUser, date: str = "2026-03-20") -> None:
    await tess.send(f"/survey coordinator {date}")
    assert "Preview" in await _text(tess)
    await _press(tess, "Send")
    assert "is open until March 20, 2026, 23:59 (UTC-06:00)" in await _text(tess)
    await harness.settle()


async def _answer(
    harness: Harness, user: SimUser, lang: str, ratings: list[int], text: str | None
) -> None:
    labels = LABELS[lang]
    await _press(user, labels["answer"])
    for rating in ratings:
        await _press(user, str(rating))
    if text is None:
        await _press(user, labels["skip"])
    else:
        await user.send(text)
    await harness.settle()
    await _press(user, labels["submit"])
    await harness.settle()


async def _submit(harness: Harness, user: SimUser, ratings: list[int], text: str | None) -> None:
    """A state's answers through the service, where answering by buttons is not the point."""
    async with harness.services.unit_of_work() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == user.id))).one()
        actor = await people.actor_for(session, person, harness.now, harness.services.clock.tz)
        questions = await survey_store.questions_of(session, 1)
        answers: dict[int, int | str | None] = {q.id: r for q, r in zip(questions, ratings)}  # noqa: B905
        answers[questions[-1].id] = text
        await surveys.submit(
            harness.services, session, 1, actor, answers, revision=None, now=harness.now
        )
    await harness.settle()


async def _count(harness: Harness, model: type) -> int:
    async with harness.session() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def _cast(harness: Harness) -> dict[str, SimUser]:
    tess, _ = await harness.person("tess", "ts")
    cora, _ = await harness.person("cora", "coordinator")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    miguel, _ = await harness.person("miguel", "vice_minister", "MX", lang="en")
    victor, _ = await harness.person("victor", "vice_minister", "US")
    lucia, _ = await harness.person("lucia", "vice_minister", "CR", lang="es")
    olga, _ = await harness.person("olga", "observer", organisation="IOM")
    await tess.send("/ppt CR")
    await harness.settle()
    return {
        "tess": tess, "cora": cora, "ana": ana, "miguel": miguel, "victor": victor,
        "lucia": lucia, "olga": olga,
    }  # fmt: skip


def _since(user: SimUser, count: int) -> list[ChatMessage]:
    return user.bot_messages()[count:]


def _png_description(message: ChatMessage) -> str:
    assert message.photo is not None
    data = message.photo.data
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return str(image.info["Description"])


def _workbook_text(message: ChatMessage) -> tuple[list[object], str]:
    assert message.document is not None and message.document.file_name is not None
    assert message.document.file_name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(message.document.data))
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    return header, " ".join(str(v) for row in rows for v in row if v is not None)


async def test_two_states_answer_in_spanish_and_english_and_the_results_reach_ts_and_ppt(
    harness: Harness,
) -> None:
    people = await _cast(harness)
    tess, ana, miguel, victor, lucia, cora = (
        people[n] for n in ("tess", "ana", "miguel", "victor", "lucia", "cora")
    )
    await _open(harness, tess)
    invitation = await _text(ana)
    assert "Encuesta S1: Desempeño de la Coordinación de la Secretaría Técnica" in invitation
    assert "5 preguntas" in invitation and "anónimas" in invitation
    assert "Survey S1: Performance of the Coordinator" in await _text(victor)
    assert people["olga"].bot_messages() == [] and cora.bot_messages() == []

    # Ana answers for Mexico in Spanish, goes back to change her first answer, then submits.
    await _press(ana, "Responder por mi país")
    question = await _text(ana)
    assert "usted responde por México" in question and "Pregunta 1 de 5" in question
    await _press(ana, "2")
    assert "Pregunta 2 de 5" in await _text(ana)
    await _press(ana, "« Atrás")
    question = await _text(ana)
    assert "Pregunta 1 de 5" in question and "Respuesta actual: 2" in question
    await _press(ana, "4")
    for rating in ("5", "4", "3"):
        await _press(ana, rating)
    assert "Escriba su respuesta" in await _text(ana)
    await ana.send("Excelente apoyo a la PPT; los informes podrían llegar antes.")
    summary = await _text(ana)
    assert "Respuestas de su país" in summary and "— 4\n2." in summary
    assert "los informes podrían llegar antes" in summary
    await _press(ana, "Enviar")
    assert "Las respuestas de México" in await _text(ana)
    assert (await ana.last_callback_answer()).text == "Enviado. Muchas gracias."  # type: ignore[union-attr]
    # Mexico's other person is told it is done, in his language.
    assert "Ana has submitted the answers of Mexico" in await _text(miguel)

    # Victor answers for the United States in English and leaves the written answer empty.
    await _answer(harness, victor, "en", [3, 2, 3, 2], None)
    assert "The answers of United States" in await _text(victor)

    await tess.send("/status S1")
    status = await _text(tess)
    assert "Member states that have answered: 2 of 11." in status
    assert "shown to no one" in status
    assert not any(name in status for name in STATE_NAMES)

    counts = {name: len(user.bot_messages()) for name, user in people.items()}
    await tess.send("/close S1")
    await harness.settle()
    async with harness.session() as session:
        assert (await session.exec(select(SurveySubmission))).all() == []
        survey = await session.get(Survey, 1)
        assert survey is not None and survey.status == SurveyStatus.CLOSED
    assert await _count(harness, SurveyResponse) == 2

    # The TS (English): message, chart, CSV and XLSX.
    received = _since(tess, counts["tess"])
    results = next(m.content for m in received if m.content.startswith("Results of survey S1"))
    assert "Member states that have answered: 2 of 11." in results
    assert "Mean 3.5 of 5 · 2 answers" in results  # question 1: 4 and 3
    assert "» Excelente apoyo a la PPT" in results
    assert "Fewer than 3 states answered" in results
    assert not any(name in results for name in STATE_NAMES if name != "México")
    photos = [m for m in received if m.photo is not None]
    assert len(photos) == 1 and "Number of member states" in _png_description(photos[0])
    files = sorted(m.document.file_name for m in received if m.document)  # type: ignore[misc,union-attr]
    assert files == ["S1-responses-en.csv", "S1-responses-en.xlsx"]
    assert any("Survey S1 is closed." in m.content for m in received)

    # The PPT (Spanish): the same, in Spanish; the chart's labels are Spanish.
    received = _since(lucia, counts["lucia"])
    assert any(m.content.startswith("Resultados de la encuesta S1") for m in received)
    (photo,) = [m for m in received if m.photo is not None]
    description = _png_description(photo)
    assert "Número de países miembros" in description
    assert "1. Gestión de la Secretaría" in description
    assert "Number of member states" not in description
    (sheet,) = [m for m in received if m.document and m.document.file_name.endswith(".xlsx")]  # type: ignore[union-attr]
    header, everything = _workbook_text(sheet)
    assert header[0] == "Respuesta" and str(header[1]).startswith("1. Gestión")
    assert not any(name in everything for name in STATE_NAMES)

    # The Coordinator: aggregate only, no export.
    received = _since(cora, counts["cora"])
    assert any(m.content.startswith("Results of survey S1") for m in received)
    assert [m.photo is not None for m in received if m.photo or m.document] == [True]

    # States get nothing more; every message that showed answers is blanked in the database.
    assert len(ana.bot_messages()) == counts["ana"]
    async with harness.session() as session:
        rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.ref == "survey:1:answer"))
        ).all()
        assert rows and all("Excelente apoyo" not in str(r.body) for r in rows)


async def test_refusals_are_clear_and_change_nothing(harness: Harness) -> None:
    people = await _cast(harness)
    tess, ana, miguel, victor = (people[n] for n in ("tess", "ana", "miguel", "victor"))
    await _open(harness, tess)

    await _press(ana, "Responder por mi país")
    question = await ana.last_message()
    assert question is not None
    async with harness.session() as session:
        before = (await session.get(Draft, 3)).data  # type: ignore[union-attr]
    # A forged rating button, a typed rating out of range, an over-long text answer.
    await ana.press_data("dlg:survey_answer:1:0:r7", question.message_id)
    assert "número entero del 1 al 5" in (await ana.last_callback_answer()).text  # type: ignore[operator,union-attr]
    await ana.send("7")
    assert "número entero del 1 al 5" in await _text(ana)
    for rating in ("4", "4", "4", "4"):
        await _press(ana, rating)
    await ana.send("x" * 1001)
    assert "como máximo 1.000 caracteres; la suya tiene 1.001" in await _text(ana)
    async with harness.session() as session:
        draft = await session.get(Draft, 3)
        assert draft is not None and draft.data["answers"] == [4, 4, 4, 4, None]
        assert before["answers"] == [None] * 5
    # A button of an earlier question does nothing.
    await ana.press_data("dlg:survey_answer:1:0:r1", question.message_id)
    assert (await ana.last_callback_answer()).text == "Ese botón ya no está activo."  # type: ignore[union-attr]
    await _press(ana, "Omitir")
    await _press(ana, "Enviar")

    # Miguel (Mexico too) cannot answer again for his state.
    await _press(miguel, "Answer for my state")
    assert "already answered survey S1" in (await miguel.last_callback_answer()).text  # type: ignore[operator,union-attr]
    await miguel.send("/survey S1")
    assert "already answered survey S1" in await _text(miguel)
    # An observer and a focal point cannot open surveys; an observer cannot see one.
    await people["olga"].send("/status S1")
    assert "Surveys are for the member states" in await _text(people["olga"])
    await ana.send("/survey coordinator 2026-04-01")
    assert "No tiene permiso" in await _text(ana)

    # After the deadline (not yet closed by the scheduler) nobody can answer.
    # Past the deadline, before the scheduler's tick closed it: the answer itself is refused.
    harness.traveller.shift(timedelta(days=19))
    await _press(victor, "Answer for my state")
    answer = (await victor.last_callback_answer()).text  # type: ignore[union-attr]
    assert answer is not None and "The deadline of survey S1 passed on March 20, 2026" in answer
    assert await _count(harness, SurveySubmission) == 1
    assert await _count(harness, Survey) == 1


async def test_a_state_revises_its_answers_until_the_deadline(harness: Harness) -> None:
    people = await _cast(harness)
    tess, ana, miguel = people["tess"], people["ana"], people["miguel"]
    await _open(harness, tess)
    await _submit(harness, ana, [2, 2, 2, 2], "Primera versión")
    # Ana starts a revision from /survey, Miguel revises from his notice meanwhile.
    await ana.send("/survey")
    assert "su país ya respondió; puede revisar hasta el 20 de marzo" in await _text(ana)
    await _press(ana, "S1: revisar las respuestas")
    assert "Respuestas de su país" in await _text(ana)
    await _press(miguel, "Revise the answers")
    summary = await _text(miguel)
    assert "— 2\n2." in summary and "Primera versión" in summary
    await _press(miguel, "3")  # change answer 3
    assert "Current answer: 2" in await _text(miguel)
    await _press(miguel, "5")
    assert "Your state's answers" in await _text(miguel)
    await _press(miguel, "Submit")
    assert "The answers of Mexico" in await _text(miguel)
    assert "Miguel revisó las respuestas de México" in await _text(ana)
    # Ana's revision started from the old version: refused, nothing changed.
    await _press(ana, "Enviar", message_id=ana.bot_messages()[-2].message_id)
    assert "cambió las respuestas de su país" in (await ana.last_callback_answer()).text  # type: ignore[operator,union-attr]
    async with harness.session() as session:
        (row,) = (await session.exec(select(SurveySubmission))).all()
        assert row.revision == 2
        assert sorted(v for v in row.answers.values() if isinstance(v, int)) == [2, 2, 2, 5]


async def test_results_on_request_once_three_states_answered(harness: Harness) -> None:
    people = await _cast(harness)
    tess, cora = people["tess"], people["cora"]
    gabriela, _ = await harness.person("gabriela", "focal_point", "GT", lang="es")
    await _open(harness, tess)
    await _submit(harness, people["ana"], [5, 5, 5, 5], None)
    await _submit(harness, people["victor"], [4, 4, 4, 4], "Steady work")
    await cora.send("/status S1")
    status = await cora.last_message()
    assert status is not None and "at least 3 states" in status.content
    assert status.button_labels == []
    await cora.press_data("srv:1:results", status.message_id)
    assert "at least 3 states have answered" in (await cora.last_callback_answer()).text  # type: ignore[operator,union-attr]
    await tess.send("/export S1")
    assert "at least 3 states have answered" in await _text(tess)

    await _submit(harness, gabriela, [3, 3, 3, 3], None)
    await cora.send("/status S1")
    assert (await cora.last_message()).button_labels == ["Show the results"]  # type: ignore[union-attr]
    before = len(cora.bot_messages())
    await _press(cora, "Show the results")
    await harness.settle()
    received = _since(cora, before)
    assert received[0].content.startswith("Results of survey S1")
    assert "Results so far: the survey is open until" in received[0].content
    assert "Mean 4 of 5 · 3 answers" in received[0].content
    assert [m.photo is not None for m in received] == [False, True]
    await cora.send("/export S1")
    assert "not allowed" in await _text(cora)

    await tess.send("/export S1")
    await harness.settle()
    names = {m.document.file_name: m for m in tess.bot_messages()[-2:] if m.document}
    assert sorted(names) == ["S1-responses-en.csv", "S1-responses-en.xlsx"]
    header, everything = _workbook_text(names["S1-responses-en.xlsx"])
    assert header[0] == "Response" and "Steady work" in everything
    assert not any(name in everything for name in STATE_NAMES)


async def test_a_custom_survey_built_step_by_step(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    ana, _ = await harness.person("ana", "focal_point", "MX")
    await _say(tess, "/survey")
    assert "¿Qué encuesta?" in await _text(tess)
    await _press(tess, "Una encuesta nueva")
    await _say(tess, "EN: Working groups 2026")
    assert "se necesita en ambos idiomas" in await _text(tess)
    await _say(tess, "EN: Working groups 2026\nES: Grupos de trabajo 2026")
    assert "Envíe la pregunta 1" in await _text(tess)
    await _say(tess, "EN: Were the meetings useful?\nES: ¿Fueron útiles las reuniones?")
    await _press(tess, "Calificación del 1 al 5")
    await _say(tess, "EN: Useless, Very useful\nES: Inútiles | Muy útiles")
    assert "barra vertical" in await _text(tess)
    await _say(tess, "EN: Useless | Very useful\nES: Inútiles | Muy útiles")
    assert "La encuesta hasta ahora" in tess.bot_messages()[-1].content
    await _press(tess, "Agregar una pregunta")
    await _say(tess, "EN: What should change?\nES: ¿Qué debería cambiar?")
    await _press(tess, "Texto libre")
    await _press(tess, "Usar estas preguntas")
    assert "¿Hasta cuándo pueden responder" in await _text(tess)
    await _say(tess, "2026-02-01")
    assert "ya pasó" in await _text(tess)
    await _say(tess, "15/04/2026")
    preview = await _text(tess)
    assert "Vista previa" in preview and "15 de abril de 2026, 23:59 (UTC-06:00)" in preview
    assert "Calificación: 1 = Useless / Inútiles … 5 = Very useful / Muy útiles" in preview
    assert await _count(harness, Survey) == 0  # nothing before Send
    await _press(tess, "Enviar")
    assert "Survey S1: Working groups 2026" in await _text(ana)
    async with harness.session() as session:
        (survey,) = (await session.exec(select(Survey))).all()
        assert survey.template is None and survey.title_es == "Grupos de trabajo 2026"
        questions = (await session.exec(select(SurveyQuestion))).all()
        assert [(q.kind, q.low_es, q.high_en) for q in questions] == [
            (QuestionKind.RATING, "Inútiles", "Very useful"),
            (QuestionKind.TEXT, None, None),
        ]
        deadline = (
            await session.exec(select(Deadline).where(Deadline.kind != ROLLOVER_KIND))
        ).one()
        assert deadline.kind == "survey" and deadline.ref == "survey:1"


async def test_the_template_edited_before_sending(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await _say(tess, "/survey")
    assert "Which survey?" in await _text(tess)
    await _press(tess, "Coordinator's performance (ready-made)")
    await _press(tess, "Edit a question")
    await _press(tess, "2")
    await _say(tess, "EN: Is the support to the PPT useful?\nES: ¿Es útil el apoyo a la PPT?")
    await _press(tess, "Free text")
    await _press(tess, "Remove a question")
    await _press(tess, "1")
    listing = await _text(tess)
    assert "1. EN: Is the support to the PPT useful?" in listing
    await _press(tess, "Use these questions")
    await _press(tess, "March 16, 2026")  # the default: two weeks
    assert "March 16, 2026, 23:59 (UTC-06:00)" in await _text(tess)
    await _press(tess, "Send")
    async with harness.session() as session:
        questions = (await session.exec(select(SurveyQuestion))).all()
        assert [q.kind for q in questions] == ["text", "rating", "rating", "text"]
        (survey,) = (await session.exec(select(Survey))).all()
        assert survey.template is None  # edited: no longer the ready-made survey


async def test_the_scheduler_closes_through_the_deadline_kind(harness: Harness) -> None:
    people = await _cast(harness)
    await _open(harness, people["tess"])
    await _submit(harness, people["victor"], [4, 4, 5, 5], None)
    kind = harness.services.deadline_kinds["survey"]
    before = len(people["lucia"].bot_messages())
    for _ in range(2):  # a second run (after a crash) sends nothing again
        async with harness.services.unit_of_work() as session:
            deadline = (
                await session.exec(select(Deadline).where(Deadline.kind != ROLLOVER_KIND))
            ).one()
            await kind.on_due(harness.services, session, deadline, harness.now)
        await harness.settle()
    received = _since(people["lucia"], before)
    assert [bool(m.photo) for m in received if m.photo or m.document] == [True, False, False]
    assert received[0].content.startswith("Resultados de la encuesta S1")
    async with harness.session() as session:
        survey = await session.get(Survey, 1)
        assert survey is not None and survey.status == SurveyStatus.CLOSED
    await _press(people["ana"], "Responder por mi país")
    assert "ya no se aceptan respuestas" in (await people["ana"].last_callback_answer()).text  # type: ignore[operator,union-attr]


async def test_opened_on_a_schedule(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    async with harness.services.unit_of_work() as session:
        await surveys.open_from_template(
            harness.services,
            session,
            opened_by=None,
            deadline=harness.now + timedelta(days=20),
            now=harness.now,
            origin="contract:1:year-1",
        )
    await harness.settle()
    assert "se abrió automáticamente" in await _text(tess)
    assert (await ana.last_message()).button_labels == ["Responder por mi país"]  # type: ignore[union-attr]
    await ana.send("/status")
    assert "Encuesta S1" in await _text(ana) and "todavía no ha respondido" in await _text(ana)
    async with harness.session() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == ana.id))).one()
        assert person.state_id is not None
