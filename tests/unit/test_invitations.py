"""Invitations: single use, expiry, and the checks made when one is created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import invitations, people
from bot.errors import InputError, PermissionDenied
from bot.models.people import Invitation
from bot.permissions import Actor
from bot.roles import Role

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def invitation(**changes: object) -> Invitation:
    row = Invitation(token="t", roles="focal_point", expires_at=NOW + timedelta(days=7))
    for key, value in changes.items():
        setattr(row, key, value)
    return row


def test_usable_until_it_expires() -> None:
    row = invitation()
    assert invitations.check_usable(row, NOW) is row
    assert invitations.check_usable(row, NOW + timedelta(days=7, seconds=-1)) is row
    with pytest.raises(InputError):
        invitations.check_usable(row, NOW + timedelta(days=7))


@pytest.mark.parametrize("changes", [{"used_at": NOW}, {"revoked_at": NOW}])
def test_used_or_withdrawn_invitation_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InputError):
        invitations.check_usable(invitation(**changes), NOW)


def test_unknown_invitation_refused() -> None:
    with pytest.raises(InputError):
        invitations.check_usable(None, NOW)


def test_targets() -> None:
    assert invitations.parse_target("mx") == invitations.InvitationTarget("MX", None, False)
    assert invitations.parse_target("TS").is_ts
    assert invitations.parse_target("org:IOM").organisation == "IOM"
    with pytest.raises(InputError):
        invitations.parse_target("org:")


async def _ts(session: AsyncSession) -> Actor:
    person = await people.add_person(session, roles=frozenset({Role.TS}), now=NOW, telegram_id=1)
    return await people.actor_for(session, person, NOW, UTC)  # type: ignore[arg-type]


async def test_single_use(session: AsyncSession) -> None:
    ts = await _ts(session)
    created = await invitations.create(
        session,
        ts,
        target=invitations.parse_target("MX"),
        roles_text="focal_point",
        days_valid=7,
        now=NOW,
    )
    person = await invitations.redeem(
        session,
        created.token,
        telegram_id=50,
        display_name="Ana",
        username=None,
        language="es",
        now=NOW + timedelta(hours=1),
    )
    assert await people.roles_of(session, person.id) == {Role.FOCAL_POINT}  # type: ignore[arg-type]
    assert person.language == "es"
    with pytest.raises(InputError):
        await invitations.redeem(
            session,
            created.token,
            telegram_id=51,
            display_name="Eve",
            username=None,
            language="en",
            now=NOW + timedelta(hours=2),
        )
    assert await people.by_telegram_id(session, 51) is None


async def test_expired_invitation_binds_nobody(session: AsyncSession) -> None:
    ts = await _ts(session)
    created = await invitations.create(
        session,
        ts,
        target=invitations.parse_target("CR"),
        roles_text="vice_minister",
        days_valid=1,
        now=NOW,
    )
    with pytest.raises(InputError):
        await invitations.redeem(
            session,
            created.token,
            telegram_id=60,
            display_name="Late",
            username=None,
            language="en",
            now=NOW + timedelta(days=1, minutes=1),
        )
    assert await people.by_telegram_id(session, 60) is None


async def test_only_ts_invites_and_checks_roles(session: AsyncSession) -> None:
    ts = await _ts(session)
    focal = Actor(person_id=99, roles=frozenset({Role.FOCAL_POINT}), state_id=1)
    target = invitations.parse_target("MX")
    with pytest.raises(PermissionDenied):
        await invitations.create(
            session, focal, target=target, roles_text="focal_point", days_valid=7, now=NOW
        )
    with pytest.raises(InputError):
        await invitations.create(
            session, ts, target=target, roles_text="president", days_valid=7, now=NOW
        )
    with pytest.raises(InputError):
        await invitations.create(
            session,
            ts,
            target=invitations.parse_target("ZZ"),
            roles_text="focal_point",
            days_valid=7,
            now=NOW,
        )
    with pytest.raises(InputError):
        await invitations.create(
            session, ts, target=target, roles_text="focal_point", days_valid=0, now=NOW
        )
    with pytest.raises(InputError):  # a focal point without a state
        await invitations.create(
            session,
            ts,
            target=invitations.parse_target("TS"),
            roles_text="focal_point",
            days_valid=7,
            now=NOW,
        )
