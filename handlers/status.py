"""/status, /close and /export: the commands that work on any object by its short id
(SPEC section 3). Each capability registers a `Subject` for its prefix (bot.ids)."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.errors import InputError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import Subject, parse_id
from bot.outbox import Content
from bot.permissions import Action
from bot.text import Join, Node, Tr
from bot.updates import Turn, handler
from handlers.common import profile
from handlers.ppt import troika_text


def _subject(turn: Turn, text: str) -> tuple[Subject, int]:
    prefix, number = parse_id(text)
    assert turn.services.subjects is not None
    return turn.services.subjects.get(prefix), number


async def status_command(turn: Turn) -> None:
    person, actor = turn.known
    args = turn.command.args
    if args:
        subject, number = _subject(turn, args[0])
        status = await subject.status(turn, number)
        if isinstance(status, Content):
            await turn.reply(status.body, status.buttons)
        else:
            await turn.reply(status)
        return
    lines: list[Node] = [Tr("<b>Status</b>"), await profile(turn, person, actor), ""]
    assert turn.services.subjects is not None
    items: list[Node] = []
    for subject in turn.services.subjects.all():
        if subject.open_items is not None:
            items.extend(await subject.open_items(turn))
    if items:
        lines.extend([Tr("Open for you:"), *items])
    else:
        lines.append(Tr("Nothing is waiting for you right now."))
    lines.extend(["", await troika_text(turn)])
    await turn.reply(Join(lines))


async def close_command(turn: Turn) -> None:
    turn.require(Action.CLOSE)
    args = turn.command.args
    if not args:
        raise InputError(Tr("Which one? Write /close followed by its id, for example /close V3."))
    subject, number = _subject(turn, args[0])
    if subject.close is None:
        raise InputError(Tr("Only votes and surveys can be closed early."))
    await subject.close(turn, number)


async def export_command(turn: Turn) -> None:
    turn.require(Action.EXPORT)
    args = turn.command.args
    if not args:
        raise InputError(Tr("Which one? Write /export followed by its id, for example /export V3."))
    subject, number = _subject(turn, args[0])
    if subject.export is None:
        raise InputError(Tr("There is no export for this kind of item."))
    await subject.export(turn, number)


FEATURE = Feature(
    name="status",
    handlers=[
        CommandHandler("status", handler(status_command)),
        CommandHandler("close", handler(close_command)),
        CommandHandler("export", handler(export_command)),
    ],
    commands=[
        CommandInfo("status", N_("What is open for you, or the state of an item by its id")),
        CommandInfo("close", N_("Close a vote or survey now"), Audience.ADMIN),
        CommandInfo("export", N_("Export a vote or survey"), Audience.ADMIN),
    ],
)
