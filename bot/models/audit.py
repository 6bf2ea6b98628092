"""The append-only audit log: who did what, when. The migration installs triggers that
refuse UPDATE and DELETE on this table, so not even a bug can rewrite history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from bot.models.base import json_field, utc_field


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(max_length=60, index=True)
    subject: str | None = Field(default=None, max_length=60, index=True)  # e.g. "vote:3"
    details: dict[str, Any] = json_field(default_factory=dict)
