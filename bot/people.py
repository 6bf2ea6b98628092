"""Persons: finding them, their roles, and the Actor the permission rules see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, bindparam, cast
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.errors import InputError
from bot.i18n import Language, as_language
from bot.models.people import MemberState, Person, PersonRole, Presidency
from bot.permissions import Actor
from bot.presidency import PRESIDENCIES, troika_at
from bot.roles import STATE_ROLES, Role
from bot.text import Tr


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Person | None:
    return (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).first()


# Built once: composing the statement costs more Python than running it (py-spy, bench/load.py).
_WITH_ROLES = (
    select(
        Person,
        MemberState,
        select(func.aggregate_strings(col(PersonRole.role), ","))
        .where(PersonRole.person_id == Person.id)
        .scalar_subquery(),
        # The PPT of the terms around now, as "year:state_id,...": the Actor's Troika.
        select(
            func.aggregate_strings(
                cast(Presidency.term_year, String) + ":" + cast(Presidency.state_id, String),
                ",",
            )
        )
        .where(
            col(Presidency.term_year) >= bindparam("first"),
            col(Presidency.term_year) <= bindparam("last"),
        )
        .scalar_subquery(),
    )
    .outerjoin(MemberState, col(Person.state_id) == col(MemberState.id))
    .where(Person.telegram_id == bindparam("telegram_id"))
)


async def with_roles_by_telegram_id(
    session: AsyncSession, telegram_id: int, *, term_year: int
) -> tuple[Person, frozenset[Role], MemberState | None] | None:
    """The person, their roles, their member state and the presidencies around `term_year`
    in one statement: what every update needs first (bench/load.py). The presidencies are
    kept where `bot.presidency.presidencies` looks, so the Actor's Troika costs no statement;
    while the caller holds the state, `session.get` of it costs none either (the identity
    map only holds objects weakly)."""
    params = {"telegram_id": telegram_id, "first": term_year - 1, "last": term_year + 1}
    row = (await session.exec(_WITH_ROLES, params=params)).first()
    if row is None:
        return None
    person, state, names, held = row
    known: dict[int, dict[int, int]] = session.info.setdefault(PRESIDENCIES, {})
    known[term_year] = {
        int(year): int(state_id)
        for year, state_id in (pair.split(":") for pair in (held or "").split(",") if pair)
    }
    return person, frozenset(Role(name) for name in (names or "").split(",") if name), state


async def roles_of(session: AsyncSession, person_id: int) -> frozenset[Role]:
    rows = await session.exec(select(PersonRole.role).where(PersonRole.person_id == person_id))
    return frozenset(Role(r) for r in rows.all())


async def set_roles(session: AsyncSession, person_id: int, roles: Iterable[Role]) -> None:
    await session.exec(delete(PersonRole).where(col(PersonRole.person_id) == person_id))
    for role in sorted(set(roles)):
        session.add(PersonRole(person_id=person_id, role=role.value))
    await session.flush()


def check_affiliation(roles: frozenset[Role], state_id: int | None) -> None:
    """A Vice-Minister, alternate or focal point speaks for a state, so needs one; the TS and
    observers belong to no state."""
    if roles & STATE_ROLES and state_id is None:
        raise InputError(
            Tr("Vice-Ministers, alternates and focal points must be bound to a member state.")
        )
    if state_id is not None and roles & {Role.TS, Role.OBSERVER}:
        raise InputError(Tr("TS staff and observers are not bound to a member state."))


async def add_person(
    session: AsyncSession,
    *,
    roles: frozenset[Role],
    now: datetime,
    telegram_id: int | None = None,
    state: MemberState | None = None,
    organisation: str | None = None,
    display_name: str = "",
    language: Language = "en",
    actor_id: int | None = None,
) -> Person:
    """Create a person (or add roles to the one with this Telegram id, same affiliation)."""
    state_id = state.id if state else None
    check_affiliation(roles, state_id)
    person = await by_telegram_id(session, telegram_id) if telegram_id is not None else None
    if person is not None:
        if person.state_id != state_id:
            raise InputError(
                Tr("This Telegram account is already bound to another member state or body.")
            )
        assert person.id is not None
        roles = roles | await roles_of(session, person.id)
    else:
        person = Person(
            telegram_id=telegram_id,
            state_id=state_id,
            organisation=organisation,
            display_name=display_name,
            language=language,
            created_at=now,
        )
        session.add(person)
        await session.flush()
    assert person.id is not None
    await set_roles(session, person.id, roles)
    await audit.record(
        session,
        action="person.add",
        now=now,
        actor_id=actor_id,
        subject=f"person:{person.id}",
        roles=sorted(r.value for r in roles),
        state=state.code if state else None,
        organisation=organisation,
    )
    return person


async def actor_for(
    session: AsyncSession,
    person: Person,
    now: datetime,
    tz: ZoneInfo,
    *,
    roles: frozenset[Role] | None = None,
) -> Actor:
    """What the permission rules see of `person` at `now` (`roles`, if already loaded)."""
    assert person.id is not None
    if roles is None:
        roles = await roles_of(session, person.id)
    state = await session.get(MemberState, person.state_id) if person.state_id else None
    troika = await troika_at(session, now, tz)
    speaks = bool(roles & STATE_ROLES) and state is not None
    return Actor(
        person_id=person.id,
        roles=roles,
        state_id=person.state_id,
        state_code=state.code if state else None,
        is_ppt=speaks and troika.incumbent == person.state_id,
        in_troika=speaks and person.state_id in troika.members(),
        language=person.language,
    )


async def set_language(
    session: AsyncSession, person: Person, language: Language, *, now: datetime
) -> None:
    person.language, person.language_chosen = language, True
    session.add(person)
    await audit.record(
        session, action="person.language", now=now, actor_id=person.id, language=language
    )


async def state_menu_holders(
    session: AsyncSession, state_ids: Iterable[int], now: datetime, tz: ZoneInfo
) -> list[tuple[int, Language, Actor]]:
    """Joined persons of these states, with their language and Actor at `now`: whose command
    menu changes when the Presidency Pro-Tempore moves to or from their state."""
    persons = (
        await session.exec(
            select(Person).where(
                col(Person.state_id).in_(list(state_ids)), col(Person.telegram_id).is_not(None)
            )
        )
    ).all()
    holders = []
    for person in persons:
        assert person.telegram_id is not None
        actor = await actor_for(session, person, now, tz)
        holders.append((person.telegram_id, as_language(person.language), actor))
    return holders
