"""/survey: open a survey on the Coordinator's performance, and answer it for a state
(SPEC 2.5 and section 3).

- `/survey coordinator [deadline-date]` previews the ready-made five questions; "Send /
  Enviar" opens it. `/survey` alone builds one step by step (the template, edited, or a new
  survey), or, for a focal point or Vice-Minister, lists what their state has to answer.
- A state's person answers one question at a time (buttons for ratings, a message for text),
  can go back, sees a summary and submits; until the deadline the state may revise.
- `/status S2`, `/close S2` and `/export S2` work through the `Subject` below.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import survey_reports, survey_store, surveys
from bot.errors import InputError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import SURVEY, Subject, parse_id
from bot.models.surveys import Survey, SurveyStatus
from bot.outbox import Content
from bot.parsing import parse_deadline
from bot.permissions import Action, can
from bot.survey_messages import (
    ANSWER,
    PREFIX,
    RESULTS,
    REVISE,
    answer_button,
    answered_line,
    button,
    export_caption,
    results_button,
    revise_button,
    short_id,
    survey_title,
)
from bot.text import Bold, Button, Join, Node, Plural, Tr, When, keyboard
from bot.updates import Turn, handler
from handlers import survey_answering, survey_builder

# ==== /survey ===================================================================================


async def survey_command(turn: Turn) -> None:
    _, actor = turn.known
    args = turn.command.args
    if not args:
        if can(actor, Action.OPEN_SURVEY):
            if can(actor, Action.ANSWER_SURVEY):
                await _list_for_state(turn, quiet=True)  # a PPT person answers for it too
            await survey_builder.begin(turn)
            return
        turn.require(Action.ANSWER_SURVEY)
        await _list_for_state(turn)
        return
    if args[0].lower() in ("coordinator", "coordinador"):
        turn.require(Action.OPEN_SURVEY)
        deadline = (
            parse_deadline(args[1], turn.services.clock, now=turn.now)
            if len(args) > 1
            else surveys.default_deadline(turn.services, turn.now)
        )
        await survey_builder.begin_with_template(turn, deadline)
        return
    prefix, number = _survey_id(args[0])
    if prefix != SURVEY:
        raise InputError(_usage())
    await survey_answering.start(turn, number, revise=False)


def _survey_id(text: str) -> tuple[str, int]:
    try:
        return parse_id(text)
    except InputError:
        raise InputError(_usage()) from None


def _usage() -> Node:
    return Tr(
        "Write /survey coordinator followed by a deadline date to open the ready-made survey on "
        "the Coordinator's performance, or /survey alone to build one step by step."
    )


def _state_line(survey: Survey, *, answered: bool) -> Node:
    if answered:
        return Tr(
            "{title}: your state has answered; it can revise until {deadline}.",
            title=survey_title(survey),
            deadline=When(survey.deadline),
        )
    return Tr(
        "{title}: your state has not answered yet; the deadline is {deadline}.",
        title=survey_title(survey),
        deadline=When(survey.deadline),
    )


async def _list_for_state(turn: Turn, *, quiet: bool = False) -> None:
    """The open surveys and whether the person's state answered, with a button for each."""
    _, actor = turn.known
    rows: list[list[Button]] = []
    lines: list[Node] = []
    for survey in await survey_store.open_surveys(turn.session):
        assert survey.id is not None
        answered = await survey_store.submission_of(turn.session, survey.id, actor.state_id)
        lines.append(_state_line(survey, answered=answered is not None))
        action, label = (
            (REVISE, Tr("{id}: revise the answers", id=short_id(survey.id)))
            if answered
            else (ANSWER, Tr("{id}: answer for my state", id=short_id(survey.id)))
        )
        rows.append([button(survey.id, action, label)])
    if not lines:
        if not quiet:
            await turn.reply(Tr("There is no open survey for your state right now."))
        return
    await turn.reply(Join(lines), keyboard(*rows))


# ==== buttons outside a conversation: answer, revise, results ==================================


async def survey_button(turn: Turn) -> None:
    _, survey_text, action = ([*turn.callback_data.split(":", 2), "", ""])[:3]
    if not survey_text.isdigit():
        raise InputError(Tr("That button is no longer active."))
    survey_id = int(survey_text)
    _, actor = turn.known
    if action in (ANSWER, REVISE):
        await survey_answering.start(turn, survey_id, revise=action == REVISE)
    elif action == RESULTS:
        await survey_reports.send_results(turn.services, turn.session, survey_id, actor, turn.now)
        turn.answer(Tr("The results are on their way."))
    else:
        raise InputError(Tr("That button is no longer active."))


# ==== /status, /close, /export =================================================================


async def survey_status(turn: Turn, number: int) -> Content:
    _, actor = turn.known
    progress = await surveys.progress(turn.session, number, actor)
    survey = progress.survey
    lines: list[Node] = [Bold(survey_title(survey))]
    if survey.status == SurveyStatus.CLOSED:
        lines.append(Tr("Closed on {moment}.", moment=When(survey.closed_at or survey.deadline)))
    else:
        lines.append(Tr("Open until {deadline}.", deadline=When(survey.deadline)))
    lines.append(
        Plural(
            "{n} question.",
            "{n} questions.",
            progress.questions,
        )
    )
    lines.append(answered_line(progress.answered, survey.states_asked))
    rows: list[list[Button]] = []
    if progress.own_state_answered is True:
        lines.append(Tr("Your state has answered; it can revise its answers until the deadline."))
        rows.append([revise_button(number)])
    elif progress.own_state_answered is False:
        lines.append(Tr("Your state has not answered yet."))
        rows.append([answer_button(number)])
    if can(actor, Action.SEE_SURVEY_RESULTS):
        lines.append(
            Tr(
                "Which states have answered is shown to no one: the bot uses it only to remind "
                "the others."
            )
        )
        if progress.results_ready:
            rows.append([results_button(number)])
        elif survey.status == SurveyStatus.OPEN:
            lines.append(
                Tr(
                    "Results can be shown once at least {min} states have answered.",
                    min=survey.min_responses,
                )
            )
    if can(actor, Action.CLOSE) and survey.status == SurveyStatus.OPEN:
        lines.append(Tr("/close {id} closes it now.", id=short_id(number)))
    if can(actor, Action.EXPORT) and progress.results_ready:
        lines.append(
            Tr("/export {id} sends the anonymous responses (CSV and XLSX).", id=short_id(number))
        )
    return Content(Join(lines), keyboard(*rows) if rows else None)


async def survey_close(turn: Turn, number: int) -> None:
    _, actor = turn.known
    survey = await survey_store.get(turn.session, number)
    answered = await survey_store.answered_count(turn.session, survey)
    # Queued first, so that it reaches the person closing before the results do; if closing
    # is refused, the transaction takes this answer back with it.
    await turn.reply(
        Join(
            [
                Tr("Survey {id} is closed.", id=short_id(number)),
                answered_line(answered, survey.states_asked),
                Tr("The results go to the TS, the Presidency Pro-Tempore and the Coordinator."),
            ]
        )
    )
    await surveys.close_now(turn.services, turn.session, number, actor, turn.now)


async def survey_export(turn: Turn, number: int) -> None:
    _, actor = turn.known
    documents = await survey_reports.export(turn.services, turn.session, number, actor, turn.now)
    for document in documents:
        await turn.reply(export_caption(number), document=document)


async def survey_open_items(turn: Turn) -> list[Node]:
    _, actor = turn.known
    if not surveys.may_view(actor):
        return []
    items: list[Node] = []
    for survey in await survey_store.open_surveys(turn.session):
        assert survey.id is not None
        if can(actor, Action.ANSWER_SURVEY):
            done = await survey_store.submission_of(turn.session, survey.id, actor.state_id)
            if done is None:
                items.append(_state_line(survey, answered=False))
                continue
        if can(actor, Action.SEE_SURVEY_RESULTS):
            count = await survey_store.answered_count(turn.session, survey)
            items.append(
                Join(
                    [
                        Tr(
                            "{title}: open until {deadline}.",
                            title=survey_title(survey),
                            deadline=When(survey.deadline),
                        ),
                        answered_line(count, survey.states_asked),
                    ],
                    sep=" ",
                )
            )
    return items


FEATURE = Feature(
    name="survey",
    handlers=[
        CommandHandler("survey", handler(survey_command)),
        CallbackQueryHandler(handler(survey_button), pattern=rf"^{PREFIX}:"),
    ],
    dialogs=[survey_builder.SurveyBuilder(), survey_answering.AnswerDialog()],
    subjects=[
        Subject(
            SURVEY,
            N_("survey"),
            status=survey_status,
            close=survey_close,
            export=survey_export,
            open_items=survey_open_items,
        )
    ],
    deadline_kinds=[surveys.SURVEY_DEADLINE],
    commands=[
        CommandInfo("survey", N_("Open a survey on the Coordinator's performance"), Audience.ADMIN)
    ],
)
