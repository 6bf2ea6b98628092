"""Who was sent what, and who confirmed receiving it (SPEC 2.1: "Received / Recibido").

One row per subject (an announcement, a vacancy notice) and recipient. The recipient's member
state is copied at send time, so the delivery report per state does not change if a person
later moves. How each delivery went is in the outbox rows of the same `ref`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import utc_field


class Receipt(SQLModel, table=True):
    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("ref", "person_id", name="uq_receipt_ref_person"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=60, index=True)  # "announcement:3", "vacancy:2"
    person_id: int = Field(foreign_key="person.id", index=True)
    state_id: int | None = Field(default=None, foreign_key="member_state.id")
    added_at: datetime = utc_field()
    acknowledged_at: datetime | None = utc_field(nullable=True)
