"""The export of a survey's anonymous responses: CSV and XLSX, headed in the reader's language.

Rows come from `survey_results.anonymous_rows` (ordered by their content); no column names a
state, a person or a time. Written answers are kept as text, never as formulas: a cell that
starts with `=` would otherwise run when the file is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.i18n import Language
from bot.ids import SURVEY, format_id
from bot.models.surveys import QuestionKind
from bot.survey_results import RATINGS, Answer, SurveyResults
from bot.text import Renderer, Tr

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    file_name: str
    mime_type: str


def _headers(results: SurveyResults, renderer: Renderer) -> list[str]:
    lang = renderer.lang
    return [
        renderer.plain(Tr("Response")),
        *(f"{q.question.position}. {q.question.text.pick(lang)}" for q in results.questions),
    ]


def _file_name(results: SurveyResults, lang: Language, suffix: str) -> str:
    return f"{format_id(SURVEY, results.survey_id)}-responses-{lang}.{suffix}"


def _safe_csv(answer: Answer) -> str | int:
    if answer is None:
        return ""
    if isinstance(answer, str) and answer.startswith(_FORMULA_START):
        return "'" + answer
    return answer


def csv_export(
    results: SurveyResults, rows: Sequence[tuple[Answer, ...]], lang: Language, tz: ZoneInfo
) -> ExportFile:
    """UTF-8 with a byte-order mark, so that spreadsheet programs show accents right."""
    renderer = Renderer(lang, tz)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers(results, renderer))
    for number, row in enumerate(rows, start=1):
        writer.writerow([number, *(_safe_csv(a) for a in row)])
    return ExportFile(
        buffer.getvalue().encode("utf-8-sig"), _file_name(results, lang, "csv"), CSV_MIME
    )


def xlsx_export(
    results: SurveyResults, rows: Sequence[tuple[Answer, ...]], lang: Language, tz: ZoneInfo
) -> ExportFile:
    """Two sheets: the responses, and the summary per question."""
    renderer = Renderer(lang, tz)
    book = Workbook()
    book.properties.creator = "RCM focal-point bot"
    sheet = book.active
    sheet.title = renderer.plain(Tr("Responses"))[:31]
    sheet.append(_headers(results, renderer))
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    for column, result in enumerate(results.questions, start=2):
        letter = sheet.cell(row=1, column=column).column_letter
        wide = result.question.kind == QuestionKind.TEXT
        sheet.column_dimensions[letter].width = 60 if wide else 24

    summary = book.create_sheet(renderer.plain(Tr("Summary"))[:31])
    summary.append(
        [
            renderer.plain(Tr("Question")),
            renderer.plain(Tr("Answers")),
            renderer.plain(Tr("Mean")),
            *(str(value) for value in RATINGS),
        ]
    )
    for result in results.questions:
        question = result.question
        summary.append(
            [
                f"{question.position}. {question.text.pick(lang)}",
                result.count,
                result.mean,
                *(result.distribution or (None,) * len(RATINGS)),
            ]
        )
    for cell in summary[1]:
        cell.font = Font(bold=True)
    summary.column_dimensions["A"].width = 70
    for worksheet in book.worksheets:
        _as_text(worksheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return ExportFile(buffer.getvalue(), _file_name(results, lang, "xlsx"), XLSX_MIME)


def _as_text(sheet: Any) -> None:
    """Every string is a text cell (openpyxl takes one starting with `=` for a formula)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
