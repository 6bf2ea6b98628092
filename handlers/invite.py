"""/invite: the TS creates a single-use invitation link (SPEC sections 1 and 3).

`/invite MX focal_point[,vice_minister] [days-valid]`; `TS` or `org:<name>` instead of a
state code invite secretariat staff or an observer organisation. Without arguments, the bot
asks for each part.
"""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot import dialogs, invitations
from bot.dialogs import BaseDialog
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.models.dialogs import Draft
from bot.parsing import parse_int
from bot.permissions import Action
from bot.roles import Role
from bot.text import Join, Node, Tr, When
from bot.updates import Turn, handler
from handlers.common import affiliation

NAME = "invite"


async def invite_command(turn: Turn) -> None:
    turn.require(Action.INVITE)
    args = turn.command.args
    if not args:
        await dialogs.begin(turn, NAME, "target")
        await turn.reply(_ask_target())
        return
    if len(args) < 2:
        await dialogs.begin(turn, NAME, "roles", target=args[0])
        await turn.reply(_ask_roles())
        return
    days = _days(turn, args[2] if len(args) > 2 else None)
    await _create(turn, args[0], args[1], days)


def _ask_target() -> Node:
    return Tr(
        "Who is the invitation for? Send a member state code (for example MX), TS for "
        "secretariat staff, or org: followed by the name of an observer organisation (for "
        "example org:IOM). /cancel stops."
    )


def _ask_roles() -> Node:
    return Tr(
        "Which roles? Send one or more, separated by commas: {roles}.",
        roles=", ".join(r.value for r in Role),
    )


def _days(turn: Turn, text: str | None) -> int:
    if text is None:
        return turn.services.settings.invitation_days_valid
    return parse_int(
        text, minimum=1, maximum=invitations.MAX_DAYS_VALID, what=Tr("The number of days")
    )


async def _create(turn: Turn, target_text: str, roles_text: str, days: int) -> None:
    _, actor = turn.known
    invitation = await invitations.create(
        turn.session,
        actor,
        target=invitations.parse_target(target_text),
        roles_text=roles_text,
        days_valid=days,
        now=turn.now,
    )
    body = await affiliation(turn, invitation.state_id, invitation.organisation)
    link = invitations.link(turn.services.bot_username, invitation.token)
    await turn.reply(
        Join(
            [
                Tr(
                    "Invitation for <b>{roles}</b> of {body}, valid until {until}:",
                    roles=invitation.roles,
                    body=body,
                    until=When(invitation.expires_at),
                ),
                link,
                Tr(
                    "It works once. Send it to the person through a channel you trust; whoever "
                    "opens it first is registered."
                ),
            ]
        )
    )


class InviteDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.INVITE)
        value = turn.text.strip()
        if draft.step == "target":
            invitations.parse_target(value)  # refuse a malformed target now, not at the end
            await dialogs.save(turn, draft, "roles", target=value)
            await turn.reply(_ask_roles())
        elif draft.step == "roles":
            await _create(turn, draft.data["target"], value, _days(turn, None))
            await dialogs.end(turn)


FEATURE = Feature(
    name=NAME,
    handlers=[CommandHandler("invite", handler(invite_command))],
    dialogs=[InviteDialog()],
    commands=[CommandInfo("invite", N_("Create an invitation link"), Audience.TS)],
)
