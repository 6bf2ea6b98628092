"""What the bot says about surveys to the states and to those who read the results."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import LANGUAGES
from bot.ids import SURVEY, format_id
from bot.models.surveys import QuestionKind, Survey
from bot.outbox import Outbox
from bot.survey_results import RATINGS, QuestionResult, QuestionView, SurveyResults
from bot.text import MAX_TEXT, Bi, Bold, Button, Join, Keyboard, Node, Plural, Tr, When, keyboard
from bot.text import telegram_length as _length

PREFIX = "srv"  # callback data: srv:<survey id>:<action>
ANSWER, REVISE, RESULTS = "answer", "revise", "results"
BAR = "█"
MAX_BAR = 20


def short_id(survey_id: int | None) -> str:
    return format_id(SURVEY, survey_id)


def title_of(survey: Survey) -> Bi:
    return Bi(survey.title_en, survey.title_es)


def survey_title(survey: Survey) -> Node:
    """`Survey S2: Performance of the Coordinator ...`, in the reader's language."""
    return Tr("Survey {id}: {title}", id=short_id(survey.id), title=title_of(survey))


def button(survey_id: int, action: str, label: Node) -> Button:
    return Button(label, data=f"{PREFIX}:{survey_id}:{action}")


def answer_button(survey_id: int) -> Button:
    return button(survey_id, ANSWER, Tr("Answer for my state"))


def revise_button(survey_id: int) -> Button:
    return button(survey_id, REVISE, Tr("Revise the answers"))


def results_button(survey_id: int) -> Button:
    return button(survey_id, RESULTS, Tr("Show the results"))


def answer_keyboard(survey_id: int) -> Keyboard:
    return keyboard([answer_button(survey_id)])


def revise_keyboard(survey_id: int) -> Keyboard:
    return keyboard([revise_button(survey_id)])


ANONYMITY = Tr(
    "Answers are anonymous: results are shown only in aggregate, and no one, through this "
    "bot, can see which state gave which answer."
)


def answered_line(answered: int, asked: int) -> Node:
    """How many states answered; never which (SPEC 2.5)."""
    return Tr("Member states that have answered: {n} of {total}.", n=answered, total=asked)


def invitation(survey: Survey, questions: int) -> Node:
    """What the focal points and Vice-Ministers of every state receive when it opens."""
    return Join(
        [
            Bold(survey_title(survey)),
            Plural(
                "Your state is asked for its feedback: {n} question, a few minutes.",
                "Your state is asked for its feedback: {n} questions, a few minutes.",
                questions,
            ),
            Tr(
                "One answer per state: a focal point or the Vice-Minister answers for it. "
                "Until the deadline, {deadline}, your state can revise its answers.",
                deadline=When(survey.deadline),
            ),
            ANONYMITY,
        ]
    )


def reminder(title: Node, deadline: When) -> Node:
    return Join(
        [
            Tr("<b>Reminder</b>: your state has not answered {title} yet.", title=title),
            Tr("Deadline: {deadline}.", deadline=deadline),
            Tr("One answer per state; a focal point or the Vice-Minister answers for it."),
        ]
    )


def question_heading(question: QuestionView, total: int) -> Node:
    return Tr(
        "<b>Question {number} of {total}</b>",
        number=question.position,
        total=total,
    )


def scale(question: QuestionView) -> Node:
    """`1 = Very poor … 5 = Excellent`"""
    if question.low is None or question.high is None:
        return ""
    return Tr("1 = {low} … 5 = {high}", low=question.low, high=question.high)


# ---- results -------------------------------------------------------------------------------


def _rating_block(result: QuestionResult) -> Node:
    question = result.question
    lines: list[Node] = [Bold(Join([f"{question.position}. ", question.text], sep=""))]
    if result.mean is None:
        lines.append(Tr("No answers."))
        return Join(lines)
    lines.append(
        Plural(
            "Mean {mean} of 5 · {n} answer",
            "Mean {mean} of 5 · {n} answers",
            result.count,
            mean=result.mean,
        )
    )
    for value in reversed(RATINGS):
        count = result.distribution[value - 1]
        label: Node = str(value)
        end = question.low if value == 1 else question.high if value == 5 else None
        if end is not None:
            label = Join([str(value), " (", end, ")"], sep="")
        bar = BAR * min(count, MAX_BAR)
        lines.append(Join([label, ": ", bar, " " if bar else "", str(count)], sep=""))
    return Join(lines)


def _text_blocks(result: QuestionResult) -> list[Node]:
    question = result.question
    heading: list[Node] = [Bold(Join([f"{question.position}. ", question.text], sep=""))]
    if not result.texts:
        return [Join([*heading, Tr("No written answers.")])]
    heading.append(
        Plural("{n} written answer:", "{n} written answers:", len(result.texts)),
    )
    # Each answer on its own, without the state's name; alphabetical, not in order of arrival.
    return [Join(heading), *(f"» {text}" for text in result.texts)]


def results_header(results: SurveyResults) -> Node:
    lines: list[Node] = [
        Bold(
            Tr(
                "Results of survey {id}: {title}",
                id=short_id(results.survey_id),
                title=results.title,
            )
        )
    ]
    if results.closed_at is not None:
        lines.append(Tr("Closed on {moment}.", moment=When(results.closed_at)))
    else:
        lines.append(
            Tr(
                "Results so far: the survey is open until {deadline}.",
                deadline=When(results.deadline),
            )
        )
    lines.append(answered_line(results.responses, results.states_asked))
    if results.closed and results.responses < results.min_responses:
        lines.append(
            Tr(
                "Fewer than {min} states answered, so a single answer may be easier to "
                "recognise. Please treat these results with care.",
                min=results.min_responses,
            )
        )
    lines.append(ANONYMITY)
    return Join(lines)


def results_blocks(results: SurveyResults) -> list[Node]:
    blocks: list[Node] = [results_header(results)]
    for result in results.questions:
        if result.question.kind == QuestionKind.RATING:
            blocks.append(_rating_block(result))
        else:
            blocks.extend(_text_blocks(result))
    return blocks


def pack(outbox: Outbox, blocks: Sequence[Node], limit: int = MAX_TEXT) -> list[Node]:
    """Blocks joined into as few messages as fit Telegram's limit in both languages."""

    def fits(parts: list[Node]) -> bool:
        node = Join(parts, sep="\n\n")
        return all(_length(outbox.renderer(lang).html(node)) <= limit for lang in LANGUAGES)

    messages: list[Node] = []
    current: list[Node] = []
    for block in blocks:
        if current and not fits([*current, block]):
            messages.append(Join(current, sep="\n\n"))
            current = []
        current.append(block)
    if current:
        messages.append(Join(current, sep="\n\n"))
    return messages


def results_messages(outbox: Outbox, results: SurveyResults) -> list[Node]:
    return pack(outbox, results_blocks(results))


def chart_caption(results: SurveyResults) -> Node:
    return Tr(
        "Chart of survey {id}: ratings per question.",
        id=short_id(results.survey_id),
    )


def export_caption(survey_id: int) -> Node:
    return Tr(
        "Anonymous responses to survey {id}: one row per state, in an order that says nothing "
        "about who answered or when.",
        id=short_id(survey_id),
    )


def no_answers(survey: Survey) -> Node:
    return Tr(
        "{title} closed on {moment}. No state answered, so there are no results.",
        title=survey_title(survey),
        moment=When(survey.closed_at or survey.deadline),
    )
