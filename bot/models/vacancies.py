"""Vacancy notices (SPEC 2.2; 000_80de73a49c3b69ea.txt)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from bot.models.base import utc_field


class VacancyStatus(StrEnum):
    OPEN = "open"
    # Closed with fewer applications than the minimum: the TS decides (extend, close,
    # re-advertise).
    BELOW_MINIMUM = "below_minimum"
    CLOSED = "closed"
    READVERTISED = "readvertised"  # closed, and posted again as a new notice


class Vacancy(SQLModel, table=True):
    __tablename__ = "vacancy"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str | None = Field(default=None, max_length=300)
    title_es: str | None = Field(default=None, max_length=300)
    url_en: str = Field(max_length=2048)
    url_es: str = Field(max_length=2048)
    posted_at: datetime = utc_field()
    posted_on: date  # in the conference time zone
    closes_on: date  # applications close at 23:59 of this day, conference time
    min_applicants: int | None = None
    applications: int | None = None  # None until the TS records a number
    applications_recorded_at: datetime | None = utc_field(nullable=True)
    status: str = Field(default=VacancyStatus.OPEN, max_length=20, index=True)
    extensions: int = 0
    readvertises_id: int | None = Field(default=None, foreign_key="vacancy.id")
    posted_by_id: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = utc_field(nullable=True)
