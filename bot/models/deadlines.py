"""Deadlines: one model for everything that falls due (votes, surveys, vacancies, reports,
attendance, commitments, custom ones). The table is the truth; scheduler jobs derive from it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.models.base import json_field, utc_field


class DeadlineStatus(StrEnum):
    OPEN = "open"
    DONE = "done"  # the due action ran (or the subject finished early)
    CANCELLED = "cancelled"


class Deadline(SQLModel, table=True):
    __tablename__ = "deadline"
    # The scheduler's query: open deadlines whose next moment has come.
    __table_args__ = (Index("ix_deadline_next", "status", "next_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # Stable identity of what falls due, e.g. "vote:3:close" or "meeting:4:report". Unique, so
    # scheduling the same thing again moves it rather than adding a second one.
    key: str = Field(max_length=80, unique=True, index=True)
    kind: str = Field(max_length=40, index=True)  # which DeadlineKind handles it
    ref: str = Field(max_length=60, index=True)  # the subject, e.g. "vote:3"
    title: Any = json_field(nullable=True)  # bot.text node shown in /deadlines and reminders
    due_at: datetime = utc_field(default=None, index=True)
    # Seconds before due_at at which to remind those who have not acted; None = the default
    # (3 days, 1 day, 2 hours: SPEC 2.6).
    reminder_offsets: Any = json_field(nullable=True)
    # Keep reminding, this many seconds apart, after the deadline has passed and until the
    # subject is completed (a report "daily once overdue", SPEC 2.3); None = never.
    overdue_every: int | None = None
    status: str = Field(default=DeadlineStatus.OPEN, max_length=12, index=True)
    # When the due action (DeadlineKind.on_due) ran; set by the scheduler, so it runs once.
    action_ran_at: datetime | None = utc_field(nullable=True)
    # The next moment the scheduler has to act on (a reminder or the due action); every
    # moment before it has been handled. Derived from the columns above whenever they change
    # (bot.deadlines.schedule) and after each step of the scheduler; None when nothing is left.
    next_at: datetime | None = utc_field(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    closed_at: datetime | None = utc_field(nullable=True)
