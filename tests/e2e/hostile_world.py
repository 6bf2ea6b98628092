"""A rich world for the hostile-input and roles tests, and the tools they share: what the
running bot accepts (commands, button prefixes), snapshots of the database, and a check that
an answer is in its reader's language."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from sqlalchemy import text
from sqlmodel import col, func, select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import people
from bot.features import Audience
from bot.models import load_all
from bot.models.outbox import OutboxMessage
from bot.models.people import Person
from bot.permissions import Actor
from bot.sandbox.users import SimUser
from tests.e2e.meetings_support import PDF
from tests.harness import Harness

# Tables whose rows are the answers themselves (a refusal is an answer, queued like any other).
ANSWER_TABLES = frozenset({"outbox_message"})

ANNOUNCE = "/announce all\nEN: Bring the <b>report</b> & the list.\nES: Traiga el <b>informe</b>."
VACANCY = (
    "/vacancy https://rcm.example.org/en/c https://rcm.example.org/es/c 2026-04-15 4\n"
    "EN: Coordinator of the Technical Secretariat\n"
    "ES: Coordinador(a) de la Secretaría Técnica"
)
VOTE = "/vote no-objection 2026-03-20\nEN: Do you approve the work plan?\nES: ¿Aprueba el plan?"
COMMITMENT = "EN: Send the information to IOM\nES: Enviar la información a la OIM"
DEADLINE = (
    "/deadline 2026-07-15 role:focal_point,vice_minister\n"
    "EN: Send information on migrant women\n"
    "ES: Enviar información sobre mujeres migrantes"
)

# Who lives in the world: name -> (roles, state, language).
CAST: dict[str, tuple[str, str | None, str]] = {
    "tess": ("ts", None, "en"),
    "tomas": ("ts", None, "es"),
    "lucia": ("vice_minister", "CR", "es"),  # the PPT's Vice-Minister
    "carlos": ("focal_point", "CR", "es"),  # a focal point of the PPT's state
    "omar": ("vice_minister", "GT", "es"),
    "gus": ("focal_point", "GT", "en"),
    "ana": ("focal_point", "MX", "es"),
    "miguel": ("vice_minister", "MX", "en"),
    "victor": ("vice_minister", "US", "en"),
    "alma": ("alternate", "US", "es"),
    "cora": ("coordinator", None, "en"),
    "olga": ("observer", None, "es"),
}


@dataclass
class World:
    harness: Harness
    users: dict[str, SimUser]
    errors: list[logging.LogRecord] = field(default_factory=list)

    def __getitem__(self, name: str) -> SimUser:
        return self.users[name]


async def _say(harness: Harness, user: SimUser, words: str) -> None:
    await user.send(words)
    await harness.settle()


async def _press(harness: Harness, user: SimUser, label: str) -> None:
    await user.press(label)
    await harness.settle()


async def seed(harness: Harness) -> World:
    """Every kind of thing the bot keeps, with a real target for every kind of button."""
    users = {}
    for name, (roles, state, lang) in CAST.items():
        organisation = "IOM" if roles == "observer" else None
        users[name], _ = await harness.person(
            name, roles, state, lang=lang, organisation=organisation
        )
    tess = users["tess"]
    await _say(harness, tess, "/ppt CR")
    # M1 is held tomorrow; once it is over it can have commitments.
    await _say(harness, tess, "/meeting rcgm 2026-03-03 2026-03-03 San Salvador")
    await harness.travel(timedelta(days=2))
    await _say(harness, tess, f"/meeting M1 commitment MX 2026-07-15\n{COMMITMENT}")
    # M2 is ahead, with its financial report and attendance requests out to the states.
    await _say(harness, tess, "/meeting rcgm 2026-06-15 San José")
    await _say(harness, tess, "/report M2")
    await tess.send_document(PDF, "financial-report.pdf")
    await harness.settle()
    await _press(harness, tess, "Send")
    await _say(harness, tess, "/meeting M2 attendance 2026-06-01")
    await _press(harness, tess, "Send")
    for words in (ANNOUNCE, VACANCY, DEADLINE, "/survey coordinator 2026-03-25"):
        await _say(harness, tess, words)
        await _press(harness, tess, "Send")
    await _say(harness, users["lucia"], VOTE)
    await _press(harness, users["lucia"], "Enviar")
    for user in users.values():  # everyone has a message to press forged buttons on
        await _say(harness, user, "/help")
    await _say(harness, users["lucia"], "/language")
    return World(harness, users)


# ---- what the running bot accepts ---------------------------------------------------------


def registered_commands(harness: Harness) -> set[str]:
    assert harness.app is not None
    return {
        command
        for group in harness.app.handlers.values()
        for h in group
        if isinstance(h, CommandHandler)
        for command in h.commands
    }


def button_prefixes(harness: Harness) -> set[str | None]:
    """The literal start of every button pattern (None: the catch-all for stale buttons)."""
    assert harness.app is not None
    found: set[str | None] = set()
    for group in harness.app.handlers.values():
        for h in group:
            if not isinstance(h, CallbackQueryHandler):
                continue
            pattern = h.pattern
            if pattern is None:
                found.add(None)
                continue
            source = pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)
            literal = re.match(r"\^([a-z]+:)", str(source))
            if literal is None:
                raise AssertionError(f"a button pattern with no literal prefix: {source}")
            found.add(literal.group(1))
    return found


def command_audiences(harness: Harness) -> dict[str, Audience]:
    return {c.name: c.audience for f in harness.services.features for c in f.commands}


def refused_by_audience(audience: Audience, actor: Actor | None) -> bool:
    """Whether the command's menu audience alone says this person must be refused."""
    if actor is None:
        return True
    if audience is Audience.TS:
        return not actor.is_ts
    if audience is Audience.ADMIN:
        return not (actor.is_ts or actor.is_ppt)
    return False


async def actor_of(harness: Harness, user: SimUser) -> Actor | None:
    async with harness.session() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == user.id))).first()
        if person is None or not person.active:
            return None
        return await people.actor_for(session, person, harness.now, harness.services.clock.tz)


# ---- the database ---------------------------------------------------------------------------


async def snapshot(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the answers queued."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with harness.session() as session:
        connection = await session.connection()
        for table in load_all().sorted_tables:
            if table.name in ANSWER_TABLES:
                continue
            rows = (await connection.execute(table.select())).all()
            found[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=repr)
    return found


def changed_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    return [name for name in before if before[name] != after[name]]


async def outbox_rows(harness: Harness, chat_id: int) -> int:
    async with harness.session() as session:
        query = select(func.count()).where(col(OutboxMessage.chat_id) == chat_id)
        return int((await session.exec(query)).one())


async def audit_rows(harness: Harness) -> int:
    async with harness.session() as session:
        connection = await session.connection()
        return int(
            (await connection.execute(text("SELECT count(*) FROM audit_entry"))).scalar_one()
        )


# ---- the reader's language --------------------------------------------------------------------

_LOCALES = Path(__file__).resolve().parents[2] / "locales"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _fragments() -> dict[str, tuple[set[str], set[str]]]:
    """Long literal pieces of each catalog entry, English and Spanish, where they differ."""
    with (_LOCALES / "es" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp)
    english: set[str] = set()
    spanish: set[str] = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [str(i) for i in (message.id if isinstance(message.id, tuple) else (message.id,))]
        strings = [
            str(s)
            for s in (message.string if isinstance(message.string, tuple) else (message.string,))
        ]
        en = {p.strip() for i in ids for p in _PLACEHOLDER.split(i) if len(p.strip()) >= 24}
        es = {p.strip() for s in strings for p in _PLACEHOLDER.split(s) if len(p.strip()) >= 24}
        english |= en - es
        spanish |= es - en
    return {"es": (english, spanish), "en": (spanish, english)}


FRAGMENTS = _fragments()


def foreign_fragment(text_: str, lang: str) -> str | None:
    """A piece of the other language's catalog in a text meant for `lang`, if any."""
    other, _ = FRAGMENTS[lang]
    return next((f for f in other if f in text_), None)


# ---- errors that escaped the handlers ---------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@contextmanager
def collect_errors(into: list[logging.LogRecord]) -> Iterator[None]:
    """Every log record at ERROR or above: the error handler's, and the wrapper's "update
    failed" (an exception the handler did not turn into an answer)."""
    handler = _Collect(into)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def describe(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s: %(message)s")
    return "\n".join(formatter.format(r)[:3000] for r in records)
