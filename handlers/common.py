"""Pieces of text several handlers show: who a person is, what they can do."""

from __future__ import annotations

from collections.abc import Sequence

from bot import commands
from bot.documents import FileType, Incoming
from bot.errors import InputError
from bot.features import CommandInfo
from bot.models.documents import StoredDocument
from bot.models.people import MemberState, Person
from bot.permissions import Actor
from bot.roles import ROLE_LABELS, Role
from bot.states import state_name
from bot.text import Bi, Join, Node, Tr
from bot.updates import Turn


def roles_text(roles: frozenset[Role]) -> Node:
    ordered = [r for r in Role if r in roles]
    return Join([Tr(ROLE_LABELS[r]) for r in ordered], sep=", ")


async def affiliation(turn: Turn, state_id: int | None, organisation: str | None) -> Node:
    """The member state, observer organisation or TS someone belongs to."""
    if state_id is not None:
        state = await turn.session.get(MemberState, state_id)
        assert state is not None
        return state_name(state)
    if organisation:
        return Bi(organisation, organisation)
    return Tr("the Technical Secretariat")


async def profile(turn: Turn, person: Person, actor: Actor) -> Node:
    """`You are registered as Focal point for Mexico.`"""
    body = await affiliation(turn, person.state_id, person.organisation)
    lines: list[Node] = [
        Tr("You are registered as {roles} for {body}.", roles=roles_text(actor.roles), body=body)
    ]
    if actor.is_ppt:
        lines.append(Tr("Your state holds the Presidency Pro-Tempore."))
    return Join(lines)


def menu_for(turn: Turn, actor: Actor | None) -> Sequence[CommandInfo]:
    return commands.menu(turn.services.features, actor)


def command_list(turn: Turn, actor: Actor | None) -> Node:
    return Join(
        [
            Tr("/{name}: {description}", name=c.name, description=Tr(c.description))
            for c in menu_for(turn, actor)
        ]
    )


async def download_document(
    turn: Turn, kind: FileType | None = None, *, incoming: Incoming | None = None
) -> StoredDocument:
    """Keep the file the person just sent (or `incoming`, one announced earlier): checked,
    downloaded from Telegram and stored with its checksum (SPEC section 4)."""
    if incoming is None:
        message = turn.update.message
        document = message.document if message is not None else None
        if document is None:
            raise InputError(Tr("Please send the file as a document."))
        incoming = Incoming.of(document)
    person, _ = turn.known
    return await turn.services.documents.receive(
        turn.session, turn.context.bot, incoming, kind, now=turn.now, uploaded_by_id=person.id
    )
