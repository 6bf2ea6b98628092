"""Single-use invitations: the TS creates one for a state and roles, with an expiry, and
gets a `t.me/<bot>?start=<token>` link; whoever opens it first is bound (SPEC section 1)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, people
from bot.errors import InputError
from bot.i18n import Language
from bot.models.people import Invitation, MemberState, Person
from bot.permissions import Action, Actor, require
from bot.roles import Role, format_roles, parse_roles
from bot.text import Tr

MAX_DAYS_VALID = 90
# Telegram's deep-link parameter allows up to 64 characters of A-Z a-z 0-9 _ -.
TOKEN_BYTES = 18


@dataclass(frozen=True)
class InvitationTarget:
    """What the TS wrote: a state code, `TS`, or `org:<name>` for an observer organisation."""

    state_code: str | None
    organisation: str | None
    is_ts: bool


def parse_target(text: str) -> InvitationTarget:
    value = text.strip()
    if value.lower().startswith("org:"):
        name = value[4:].strip()
        if not name:
            raise InputError(Tr("Name the organisation after org:, for example org:IOM."))
        return InvitationTarget(None, name[:120], is_ts=False)
    if value.upper() == "TS":
        return InvitationTarget(None, None, is_ts=True)
    return InvitationTarget(value.upper(), None, is_ts=False)


def link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    target: InvitationTarget,
    roles_text: str,
    days_valid: int,
    now: datetime,
) -> Invitation:
    require(actor, Action.INVITE)
    try:
        roles = parse_roles(roles_text)
    except ValueError as exc:
        raise InputError(
            Tr(
                "Unknown role {role}. Roles: {roles}.",
                role=str(exc),
                roles=", ".join(r.value for r in Role),
            )
        ) from None
    if not 1 <= days_valid <= MAX_DAYS_VALID:
        raise InputError(Tr("An invitation is valid for 1 to {max} days.", max=MAX_DAYS_VALID))
    state = None
    if target.state_code:
        from bot.states import by_code

        state = await by_code(session, target.state_code)
    people.check_affiliation(roles, state.id if state else None)
    if target.is_ts and not roles <= {Role.TS, Role.COORDINATOR, Role.COMMITTEE}:
        raise InputError(
            Tr("Invitations to the TS may carry only the roles ts, coordinator and committee.")
        )
    if target.organisation and roles != {Role.OBSERVER}:
        raise InputError(Tr("Invitations for an organisation carry the observer role only."))
    invitation = Invitation(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        state_id=state.id if state else None,
        organisation=target.organisation,
        roles=format_roles(roles),
        created_by_id=actor.person_id,
        created_at=now,
        expires_at=now + timedelta(days=days_valid),
    )
    session.add(invitation)
    await session.flush()
    await audit.record(
        session,
        action="invitation.create",
        now=now,
        actor_id=actor.person_id,
        subject=f"invitation:{invitation.id}",
        state=state.code if state else None,
        roles=invitation.roles,
        expires_at=invitation.expires_at.isoformat(),
    )
    return invitation


def check_usable(invitation: Invitation | None, now: datetime) -> Invitation:
    """Pure rule: unknown, revoked, used and expired invitations give no access."""
    if invitation is None:
        raise InputError(
            Tr("This invitation link is not valid. Ask the Technical Secretariat for a new one.")
        )
    if invitation.revoked_at is not None:
        raise InputError(
            Tr("This invitation was withdrawn. Ask the Technical Secretariat for a new one.")
        )
    if invitation.used_at is not None:
        raise InputError(
            Tr(
                "This invitation has already been used. Each link works only once; "
                "ask the Technical Secretariat for a new one."
            )
        )
    if now >= invitation.expires_at:
        raise InputError(
            Tr("This invitation has expired. Ask the Technical Secretariat for a new one.")
        )
    return invitation


async def redeem(
    session: AsyncSession,
    token: str,
    *,
    telegram_id: int,
    display_name: str,
    username: str | None,
    language: Language,
    now: datetime,
) -> Person:
    """Bind the Telegram user to the invitation's state and roles, once."""
    invitation = (await session.exec(select(Invitation).where(Invitation.token == token))).first()
    check_usable(invitation, now)
    assert invitation is not None
    state = await session.get(MemberState, invitation.state_id) if invitation.state_id else None
    person = await people.add_person(
        session,
        roles=parse_roles(invitation.roles),
        now=now,
        telegram_id=telegram_id,
        state=state,
        organisation=invitation.organisation,
        display_name=display_name,
        language=language,
        actor_id=None,
    )
    person.username = username
    if not person.display_name:
        person.display_name = display_name
    person.joined_at = person.joined_at or now
    person.blocked_bot = False
    session.add(person)
    invitation.used_at, invitation.used_by_id = now, person.id
    session.add(invitation)
    await session.flush()
    await audit.record(
        session,
        action="invitation.redeem",
        now=now,
        actor_id=person.id,
        subject=f"invitation:{invitation.id}",
    )
    return person
