"""Column helpers shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field

from bot.db import UTCDateTime


def utcnow() -> datetime:
    # Default for created_at columns only; domain code receives `now` from the clock.
    return datetime.now(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, default: Any = None) -> Any:
    if default is None and not nullable:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)
    return Field(default=default, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(*, nullable: bool = False, default_factory: Any = None) -> Any:
    if default_factory is not None:
        return Field(default_factory=default_factory, sa_type=JSON, nullable=nullable)
    return Field(default=None, sa_type=JSON, nullable=nullable)


def bigint_field(*, nullable: bool = True, unique: bool = False, index: bool = False) -> Any:
    """Telegram ids exceed 32 bits."""
    return Field(default=None, sa_type=BigInteger, nullable=nullable, unique=unique, index=index)
