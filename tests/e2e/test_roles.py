"""Roles through the real handlers (issue 9): every action a focal point may not take is
refused to them, by command and by button, with a clear answer in their language and nothing
changed; one state's person cannot act for another state.

The actions come from `bot.permissions` (the one place that decides): a new action a focal
point may not take fails this test until it has attempts below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import bot.updates
from bot.i18n import gettext, use_language
from bot.permissions import Action, can
from bot.sandbox.users import SimUser
from tests.e2e.hostile_world import (
    ANNOUNCE,
    CAST,
    COMMITMENT,
    DEADLINE,
    VACANCY,
    VOTE,
    World,
    actor_of,
    audit_rows,
    changed_tables,
    collect_errors,
    describe,
    seed,
    snapshot,
)
from tests.e2e.meetings_support import PDF
from tests.harness import Harness

NOT_ALLOWED = "You are not allowed to do that. Nothing was changed."
OTHER_STATE = "You can only act for your own member state. Nothing was changed."
STALE = "That button is no longer active."
NOT_OURS = "Commitment {id} is not your state's to update. Nothing was changed."


@dataclass(frozen=True)
class Attempt:
    """A command, a caption on a PDF, or a button press (callback data)."""

    send: str | None = None
    caption: str | None = None
    press: str | None = None
    # What the refusal may say (msgids); by default only the permission refusal.
    refusals: tuple[str, ...] = (NOT_ALLOWED,)


# Each action a focal point may not take, as they would try it. Valid forms: for the TS each
# of these would do something, so the only reason to refuse is who asks.
ATTEMPTS: dict[Action, list[Attempt]] = {
    Action.INVITE: [Attempt("/invite MX focal_point"), Attempt("/invite observer IOM")],
    Action.SET_PPT: [Attempt("/ppt GT")],
    Action.ANNOUNCE: [
        Attempt(ANNOUNCE),
        Attempt("/announce"),
        Attempt(press="ann:1:remind:0"),
        Attempt(press="dlg:announce:preview", refusals=(STALE,)),
    ],
    Action.VACANCY: [
        Attempt(VACANCY),
        Attempt("/vacancy N1 applications 2"),
        Attempt("/vacancy N1 extend 2026-05-20"),
        Attempt("/vacancy N1 readvertise"),
        Attempt(press="vac:1:apps"),
        Attempt(press="vac:1:ext:1:30"),
        Attempt(press="vac:1:close:1"),
    ],
    Action.MEETING: [
        Attempt("/meeting rcgm 2026-09-15 San Salvador"),
        Attempt("/meeting M2 attendance 2026-06-01"),
        Attempt(f"/meeting M1 commitment MX 2026-07-15\n{COMMITMENT}"),
        Attempt("/meeting M2"),
        Attempt("/meeting"),
    ],
    Action.REPORT: [Attempt("/report M2"), Attempt(caption="/report M2")],
    Action.CONTRACT: [
        Attempt("/contract 2026-03-02"),
        Attempt("/contract extended"),
        Attempt(press="ct:1:1:yes"),
    ],
    Action.ADD_DEADLINE: [Attempt(DEADLINE), Attempt("/deadline")],
    Action.OPEN_VOTE: [Attempt(VOTE), Attempt("/vote"), Attempt(caption="/vote majority")],
    # (a bare /survey lists the surveys the person has to answer)
    Action.OPEN_SURVEY: [Attempt("/survey coordinator 2026-03-25")],
    Action.CLOSE: [Attempt("/close V1"), Attempt("/close S1"), Attempt("/close N1")],
    Action.EXPORT: [
        Attempt("/export V1"),
        Attempt("/export S1"),
        Attempt("/export A1"),
        Attempt("/export M2"),
        Attempt("/export R1"),
    ],
    Action.SEE_DELIVERY: [Attempt(press="ann:1:remind:0"), Attempt("/export A1")],
    Action.SEE_SURVEY_RESULTS: [Attempt(press="srv:1:results")],
    Action.CAST_VOTE: [Attempt(press="vote:1:{seat}:ok", refusals=(NOT_ALLOWED, OTHER_STATE))],
}

# Focal points: of Mexico and Guatemala, and of Costa Rica, which holds the Presidency.
FOCAL_POINTS = ["ana", "gus", "carlos"]

# SPEC 1 and 2: all a focal point does for their state. The rules in bot.permissions decide;
# this only catches a rule loosened by mistake (which the attempts, derived from those same
# rules, could not see).
FOCAL_POINT_MAY = {Action.ANSWER_SURVEY, Action.CONFIRM_ATTENDANCE, Action.UPDATE_COMMITMENT}
PPT_MAY = {Action.OPEN_VOTE, Action.OPEN_SURVEY, Action.CLOSE, Action.EXPORT}
PPT_MAY |= {Action.SEE_DELIVERY, Action.SEE_SURVEY_RESULTS}


class Refusals:
    """Update ids the shared wrapper answered with a refusal (a UserError)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ids: list[int] = []
        tell = bot.updates._tell

        async def recording(services: Any, update: Any, *args: Any) -> None:
            self.ids.append(update.update_id)
            await tell(services, update, *args)

        monkeypatch.setattr(bot.updates, "_tell", recording)


def _translated(msgid: str, lang: str) -> str:
    with use_language(lang):  # type: ignore[arg-type]
        return gettext(msgid)


def _seat_of(user: SimUser) -> str:
    for message in reversed(user.bot_messages()):
        for row in message.buttons:
            for button in row:
                if button.value and button.value.startswith("vote:1:"):
                    return button.value.split(":")[2]
    raise AssertionError(f"{user.name} has no ballot")


async def _refused(world: World, refusals: Refusals, user: SimUser, attempt: Attempt) -> None:
    h = world.harness
    lang = CAST[user.name][2]
    before, audit, told = await snapshot(h), await audit_rows(h), len(refusals.ids)
    seen = len(user.bot_messages())
    query_id = None
    if attempt.send is not None:
        await user.send(attempt.send)
    elif attempt.caption is not None:
        await user.send_document(PDF, "report.pdf", caption=attempt.caption)
    else:
        assert attempt.press is not None
        press = attempt.press.format(seat=_seat_of(world["miguel"]))
        query_id = await user.press_data(press, user.bot_messages()[-1].message_id)
    await h.settle()
    what = f"{user.name}: {attempt}"
    assert not world.errors, describe(world.errors)
    assert len(refusals.ids) > told, f"not refused: {what}\n{user.transcript()[-800:]}"
    expected = {_translated(r, lang) for r in attempt.refusals}
    if query_id is None:
        answers = [m.content for m in user.bot_messages()[seen:]]
        assert len(answers) == 1 and answers[0] in expected, (what, answers)
    else:
        answer = user.callback_answers[query_id]
        assert answer is not None and answer.show_alert and answer.text in expected, (what, answer)
        assert user.bot_messages()[seen:] == []
    assert changed_tables(before, await snapshot(h)) == [], what
    assert await audit_rows(h) == audit, what


async def _delivery_is_shown_to_the_ts_only(world: World) -> None:
    """SEE_DELIVERY is a view, not a refusal: a focal point's /status shows their own part."""
    h = world.harness
    await world["tess"].send("/status A1")
    await world["gus"].send("/status A1")
    await h.settle()
    ts_view = world["tess"].bot_messages()[-1].content
    own_view = world["gus"].bot_messages()[-1].content
    assert "Total: 11 sent (0 acknowledged)" in ts_view and "Guatemala: " in ts_view
    assert "acknowledged)" not in own_view and "Mexico" not in own_view, own_view


@pytest.fixture
async def world(harness: Harness) -> World:
    return await seed(harness)


async def test_focal_points_are_refused_every_action_they_may_not_take(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = Refusals(monkeypatch)
    await _delivery_is_shown_to_the_ts_only(world)
    with collect_errors(world.errors):
        for name in FOCAL_POINTS:
            user = world[name]
            actor = await actor_of(world.harness, user)
            assert actor is not None and actor.speaks_for_state
            forbidden = [a for a in Action if not can(actor, a)]
            may = FOCAL_POINT_MAY | (PPT_MAY if actor.is_ppt else set())
            assert {a for a in Action if can(actor, a)} == may, name
            missing = [a for a in forbidden if a not in ATTEMPTS]
            assert missing == [], f"add attempts for {missing}"
            assert Action.INVITE in forbidden and (name != "carlos" or actor.is_ppt)
            for action in forbidden:
                for attempt in ATTEMPTS[action]:
                    await _refused(world, refusals, user, attempt)


async def test_one_states_person_cannot_act_for_another(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = Refusals(monkeypatch)

    def data_of(user: SimUser, prefix: str) -> str:
        return next(
            b.value
            for m in reversed(user.bot_messages())
            for row in m.buttons
            for b in row
            if b.value and b.value.startswith(prefix)
        )

    cross = [
        # Guatemala's Vice-Minister votes Mexico's seat, on his own ballot.
        ("omar", data_of(world["miguel"], "vote:1:").replace(":obj", ":ok"), "vote:1:"),
        # Mexico's focal point confirms attendance for Guatemala, and for the PPT's state.
        ("ana", data_of(world["gus"], "att:2:"), "att:2:"),
        ("ana", data_of(world["carlos"], "att:2:"), "att:2:"),
        # Guatemala's focal point updates Mexico's commitment F1.
        ("gus", "cmt:1:c", "cmt:1:"),
        # The United States' alternate votes Guatemala's seat.
        ("alma", data_of(world["omar"], "vote:1:"), "vote:1:"),
    ]
    with collect_errors(world.errors):
        for name, data, own_prefix in cross:
            user = world[name]
            mine = [
                m
                for m in user.bot_messages()
                if any(b.value and b.value.startswith(own_prefix) for row in m.buttons for b in row)
            ]
            target = (mine or user.bot_messages())[-1]
            lang = CAST[name][2]
            before, audit, told = (
                await snapshot(world.harness),
                await audit_rows(world.harness),
                len(refusals.ids),
            )
            query_id = await user.press_data(data, target.message_id)
            await world.harness.settle()
            assert not world.errors, describe(world.errors)
            answer = user.callback_answers[query_id]
            allowed = {
                _translated(OTHER_STATE, lang),
                _translated(NOT_ALLOWED, lang),
                _translated(NOT_OURS, lang).format(id="F1"),
            }
            assert answer is not None and answer.show_alert and answer.text in allowed, (
                name,
                data,
                answer,
            )
            assert len(refusals.ids) > told
            assert changed_tables(before, await snapshot(world.harness)) == [], (name, data)
            assert await audit_rows(world.harness) == audit
