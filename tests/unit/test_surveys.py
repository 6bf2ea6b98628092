"""The survey service over a real database: opening (also on a schedule), submitting and
revising, the minimum before results, closing (what the database forgets, idempotently) and
the deadline kind the scheduler calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import deadlines, people, survey_reports, survey_store, surveys
from bot.config import Settings
from bot.db import Database
from bot.errors import InputError, PermissionDenied
from bot.models.audit import AuditEntry
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.dialogs import Draft
from bot.models.outbox import OutboxMessage
from bot.models.people import Person, Presidency
from bot.models.surveys import (
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyStatus,
    SurveySubmission,
)
from bot.outbox import Content
from bot.permissions import Actor
from bot.roles import parse_roles
from bot.services import Services
from bot.states import by_code
from bot.text import Tr, from_json

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=10)


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Services:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=db.url,
        DOCUMENTS_DIR=str(tmp_path / "documents"),
    )
    return Services.create(settings, db=db)


class Cast:
    """People of several states, and their actors."""

    def __init__(self) -> None:
        self.persons: dict[str, Person] = {}
        self.actors: dict[str, Actor] = {}
        self._next_id = 100

    async def add(
        self, session: AsyncSession, name: str, roles: str, state: str | None = None
    ) -> Actor:
        self._next_id += 1
        state_row = await by_code(session, state) if state else None
        person = await people.add_person(
            session,
            roles=parse_roles(roles),
            now=NOW,
            telegram_id=self._next_id,
            state=state_row,
            display_name=name.title(),
        )
        self.persons[name] = person
        self.actors[name] = await people.actor_for(session, person, NOW, UTC)  # type: ignore[arg-type]
        return self.actors[name]


@pytest.fixture
async def cast(db: Database) -> Cast:
    people_ = Cast()
    async with db.transaction() as session:
        costa_rica = await by_code(session, "CR")
        assert costa_rica.id is not None
        session.add(Presidency(term_year=2025, state_id=costa_rica.id, set_at=NOW))
        await session.flush()
        for name, roles, state in [
            ("tess", "ts", None),
            ("cora", "coordinator", None),
            ("ana", "focal_point", "MX"),
            ("miguel", "vice_minister", "MX"),
            ("victor", "vice_minister", "US"),
            ("gabriela", "focal_point", "GT"),
            ("lucia", "vice_minister", "CR"),
            ("olga", "observer", None),
        ]:
            await people_.add(session, name, roles, state)
    return people_


async def _open(services: Services, cast: Cast, *, by: str | None = "tess") -> int:
    async with services.db.transaction() as session:
        survey = await surveys.open_from_template(
            services,
            session,
            opened_by=cast.actors[by] if by else None,
            deadline=DEADLINE,
            now=NOW,
            origin=None if by else "contract:1:year-1",
        )
        assert survey.id is not None
        return survey.id


async def _answer(
    services: Services, cast: Cast, survey_id: int, name: str, ratings: list[int], text: str | None
) -> None:
    async with services.db.transaction() as session:
        questions = await survey_store.questions_of(session, survey_id)
        answers: dict[int, int | str | None] = {q.id: r for q, r in zip(questions, ratings)}  # noqa: B905
        answers[questions[-1].id] = text
        await surveys.submit(
            services, session, survey_id, cast.actors[name], answers, revision=None, now=NOW
        )


async def _with_ref(session: AsyncSession, ref: str) -> list[OutboxMessage]:
    rows = await session.exec(select(OutboxMessage).where(OutboxMessage.ref == ref))
    return list(rows.all())


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)  # type: ignore[arg-type]
    return int((await session.exec(query)).one())


async def test_opening_on_a_schedule_asks_every_state_and_tells_the_ts(
    services: Services, cast: Cast
) -> None:
    survey_id = await _open(services, cast, by=None)
    async with services.db.transaction() as session:
        survey = await session.get(Survey, survey_id)
        assert survey is not None and survey.opened_by_id is None
        assert survey.origin == "contract:1:year-1" and survey.template == "coordinator"
        assert survey.states_asked == 11 and survey.min_responses == 3
        assert len(await survey_store.questions_of(session, survey_id)) == 5
        deadline = await deadlines.get(session, survey_store.deadline_key(survey_id))
        assert deadline is not None and deadline.kind == "survey" and deadline.due_at == DEADLINE
        rows = (await session.exec(select(OutboxMessage))).all()
        asked = {r.person_id for r in rows if r.ref == survey_store.ref(survey_id) and r.buttons}
        names = {n for n, p in cast.persons.items() if p.id in asked}
        assert names == {"ana", "miguel", "victor", "gabriela", "lucia"}
        told = [r for r in rows if r.person_id == cast.persons["tess"].id]
        assert len(told) == 1 and "opened automatically" in str(told[0].body)
        audit = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "survey.open"))
        ).one()
        assert audit.actor_id is None and audit.details["origin"] == "contract:1:year-1"


async def test_only_the_ts_or_ppt_opens_and_nothing_is_stored_otherwise(
    services: Services, cast: Cast
) -> None:
    for name in ("ana", "cora", "olga"):
        with pytest.raises(PermissionDenied):
            await _open(services, cast, by=name)
    await _open(services, cast, by="lucia")  # the PPT's Vice-Minister
    async with services.db.transaction() as session:
        assert await _count(session, Survey) == 1


async def test_a_deadline_in_the_past_is_refused(services: Services, cast: Cast) -> None:
    async with services.db.transaction() as session:
        with pytest.raises(InputError):
            await surveys.open_from_template(
                services, session, opened_by=cast.actors["tess"], deadline=NOW, now=NOW
            )
        assert await _count(session, Survey) == 0


async def test_one_answer_per_state_and_revisions_must_start_from_the_latest(
    services: Services, cast: Cast
) -> None:
    survey_id = await _open(services, cast)
    await _answer(services, cast, survey_id, "ana", [4, 4, 4, 4], "Good")
    # Miguel (same state) started before Ana submitted: his first answers are refused.
    with pytest.raises(InputError, match="already answered"):
        await _answer(services, cast, survey_id, "miguel", [1, 1, 1, 1], None)
    async with services.db.transaction() as session:
        sheet = await surveys.start_answering(
            session, survey_id, cast.actors["miguel"], NOW, revise=True
        )
        assert sheet.revision == 1 and list(sheet.answers.values()) == [4, 4, 4, 4, "Good"]
        with pytest.raises(InputError, match="already answered"):
            await surveys.start_answering(
                session, survey_id, cast.actors["miguel"], NOW, revise=False
            )
    async with services.db.transaction() as session:
        revised = {q: (2 if isinstance(a, int) else a) for q, a in sheet.answers.items()}
        await surveys.submit(
            services, session, survey_id, cast.actors["miguel"], revised, revision=1, now=NOW
        )
    async with services.db.transaction() as session:
        with pytest.raises(InputError, match="changed by another person"):
            await surveys.submit(
                services, session, survey_id, cast.actors["ana"], revised, revision=1, now=NOW
            )
    async with services.db.transaction() as session:
        rows = (await session.exec(select(SurveySubmission))).all()
        assert len(rows) == 1 and rows[0].revision == 2
        assert sorted(v for v in rows[0].answers.values() if isinstance(v, int)) == [2, 2, 2, 2]
        # Ana was told when Miguel revised; nobody outside Mexico was.
        notices = await _with_ref(session, survey_store.answer_ref(survey_id))
        assert {n.person_id for n in notices} == {
            cast.persons["ana"].id,
            cast.persons["miguel"].id,
        }


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([6, 4, 4, 4], "whole number from 1 to 5"),
        ([0, 4, 4, 4], "whole number from 1 to 5"),
        ([4, 4, 4], "has no answer yet"),
    ],
)
async def test_bad_answers_change_nothing(
    services: Services, cast: Cast, answers: list[int], message: str
) -> None:
    survey_id = await _open(services, cast)
    with pytest.raises(InputError, match=message):
        await _answer(services, cast, survey_id, "ana", answers, None)
    with pytest.raises(InputError, match="An answer may have at most"):
        await _answer(services, cast, survey_id, "ana", [4, 4, 4, 4], "x" * 1001)
    async with services.db.transaction() as session:
        assert await _count(session, SurveySubmission) == 0


async def test_answers_after_the_deadline_are_refused(services: Services, cast: Cast) -> None:
    survey_id = await _open(services, cast)
    async with services.db.transaction() as session:
        questions = await survey_store.questions_of(session, survey_id)
        answers = {q.id: 3 for q in questions[:4]}
        with pytest.raises(InputError, match="The deadline of survey"):
            await surveys.submit(
                services,
                session,
                survey_id,
                cast.actors["ana"],
                answers,
                revision=None,
                now=DEADLINE,
            )
        with pytest.raises(PermissionDenied):  # an observer never answers
            await surveys.start_answering(
                session, survey_id, cast.actors["olga"], NOW, revise=False
            )
        assert await _count(session, SurveySubmission) == 0


async def test_results_on_request_wait_for_the_minimum(services: Services, cast: Cast) -> None:
    survey_id = await _open(services, cast)
    await _answer(services, cast, survey_id, "ana", [5, 5, 5, 5], None)
    await _answer(services, cast, survey_id, "victor", [3, 3, 3, 3], "More reports")
    async with services.db.transaction() as session:
        before = await _count(session, OutboxMessage)
        with pytest.raises(InputError, match="Results are shown once at least"):
            await survey_reports.send_results(
                services, session, survey_id, cast.actors["tess"], NOW
            )
        with pytest.raises(InputError, match="Results are shown once at least"):
            await survey_reports.export(services, session, survey_id, cast.actors["tess"], NOW)
        assert await _count(session, OutboxMessage) == before
        progress = await surveys.progress(session, survey_id, cast.actors["cora"])
        assert progress.answered == 2 and not progress.results_ready
        assert progress.own_state_answered is None
    await _answer(services, cast, survey_id, "gabriela", [4, 4, 4, 4], None)
    async with services.db.transaction() as session:
        results = await survey_reports.send_results(
            services, session, survey_id, cast.actors["cora"], NOW
        )
        assert results.responses == 3 and results.questions[0].mean == 4.0
        sent = await _with_ref(session, survey_store.results_ref(survey_id))
        # The Coordinator gets the message and the chart, never a row-level export.
        assert {r.person_id for r in sent} == {cast.persons["cora"].id}
        assert [r.as_photo for r in sent if r.document_id] == [True]
        with pytest.raises(PermissionDenied):
            await survey_reports.export(services, session, survey_id, cast.actors["cora"], NOW)


async def test_closing_forgets_who_answered_what_and_runs_once(
    services: Services, cast: Cast, db: Database
) -> None:
    survey_id = await _open(services, cast)
    await _answer(services, cast, survey_id, "victor", [3, 3, 3, 3], "More reports")
    await _answer(services, cast, survey_id, "ana", [5, 4, 5, 4], "Excellent year")
    async with services.db.transaction() as session:
        # A message that showed Ana her answers, and a draft someone left half-way.
        await services.outbox.to_person(
            session,
            cast.persons["ana"],
            Content(Tr("Your answer: {answer}", answer="5")),
            now=NOW,
            ref=survey_store.answer_ref(survey_id),
        )
        assert cast.persons["gabriela"].id is not None
        session.add(
            Draft(
                person_id=cast.persons["gabriela"].id,
                dialog=survey_store.ANSWER_DIALOG,
                step="question",
                data={"survey": survey_id, "answers": [2, None, None, None, None]},
                updated_at=NOW,
            )
        )
    async with services.db.transaction() as session:
        results = await surveys.close_survey(
            services, session, survey_id, now=NOW + timedelta(days=1), closed_by=None
        )
    assert results.responses == 2 and results.closed
    async with services.db.transaction() as session:
        assert await _count(session, SurveySubmission) == 0
        assert await _count(session, Draft) == 0
        numbered = (
            await session.exec(select(SurveyResponse).order_by(col(SurveyResponse.number)))
        ).all()
        assert [r.number for r in numbered] == [1, 2]
        first = (
            await session.exec(
                select(SurveyAnswer.rating).where(SurveyAnswer.response_id == numbered[0].id)
            )
        ).all()
        assert 3 in first  # rows ordered by their answers, not by who submitted first
        shown = await _with_ref(session, survey_store.answer_ref(survey_id))
        assert shown and all(from_json(r.body) == from_json(surveys.SCRUBBED) for r in shown)
        assert all(r.buttons is None for r in shown)
        survey = await session.get(Survey, survey_id)
        assert survey is not None and survey.status == SurveyStatus.CLOSED
        assert survey.response_count == 2
        deadline = (await session.exec(select(Deadline))).one()
        assert deadline.status == DeadlineStatus.DONE
        readers = await _with_ref(session, survey_store.results_ref(survey_id))
        by_person: dict[int | None, list[OutboxMessage]] = {}
        for row in readers:
            by_person.setdefault(row.person_id, []).append(row)
        ts, ppt, coordinator = (cast.persons[n].id for n in ("tess", "lucia", "cora"))
        assert set(by_person) == {ts, ppt, coordinator}
        # Chart, CSV and XLSX for the TS and the PPT; only the chart for the Coordinator.
        assert [r.as_photo for r in by_person[ts] if r.document_id] == [True, False, False]
        assert [r.as_photo for r in by_person[coordinator] if r.document_id] == [True]
        total = await _count(session, OutboxMessage)
    async with services.db.transaction() as session:
        again = await surveys.close_survey(services, session, survey_id, now=NOW, closed_by=None)
        assert again.questions == results.questions and again.responses == 2
        assert await _count(session, OutboxMessage) == total
        with pytest.raises(InputError, match="already closed"):
            await surveys.close_now(services, session, survey_id, cast.actors["tess"], NOW)
        # After closing, the final results can be read again, whatever their number.
        assert (
            await survey_reports.send_results(
                services, session, survey_id, cast.actors["lucia"], NOW
            )
        ).closed


async def test_closing_with_no_answer_says_so(services: Services, cast: Cast) -> None:
    survey_id = await _open(services, cast)
    async with services.db.transaction() as session:
        with pytest.raises(PermissionDenied):
            await surveys.close_now(services, session, survey_id, cast.actors["ana"], NOW)
    async with services.db.transaction() as session:
        results = await surveys.close_now(services, session, survey_id, cast.actors["tess"], NOW)
        assert results.responses == 0
        rows = await _with_ref(session, survey_store.results_ref(survey_id))
        assert rows and all("No state answered" in str(r.body) for r in rows)
        assert not any(r.document_id for r in rows)


async def test_the_deadline_kind_reminds_states_that_have_not_answered_and_closes(
    services: Services, cast: Cast
) -> None:
    survey_id = await _open(services, cast)
    await _answer(services, cast, survey_id, "ana", [4, 4, 4, 4], None)
    kind = surveys.SURVEY_DEADLINE
    assert kind.kind == "survey"
    async with services.db.transaction() as session:
        deadline = await deadlines.get(session, survey_store.deadline_key(survey_id))
        assert deadline is not None
        pending = await kind.pending(services, session, deadline, NOW)
        # Mexico answered: neither Ana nor Miguel is reminded.
        assert {p.display_name for p in pending} == {"Victor", "Gabriela", "Lucia"}
        reminder = kind.reminder(deadline, cast.persons["victor"], now=NOW)
        text = services.outbox.renderer("es").html(reminder.body)
        assert "Recordatorio" in text and "Encuesta S1" in text and "(UTC-06:00)" in text
        assert reminder.buttons is not None
        assert reminder.buttons[0][0].data == f"srv:{survey_id}:answer"
        await kind.on_due(services, session, deadline, DEADLINE)
    async with services.db.transaction() as session:
        deadline = await deadlines.get(session, survey_store.deadline_key(survey_id))
        assert deadline is not None
        sent = await _count(session, OutboxMessage)
        await kind.on_due(services, session, deadline, DEADLINE)  # a repeat after a crash
        assert await _count(session, OutboxMessage) == sent
        assert await kind.pending(services, session, deadline, DEADLINE) == []
        survey = await session.get(Survey, survey_id)
        assert survey is not None and survey.status == SurveyStatus.CLOSED
        assert survey.closed_by_id is None


async def test_two_colleagues_submitting_at_once_give_one_answer(
    services: Services, cast: Cast
) -> None:
    survey_id = await _open(services, cast)

    async def first_answers(name: str) -> None:
        await _answer(services, cast, survey_id, name, [4, 4, 4, 4], name)

    outcomes = await asyncio.gather(
        first_answers("ana"), first_answers("miguel"), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["InputError", "NoneType"]
    async with services.db.transaction() as session:
        (row,) = (await session.exec(select(SurveySubmission))).all()
        assert row.revision == 1

    async def revise(name: str) -> None:
        async with services.db.transaction() as session:
            sheet = await survey_store.questions_of(session, survey_id)
            answers = {q.id: (1 if n < 4 else name) for n, q in enumerate(sheet)}
            await surveys.submit(
                services, session, survey_id, cast.actors[name], answers, revision=1, now=NOW
            )

    outcomes = await asyncio.gather(revise("ana"), revise("miguel"), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["InputError", "NoneType"]
    async with services.db.transaction() as session:
        (row,) = (await session.exec(select(SurveySubmission))).all()
        assert row.revision == 2
