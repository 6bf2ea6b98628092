"""Surveys of the member states (SPEC 2.5), laid out so that answers stay anonymous.

While a survey is open, `survey_submission` holds, per state that has submitted, its answers:
the state may still revise them, and the others must be reminded. When the survey closes,
those answers become anonymous `survey_response` / `survey_answer` rows (no state, no person,
no time; numbered in an order that depends on the answers only) and the submissions are
deleted. docs/decisions.md says exactly what the database keeps, and when.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import json_field, utc_field

# Limits on what people write (characters).
MAX_TITLE = 120
MAX_QUESTION = 300
MAX_LABEL = 30
MAX_TEXT_ANSWER = 1000


class SurveyStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(StrEnum):
    RATING = "rating"  # 1 to 5, with a label for each end
    TEXT = "text"  # free text, up to MAX_TEXT_ANSWER characters


class Survey(SQLModel, table=True):
    __tablename__ = "survey"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=MAX_TITLE)
    title_es: str = Field(max_length=MAX_TITLE)
    template: str | None = Field(default=None, max_length=40)  # "coordinator" when from it
    # A free reference of whoever opened it on a schedule, e.g. "contract:1:year-1".
    origin: str | None = Field(default=None, max_length=80, index=True)
    status: str = Field(default=SurveyStatus.OPEN, max_length=12, index=True)
    deadline: datetime = utc_field(default=None)
    # How many states must have answered before results are shown on request (fixed when
    # the survey opens, so changing the setting cannot lower it for a running survey).
    min_responses: int
    states_asked: int  # active member states when it opened
    opened_by_id: int | None = Field(default=None, foreign_key="person.id")  # None: the bot
    opened_at: datetime = utc_field()
    closed_at: datetime | None = utc_field(nullable=True)
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    response_count: int | None = None  # set when it closes


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    position: int  # 1, 2, ...
    kind: str = Field(max_length=10)
    text_en: str = Field(max_length=MAX_QUESTION)
    text_es: str = Field(max_length=MAX_QUESTION)
    # End labels of a rating question (1 and 5); None for free text.
    low_en: str | None = Field(default=None, max_length=MAX_LABEL)
    low_es: str | None = Field(default=None, max_length=MAX_LABEL)
    high_en: str | None = Field(default=None, max_length=MAX_LABEL)
    high_es: str | None = Field(default=None, max_length=MAX_LABEL)


class SurveySubmission(SQLModel, table=True):
    """A state has submitted (only while the survey is open). It carries the state's answers
    so that the state can revise them until the deadline; deleted when the survey closes.
    No timestamp and no person: only what reminding and revising need."""

    __tablename__ = "survey_submission"

    survey_id: int = Field(foreign_key="survey.id", primary_key=True)
    state_id: int = Field(foreign_key="member_state.id", primary_key=True)
    # {question id: rating (int) or text (str) or None (a text question left empty)}
    answers: dict[str, Any] = json_field(default_factory=dict)
    # Bumped at each revision: a person who started from an older version cannot overwrite.
    revision: int = 1


class SurveyResponse(SQLModel, table=True):
    """One state's answers after closing, with nothing that says which state, who or when."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    number: int  # 1..n in the order of the answers themselves, never of submission


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_1_to_5"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_response.id", index=True)
    question_id: int = Field(foreign_key="survey_question.id")
    rating: int | None = None
    text: str | None = Field(default=None, max_length=MAX_TEXT_ANSWER)
