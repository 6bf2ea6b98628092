"""The Coordinator's contract (SPEC 2.7, 000_80de73a49c3b69ea.txt) as the TS records it, and
what the bot did about it. What must happen when is derived (bot.contract_plan), not stored."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import utc_field


class ContractStatus(StrEnum):
    ACTIVE = "active"
    REPLACED = "replaced"  # the TS recorded a newer contract


class CoordinatorContract(SQLModel, table=True):
    """Shown to the TS as `K<id>`."""

    __tablename__ = "coordinator_contract"

    id: int | None = Field(default=None, primary_key=True)
    started_on: date
    interim: bool = False
    extensions: int = 0  # one-year extensions approved so far (at most two)
    # The contract year after which the extension was refused: the contract ends then.
    not_extended_after: int | None = None
    resigned_at: datetime | None = utc_field(nullable=True)
    leaves_on: date | None = None  # the last day, after a resignation
    status: str = Field(default=ContractStatus.ACTIVE, max_length=12, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class ContractEvent(SQLModel, table=True):
    """Something done because of the contract (a survey or vote opened, an extension decided,
    a notice sent), once per contract and step: the record that makes a repeat a no-op."""

    __tablename__ = "contract_event"
    __table_args__ = (UniqueConstraint("contract_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="coordinator_contract.id", index=True)
    step: str = Field(max_length=40)  # "survey:1", "decision:2", "resignation:0", ...
    at: datetime = utc_field()
    # What came of it: "S4" (the survey opened), "extended", "not_extended", ...
    result: str | None = Field(default=None, max_length=40)
