"""Roles a person may hold (SPEC section 1)."""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import N_


class Role(StrEnum):
    TS = "ts"  # Technical Secretariat staff: the administrators
    COORDINATOR = "coordinator"  # the TS Coordinator: sees results about themself in aggregate
    VICE_MINISTER = "vice_minister"  # casts the state's vote
    ALTERNATE = "alternate"  # votes for the state when the Vice-Minister has not
    FOCAL_POINT = "focal_point"  # receives broadcasts, answers surveys and RSVPs for the state
    COMMITTEE = "committee"  # selection committee member
    OBSERVER = "observer"  # receives only what is sent to observers


ROLE_LABELS: dict[Role, str] = {
    Role.TS: N_("Technical Secretariat"),
    Role.COORDINATOR: N_("Coordinator of the Technical Secretariat"),
    Role.VICE_MINISTER: N_("Vice-Minister"),
    Role.ALTERNATE: N_("Alternate"),
    Role.FOCAL_POINT: N_("Focal point"),
    Role.COMMITTEE: N_("Selection committee"),
    Role.OBSERVER: N_("Observer"),
}

# Roles that speak for a member state; a person holding one must be bound to a state.
STATE_ROLES = frozenset({Role.VICE_MINISTER, Role.ALTERNATE, Role.FOCAL_POINT})


def parse_roles(text: str) -> frozenset[Role]:
    """`focal_point,vice_minister` -> roles; raises ValueError naming the unknown one."""
    roles = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            roles.add(Role(part.lower()))
        except ValueError:
            raise ValueError(part) from None
    if not roles:
        raise ValueError(text)
    return frozenset(roles)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))
