"""Guided conversations in progress, kept in the database so a restart loses no draft."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from bot.models.base import json_field, utc_field


class Draft(SQLModel, table=True):
    __tablename__ = "dialog_draft"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    dialog: str = Field(max_length=40)
    step: str = Field(max_length=40)
    data: dict[str, Any] = json_field(default_factory=dict)
    updated_at: datetime = utc_field()
