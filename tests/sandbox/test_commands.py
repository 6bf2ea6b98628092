"""setMyCommands / getMyCommands / deleteMyCommands per scope and language; descriptions."""

from __future__ import annotations

import telegram
from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.sandbox import BotApiServer, BotCommandEntry
from tests.sandbox.conftest import RawApi


async def test_commands_per_language_and_scope(sandbox: BotApiServer, ptb: telegram.Bot) -> None:
    ana, ben = sandbox.user("ana", lang="es"), sandbox.user("ben", lang="en")
    await ana.send("/start")
    await ptb.set_my_commands([BotCommand("help", "Help")])
    await ptb.set_my_commands([BotCommand("ayuda", "Ayuda")], language_code="es")
    await ptb.set_my_commands(
        [BotCommand("admin", "Admin")], scope=BotCommandScopeChat(ana.id), language_code="es"
    )
    spanish = await ptb.get_my_commands(language_code="es")
    assert [c.command for c in spanish] == ["ayuda"]
    assert [c.command for c in await ptb.get_my_commands()] == ["help"]
    assert await ptb.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    assert ana.visible_commands() == [BotCommandEntry("admin", "Admin")]
    assert [c.command for c in ben.visible_commands()] == ["help"]
    ben.language_code = "es"
    assert [c.command for c in ben.visible_commands()] == ["ayuda"]
    await ptb.delete_my_commands(language_code="es")
    assert [c.command for c in ben.visible_commands()] == ["help"]


async def test_command_rules(api: RawApi) -> None:
    bad_name = await api("setMyCommands", commands=[{"command": "Help Me", "description": "x"}])
    assert bad_name.description == "Bad Request: BOT_COMMAND_INVALID"
    bad_text = await api("setMyCommands", commands=[{"command": "help", "description": ""}])
    assert bad_text.description == "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
    bad_lang = await api(
        "setMyCommands", commands=[{"command": "h", "description": "d"}], language_code="spa"
    )
    assert bad_lang.description == "Bad Request: invalid language code specified"
    bad_scope = await api(
        "setMyCommands", commands=[{"command": "h", "description": "d"}], scope={"type": "moon"}
    )
    assert bad_scope.status == 400


async def test_descriptions_are_stored(ptb: telegram.Bot, api: RawApi) -> None:
    assert await ptb.set_my_description("Coordinates the RCM", language_code="en")
    assert await ptb.set_my_short_description("RCM bot")
    assert (await ptb.get_my_description(language_code="en")).description == "Coordinates the RCM"
    assert (await ptb.get_my_short_description()).short_description == "RCM bot"
    too_long = await api("setMyShortDescription", short_description="x" * 121)
    assert too_long.status == 400
