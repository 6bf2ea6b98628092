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

from sqlmodel import col, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines
from bot.audiences import with_roles
from bot.clock import as_utc
from bot.deadlines import DeadlineKind
from bot.errors import InputError, NotFound, PermissionDenied
from bot.i18n import Language, as_language
from bot.models.deadlines import Deadline
from bot.models.dialogs import Draft
from bot.models.documents import StoredDocument
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
from bot.presidency import ppt_state
from bot.roles import STATE_ROLES, Role
from bot.services import Services
from bot.states import member_states, state_name
from bot.survey_charts import render_chart_async
from bot.survey_content import SurveySpec, check_spec, coordinator_template
from bot.survey_exports import ExportFile, csv_export, xlsx_export
from bot.survey_messages import (
    answer_keyboard,
    chart_caption,
    export_caption,
    invitation,
    no_answers,
    results_messages,
    revise_keyboard,
    short_id,
    survey_title,
)
from bot.survey_messages import reminder as reminder_text
from bot.survey_results import (
    Answer,
    QuestionView,
    SurveyResults,
    aggregate,
    anonymous_rows,
    check_complete,
)
from bot.text import Plural, Tr, When, from_json, to_json

KIND = "survey"  # the DeadlineKind
ANSWER_DIALOG = "survey_answer"  # the guided conversation in which a person answers
DEFAULT_DAYS = 14  # `/survey coordinator` without a date: two weeks, to 23:59 that day
MAX_DAYS = 366
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


def _survey_id(deadline: Deadline) -> int:
    return int(deadline.ref.split(":")[1])


# ---- reading -------------------------------------------------------------------------------


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
    ready = can(actor, Action.SEE_SURVEY_RESULTS) and _results_allowed(survey, answered)
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
    existing = await submission_of(session, survey_id, actor.state_id)
    if existing is not None and revision is None:
        raise _already_submitted(survey)
    if revision is not None and (existing is None or existing.revision != revision):
        raise InputError(
            Tr(
                "Your state's answers to survey {id} were changed by another person after you "
                "started. Nothing was changed. Press “Revise the answers” again to see the "
                "current ones.",
                id=short_id(survey.id),
            )
        )
    stored = {str(q.id): answers.get(q.id) for q in questions}
    if existing is None:
        existing = SurveySubmission(survey_id=survey_id, state_id=actor.state_id, answers=stored)
    else:
        existing.answers, existing.revision = stored, existing.revision + 1
    session.add(existing)
    await session.flush()
    author = await session.get(Person, actor.person_id)
    name = author.display_name if author and author.display_name else ""
    first = existing.revision == 1
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


# ---- results -------------------------------------------------------------------------------


def _results_allowed(survey: Survey, answered: int) -> bool:
    """SPEC 2.5: on request only once enough states have answered; after closing, the final
    results (already sent) may be read again."""
    if survey.status == SurveyStatus.CLOSED:
        return answered > 0
    return answered >= survey.min_responses


async def _responses(session: AsyncSession, survey: Survey) -> list[dict[int, Answer]]:
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
    responses = await _responses(session, survey)
    return aggregate(survey, questions, responses), anonymous_rows(questions, responses)


def _too_few(survey: Survey, answered: int) -> InputError:
    if survey.status == SurveyStatus.CLOSED:
        return InputError(
            Tr("No state answered survey {id}, so there are no results.", id=short_id(survey.id))
        )
    return InputError(
        Plural(
            "Results are shown once at least {min} states have answered, so that no answer "
            "can be traced to a state. So far {n} state has answered.",
            "Results are shown once at least {min} states have answered, so that no answer "
            "can be traced to a state. So far {n} states have answered.",
            answered,
            min=survey.min_responses,
        )
    )


class ResultFiles:
    """The chart and export files of one set of results, made once per language."""

    def __init__(
        self,
        services: Services,
        session: AsyncSession,
        results: SurveyResults,
        rows: Sequence[tuple[Answer, ...]],
        now: datetime,
    ) -> None:
        self.services, self.session, self.results, self.rows, self.now = (
            services,
            session,
            results,
            rows,
            now,
        )
        self._charts: dict[Language, StoredDocument | None] = {}
        self._exports: dict[Language, list[StoredDocument]] = {}

    async def _store(self, data: bytes, file_name: str, mime_type: str) -> StoredDocument:
        return await self.services.documents.store(
            self.session, data, file_name=file_name, mime_type=mime_type, now=self.now
        )

    async def chart(self, lang: Language) -> StoredDocument | None:
        if lang not in self._charts:
            chart = await render_chart_async(self.results, lang, self.services.clock.tz)
            self._charts[lang] = (
                None
                if chart is None
                else await self._store(
                    chart.png, f"{short_id(self.results.survey_id)}-chart-{lang}.png", "image/png"
                )
            )
        return self._charts[lang]

    async def exports(self, lang: Language) -> list[StoredDocument]:
        if lang not in self._exports:
            files: list[ExportFile] = [
                csv_export(self.results, self.rows, lang, self.services.clock.tz),
                xlsx_export(self.results, self.rows, lang, self.services.clock.tz),
            ]
            self._exports[lang] = [
                await self._store(f.data, f.file_name, f.mime_type) for f in files
            ]
        return self._exports[lang]


async def _send_results(
    services: Services,
    session: AsyncSession,
    files: ResultFiles,
    person: Person,
    *,
    with_export: bool,
    now: datetime,
) -> None:
    """The message(s), the chart in the reader's language, and (for the TS and the PPT) the
    export: all through the outbox."""
    results = files.results
    lang = as_language(person.language)
    contents = [Content(body) for body in results_messages(services.outbox, results)]
    chart = await files.chart(lang)
    if chart is not None:
        contents.append(Content(chart_caption(results), document=chart, as_photo=True))
    if with_export:
        contents.extend(
            Content(export_caption(results.survey_id), document=document)
            for document in await files.exports(lang)
        )
    for content in contents:
        await services.outbox.to_person(
            session, person, content, now=now, ref=results_ref(results.survey_id)
        )


async def send_results(
    services: Services, session: AsyncSession, survey_id: int, actor: Actor, now: datetime
) -> SurveyResults:
    """Results on request, to the person asking (aggregate only)."""
    require(actor, Action.SEE_SURVEY_RESULTS)
    survey = await get(session, survey_id)
    results, rows = await results_of(session, survey)
    if not _results_allowed(survey, results.responses):
        raise _too_few(survey, results.responses)
    person = await session.get(Person, actor.person_id)
    assert person is not None
    files = ResultFiles(services, session, results, rows, now)
    await _send_results(services, session, files, person, with_export=False, now=now)
    await audit.record(
        session,
        action="survey.results",
        now=now,
        actor_id=actor.person_id,
        subject=ref(survey_id),
        responses=results.responses,
    )
    return results


async def export(
    services: Services, session: AsyncSession, survey_id: int, actor: Actor, now: datetime
) -> list[StoredDocument]:
    """The anonymous responses as CSV and XLSX, in the language of the person asking."""
    require(actor, Action.EXPORT)
    survey = await get(session, survey_id)
    results, rows = await results_of(session, survey)
    if not _results_allowed(survey, results.responses):
        raise _too_few(survey, results.responses)
    files = ResultFiles(services, session, results, rows, now)
    documents = await files.exports(as_language(actor.language))
    await audit.record(
        session,
        action="survey.export",
        now=now,
        actor_id=actor.person_id,
        subject=ref(survey_id),
        responses=results.responses,
    )
    return documents


async def results_readers(
    services: Services, session: AsyncSession, now: datetime
) -> list[tuple[Person, bool]]:
    """SPEC 2.5: the TS and the PPT receive the results with the export; the Coordinator
    receives them in aggregate only (no row-level export)."""
    readers: dict[int, tuple[Person, bool]] = {}
    for person in await with_roles(session, [Role.TS]):
        assert person.id is not None
        readers[person.id] = (person, True)
    ppt = await ppt_state(session, now, services.clock.tz)
    if ppt is not None:
        for person in await with_roles(session, list(STATE_ROLES), state_id=ppt.id):
            assert person.id is not None
            readers[person.id] = (person, True)
    for person in await with_roles(session, [Role.COORDINATOR]):
        assert person.id is not None
        readers.setdefault(person.id, (person, False))
    return [readers[key] for key in sorted(readers)]


# ---- closing -------------------------------------------------------------------------------


# What an outbox row that showed a state's answers says once the survey has closed.
SCRUBBED = to_json(Tr("(Survey answers are not kept once the survey has closed.)"))


async def _forget_who_answered_what(session: AsyncSession, survey: Survey) -> int:
    """Turn the submissions into anonymous responses and delete everything that linked a
    state or a person to its answers: the submissions, answering drafts, and the messages
    that showed them. Returns the number of responses."""
    assert survey.id is not None
    questions = await questions_of(session, survey.id)
    responses = await _responses(session, survey)
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
    files = ResultFiles(services, session, results, rows, now)
    for person, with_export in await results_readers(services, session, now):
        if count == 0:
            await services.outbox.to_person(
                session, person, Content(no_answers(survey)), now=now, ref=results_ref(survey_id)
            )
        else:
            await _send_results(services, session, files, person, with_export=with_export, now=now)
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
