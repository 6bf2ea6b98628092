"""Member states, persons, their roles, invitations and the Presidency Pro-Tempore."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.models.base import bigint_field, utc_field


class MemberState(SQLModel, table=True):
    """A member state: the unit that votes and answers surveys. Loaded from a data file."""

    __tablename__ = "member_state"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True, index=True)  # ISO 3166 alpha-2
    name_en: str = Field(max_length=120)
    name_es: str = Field(max_length=120)
    position: int = 0
    active: bool = True


class Person(SQLModel, table=True):
    """A Telegram user bound to one member state, to the TS, or to an observer organisation."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = bigint_field(nullable=True, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    username: str | None = Field(default=None, max_length=64)
    language: str = Field(default="en", max_length=5)
    language_chosen: bool = False  # set once the person picked it with /language
    state_id: int | None = Field(default=None, foreign_key="member_state.id", index=True)
    organisation: str | None = Field(default=None, max_length=120)  # observers
    active: bool = True
    blocked_bot: bool = False  # Telegram answered 403: deliveries fail until they write again
    created_at: datetime = utc_field()
    joined_at: datetime | None = utc_field(nullable=True)


class PersonRole(SQLModel, table=True):
    __tablename__ = "person_role"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    role: str = Field(max_length=20, primary_key=True, index=True)


class Invitation(SQLModel, table=True):
    """A single-use link `t.me/<bot>?start=<token>` binding whoever opens it first."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    state_id: int | None = Field(default=None, foreign_key="member_state.id")
    organisation: str | None = Field(default=None, max_length=120)
    roles: str = Field(max_length=200)  # comma-separated Role values
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(default=None)
    used_at: datetime | None = utc_field(nullable=True)
    used_by_id: int | None = Field(default=None, foreign_key="person.id")
    revoked_at: datetime | None = utc_field(nullable=True)


class Presidency(SQLModel, table=True):
    """The PPT of one term; a term starts on 1 November of `term_year` (001_b79985bfaf76089f.txt:
    "the PPT term runs November to November")."""

    __tablename__ = "presidency"

    id: int | None = Field(default=None, primary_key=True)
    term_year: int = Field(unique=True, index=True)
    state_id: int = Field(foreign_key="member_state.id")
    set_by_id: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime = utc_field()
