"""/language: read the bot in English or Spanish (SPEC section 1)."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import commands, people
from bot.errors import InputError
from bot.features import CommandInfo, Feature
from bot.i18n import N_, Language, set_language
from bot.text import Button, Tr, keyboard
from bot.updates import Turn, handler

_NAMES: dict[str, Language] = {
    "en": "en",
    "english": "en",
    "inglés": "en",
    "ingles": "en",
    "es": "es",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
}


async def language_command(turn: Turn) -> None:
    args = turn.command.args
    if not args:
        await turn.reply(
            Tr("Which language should I use with you?"),
            keyboard([Button("English", data="lang:en"), Button("Español", data="lang:es")]),
        )
        return
    choice = _NAMES.get(args[0].lower())
    if choice is None:
        raise InputError(Tr("I speak English (en) and Spanish (es). Try /language es."))
    await _switch(turn, choice)


async def language_button(turn: Turn) -> None:
    code = turn.callback_data.removeprefix("lang:")
    choice = _NAMES.get(code)
    if choice is None or code not in ("en", "es"):
        raise InputError(Tr("That button is no longer active."))
    await _switch(turn, choice)
    turn.answer(Tr("Language changed."))


async def _switch(turn: Turn, choice: Language) -> None:
    person, actor = turn.known
    await people.set_language(turn.session, person, choice, now=turn.now)
    turn.lang = choice
    set_language(choice)
    await turn.reply(Tr("From now on I will write to you in English."))
    if commands.is_admin(actor):
        bot, features, chat_id = turn.context.bot, turn.services.features, turn.chat_id
        turn.after_commit(lambda: commands.publish_for(bot, features, chat_id, choice, actor))


FEATURE = Feature(
    name="language",
    handlers=[
        CommandHandler("language", handler(language_command)),
        CallbackQueryHandler(handler(language_button), pattern=r"^lang:"),
    ],
    commands=[CommandInfo("language", N_("Read me in English or Spanish"))],
)
