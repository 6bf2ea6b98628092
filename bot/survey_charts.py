"""The chart of a survey's results: one PNG per reader's language, drawn with matplotlib.

Rendering is CPU work, so callers run `render_chart` through `asyncio.to_thread`
(`render_chart_async`); it uses matplotlib's object API with the Agg canvas, never pyplot's
global state, so two charts can be drawn at once. Every text drawn is also written into the
PNG's Description, which screen readers and the tests can read.
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from bot.i18n import Language
from bot.ids import SURVEY, format_id
from bot.survey_messages import answered_line
from bot.survey_results import RATINGS, QuestionResult, SurveyResults
from bot.text import Join, Plural, Renderer, Tr

# From "very poor" (1) to "excellent" (5); readable by people with red-green colour blindness.
COLOURS = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")
LABEL_WIDTH = 40  # characters per line of a question's label
LABEL_LINES = 4


@dataclass(frozen=True)
class Chart:
    png: bytes
    texts: tuple[str, ...]  # every text drawn on it, in the reader's language


def _wrap(text: str) -> str:
    lines = textwrap.wrap(text, LABEL_WIDTH) or [""]
    if len(lines) > LABEL_LINES:
        lines = [*lines[: LABEL_LINES - 1], lines[LABEL_LINES - 1][: LABEL_WIDTH - 1] + "…"]
    return "\n".join(lines)


def _bar_label(renderer: Renderer, result: QuestionResult) -> str:
    if result.mean is None:
        return renderer.plain(Tr("no answers"))
    return renderer.plain(
        Plural(
            "mean {mean} · {n} answer",
            "mean {mean} · {n} answers",
            result.count,
            mean=result.mean,
        )
    )


def render_chart(results: SurveyResults, lang: Language, tz: ZoneInfo) -> Chart | None:
    """A horizontal bar per rating question, split by rating; None when there is nothing to
    draw (no rating question, or no answer)."""
    ratings = results.rating_results
    if not ratings or results.responses == 0:
        return None
    renderer = Renderer(lang, tz)
    height = 1.6 + 1.25 * len(ratings)
    figure = Figure(figsize=(9, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(ratings)))[::-1]  # the first question on top
    # The mean and count of each bar sit in the right margin, outside the bars' scale.
    margin = blended_transform_factory(axes.transAxes, axes.transData)
    for y, result in zip(positions, ratings, strict=True):
        left = 0
        for count, colour in zip(result.distribution, COLOURS, strict=True):
            if count:
                axes.barh(y, count, left=left, color=colour, edgecolor="white", height=0.55)
                axes.text(left + count / 2, y, str(count), ha="center", va="center", fontsize=9)
            left += count
        axes.text(1.02, y, _bar_label(renderer, result), transform=margin, va="center", fontsize=9)
        question = result.question
        if question.low is not None and question.high is not None:
            axes.text(
                0,
                y - 0.42,
                f"1 = {question.low.pick(lang)}",
                fontsize=7.5,
                color="#555555",
                va="center",
            )
            axes.text(
                max(left, 1),
                y - 0.42,
                f"5 = {question.high.pick(lang)}",
                fontsize=7.5,
                color="#555555",
                va="center",
                ha="right",
            )
    axes.set_yticks(positions)
    axes.set_yticklabels(
        [_wrap(f"{r.question.position}. {r.question.text.pick(lang)}") for r in ratings],
        fontsize=8.5,
    )
    most = max(r.count for r in ratings)
    axes.set_xlim(0, max(most, 1))
    axes.set_ylim(-0.8, len(ratings) - 0.4)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(renderer.plain(Tr("Number of member states")))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles = [
        Patch(color=colour, label=str(value))
        for value, colour in zip(RATINGS, COLOURS, strict=True)
    ]
    figure.legend(
        handles=handles,
        title=renderer.plain(Tr("Rating")),
        loc="lower center",
        ncol=len(handles),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
    )
    title = renderer.plain(
        Join([format_id(SURVEY, results.survey_id), " · ", results.title], sep="")
    )
    subtitle = renderer.plain(answered_line(results.responses, results.states_asked))
    figure.suptitle("\n".join(textwrap.wrap(title, 80)), fontsize=11, fontweight="bold")
    axes.set_title(subtitle, fontsize=9, color="#333333")
    figure.tight_layout(rect=(0, 0.08, 0.8, 1))
    texts = tuple(t.get_text() for t in figure.findobj(Text) if t.get_text().strip())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Title": title, "Description": "\n".join(texts)})
    return Chart(buffer.getvalue(), texts)


async def render_chart_async(results: SurveyResults, lang: Language, tz: ZoneInfo) -> Chart | None:
    return await asyncio.to_thread(render_chart, results, lang, tz)
