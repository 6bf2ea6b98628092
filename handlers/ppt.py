"""/ppt: the TS sets the Presidency Pro-Tempore of a term (SPEC sections 1 and 3)."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot import commands, dialogs, people, presidency, terms
from bot.dialogs import BaseDialog
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.models.dialogs import Draft
from bot.models.people import MemberState
from bot.parsing import parse_int
from bot.permissions import Action
from bot.rollover import PptRolloverKind
from bot.states import state_name
from bot.text import Day, Join, Node, Tr
from bot.updates import Turn, handler

NAME = "ppt"


async def ppt_command(turn: Turn) -> None:
    turn.require(Action.SET_PPT)
    args = turn.command.args
    if not args:
        await turn.reply(Join([await troika_text(turn), "", _ask_state()]))
        await dialogs.begin(turn, NAME, "state")
        return
    year = None
    if len(args) > 1:
        year = parse_int(args[1], minimum=2000, maximum=2100, what=Tr("The year"))
    await _set(turn, args[0], year)


def _ask_state() -> Node:
    return Tr("Send the code of the state that holds the Presidency Pro-Tempore this term.")


async def _set(turn: Turn, code: str, year: int | None) -> None:
    _, actor = turn.known
    old = await presidency.troika_at(turn.session, turn.now, turn.services.clock.tz)
    row = await presidency.set_ppt(
        turn.session, actor, code, year, now=turn.now, tz=turn.services.clock.tz
    )
    state = await turn.session.get(MemberState, row.state_id)
    assert state is not None
    await turn.reply(
        Tr(
            "The Presidency Pro-Tempore for the term from {start} to {end} is {state}.",
            start=Day(terms.term_start(row.term_year)),
            end=Day(terms.term_end(row.term_year)),
            state=state_name(state),
        )
    )
    changed = {s for s in (old.incumbent, row.state_id) if s is not None}
    await _refresh_menus(turn, changed)


async def _refresh_menus(turn: Turn, state_ids: set[int]) -> None:
    """Persons of the outgoing and incoming PPT state gain or lose the admin menu."""
    holders = await people.state_menu_holders(
        turn.session, state_ids, turn.now, turn.services.clock.tz
    )
    bot, features = turn.context.bot, turn.services.features

    async def publish() -> None:
        for chat_id, lang, actor in holders:
            await commands.publish_for(bot, features, chat_id, lang, actor)

    turn.after_commit(publish)


async def troika_text(turn: Turn) -> Node:
    troika = await presidency.troika_at(turn.session, turn.now, turn.services.clock.tz)
    return await presidency.describe_troika(turn.session, troika)


class PptDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.SET_PPT)
        await _set(turn, turn.text.strip(), None)
        await dialogs.end(turn)


FEATURE = Feature(
    name=NAME,
    handlers=[CommandHandler("ppt", handler(ppt_command))],
    dialogs=[PptDialog()],
    deadline_kinds=[PptRolloverKind()],
    commands=[CommandInfo("ppt", N_("Set the Presidency Pro-Tempore"), Audience.TS)],
)
