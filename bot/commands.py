"""Telegram's command menu, per language and per person (SPEC section 1: `setMyCommands`
per language). Everyone sees the common commands; the TS and the PPT see theirs too."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.features import Audience, CommandInfo, Feature
from bot.i18n import LANGUAGES, Language, gettext, use_language
from bot.permissions import Actor

log = logging.getLogger(__name__)


# The order of SPEC section 3: common commands first, then the TS and PPT ones.
ORDER = (
    "start", "help", "language", "status", "deadlines", "calendar",
    "announce", "vacancy", "report", "meeting", "vote", "survey", "contract", "deadline",
    "invite", "ppt", "close", "export", "cancel",
)  # fmt: skip


def _position(command: CommandInfo) -> tuple[int, str]:
    name = command.name
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def menu(features: Sequence[Feature], actor: Actor | None) -> list[CommandInfo]:
    """The commands this person may use, in the menu's order."""
    allowed = {Audience.EVERYONE}
    if actor is not None and (actor.is_ts or actor.is_ppt):
        allowed.add(Audience.ADMIN)
    if actor is not None and actor.is_ts:
        allowed.add(Audience.TS)
    seen: dict[str, CommandInfo] = {}
    for feature in features:
        for command in feature.commands:
            if command.audience in allowed:
                seen.setdefault(command.name, command)
    return sorted(seen.values(), key=_position)


def is_admin(actor: Actor | None) -> bool:
    """Whether the person has a menu of their own (beyond everyone's)."""
    return actor is not None and (actor.is_ts or actor.is_ppt)


def _bot_commands(commands: Sequence[CommandInfo], lang: Language) -> list[BotCommand]:
    with use_language(lang):
        return [BotCommand(c.name, gettext(c.description)) for c in commands]


async def publish_defaults(bot: Bot, features: Sequence[Feature]) -> None:
    """The menu everyone sees, in English (the default) and in Spanish."""
    commands = menu(features, None)
    try:
        await bot.set_my_commands(_bot_commands(commands, "en"), scope=BotCommandScopeDefault())
        for lang in LANGUAGES:
            await bot.set_my_commands(
                _bot_commands(commands, lang), scope=BotCommandScopeDefault(), language_code=lang
            )
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc.message)


async def publish_for(
    bot: Bot, features: Sequence[Feature], chat_id: int, lang: Language, actor: Actor | None
) -> None:
    """A person's own menu: the admin commands for the TS and the PPT, in their language."""
    scope = BotCommandScopeChat(chat_id)
    try:
        if is_admin(actor):
            await bot.set_my_commands(_bot_commands(menu(features, actor), lang), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:
        log.info("could not set the menu of chat %s: %s", chat_id, exc.message)
