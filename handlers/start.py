"""/start (with or without an invitation token) and /help."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot import commands, invitations, people
from bot.features import CommandInfo, Feature
from bot.i18n import N_, as_language
from bot.text import Join, Tr
from bot.updates import Turn, answer_stranger, handler
from handlers.common import command_list, profile


async def start(turn: Turn) -> None:
    token = turn.command.args[0] if turn.command.args else None
    if token is None:
        if turn.person is None:
            await answer_stranger(turn)  # opened without an invitation
            return
        await _welcome(turn, again=True)
        return
    user = turn.update.effective_user
    assert user is not None
    lang = as_language(turn.person.language) if turn.person else turn.lang
    person = await invitations.redeem(
        turn.session,
        token,
        telegram_id=user.id,
        display_name=user.full_name,
        username=user.username,
        language=lang,
        now=turn.now,
    )
    turn.person = person
    turn.actor = await people.actor_for(turn.session, person, turn.now, turn.services.clock.tz)
    await _welcome(turn, again=False)
    if commands.is_admin(turn.actor):
        bot, features = turn.context.bot, turn.services.features
        admin_chat, admin_lang, actor = turn.chat_id, turn.lang, turn.actor
        turn.after_commit(
            lambda: commands.publish_for(bot, features, admin_chat, admin_lang, actor)
        )


async def _welcome(turn: Turn, *, again: bool) -> None:
    person, actor = turn.known
    greeting = (
        Tr("Welcome back, {name}.", name=person.display_name or "")
        if again
        else Tr(
            "Welcome, {name}. You are now connected to the assistant of the Regional "
            "Conference on Migration.",
            name=person.display_name or "",
        )
    )
    await turn.reply(
        Join(
            [
                greeting,
                await profile(turn, person, actor),
                "",
                Tr("What you can do:"),
                command_list(turn, actor),
                "",
                Tr("Use /language to read me in English or Spanish."),
            ]
        )
    )


async def help_command(turn: Turn) -> None:
    if turn.person is None:
        await turn.reply(
            Tr(
                "This assistant serves the member states and the Technical Secretariat of the "
                "Regional Conference on Migration. To use it you need an invitation link from "
                "the Technical Secretariat."
            )
        )
        return
    person, actor = turn.known
    await turn.reply(
        Join(
            [
                Tr("<b>How I can help</b>"),
                await profile(turn, person, actor),
                "",
                command_list(turn, actor),
                "",
                Tr(
                    "Commands given without details ask for them step by step; /cancel stops. "
                    "Dates are written YYYY-MM-DD or DD/MM/YYYY, in the conference time zone."
                ),
            ]
        )
    )


FEATURE = Feature(
    name="start",
    handlers=[
        CommandHandler("start", handler(start, strangers=True)),
        CommandHandler("help", handler(help_command, strangers=True)),
    ],
    commands=[
        CommandInfo("start", N_("Start, or show who you are registered as")),
        CommandInfo("help", N_("What I can do for you")),
    ],
)
