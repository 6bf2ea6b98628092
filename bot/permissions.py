"""Who may do what: the one place that decides permissions (SPEC sections 1 and 3).

Services call `require(actor, Action.X)` before they change anything. Checks that depend on
the subject (this vote, this state) stay in the service, next to the rule they enforce, and
use the `Actor` built here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import PermissionDenied
from bot.roles import STATE_ROLES, Role
from bot.text import Tr


@dataclass(frozen=True)
class Actor:
    """A person as the permission rules see them at one moment."""

    person_id: int
    roles: frozenset[Role]
    state_id: int | None = None
    state_code: str | None = None
    is_ppt: bool = False  # a state role in the state holding the Presidency Pro-Tempore now
    in_troika: bool = False
    language: str = "en"

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_ts(self) -> bool:
        return Role.TS in self.roles

    @property
    def speaks_for_state(self) -> bool:
        return self.state_id is not None and bool(self.roles & STATE_ROLES)


class Action(StrEnum):
    INVITE = "invite"
    SET_PPT = "set_ppt"
    ANNOUNCE = "announce"
    VACANCY = "vacancy"
    MEETING = "meeting"
    REPORT = "report"
    CONTRACT = "contract"
    ADD_DEADLINE = "add_deadline"
    OPEN_VOTE = "open_vote"
    OPEN_SURVEY = "open_survey"
    CLOSE = "close"  # close a vote or survey now, as its deadline would
    EXPORT = "export"
    SEE_DELIVERY = "see_delivery"  # who received / acknowledged what
    SEE_SURVEY_RESULTS = "see_survey_results"
    CAST_VOTE = "cast_vote"
    ANSWER_SURVEY = "answer_survey"
    CONFIRM_ATTENDANCE = "confirm_attendance"
    UPDATE_COMMITMENT = "update_commitment"


def _ts(actor: Actor) -> bool:
    return actor.is_ts


def _ts_or_ppt(actor: Actor) -> bool:
    # SPEC 1: "PPT persons may open votes and see survey results".
    return actor.is_ts or actor.is_ppt


def _state_roles(*roles: Role) -> Callable[[Actor], bool]:
    def rule(actor: Actor) -> bool:
        return actor.state_id is not None and actor.has(*roles)

    return rule


_RULES: dict[Action, Callable[[Actor], bool]] = {
    Action.INVITE: _ts,
    Action.SET_PPT: _ts,
    Action.ANNOUNCE: _ts,
    Action.VACANCY: _ts,
    Action.MEETING: _ts,
    Action.REPORT: _ts,
    Action.CONTRACT: _ts,
    Action.ADD_DEADLINE: _ts,
    Action.OPEN_VOTE: _ts_or_ppt,
    Action.OPEN_SURVEY: _ts_or_ppt,
    Action.CLOSE: _ts_or_ppt,
    Action.EXPORT: _ts_or_ppt,
    Action.SEE_DELIVERY: _ts_or_ppt,
    Action.SEE_SURVEY_RESULTS: lambda a: _ts_or_ppt(a) or a.has(Role.COORDINATOR),
    # Committee votes are checked against the vote's named members by the vote service.
    Action.CAST_VOTE: lambda a: (
        _state_roles(Role.VICE_MINISTER, Role.ALTERNATE)(a) or a.has(Role.COMMITTEE)
    ),
    Action.ANSWER_SURVEY: _state_roles(Role.FOCAL_POINT, Role.VICE_MINISTER),
    Action.CONFIRM_ATTENDANCE: _state_roles(Role.FOCAL_POINT, Role.VICE_MINISTER),
    Action.UPDATE_COMMITMENT: lambda a: a.is_ts or _state_roles(Role.FOCAL_POINT)(a),
}

# Which actions appear in which menus: the TS-and-PPT command set (SPEC section 3).
ADMIN_ACTIONS = frozenset(
    {Action.ANNOUNCE, Action.VACANCY, Action.REPORT, Action.MEETING, Action.OPEN_VOTE}
)


def can(actor: Actor | None, action: Action) -> bool:
    return actor is not None and _RULES[action](actor)


def require(actor: Actor | None, action: Action) -> Actor:
    """The actor, if allowed; otherwise PermissionDenied (nothing is changed)."""
    if actor is None or not can(actor, action):
        raise PermissionDenied()
    return actor


def require_same_state(actor: Actor, state_id: int | None) -> None:
    """One state's person cannot act for another."""
    if actor.state_id is None or actor.state_id != state_id:
        raise PermissionDenied(
            Tr("You can only act for your own member state. Nothing was changed.")
        )
