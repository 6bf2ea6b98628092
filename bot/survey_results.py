"""Survey results as plain functions: per question the mean, distribution and count, and the
anonymous rows of an export. Nothing here knows which state answered what: the input is a
collection of answer sets, and every output is the same whatever order they come in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import as_utc
from bot.errors import InputError
from bot.models.surveys import MAX_TEXT_ANSWER, QuestionKind, Survey, SurveyQuestion, SurveyStatus
from bot.text import Bi, Tr

RATINGS = (1, 2, 3, 4, 5)

# One answer: a rating, a text, or None (a text question left empty).
Answer = int | str | None


@dataclass(frozen=True)
class QuestionView:
    """A question as results, exports and charts show it."""

    id: int
    position: int
    kind: QuestionKind
    text: Bi
    low: Bi | None = None
    high: Bi | None = None

    @classmethod
    def of(cls, row: SurveyQuestion) -> QuestionView:
        assert row.id is not None
        low = Bi(row.low_en, row.low_es or "") if row.low_en is not None else None
        high = Bi(row.high_en, row.high_es or "") if row.high_en is not None else None
        text = Bi(row.text_en, row.text_es)
        return cls(row.id, row.position, QuestionKind(row.kind), text, low, high)


@dataclass(frozen=True)
class QuestionResult:
    question: QuestionView
    count: int  # how many states answered it (an empty text answer does not count)
    mean: float | None  # rating questions, rounded to one decimal
    distribution: tuple[int, ...]  # how many gave 1, 2, 3, 4 and 5
    texts: tuple[str, ...]  # free-text answers, in alphabetical order


@dataclass(frozen=True)
class SurveyResults:
    survey_id: int
    title: Bi
    responses: int  # states that answered
    states_asked: int
    min_responses: int
    deadline: datetime
    closed_at: datetime | None  # None while the survey is open
    questions: tuple[QuestionResult, ...]

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def rating_results(self) -> tuple[QuestionResult, ...]:
        return tuple(q for q in self.questions if q.question.kind == QuestionKind.RATING)


# ---- checking one answer -------------------------------------------------------------------


def check_rating(value: object) -> int:
    """A rating is a whole number from 1 to 5; anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(Tr("A rating is a whole number from 1 to 5. Nothing was changed."))
    text = str(value).strip()
    if not text.isdigit() or int(text) not in RATINGS:
        raise InputError(Tr("A rating is a whole number from 1 to 5. Nothing was changed."))
    return int(text)


def check_text(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT_ANSWER:
        raise InputError(
            Tr(
                "An answer may have at most {limit} characters; yours has {length}. Please "
                "shorten it and send it again. Nothing was changed.",
                limit=MAX_TEXT_ANSWER,
                length=len(text),
            )
        )
    return text


def check_answer(question: QuestionView, value: Answer) -> Answer:
    if question.kind == QuestionKind.RATING:
        return check_rating(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(Tr("This question takes a written answer. Nothing was changed."))
    return check_text(value) or None


def check_complete(questions: Sequence[QuestionView], answers: Mapping[int, Answer]) -> None:
    """Every rating question is answered; text questions may be left empty."""
    missing = [
        q.position for q in questions if q.kind == QuestionKind.RATING and answers.get(q.id) is None
    ]
    if missing:
        raise InputError(
            Tr(
                "Question {number} has no answer yet. Nothing was submitted.",
                number=missing[0],
            )
        )
    for question in questions:
        check_answer(question, answers.get(question.id))


# ---- aggregating ---------------------------------------------------------------------------


def _sort_key(answer: Answer) -> tuple[int, int, str]:
    if isinstance(answer, int):
        return (0, answer, "")
    if isinstance(answer, str):
        return (1, 0, answer)
    return (2, 0, "")


def anonymous_rows(
    questions: Sequence[QuestionView], responses: Iterable[Mapping[int, Answer]]
) -> list[tuple[Answer, ...]]:
    """One row per response, answers in question order, rows ordered by their content: the
    order says nothing about who answered or when."""
    rows = [tuple(response.get(q.id) for q in questions) for response in responses]
    return sorted(rows, key=lambda row: [_sort_key(a) for a in row])


def aggregate(
    survey: Survey,
    questions: Sequence[QuestionView],
    responses: Sequence[Mapping[int, Answer]],
) -> SurveyResults:
    assert survey.id is not None
    results = []
    for question in questions:
        given = [r.get(question.id) for r in responses]
        if question.kind == QuestionKind.RATING:
            ratings = [a for a in given if isinstance(a, int)]
            distribution = tuple(ratings.count(value) for value in RATINGS)
            mean = round(sum(ratings) / len(ratings), 1) if ratings else None
            results.append(QuestionResult(question, len(ratings), mean, distribution, ()))
        else:
            texts = tuple(sorted(a for a in given if isinstance(a, str) and a))
            results.append(QuestionResult(question, len(texts), None, (), texts))
    return SurveyResults(
        survey_id=survey.id,
        title=Bi(survey.title_en, survey.title_es),
        responses=len(responses),
        states_asked=survey.states_asked,
        min_responses=survey.min_responses,
        deadline=as_utc(survey.deadline),
        closed_at=as_utc(survey.closed_at)
        if survey.status == SurveyStatus.CLOSED and survey.closed_at
        else None,
        questions=tuple(results),
    )
