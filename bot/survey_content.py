"""What a survey asks: its title and questions in both languages, the checks they must pass,
and the ready-made survey on the Coordinator's performance (SPEC 2.5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import InputError
from bot.i18n import N_, gettext, use_language
from bot.models.surveys import MAX_LABEL, MAX_QUESTION, MAX_TITLE, QuestionKind
from bot.text import Bi, Tr

MAX_QUESTIONS = 8  # "a simple survey (i.e. 5 questions)": room to add a few, not a census
COORDINATOR_TEMPLATE = "coordinator"


@dataclass(frozen=True)
class QuestionSpec:
    kind: QuestionKind
    text: Bi
    low: Bi | None = None  # the label of 1 (rating questions)
    high: Bi | None = None  # the label of 5

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "en": self.text.en, "es": self.text.es}
        if self.low is not None and self.high is not None:
            data["low"] = [self.low.en, self.low.es]
            data["high"] = [self.high.en, self.high.es]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuestionSpec:
        low, high = data.get("low"), data.get("high")
        return cls(
            QuestionKind(data["kind"]),
            Bi(data["en"], data["es"]),
            Bi(*low) if low else None,
            Bi(*high) if high else None,
        )


@dataclass(frozen=True)
class SurveySpec:
    title: Bi
    questions: tuple[QuestionSpec, ...] = field(default_factory=tuple)
    template: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": [self.title.en, self.title.es],
            "questions": [q.to_json() for q in self.questions],
            "template": self.template,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SurveySpec:
        return cls(
            Bi(*data["title"]),
            tuple(QuestionSpec.from_json(q) for q in data["questions"]),
            data.get("template"),
        )


def _check_length(value: Bi, limit: int, what: Tr) -> None:
    for text in (value.en, value.es):
        if not text.strip():
            raise InputError(Tr("{what} is needed in both English and Spanish.", what=what))
        if len(text) > limit:
            raise InputError(
                Tr(
                    "{what} may have at most {limit} characters; this one has {length}. "
                    "Nothing was changed.",
                    what=what,
                    limit=limit,
                    length=len(text),
                )
            )


def check_title(title: Bi) -> None:
    _check_length(title, MAX_TITLE, Tr("The title"))


def check_question(question: QuestionSpec) -> None:
    _check_length(question.text, MAX_QUESTION, Tr("A question"))
    if question.kind == QuestionKind.RATING:
        if question.low is None or question.high is None:
            raise InputError(Tr("A rating question needs a label for 1 and one for 5."))
        _check_length(question.low, MAX_LABEL, Tr("A label"))
        _check_length(question.high, MAX_LABEL, Tr("A label"))
    elif question.low is not None or question.high is not None:
        raise InputError(Tr("Only rating questions have end labels."))


def _too_many() -> InputError:
    return InputError(Tr("A survey may have at most {max} questions.", max=MAX_QUESTIONS))


def check_room(questions: Sequence[QuestionSpec]) -> None:
    """Another question may still be added."""
    if len(questions) >= MAX_QUESTIONS:
        raise _too_many()


def check_questions(questions: Sequence[QuestionSpec]) -> None:
    if not questions:
        raise InputError(Tr("A survey needs at least one question."))
    if len(questions) > MAX_QUESTIONS:
        raise _too_many()
    for question in questions:
        check_question(question)


def check_spec(spec: SurveySpec) -> None:
    check_title(spec.title)
    check_questions(spec.questions)


def parse_labels(text: Bi) -> tuple[Bi, Bi]:
    """`EN: Very poor | Excellent` / `ES: Muy deficiente | Excelente` -> (label of 1, of 5)."""
    pairs = []
    for side in (text.en, text.es):
        parts = [p.strip() for p in side.split("|")]
        if len(parts) != 2 or not all(parts):
            raise InputError(
                Tr(
                    "Write the two labels separated by a vertical bar, for example "
                    "EN: Very poor | Excellent and ES: Muy deficiente | Excelente."
                )
            )
        pairs.append(parts)
    (low_en, high_en), (low_es, high_es) = pairs
    return Bi(low_en, low_es), Bi(high_en, high_es)


# ---- the ready-made survey -------------------------------------------------------------------
# 000_80de73a49c3b69ea.txt: "Member States will be requested to provide feedback on the
# performance of the Coordinator and his/her management of the Secretariat in advance of the
# review of the Coordinator [this could be through a simple survey (i.e. 5 questions)]". The
# five questions follow the "Role of the T.S Coordinator" in the same file: (a, e, j) the
# management of the TS and the Virtual Secretariat; (b, d) support to the PPT and meetings;
# (f, g) reports and budgets; (i, and Mexico's "strengthen links with the focal points")
# liaison; and an overall assessment in the state's own words.

DEFAULT_LOW = N_("Very poor")
DEFAULT_HIGH = N_("Excellent")

_TITLE = N_("Performance of the Coordinator of the Technical Secretariat")
_RATINGS = (
    N_(
        "Management of the Technical Secretariat: how well does the Coordinator run the work "
        "of the TS, its staff and the Virtual Secretariat?"
    ),
    N_(
        "Support to the Presidency Pro-Tempore and to meetings: how useful is the "
        "Coordinator's technical and logistical support to the PPT and to the meetings of the "
        "RCM and the RCGM?"
    ),
    N_(
        "Reports and budgets: how timely, clear and complete are the Coordinator's financial "
        "and activity reports and budgets?"
    ),
    N_(
        "Liaison: how well does the Coordinator keep in touch with your state's focal points "
        "and with governments, international organisations and civil society?"
    ),
)
_OVERALL = N_(
    "Overall: what should the Coordinator keep doing, and what should improve? "
    "(You may leave this empty.)"
)


def both(msgid: str) -> Bi:
    """One of our catalog strings in both languages, to be stored as content."""
    with use_language("en"):
        english = gettext(msgid)
    with use_language("es"):
        spanish = gettext(msgid)
    return Bi(english, spanish)


def default_labels() -> tuple[Bi, Bi]:
    return both(DEFAULT_LOW), both(DEFAULT_HIGH)


def coordinator_template() -> SurveySpec:
    """The five questions on the Coordinator's performance, ready to use or edit."""
    low, high = default_labels()
    ratings = [QuestionSpec(QuestionKind.RATING, both(text), low, high) for text in _RATINGS]
    overall = QuestionSpec(QuestionKind.TEXT, both(_OVERALL))
    return SurveySpec(both(_TITLE), (*ratings, overall), template=COORDINATOR_TEMPLATE)
