"""Survey results for those who read them: the message, the chart in each reader's
language and the export, on request or when the survey closes (SPEC 2.5). Aggregate only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, people
from bot.audiences import with_roles
from bot.errors import InputError
from bot.i18n import Language, as_language
from bot.models.documents import StoredDocument
from bot.models.people import Person
from bot.models.surveys import Survey, SurveyStatus
from bot.outbox import Content
from bot.permissions import Action, Actor, can, require
from bot.presidency import ppt_state
from bot.roles import STATE_ROLES, Role
from bot.services import Services
from bot.survey_exports import ExportFile, csv_export, xlsx_export
from bot.survey_messages import (
    chart_caption,
    export_caption,
    no_answers,
    results_messages,
    short_id,
)
from bot.survey_results import Answer, SurveyResults
from bot.survey_store import get, ref, results_allowed, results_of, results_ref
from bot.text import Plural, Tr


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
            # matplotlib takes about a second to import: only when a chart is drawn, not at
            # every start of the bot.
            from bot.survey_charts import render_chart_async

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


async def _readable(
    services: Services,
    session: AsyncSession,
    survey_id: int,
    actor: Actor,
    now: datetime,
    *,
    action: str,
) -> ResultFiles:
    """The results someone asked for, if they may be shown now; the request is audited."""
    survey = await get(session, survey_id)
    results, rows = await results_of(session, survey)
    if not results_allowed(survey, results.responses):
        raise _too_few(survey, results.responses)
    await audit.record(
        session,
        action=action,
        now=now,
        actor_id=actor.person_id,
        subject=ref(survey_id),
        responses=results.responses,
    )
    return ResultFiles(services, session, results, rows, now)


async def send_results(
    services: Services, session: AsyncSession, survey_id: int, actor: Actor, now: datetime
) -> SurveyResults:
    """Results on request, to the person asking (aggregate only)."""
    require(actor, Action.SEE_SURVEY_RESULTS)
    files = await _readable(services, session, survey_id, actor, now, action="survey.results")
    person = await session.get(Person, actor.person_id)
    assert person is not None
    await _send_results(services, session, files, person, with_export=False, now=now)
    return files.results


async def export(
    services: Services, session: AsyncSession, survey_id: int, actor: Actor, now: datetime
) -> list[StoredDocument]:
    """The anonymous responses as CSV and XLSX, in the language of the person asking."""
    require(actor, Action.EXPORT)
    files = await _readable(services, session, survey_id, actor, now, action="survey.export")
    return await files.exports(as_language(actor.language))


async def results_readers(
    services: Services, session: AsyncSession, now: datetime
) -> list[tuple[Person, bool]]:
    """Who receives the results at closing, and whether with the export, as the permission
    rules decide (SEE_SURVEY_RESULTS: the TS, the PPT and the Coordinator; EXPORT: the TS and
    the PPT, so the Coordinator gets the aggregate only)."""
    candidates = await with_roles(session, [Role.TS, Role.COORDINATOR])
    ppt = await ppt_state(session, now, services.clock.tz)
    if ppt is not None:
        candidates += await with_roles(session, list(STATE_ROLES), state_id=ppt.id)
    readers: dict[int, tuple[Person, bool]] = {}
    for person in candidates:
        assert person.id is not None
        actor = await people.actor_for(session, person, now, services.clock.tz)
        if can(actor, Action.SEE_SURVEY_RESULTS):
            readers[person.id] = (person, can(actor, Action.EXPORT))
    return [readers[key] for key in sorted(readers)]


async def deliver_closing_results(
    services: Services,
    session: AsyncSession,
    survey: Survey,
    results: SurveyResults,
    rows: Sequence[tuple[Answer, ...]],
    now: datetime,
) -> None:
    """At closing: to every reader, the results (or that nobody answered)."""
    files = ResultFiles(services, session, results, rows, now)
    for person, with_export in await results_readers(services, session, now):
        if results.responses == 0:
            await services.outbox.to_person(
                session, person, Content(no_answers(survey)), now=now, ref=results_ref(survey.id)
            )
        else:
            await _send_results(services, session, files, person, with_export=with_export, now=now)
