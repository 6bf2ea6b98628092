"""Deadlines the TS sets by hand ("send information on migrant women by 15 July",
004_d88c9457dfb468f7.txt), and who has said they have done it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import utc_field


class CustomDeadline(SQLModel, table=True):
    """Its `deadline` row has the key `custom:<id>`; shown to people as `D<id>`."""

    __tablename__ = "custom_deadline"

    id: int | None = Field(default=None, primary_key=True)
    # Who it is for, in the form of bot.audiences: all, role:..., state:..., observers.
    audience: str = Field(max_length=200)
    text_en: str = Field(max_length=4000)
    text_es: str = Field(max_length=4000)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()


class DeadlineDone(SQLModel, table=True):
    """One "Done" per acting party: a member state, the TS, an observer organisation, or a
    person who belongs to none of these (docs/decisions.md)."""

    __tablename__ = "deadline_done"
    __table_args__ = (UniqueConstraint("custom_id", "party"),)

    id: int | None = Field(default=None, primary_key=True)
    custom_id: int = Field(foreign_key="custom_deadline.id", index=True)
    party: str = Field(max_length=140)  # "state:3", "ts", "org:IOM", "person:12"
    person_id: int = Field(foreign_key="person.id")  # who pressed
    done_at: datetime = utc_field()
