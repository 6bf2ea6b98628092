"""Who holds which role, and what each role may do (SPEC section 1)."""

from __future__ import annotations

import pytest

from bot.errors import InputError, PermissionDenied
from bot.people import check_affiliation
from bot.permissions import Action, Actor, can, require, require_same_state
from bot.roles import Role, parse_roles

TS_ONLY = [
    Action.INVITE,
    Action.SET_PPT,
    Action.ANNOUNCE,
    Action.VACANCY,
    Action.MEETING,
    Action.REPORT,
    Action.CONTRACT,
    Action.ADD_DEADLINE,
]
TS_OR_PPT = [Action.OPEN_VOTE, Action.OPEN_SURVEY, Action.CLOSE, Action.EXPORT]


def actor(*roles: Role, state: int | None = 1, ppt: bool = False) -> Actor:
    return Actor(person_id=1, roles=frozenset(roles), state_id=state, is_ppt=ppt)


@pytest.mark.parametrize("action", TS_ONLY + TS_OR_PPT)
def test_ts_may_do_every_admin_action(action: Action) -> None:
    assert can(actor(Role.TS, state=None), action)


@pytest.mark.parametrize("action", TS_ONLY + TS_OR_PPT)
def test_focal_point_may_do_no_admin_action(action: Action) -> None:
    with pytest.raises(PermissionDenied):
        require(actor(Role.FOCAL_POINT), action)


@pytest.mark.parametrize("action", TS_OR_PPT)
def test_ppt_opens_votes_and_surveys_but_not_ts_only_actions(action: Action) -> None:
    ppt = actor(Role.VICE_MINISTER, ppt=True)
    assert can(ppt, action)
    assert not any(can(ppt, a) for a in TS_ONLY)


def test_voting_needs_a_state_role() -> None:
    assert can(actor(Role.VICE_MINISTER), Action.CAST_VOTE)
    assert can(actor(Role.ALTERNATE), Action.CAST_VOTE)
    assert not can(actor(Role.FOCAL_POINT), Action.CAST_VOTE)
    assert not can(actor(Role.OBSERVER, state=None), Action.CAST_VOTE)
    assert not can(actor(Role.VICE_MINISTER, state=None), Action.CAST_VOTE)


def test_survey_answered_by_focal_point_or_vice_minister() -> None:
    assert can(actor(Role.FOCAL_POINT), Action.ANSWER_SURVEY)
    assert can(actor(Role.VICE_MINISTER), Action.ANSWER_SURVEY)
    assert not can(actor(Role.ALTERNATE), Action.ANSWER_SURVEY)
    assert not can(actor(Role.COORDINATOR, state=None), Action.ANSWER_SURVEY)


def test_nobody_acts_for_another_state() -> None:
    require_same_state(actor(Role.FOCAL_POINT, state=3), 3)
    with pytest.raises(PermissionDenied):
        require_same_state(actor(Role.FOCAL_POINT, state=3), 4)
    with pytest.raises(PermissionDenied):
        require_same_state(actor(Role.TS, state=None), 4)


def test_no_actor_may_do_nothing() -> None:
    assert not can(None, Action.CAST_VOTE)
    with pytest.raises(PermissionDenied):
        require(None, Action.INVITE)


def test_roles_parse_and_refuse_unknown() -> None:
    assert parse_roles("focal_point, vice_minister") == {Role.FOCAL_POINT, Role.VICE_MINISTER}
    with pytest.raises(ValueError, match="minister"):
        parse_roles("focal_point,minister")
    with pytest.raises(ValueError):
        parse_roles(",")


def test_state_roles_need_a_state_and_ts_has_none() -> None:
    check_affiliation(frozenset({Role.FOCAL_POINT}), 1)
    check_affiliation(frozenset({Role.TS}), None)
    check_affiliation(frozenset({Role.COMMITTEE}), 1)
    with pytest.raises(InputError):
        check_affiliation(frozenset({Role.VICE_MINISTER}), None)
    with pytest.raises(InputError):
        check_affiliation(frozenset({Role.TS}), 1)
    with pytest.raises(InputError):
        check_affiliation(frozenset({Role.OBSERVER}), 2)
