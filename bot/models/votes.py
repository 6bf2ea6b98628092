"""Votes of the Vice-Ministers and of the selection committee (SPEC 2.4).

A vote has seats: one per member state, or one per named committee member. Each press of a
ballot button appends a row to `vote_ballot`, which the migration makes append-only; a seat's
counted ballot is its latest one (highest `seq`), and `(seat_id, seq)` is unique, so two
persons of one state pressing at once can never both become the state's counted ballot.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.base import json_field, utc_field


class VoteStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    DEADLINE = "deadline"
    MANUAL = "manual"  # `/close`, or the bot closing it on someone's behalf
    DECIDED = "decided"  # a majority vote whose outcome could no longer change
    OBJECTION = "objection"  # a candidate of a slate received an objection


class SlateStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    EXHAUSTED = "exhausted"  # every candidate received an objection: none approved


class Slate(SQLModel, table=True):
    """Ranked candidates put to a no-objection vote one at a time
    (000_80de73a49c3b69ea.txt: an objection moves the vote to the next candidate)."""

    __tablename__ = "vote_slate"

    id: int | None = Field(default=None, primary_key=True)
    # bot.text node: what the candidates are for; None = the Coordinator of the TS.
    subject: Any = json_field(nullable=True)
    days: int  # calendar days each candidate's vote lasts
    secret: bool = False
    document_id: int | None = Field(default=None, foreign_key="stored_document.id")
    opened_by_id: int | None = Field(default=None, foreign_key="person.id")
    opened_at: datetime = utc_field()
    status: str = Field(default=SlateStatus.OPEN, max_length=12)
    closed_at: datetime | None = utc_field(nullable=True)


class Candidate(SQLModel, table=True):
    __tablename__ = "vote_candidate"
    __table_args__ = (UniqueConstraint("slate_id", "rank", name="uq_vote_candidate_rank"),)

    id: int | None = Field(default=None, primary_key=True)
    slate_id: int = Field(foreign_key="vote_slate.id", index=True)
    rank: int  # 1 = the highest score, voted on first
    name: str = Field(max_length=120)
    score: float


class Vote(SQLModel, table=True):
    __tablename__ = "vote"

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=20)  # bot.vote_rules.VoteRule
    # bot.text node: the TS's question in both languages (Bi), or a candidate's question.
    question: Any = json_field()
    document_id: int | None = Field(default=None, foreign_key="stored_document.id")
    secret: bool = False  # results show counts only, never a state's position
    # A free reference of whoever opened it on a schedule, e.g. "contract:1:year-1".
    origin: str | None = Field(default=None, max_length=80, index=True)
    opened_by_id: int | None = Field(default=None, foreign_key="person.id")
    opened_at: datetime = utc_field()
    deadline: datetime = utc_field(default=None, index=True)
    status: str = Field(default=VoteStatus.OPEN, max_length=12, index=True)
    approved: bool | None = None  # set when it closes
    close_reason: str | None = Field(default=None, max_length=12)
    closed_at: datetime | None = utc_field(nullable=True)
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    slate_id: int | None = Field(default=None, foreign_key="vote_slate.id", index=True)
    candidate_id: int | None = Field(default=None, foreign_key="vote_candidate.id")


class VoteSeat(SQLModel, table=True):
    """Who votes: a member state (its Vice-Minister, or failing them an alternate), or one
    named committee member. Fixed when the vote opens."""

    __tablename__ = "vote_seat"
    __table_args__ = (
        UniqueConstraint("vote_id", "state_id", name="uq_vote_seat_state"),
        UniqueConstraint("vote_id", "person_id", name="uq_vote_seat_person"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="vote.id", index=True)
    state_id: int | None = Field(default=None, foreign_key="member_state.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")


class VoteBallot(SQLModel, table=True):
    """The append-only audit trail: every ballot cast, who, for which seat, when, what."""

    __tablename__ = "vote_ballot"
    __table_args__ = (UniqueConstraint("seat_id", "seq", name="uq_vote_ballot_seat_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="vote.id", index=True)
    seat_id: int = Field(foreign_key="vote_seat.id")
    # 1 for the seat's first ballot, then 2, 3...: the highest is the counted one; the
    # others are superseded.
    seq: int
    person_id: int = Field(foreign_key="person.id")
    state_id: int | None = Field(default=None, foreign_key="member_state.id")
    role: str = Field(max_length=20)  # vice_minister, alternate or committee
    choice: str = Field(max_length=20)  # bot.vote_rules.Choice
    reason: str | None = Field(default=None, sa_type=Text)
    cast_at: datetime = utc_field()
