"""Meetings (SPEC 2.3 and 2.8): the meeting itself, the TS financial report sent ahead of an
RCGM meeting and who acknowledged it, each state's attendance answer, and the follow-up
commitments recorded after a meeting."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import json_field, utc_field


class MeetingKind(StrEnum):
    RCGM = "rcgm"  # Regional Consultation Group on Migration
    VM = "vm"  # Vice-Ministerial meeting
    WG = "wg"  # working group
    OTHER = "other"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10, index=True)
    # Optional: without a title the meeting is named by its kind in each language.
    title_en: str | None = Field(default=None, max_length=200)
    title_es: str | None = Field(default=None, max_length=200)
    # Calendar days in the meeting's own time zone (the conference time zone where it is held).
    start_date: date = Field(index=True)
    end_date: date
    place: str = Field(max_length=120)
    timezone: str = Field(max_length=64)
    status: str = Field(default=MeetingStatus.SCHEDULED, max_length=12, index=True)
    # Set when the TS asks the states to confirm attendance; None until then.
    attendance_due_at: datetime | None = utc_field(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class FinancialReport(SQLModel, table=True):
    """The TS financial report for one RCGM meeting, as it was sent (one per meeting)."""

    __tablename__ = "financial_report"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True, index=True)
    document_id: int = Field(foreign_key="stored_document.id")
    activity_document_id: int | None = Field(default=None, foreign_key="stored_document.id")
    sent_at: datetime = utc_field()
    sent_by_id: int | None = Field(default=None, foreign_key="person.id")
    # What the recipients were told when it went out; the meeting may move later, and the
    # compliance history is then recomputed from the meeting's date and `sent_at`.
    days_ahead_at_send: int
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")


class AttendanceAnswer(SQLModel, table=True):
    """A member state's answer for one meeting: one per state, changeable until the deadline."""

    __tablename__ = "attendance_answer"
    __table_args__ = (UniqueConstraint("meeting_id", "state_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    state_id: int = Field(foreign_key="member_state.id")
    attending: bool
    delegates: int = 0
    names: list[str] = json_field(default_factory=list)
    answered_by_id: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime = utc_field()


class CommitmentStatus(StrEnum):
    """003_ad0da034d2d9c22d.txt, follow-up matrix: completed / in process / not achieved."""

    COMPLETED = "completed"
    IN_PROCESS = "in_process"
    NOT_ACHIEVED = "not_achieved"


class Responsible(StrEnum):
    """Who answers for a commitment: a member state, the TS, whichever state holds the
    Presidency Pro-Tempore, or another body named in words (a working group, RNCOM...)."""

    STATE = "state"
    TS = "ts"
    PPT = "ppt"
    OTHER = "other"


class Commitment(SQLModel, table=True):
    """A follow-up commitment recorded after a meeting (SPEC 2.8)."""

    __tablename__ = "commitment"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text_en: str = Field(max_length=1000)
    text_es: str = Field(max_length=1000)
    responsible: str = Field(max_length=10)
    responsible_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    responsible_name: str | None = Field(default=None, max_length=120)
    due_at: datetime = utc_field(default=None, index=True)
    status: str = Field(default=CommitmentStatus.IN_PROCESS, max_length=14)
    status_changed_at: datetime | None = utc_field(nullable=True)
    status_changed_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
