"""Answering a survey for a state: one question at a time (buttons for a rating, a message for
a written answer), back, a summary, submit; revising until the deadline (SPEC 2.5).

The questions are shown in one message that changes in place as buttons are pressed, so old
buttons never linger; a written answer arrives as a message of its own, so the next step
comes as a new message (and the previous one loses its buttons). The draft holds {"survey":
id, "answers": [one per question], "index": the question shown, "revision": the state's
version being revised (None for first answers), "review": True once the summary was shown (an
answer then returns to it), "message": the outbox row of the message being answered}. Every
message that shows answers carries the survey's answer ref: it is blanked when the survey
closes.
"""

from __future__ import annotations

from bot import dialogs, survey_store, surveys
from bot.dialogs import BaseDialog, choice
from bot.errors import InputError
from bot.models.dialogs import Draft
from bot.models.outbox import OutboxMessage
from bot.models.people import MemberState
from bot.models.surveys import MAX_TEXT_ANSWER, QuestionKind
from bot.outbox import Content
from bot.permissions import Action
from bot.states import state_name
from bot.survey_messages import question_heading, revise_keyboard, scale, survey_title
from bot.survey_results import RATINGS, Answer, QuestionView, check_answer, check_rating
from bot.text import Bi, Bold, Button, Join, Keyboard, Node, Tr, When, keyboard
from bot.updates import Turn

NAME = survey_store.ANSWER_DIALOG
SUMMARY_QUESTION = 80  # characters of a question shown in the summary
SUMMARY_ANSWER = 300  # characters of a written answer shown in the summary


def _answers(draft: Draft) -> list[Answer]:
    return list(draft.data["answers"])


def _survey_id(draft: Draft) -> int:
    return int(draft.data["survey"])


async def _questions(turn: Turn, draft: Draft) -> list[QuestionView]:
    """Checked at every step: the person may still answer, and the survey is still open."""
    turn.require(Action.ANSWER_SURVEY)
    survey = await survey_store.get(turn.session, _survey_id(draft))
    surveys.check_open(survey, turn.now)
    return await survey_store.questions_of(turn.session, _survey_id(draft))


def _button(draft: Draft, action: str, label: Node) -> Button:
    return choice(NAME, f"{_survey_id(draft)}:{action}", label)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _answer_text(answer: Answer) -> Node:
    if answer is None:
        return Tr("(no answer)")
    return _shorten(str(answer), SUMMARY_ANSWER)


# ---- what the message shows ----------------------------------------------------------------


def _question(draft: Draft, questions: list[QuestionView], index: int) -> tuple[Node, Keyboard]:
    question, answer = questions[index], _answers(draft)[index]
    lines: list[Node] = [question_heading(question, len(questions)), question.text]
    if question.kind == QuestionKind.RATING:
        lines.append(scale(question))
    if answer is not None:
        lines.append(Tr("Current answer: {answer}", answer=_answer_text(answer)))
    if question.kind == QuestionKind.RATING:
        lines.append(Tr("Press a number from 1 to 5."))
    else:
        lines.append(
            Tr(
                "Write your answer in a message (up to {limit} characters), or press Skip to "
                "leave it empty.",
                limit=MAX_TEXT_ANSWER,
            )
        )
    rows: list[list[Button]] = []
    if question.kind == QuestionKind.RATING:
        rows.append([_button(draft, f"{index}:r{n}", str(n)) for n in RATINGS])
    nav: list[Button] = []
    if index > 0:
        nav.append(_button(draft, f"{index}:back", Tr("« Back")))
    if answer is not None:
        nav.append(_button(draft, f"{index}:keep", Tr("Keep")))
    elif question.kind == QuestionKind.TEXT:
        nav.append(_button(draft, f"{index}:skip", Tr("Skip")))
    if nav:
        rows.append(nav)
    return Join(lines), keyboard(*rows)


def _answers_list(questions: list[QuestionView], answers: list[Answer]) -> Node:
    lines: list[Node] = []
    for question, answer in zip(questions, answers, strict=True):
        text = question.text
        short = Bi(_shorten(text.en, SUMMARY_QUESTION), _shorten(text.es, SUMMARY_QUESTION))
        line: list[Node] = [Bold(f"{question.position}. "), short, " — ", _answer_text(answer)]
        lines.append(Join(line, sep=""))
    return Join(lines)


def _summary(draft: Draft, questions: list[QuestionView]) -> tuple[Node, Keyboard]:
    numbers = [_button(draft, f"go{n}", str(q.position)) for n, q in enumerate(questions)]
    body = Join(
        [
            Tr("<b>Your state's answers</b> (not sent yet):"),
            _answers_list(questions, _answers(draft)),
            "",
            Tr("Press a number to change that answer, or Submit to send them."),
        ]
    )
    return body, keyboard(
        numbers, [_button(draft, "back", Tr("« Back")), _button(draft, "submit", Tr("Submit"))]
    )


async def _show(turn: Turn, draft: Draft, body: Node, buttons: Keyboard | None) -> None:
    """On a press, the pressed message changes; after a written answer, a new message."""
    ref = survey_store.answer_ref(_survey_id(draft))
    if turn.callback is not None:
        await turn.edit_pressed(body, buttons, ref=ref)
        return
    message = await turn.reply(body, buttons, ref=ref)
    await dialogs.save(turn, draft, message=message)


async def _go(turn: Turn, draft: Draft, questions: list[QuestionView], index: int) -> None:
    draft = await dialogs.save(turn, draft, "question", index=index)
    await _show(turn, draft, *_question(draft, questions, index))


async def _go_summary(turn: Turn, draft: Draft, questions: list[QuestionView]) -> None:
    draft = await dialogs.save(turn, draft, "summary", review=True)
    await _show(turn, draft, *_summary(draft, questions))


async def _next(turn: Turn, draft: Draft, questions: list[QuestionView], index: int) -> None:
    """After an answer: the next question, or the summary (at the end, or when reviewing)."""
    if draft.data.get("review") or index + 1 >= len(questions):
        await _go_summary(turn, draft, questions)
    else:
        await _go(turn, draft, questions, index + 1)


async def start(turn: Turn, survey_id: int, *, revise: bool) -> None:
    """The "Answer" or "Revise" button, or `/survey S2`: the first question, or (revising)
    the summary of the state's current answers, in a new message."""
    _, actor = turn.known
    sheet = await surveys.start_answering(turn.session, survey_id, actor, turn.now, revise=revise)
    draft = await dialogs.begin(
        turn,
        NAME,
        "question",
        survey=survey_id,
        answers=[sheet.answers.get(q.id) for q in sheet.questions],
        index=0,
        revision=sheet.revision,
        review=sheet.revision is not None,
    )
    state = await turn.session.get(MemberState, actor.state_id)
    assert state is not None
    intro = Tr(
        "{title}: you are answering for {state}. /cancel stops; nothing is sent until you "
        "press Submit.",
        title=survey_title(sheet.survey),
        state=state_name(state),
    )
    if sheet.revision is None:
        body, buttons = _question(draft, sheet.questions, 0)
    else:
        draft = await dialogs.save(turn, draft, "summary")
        body, buttons = _summary(draft, sheet.questions)
    message = await turn.reply(
        Join([intro, "", body]), buttons, ref=survey_store.answer_ref(survey_id)
    )
    await dialogs.save(turn, draft, message=message)


class AnswerDialog(BaseDialog):
    """A state's person answering a survey. Presses are checked against the step shown (a
    button of an earlier step or survey is refused, and changes nothing)."""

    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        questions = await _questions(turn, draft)
        if draft.step != "question":
            raise InputError(Tr("Press a number to change that answer, or Submit to send them."))
        index = int(draft.data["index"])
        question = questions[index]
        value: Answer = (
            check_rating(turn.text) if question.kind == QuestionKind.RATING else turn.text
        )
        value = check_answer(question, value)
        answers = _answers(draft)
        answers[index] = value
        draft = await dialogs.save(turn, draft, answers=answers)
        # The message above keeps the question and the answer, without its buttons.
        shown = await turn.session.get(OutboxMessage, draft.data.get("message") or 0)
        if shown is not None:
            done = Join(
                [
                    question_heading(question, len(questions)),
                    question.text,
                    Tr("Your answer: {answer}", answer=_answer_text(value)),
                ]
            )
            await turn.services.outbox.edit(
                turn.session,
                target=shown,
                content=Content(done),
                now=turn.now,
                ref=survey_store.answer_ref(_survey_id(draft)),
            )
        await _next(turn, draft, questions, index)

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        survey_text, _, action = value.partition(":")
        if survey_text != str(_survey_id(draft)):
            await super().on_choice(turn, draft, value)
            return
        questions = await _questions(turn, draft)
        if draft.step == "summary":
            await self._summary_choice(turn, draft, questions, action)
            return
        index_text, _, move = action.partition(":")
        index = int(draft.data["index"])
        if draft.step != "question" or index_text != str(index):
            await super().on_choice(turn, draft, value)
            return
        question, answers = questions[index], _answers(draft)
        if move.startswith("r") and question.kind == QuestionKind.RATING:
            answers[index] = check_rating(move[1:])
        elif move == "skip" and question.kind == QuestionKind.TEXT:
            answers[index] = None
        elif move == "back" and index > 0:
            await _go(turn, draft, questions, index - 1)
            return
        elif not (move == "keep" and answers[index] is not None):
            await super().on_choice(turn, draft, value)
            return
        draft = await dialogs.save(turn, draft, answers=answers)
        await _next(turn, draft, questions, index)

    async def _summary_choice(
        self, turn: Turn, draft: Draft, questions: list[QuestionView], action: str
    ) -> None:
        target = int(action[2:]) if action.startswith("go") and action[2:].isdigit() else None
        if target is not None and target < len(questions):
            await _go(turn, draft, questions, target)
        elif action == "back":
            await _go(turn, draft, questions, len(questions) - 1)
        elif action == "submit":
            await self._submit(turn, draft, questions)
        else:
            await super().on_choice(turn, draft, action)

    async def _submit(self, turn: Turn, draft: Draft, questions: list[QuestionView]) -> None:
        _, actor = turn.known
        survey_id, answers = _survey_id(draft), _answers(draft)
        submitted = await surveys.submit(
            turn.services,
            turn.session,
            survey_id,
            actor,
            {q.id: a for q, a in zip(questions, answers, strict=True)},
            revision=draft.data.get("revision"),
            now=turn.now,
        )
        await dialogs.end(turn)
        turn.answer(Tr("Submitted. Thank you."))
        body = Join(
            [
                Tr(
                    "Thank you. The answers of {state} to {title} are submitted. Until "
                    "{deadline} your state can revise them.",
                    state=state_name(submitted.state),
                    title=survey_title(submitted.survey),
                    deadline=When(submitted.survey.deadline),
                ),
                "",
                _answers_list(questions, answers),
            ]
        )
        await _show(turn, draft, body, revise_keyboard(survey_id))
