"""Announcements from the TS (SPEC 2.1). A row exists once it was sent: drafts live in the
dialog draft until the TS presses "Send"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from bot.models.base import utc_field


class Announcement(SQLModel, table=True):
    __tablename__ = "announcement"

    id: int | None = Field(default=None, primary_key=True)
    text_en: str = Field(sa_type=Text)
    text_es: str = Field(sa_type=Text)
    url: str | None = Field(default=None, max_length=2048)
    document_id: int | None = Field(default=None, foreign_key="stored_document.id")
    audience: str = Field(max_length=300)  # bot.audiences.Audience.describe()
    recipients: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
    # How many times the TS reminded those who had not acknowledged; a status message's
    # "Remind" button carries the count it saw, so a second press of an old one is refused.
    reminders_sent: int = 0
    last_reminded_at: datetime | None = utc_field(nullable=True)
