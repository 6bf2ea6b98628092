"""Who receives a message: the audience of an announcement, a vacancy notice or a vote."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InputError
from bot.models.people import Person, PersonRole
from bot.roles import Role
from bot.states import by_codes
from bot.text import Tr


class AudienceKind(StrEnum):
    ALL = "all"  # every member-state person and the TS; not observers (SPEC 1)
    ROLES = "roles"
    STATES = "states"
    OBSERVERS = "observers"


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind = AudienceKind.ALL
    roles: frozenset[Role] = field(default_factory=frozenset)
    state_codes: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == AudienceKind.ROLES:
            return "role:" + ",".join(sorted(r.value for r in self.roles))
        if self.kind == AudienceKind.STATES:
            return "state:" + ",".join(self.state_codes)
        return self.kind.value


def parse_audience(text: str) -> Audience:
    """`all`, `observers`, `role:vice_minister[,focal_point]`, `state:MX,CR` (SPEC section 3)."""
    value = text.strip()
    lowered = value.lower()
    if lowered in ("", "all", "todos"):
        return Audience()
    if lowered in ("observers", "observadores"):
        return Audience(AudienceKind.OBSERVERS)
    if lowered.startswith("role:"):
        names = [n for n in lowered[5:].split(",") if n]
        try:
            roles = frozenset(Role(n) for n in names)
        except ValueError:
            raise InputError(
                Tr(
                    "Unknown role in {text}. Roles: {roles}.",
                    text=value,
                    roles=", ".join(r.value for r in Role),
                )
            ) from None
        if not roles:
            raise InputError(Tr("Name at least one role after role:"))
        return Audience(AudienceKind.ROLES, roles=roles)
    if lowered.startswith("state:"):
        codes = tuple(c.strip().upper() for c in value[6:].split(",") if c.strip())
        if not codes:
            raise InputError(Tr("Name at least one state code after state:"))
        return Audience(AudienceKind.STATES, state_codes=codes)
    raise InputError(
        Tr(
            "Unknown audience {text}. Use all, observers, role: followed by roles "
            "(role:vice_minister) or state: followed by codes (state:MX,CR).",
            text=value,
        )
    )


async def resolve(session: AsyncSession, audience: Audience) -> list[Person]:
    """The persons who receive it: joined (bound to Telegram), active, deduplicated."""
    query = select(Person).where(col(Person.telegram_id).is_not(None), col(Person.active))
    observers = select(PersonRole.person_id).where(PersonRole.role == Role.OBSERVER)
    if audience.kind == AudienceKind.ALL:
        query = query.where(col(Person.id).not_in(observers))
    elif audience.kind == AudienceKind.OBSERVERS:
        query = query.where(col(Person.id).in_(observers))
    elif audience.kind == AudienceKind.ROLES:
        holders = select(PersonRole.person_id).where(
            col(PersonRole.role).in_([r.value for r in audience.roles])
        )
        query = query.where(col(Person.id).in_(holders))
    else:
        states = await by_codes(session, audience.state_codes)
        query = query.where(col(Person.state_id).in_([s.id for s in states])).where(
            col(Person.id).not_in(observers)
        )
    return list((await session.exec(query.order_by(col(Person.id)))).all())


async def with_roles(
    session: AsyncSession, roles: Sequence[Role], *, state_id: int | None = None
) -> list[Person]:
    """Joined, active persons holding any of `roles` (optionally of one state)."""
    holders = select(PersonRole.person_id).where(col(PersonRole.role).in_([r.value for r in roles]))
    query = select(Person).where(
        col(Person.telegram_id).is_not(None), col(Person.active), col(Person.id).in_(holders)
    )
    if state_id is not None:
        query = query.where(Person.state_id == state_id)
    return list((await session.exec(query.order_by(col(Person.id)))).all())
