"""Finding surveys and what has been answered: the reading side shared by the survey
service, its reports and its handlers (SPEC 2.5)."""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audiences import with_roles
from bot.errors import NotFound
from bot.models.people import Person
from bot.models.surveys import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveySubmission,
)
from bot.roles import Role
from bot.survey_messages import short_id
from bot.survey_results import Answer, QuestionView, SurveyResults, aggregate, anonymous_rows
from bot.text import Tr

ANSWER_DIALOG = "survey_answer"  # the guided conversation in which a person answers
# SPEC 1: "focal_point (... answers surveys ...)"; SPEC 2.5: "a focal point or Vice-Minister
# answers for it".
ANSWERING_ROLES = (Role.FOCAL_POINT, Role.VICE_MINISTER)


def ref(survey_id: int | None) -> str:
    return f"survey:{survey_id}"


def answer_ref(survey_id: int | None) -> str:
    """Outbox rows that show a state's answers, or that it answered: blanked at closing."""
    return f"survey:{survey_id}:answer"


def results_ref(survey_id: int | None) -> str:
    return f"survey:{survey_id}:results"


def deadline_key(survey_id: int | None) -> str:
    return f"survey:{survey_id}:close"


async def get(session: AsyncSession, survey_id: int) -> Survey:
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(Tr("There is no survey {id}.", id=short_id(survey_id)))
    return survey


async def questions_of(session: AsyncSession, survey_id: int) -> list[QuestionView]:
    rows = await session.exec(
        select(SurveyQuestion)
        .where(SurveyQuestion.survey_id == survey_id)
        .order_by(col(SurveyQuestion.position))
    )
    return [QuestionView.of(row) for row in rows.all()]


async def answerers(session: AsyncSession, state_id: int | None = None) -> list[Person]:
    """Joined focal points and Vice-Ministers (of one state, or of every state)."""
    persons = await with_roles(session, ANSWERING_ROLES, state_id=state_id)
    return [p for p in persons if p.state_id is not None]


async def submission_of(
    session: AsyncSession, survey_id: int, state_id: int | None
) -> SurveySubmission | None:
    if state_id is None:
        return None
    return await session.get(SurveySubmission, (survey_id, state_id))


async def submitted_states(session: AsyncSession, survey_id: int) -> set[int]:
    rows = await session.exec(
        select(SurveySubmission.state_id).where(SurveySubmission.survey_id == survey_id)
    )
    return set(rows.all())


async def answered_count(session: AsyncSession, survey: Survey) -> int:
    if survey.status == SurveyStatus.CLOSED:
        return survey.response_count or 0
    count = await session.exec(select(func.count()).where(SurveySubmission.survey_id == survey.id))
    return int(count.one())


async def open_surveys(session: AsyncSession) -> list[Survey]:
    rows = await session.exec(
        select(Survey).where(Survey.status == SurveyStatus.OPEN).order_by(col(Survey.id))
    )
    return list(rows.all())


def results_allowed(survey: Survey, answered: int) -> bool:
    """SPEC 2.5: on request only once enough states have answered; after closing, the final
    results (already sent) may be read again."""
    if survey.status == SurveyStatus.CLOSED:
        return answered > 0
    return answered >= survey.min_responses


async def responses_of(session: AsyncSession, survey: Survey) -> list[dict[int, Answer]]:
    if survey.status == SurveyStatus.CLOSED:
        rows = await session.exec(
            select(
                SurveyResponse.number,
                SurveyAnswer.question_id,
                SurveyAnswer.rating,
                SurveyAnswer.text,
            )
            .join(SurveyAnswer, col(SurveyAnswer.response_id) == col(SurveyResponse.id))
            .where(SurveyResponse.survey_id == survey.id)
        )
        found: dict[int, dict[int, Answer]] = {}
        for number, question_id, rating, text in rows.all():
            found.setdefault(number, {})[question_id] = rating if rating is not None else text
        return [found[n] for n in sorted(found)]
    submissions = await session.exec(
        select(SurveySubmission).where(SurveySubmission.survey_id == survey.id)
    )
    return [{int(k): v for k, v in s.answers.items()} for s in submissions.all()]


async def results_of(
    session: AsyncSession, survey: Survey
) -> tuple[SurveyResults, list[tuple[Answer, ...]]]:
    """The aggregate, and the anonymous rows (in an order that reveals nothing)."""
    assert survey.id is not None
    questions = await questions_of(session, survey.id)
    responses = await responses_of(session, survey)
    return aggregate(survey, questions, responses), anonymous_rows(questions, responses)
