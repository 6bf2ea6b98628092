"""The durable outbox: every message the bot sends is a row here first."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.models.base import bigint_field, json_field, utc_field


class OutboxStatus(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"  # handed to Telegram; back to pending if we crash before the answer
    SENT = "sent"
    FAILED = "failed"  # final: blocked by the user, chat gone, or refused as malformed
    CANCELLED = "cancelled"


class OutboxMethod(StrEnum):
    SEND = "send"  # sendMessage, or sendDocument / sendPhoto when a document is attached
    EDIT = "edit"  # editMessageText (or the caption) of an earlier message
    DELETE = "delete"


class Priority(IntEnum):
    """Answers to a person who is waiting go before bulk deliveries."""

    REPLY = 0
    NORMAL = 5
    BULK = 9


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = utc_field()
    chat_id: int = bigint_field(nullable=False, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Language for a chat with no person (a stranger): "en", "es", or "both".
    language: str | None = Field(default=None, max_length=5)
    method: str = Field(default=OutboxMethod.SEND, max_length=10)
    body: Any = json_field(nullable=True)  # bot.text node as JSON
    buttons: Any = json_field(nullable=True)  # bot.text keyboard as JSON
    document_id: int | None = Field(default=None, foreign_key="stored_document.id")
    as_photo: bool = False
    disable_preview: bool = True
    # For edits and deletions: the outbox row that sent the message, or a known message id.
    target_id: int | None = Field(default=None, foreign_key="outbox_message.id")
    target_message_id: int | None = bigint_field(nullable=True)
    priority: int = Field(default=5)
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0  # times claimed to go (429s and crashes included)
    # Network errors and 5xx in a row: the backoff grows with these alone, since a 429 says
    # its own wait and a row in flight at a crash did not fail.
    failures: int = 0
    next_attempt_at: datetime = utc_field()
    last_error: str | None = Field(default=None, max_length=300)
    telegram_message_id: int | None = bigint_field(nullable=True)
    sent_at: datetime | None = utc_field(nullable=True)
    # What the message is about ("announcement:5"), for delivery reports.
    ref: str | None = Field(default=None, max_length=60, index=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
    # Makes an enqueue idempotent (e.g. one reminder per deadline, person and offset).
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)


class Broadcast(SQLModel, table=True):
    """A message sent to many people, with one progress message shown to whoever sent it."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    ref: str | None = Field(default=None, max_length=60, index=True)
    title: Any = json_field(nullable=True)  # bot.text node
    requested_by_id: int | None = Field(default=None, foreign_key="person.id")
    # The outbox row of the progress message (no foreign key: the two tables point at each
    # other, and the broadcast row is written first).
    progress_id: int | None = None
    total: int = 0
    created_at: datetime = utc_field()
    finished_at: datetime | None = utc_field(nullable=True)
    progress_shown_at: datetime | None = utc_field(nullable=True)
