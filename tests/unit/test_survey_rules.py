"""Survey rules as plain functions: checking answers, aggregating, anonymity of the data
model, of the export and of the order of rows; the chart in the reader's language."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import DateTime

from bot.errors import InputError
from bot.models.surveys import (
    MAX_TEXT_ANSWER,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyStatus,
    SurveySubmission,
)
from bot.survey_charts import render_chart
from bot.survey_content import (
    MAX_QUESTIONS,
    QuestionSpec,
    SurveySpec,
    check_spec,
    coordinator_template,
    parse_labels,
)
from bot.survey_exports import csv_export, xlsx_export
from bot.survey_results import (
    Answer,
    QuestionView,
    aggregate,
    anonymous_rows,
    check_answer,
    check_complete,
    check_rating,
    check_text,
)
from bot.text import Bi

TZ = ZoneInfo("America/Costa_Rica")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
STATE_NAMES = (
    "Belize Belice Canada Canadá Costa Rica El Salvador Guatemala Honduras Mexico México "
    "Nicaragua Panama Panamá United States Estados Unidos Dominican Republic República Dominicana"
)
LOW, HIGH = Bi("Very poor", "Muy deficiente"), Bi("Excellent", "Excelente")
QUESTIONS = [
    QuestionView(1, 1, QuestionKind.RATING, Bi("Management?", "¿Gestión?"), LOW, HIGH),
    QuestionView(2, 2, QuestionKind.RATING, Bi("Support?", "¿Apoyo?"), LOW, HIGH),
    QuestionView(3, 3, QuestionKind.TEXT, Bi("Overall?", "¿En general?")),
]


def survey(**changes: object) -> Survey:
    row = Survey(
        id=2,
        title_en="Performance of the Coordinator",
        title_es="Desempeño de la Coordinación",
        deadline=NOW + timedelta(days=14),
        min_responses=3,
        states_asked=11,
        opened_at=NOW,
    )
    for key, value in changes.items():
        setattr(row, key, value)
    return row


# ---- the data model keeps no link between a state and its answers once closed ------------


@pytest.mark.parametrize("model", [SurveyResponse, SurveyAnswer])
def test_anonymous_tables_name_no_state_person_or_time(model: type) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    names = {c.name for c in table.columns}
    assert names <= {"id", "survey_id", "number", "response_id", "question_id", "rating", "text"}
    assert not any(isinstance(c.type, DateTime) for c in table.columns)
    targets = {fk.column.table.name for fk in table.foreign_keys}
    assert targets <= {"survey", "survey_response", "survey_question"}


def test_submission_knows_the_state_but_no_person_and_no_time() -> None:
    table = SurveySubmission.__table__  # type: ignore[attr-defined]
    assert {fk.column.table.name for fk in table.foreign_keys} == {"survey", "member_state"}
    assert not any(isinstance(c.type, DateTime) for c in table.columns)


# ---- checking one answer -------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 6, -1, "7", "x", "", "3.5", 3.5, True, None])
def test_rating_outside_1_to_5_is_refused(value: object) -> None:
    with pytest.raises(InputError):
        check_rating(value)


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("5", 5), (" 3 ", 3)])
def test_rating_accepted(value: object, expected: int) -> None:
    assert check_rating(value) == expected


def test_text_over_the_limit_is_refused() -> None:
    assert check_text("x" * MAX_TEXT_ANSWER) == "x" * MAX_TEXT_ANSWER
    with pytest.raises(InputError):
        check_text("x" * (MAX_TEXT_ANSWER + 1))


def test_empty_text_answer_is_no_answer() -> None:
    assert check_answer(QUESTIONS[2], "   ") is None
    with pytest.raises(InputError):
        check_answer(QUESTIONS[2], 4)


def test_every_rating_must_be_answered_text_may_be_empty() -> None:
    check_complete(QUESTIONS, {1: 4, 2: 5, 3: None})
    with pytest.raises(InputError):
        check_complete(QUESTIONS, {1: 4, 3: "fine"})
    with pytest.raises(InputError):
        check_complete(QUESTIONS, {1: 4, 2: 9})


# ---- what a survey asks --------------------------------------------------------------------


def test_the_template_has_five_questions_in_both_languages() -> None:
    spec = coordinator_template()
    check_spec(spec)
    assert len(spec.questions) == 5
    assert [q.kind for q in spec.questions].count(QuestionKind.RATING) == 4
    for question in spec.questions:
        assert question.text.en and question.text.es and question.text.en != question.text.es
    assert spec.title.es == "Desempeño de la Coordinación de la Secretaría Técnica"
    assert SurveySpec.from_json(spec.to_json()) == spec


def test_spec_limits() -> None:
    template = coordinator_template()
    rating = template.questions[0]
    too_many = SurveySpec(template.title, (rating,) * (MAX_QUESTIONS + 1))
    for bad in [
        SurveySpec(template.title, ()),
        too_many,
        SurveySpec(Bi("Title", ""), template.questions),
        SurveySpec(template.title, (QuestionSpec(QuestionKind.RATING, Bi("a", "b")),)),
        SurveySpec(template.title, (QuestionSpec(QuestionKind.TEXT, Bi("a" * 301, "b")),)),
    ]:
        with pytest.raises(InputError):
            check_spec(bad)


def test_labels_are_two_per_language() -> None:
    low, high = parse_labels(Bi("Poor | Very good", "Malo | Muy bueno"))
    assert (low, high) == (Bi("Poor", "Malo"), Bi("Very good", "Muy bueno"))
    with pytest.raises(InputError):
        parse_labels(Bi("Poor, Very good", "Malo | Muy bueno"))


# ---- aggregating ---------------------------------------------------------------------------

response = st.fixed_dictionaries(
    {
        1: st.integers(1, 5),
        2: st.integers(1, 5),
        3: st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    }
)


@given(st.lists(response, max_size=11), st.randoms())
def test_results_do_not_depend_on_who_answered_first(
    responses: list[dict[int, Answer]], rnd: random.Random
) -> None:
    shuffled = list(responses)
    rnd.shuffle(shuffled)
    results = aggregate(survey(), QUESTIONS, responses)
    assert results == aggregate(survey(), QUESTIONS, shuffled)
    assert anonymous_rows(QUESTIONS, responses) == anonymous_rows(QUESTIONS, shuffled)
    for result in results.rating_results:
        assert sum(result.distribution) == result.count == len(responses)
        if responses:
            assert result.mean is not None and 1 <= result.mean <= 5
    texts = [r[3] for r in responses if r[3]]
    assert results.questions[2].texts == tuple(sorted(texts))


def test_mean_distribution_and_count() -> None:
    results = aggregate(
        survey(),
        QUESTIONS,
        [{1: 5, 2: 4, 3: "Good"}, {1: 4, 2: 4, 3: None}, {1: 2, 2: 4, 3: "Better reports"}],
    )
    first, second, text = results.questions
    assert (first.count, first.mean, first.distribution) == (3, 3.7, (0, 1, 0, 1, 1))
    assert (second.mean, second.distribution) == (4.0, (0, 0, 0, 3, 0))
    assert (text.count, text.texts) == (2, ("Better reports", "Good"))
    assert results.responses == 3 and results.states_asked == 11 and not results.closed


# ---- the export ----------------------------------------------------------------------------

ANSWERS: list[dict[int, Answer]] = [
    {1: 5, 2: 3, 3: "Keep the monthly reports"},
    {1: 2, 2: 4, 3: '=HYPERLINK("http://x")'},
    {1: 4, 2: 4, 3: None},
]


def _export_inputs(lang_rows: list[dict[int, Answer]]) -> tuple[object, list[tuple[Answer, ...]]]:
    results = aggregate(survey(status=SurveyStatus.CLOSED, closed_at=NOW), QUESTIONS, lang_rows)
    return results, anonymous_rows(QUESTIONS, lang_rows)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_xlsx_opens_and_holds_no_state_names_and_no_times(lang: str) -> None:
    results, rows = _export_inputs(ANSWERS)
    export = xlsx_export(results, rows, lang, TZ)  # type: ignore[arg-type]
    book = load_workbook(io.BytesIO(export.data))
    assert len(book.sheetnames) == 2
    sheet = book.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    assert header[0] == ("Response" if lang == "en" else "Respuesta")
    assert header[1] == ("1. Management?" if lang == "en" else "1. ¿Gestión?")
    assert [row[0] for row in values[1:]] == [1, 2, 3]
    flat = [v for row in book.worksheets[1].iter_rows(values_only=True) for v in row]
    flat += [v for row in values for v in row]
    assert not any(isinstance(v, datetime) for v in flat)
    words = " ".join(str(v) for v in flat if v is not None)
    for name in STATE_NAMES.split():
        if len(name) > 3:
            assert name not in words
    # A written answer that looks like a formula stays text.
    formula = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert formula and all(c.data_type == "s" for c in formula)


def test_csv_rows_are_ordered_by_content_and_formulas_are_defused() -> None:
    results, rows = _export_inputs(ANSWERS)
    first = csv_export(results, rows, "en", TZ)  # type: ignore[arg-type]
    reversed_results, reversed_rows = _export_inputs(list(reversed(ANSWERS)))
    assert csv_export(reversed_results, reversed_rows, "en", TZ).data == first.data  # type: ignore[arg-type]
    assert first.data.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets need for accents
    lines = list(csv.reader(io.StringIO(first.data.decode("utf-8-sig"))))
    assert lines[1][:3] == ["1", "2", "4"] and lines[3][:3] == ["3", "5", "3"]
    assert lines[1][3].startswith("'=")


# ---- the chart -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "present", "absent"),
    [
        ("en", ["Number of member states", "1. Management?", "mean 3.7 · 3 answers"], ["¿"]),
        ("es", ["Número de países miembros", "1. ¿Gestión?", "promedio 3,7 · 3 respuestas"], []),
    ],
)
def test_chart_is_a_png_labelled_in_the_readers_language(
    lang: str, present: list[str], absent: list[str]
) -> None:
    results = aggregate(survey(), QUESTIONS, ANSWERS)
    chart = render_chart(results, lang, TZ)  # type: ignore[arg-type]
    assert chart is not None
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(chart.png)) as image:
        image.verify()
    with Image.open(io.BytesIO(chart.png)) as image:
        assert image.format == "PNG" and image.size[0] >= 600
        described = image.info["Description"]
    drawn = "\n".join(chart.texts)
    for text in present:
        assert text in drawn and text in described
    for text in absent:
        assert text not in drawn
    other = "Número de países miembros" if lang == "en" else "Number of member states"
    assert other not in drawn
    assert "Overall" not in drawn and "En general" not in drawn  # written answers: not charted


def test_no_chart_without_ratings_or_answers() -> None:
    assert render_chart(aggregate(survey(), QUESTIONS, []), "en", TZ) is None
    text_only = [QUESTIONS[2]]
    assert render_chart(aggregate(survey(), text_only, [{3: "x"}]), "en", TZ) is None
