"""Surveys of the member states on the Coordinator's performance (SPEC 2.5).

Opened by the TS or the PPT (or by the bot on a schedule, `open_from_template`); answered
once per state by a focal point or its Vice-Minister, who may revise until the deadline;
closed at the deadline or by `/close` (`close_survey`, idempotent). Results are aggregate
only and go to the TS, the PPT and the Coordinator. What the database keeps, and when it
forgets which state answered what, is in `bot.models.surveys` and docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines
from bot.audiences import with_roles
from bot.clock import as_utc
from bot.deadlines import DeadlineKind
from bot.errors import InputError, PermissionDenied
from bot.models.deadlines import Deadline
from bot.models.dialogs import Draft
from bot.models.outbox import OutboxMessage
from bot.models.people import MemberState, Person
from bot.models.surveys import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveySubmission,
)
from bot.outbox import Content
from bot.permissions import Action, Actor, can, require
from bot.roles import Role
from bot.services import Services
from bot.states import member_states, state_name
from bot.survey_content import SurveySpec, check_spec, coordinator_template
from bot.survey_messages import (
    answer_keyboard,
    invitation,
    revise_keyboard,
    short_id,
    survey_title,
)
from bot.survey_messages import reminder as reminder_text
from bot.survey_reports import deliver_closing_results
from bot.survey_results import (
    Answer,
    QuestionView,
    SurveyResults,
    anonymous_rows,
    check_complete,
)
from bot.survey_store import (
    ANSWER_DIALOG,
    answer_ref,
    answered_count,
    answerers,
    deadline_key,
    get,
    questions_of,
    ref,
    responses_of,
    results_allowed,
    results_of,
    submission_of,
    submitted_states,
)
from bot.text import Tr, When, from_json, to_json

KIND = "survey"  # the DeadlineKind
DEFAULT_DAYS = 14  # `/survey coordinator` without a date: two weeks, to 23:59 that day
MAX_DAYS = 366


def _survey_id(deadline: Deadline) -> int:
    return int(deadline.ref.split(":")[1])


# ---- reading -------------------------------------------------------------------------------


def may_view(actor: Actor | None) -> bool:
    """Who may see a survey's progress: those who answer and those who read results."""
    return can(actor, Action.ANSWER_SURVEY) or can(actor, Action.SEE_SURVEY_RESULTS)


@dataclass(frozen=True)
class Progress:
    """What `/status S2` may show: how many states answered, never which."""

    survey: Survey
    questions: int
    answered: int
    own_state_answered: bool | None  # None: the person does not answer for a state
    results_ready: bool  # results may be shown to this person now


async def progress(session: AsyncSession, survey_id: int, actor: Actor) -> Progress:
    if not may_view(actor):
        raise PermissionDenied(
            Tr("Surveys are for the member states, the TS and the Presidency Pro-Tempore.")
        )
    survey = await get(session, survey_id)
    answered = await answered_count(session, survey)
    own = None
    if can(actor, Action.ANSWER_SURVEY) and survey.status == SurveyStatus.OPEN:
        own = await submission_of(session, survey_id, actor.state_id) is not None
    ready = can(actor, Action.SEE_SURVEY_RESULTS) and results_allowed(survey, answered)
    return Progress(survey, len(await questions_of(session, survey_id)), answered, own, ready)


# ---- opening -------------------------------------------------------------------------------


def default_deadline(services: Services, now: datetime) -> datetime:
    local = services.clock.local(now).date()
    return services.clock.end_of_day(local + timedelta(days=DEFAULT_DAYS))


def check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise InputError(Tr("The deadline must be in the future. Nothing was changed."))
    if deadline > now + timedelta(days=MAX_DAYS):
        raise InputError(
            Tr("The deadline may be at most {days} days ahead. Nothing was changed.", days=MAX_DAYS)
        )


@dataclass(frozen=True)
class Reach:
    """Who a new survey would reach: shown in the preview before the TS presses Send."""

    states: int
    persons: int
    states_without_anyone: int


async def reach(session: AsyncSession) -> Reach:
    states = await member_states(session)
    persons = await answerers(session)
    covered = {p.state_id for p in persons}
    return Reach(len(states), len(persons), sum(1 for s in states if s.id not in covered))


async def open_survey(
    services: Services,
    session: AsyncSession,
    spec: SurveySpec,
    *,
    opened_by: Actor | None,
    deadline: datetime,
    now: datetime,
    origin: str | None = None,
) -> Survey:
    """Create the survey, schedule its deadline and ask every state (one transaction)."""
    if opened_by is not None:
        require(opened_by, Action.OPEN_SURVEY)
    check_spec(spec)
    check_deadline(deadline, now)
    states = await member_states(session)
    if not states:
        raise InputError(Tr("No member states are loaded, so there is nobody to ask."))
    survey = Survey(
        title_en=spec.title.en,
        title_es=spec.title.es,
        template=spec.template,
        origin=origin,
        deadline=deadline,
        min_responses=services.settings.survey_min_responses,
        states_asked=len(states),
        opened_by_id=opened_by.person_id if opened_by else None,
        opened_at=now,
    )
    session.add(survey)
    await session.flush()
    assert survey.id is not None
    for position, question in enumerate(spec.questions, start=1):
        session.add(
            SurveyQuestion(
                survey_id=survey.id,
                position=position,
                kind=question.kind.value,
                text_en=question.text.en,
                text_es=question.text.es,
                low_en=question.low.en if question.low else None,
                low_es=question.low.es if question.low else None,
                high_en=question.high.en if question.high else None,
                high_es=question.high.es if question.high else None,
            )
        )
    await session.flush()
    await deadlines.schedule(
        session,
        key=deadline_key(survey.id),
        kind=KIND,
        ref=ref(survey.id),
        title=survey_title(survey),
        due_at=deadline,
        now=now,
        created_by_id=opened_by.person_id if opened_by else None,
    )
    await audit.record(
        session,
        action="survey.open",
        now=now,
        actor_id=opened_by.person_id if opened_by else None,
        subject=ref(survey.id),
        template=spec.template,
        origin=origin,
        questions=len(spec.questions),
        deadline=deadline.isoformat(),
    )
    opener = await session.get(Person, opened_by.person_id) if opened_by else None
    await services.outbox.broadcast(
        session,
        await answerers(session),
        Content(invitation(survey, len(spec.questions)), answer_keyboard(survey.id)),
        now=now,
        title=survey_title(survey),
        ref=ref(survey.id),
        requested_by=opener,
    )
    if opened_by is None:
        # Opened on a schedule (the contract's yearly review): the TS learns it from the bot.
        for person in await with_roles(session, [Role.TS]):
            await services.outbox.to_person(
                session,
                person,
                Content(
                    Tr(
                        "{title} was opened automatically and sent to every member state; "
                        "it closes on {deadline}. /status {id} shows how many have answered.",
                        title=survey_title(survey),
                        deadline=When(deadline),
                        id=short_id(survey.id),
                    )
                ),
                now=now,
                ref=ref(survey.id),
            )
    return survey


async def open_from_template(
    services: Services,
    session: AsyncSession,
    *,
    opened_by: Actor | None,
    deadline: datetime,
    now: datetime,
    origin: str | None = None,
) -> Survey:
    """The ready-made survey on the Coordinator's performance, as is. `opened_by` None means
    the bot opens it on a schedule; `origin` is a free reference such as
    "contract:1:year-1"."""
    return await open_survey(
        services,
        session,
        coordinator_template(),
        opened_by=opened_by,
        deadline=deadline,
        now=now,
        origin=origin,
    )


# ---- answering -----------------------------------------------------------------------------


def check_open(survey: Survey, now: datetime) -> None:
    """Answers are taken until the deadline, and not after (even before it is closed)."""
    if survey.status == SurveyStatus.CLOSED:
        raise InputError(
            Tr(
                "Survey {id} closed on {moment}; answers are no longer accepted. "
                "Nothing was changed.",
                id=short_id(survey.id),
                moment=When(survey.closed_at or survey.deadline),
            )
        )
    if now >= as_utc(survey.deadline):
        raise InputError(
            Tr(
                "The deadline of survey {id} passed on {moment}; answers are no longer "
                "accepted. Nothing was changed.",
                id=short_id(survey.id),
                moment=When(survey.deadline),
            )
        )


def _already_submitted(survey: Survey) -> InputError:
    return InputError(
        Tr(
            "Your state has already answered survey {id}; another person submitted its "
            "answers. Nothing was changed. Until the deadline you can see and change them "
            "with “Revise the answers”.",
            id=short_id(survey.id),
        )
    )


@dataclass(frozen=True)
class AnswerSheet:
    """What a person answering starts from: the questions, and the state's current answers
    when revising (`revision` is the version they revise; None for a first answer)."""

    survey: Survey
    questions: list[QuestionView]
    answers: dict[int, Answer] = field(default_factory=dict)
    revision: int | None = None


async def start_answering(
    session: AsyncSession, survey_id: int, actor: Actor, now: datetime, *, revise: bool
) -> AnswerSheet:
    require(actor, Action.ANSWER_SURVEY)
    survey = await get(session, survey_id)
    check_open(survey, now)
    existing = await submission_of(session, survey_id, actor.state_id)
    questions = await questions_of(session, survey_id)
    if existing is None:
        return AnswerSheet(survey, questions)
    if not revise:
        raise _already_submitted(survey)
    answers = {int(key): value for key, value in existing.answers.items()}
    return AnswerSheet(survey, questions, answers, existing.revision)


@dataclass(frozen=True)
class Submitted:
    survey: Survey
    state: MemberState
    first: bool  # the state's first submission, not a revision


async def _first_answers(
    session: AsyncSession, survey: Survey, state_id: int, answers: dict[str, Answer]
) -> None:
    """The state's first answers, unless someone of the state got there first (checked by
    the primary key too, for two colleagues pressing Submit at the same moment)."""
    assert survey.id is not None
    if await submission_of(session, survey.id, state_id) is not None:
        raise _already_submitted(survey)
    try:
        async with session.begin_nested():
            session.add(SurveySubmission(survey_id=survey.id, state_id=state_id, answers=answers))
    except IntegrityError:
        raise _already_submitted(survey) from None


async def _revised_answers(
    session: AsyncSession, survey: Survey, state_id: int, answers: dict[str, Answer], revision: int
) -> None:
    """Replace the answers only if they are still the version the person started from (one
    conditional update: of two revisions at once, the second finds nothing to change)."""
    result = await session.exec(
        update(SurveySubmission)
        .where(
            col(SurveySubmission.survey_id) == survey.id,
            col(SurveySubmission.state_id) == state_id,
            col(SurveySubmission.revision) == revision,
        )
        .values(answers=answers, revision=revision + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InputError(
            Tr(
                "Your state's answers to survey {id} were changed by another person after you "
                "started. Nothing was changed. Press “Revise the answers” again to see the "
                "current ones.",
                id=short_id(survey.id),
            )
        )


async def submit(
    services: Services,
    session: AsyncSession,
    survey_id: int,
    actor: Actor,
    answers: Mapping[int, Answer],
    *,
    revision: int | None,
    now: datetime,
) -> Submitted:
    """Record the state's answers (or its revision) and tell its other persons."""
    require(actor, Action.ANSWER_SURVEY)
    survey = await get(session, survey_id)
    check_open(survey, now)
    questions = await questions_of(session, survey_id)
    check_complete(questions, answers)
    assert actor.state_id is not None
    state = await session.get(MemberState, actor.state_id)
    assert state is not None
    stored = {str(q.id): answers.get(q.id) for q in questions}
    if revision is None:
        await _first_answers(session, survey, actor.state_id, stored)
    else:
        await _revised_answers(session, survey, actor.state_id, stored, revision)
    author = await session.get(Person, actor.person_id)
    name = author.display_name if author and author.display_name else ""
    first = revision is None
    notice = (
        Tr(
            "{name} has submitted the answers of {state} to {title}. Nothing more is needed "
            "from you; until the deadline your state can still revise them.",
            name=name,
            state=state_name(state),
            title=survey_title(survey),
        )
        if first
        else Tr(
            "{name} has revised the answers of {state} to {title}.",
            name=name,
            state=state_name(state),
            title=survey_title(survey),
        )
    )
    for person in await answerers(session, actor.state_id):
        if person.id != actor.person_id:
            await services.outbox.to_person(
                session,
                person,
                Content(notice, revise_keyboard(survey_id)),
                now=now,
                ref=answer_ref(survey_id),
            )
    return Submitted(survey, state, first)


# ---- closing -------------------------------------------------------------------------------


# What an outbox row that showed a state's answers says once the survey has closed.
SCRUBBED = to_json(Tr("(Survey answers are not kept once the survey has closed.)"))


async def _forget_who_answered_what(session: AsyncSession, survey: Survey) -> int:
    """Turn the submissions into anonymous responses and delete everything that linked a
    state or a person to its answers: the submissions, answering drafts, and the messages
    that showed them. Returns the number of responses."""
    assert survey.id is not None
    questions = await questions_of(session, survey.id)
    responses = await responses_of(session, survey)
    for number, row in enumerate(anonymous_rows(questions, responses), start=1):
        response = SurveyResponse(survey_id=survey.id, number=number)
        session.add(response)
        await session.flush()
        assert response.id is not None
        for question, answer in zip(questions, row, strict=True):
            session.add(
                SurveyAnswer(
                    response_id=response.id,
                    question_id=question.id,
                    rating=answer if isinstance(answer, int) else None,
                    text=answer if isinstance(answer, str) else None,
                )
            )
    await session.exec(delete(SurveySubmission).where(col(SurveySubmission.survey_id) == survey.id))
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.ref) == answer_ref(survey.id))
        .values(body=SCRUBBED, buttons=None)
    )
    drafts = await session.exec(select(Draft).where(Draft.dialog == ANSWER_DIALOG))
    for draft in drafts.all():
        if draft.data.get("survey") == survey.id:
            await session.delete(draft)
    await session.flush()
    return len(responses)


async def close_survey(
    services: Services,
    session: AsyncSession,
    survey_id: int,
    *,
    now: datetime,
    closed_by: Actor | None,
) -> SurveyResults:
    """Close the survey (at its deadline, or now by `/close`) and send the results. Safe to
    run twice: a closed survey's results are returned and nothing is sent again."""
    if closed_by is not None:
        require(closed_by, Action.CLOSE)
    survey = await get(session, survey_id)
    if survey.status == SurveyStatus.CLOSED:
        results, _ = await results_of(session, survey)
        return results
    count = await _forget_who_answered_what(session, survey)
    survey.status, survey.closed_at = SurveyStatus.CLOSED, now
    survey.closed_by_id = closed_by.person_id if closed_by else None
    survey.response_count = count
    session.add(survey)
    await session.flush()
    await deadlines.complete(session, deadline_key(survey_id), now)
    await audit.record(
        session,
        action="survey.close",
        now=now,
        actor_id=closed_by.person_id if closed_by else None,
        subject=ref(survey_id),
        responses=count,
    )
    results, rows = await results_of(session, survey)
    await deliver_closing_results(services, session, survey, results, rows, now)
    return results


async def close_now(
    services: Services, session: AsyncSession, survey_id: int, actor: Actor, now: datetime
) -> SurveyResults:
    """`/close S2`: close before the deadline, as the deadline would."""
    require(actor, Action.CLOSE)
    survey = await get(session, survey_id)
    if survey.status == SurveyStatus.CLOSED:
        raise InputError(
            Tr(
                "Survey {id} is already closed (on {moment}). Nothing was changed.",
                id=short_id(survey_id),
                moment=When(survey.closed_at or survey.deadline),
            )
        )
    return await close_survey(services, session, survey_id, now=now, closed_by=actor)


# ---- the deadline --------------------------------------------------------------------------


class SurveyDeadline:
    """The scheduler's view of a survey: states that have not answered are reminded; at the
    deadline the survey closes and the results go out."""

    kind = KIND

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        survey = await session.get(Survey, _survey_id(deadline))
        if survey is None or survey.status != SurveyStatus.OPEN:
            return []
        done = await submitted_states(session, _survey_id(deadline))
        return [p for p in await answerers(session) if p.state_id not in done]

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        if await session.get(Survey, _survey_id(deadline)) is None:
            return
        await close_survey(services, session, _survey_id(deadline), now=now, closed_by=None)

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        survey_id = _survey_id(deadline)
        title = from_json(deadline.title) if deadline.title is not None else short_id(survey_id)
        return Content(
            reminder_text(title, When(as_utc(deadline.due_at))),
            answer_keyboard(survey_id),
        )


SURVEY_DEADLINE: DeadlineKind = SurveyDeadline()
