"""Hostile input, property-based (issue 9): every command and every button of the running bot,
sent by every kind of person with arbitrary text, Unicode, markup, over-long messages, forged
button data, odd files, and updates from strangers, groups and channels.

Properties, checked after each example:
- nothing escapes the handlers (no log record at ERROR: the error handler, or the wrapper's
  "update failed"), and Telegram never refuses a message of ours as malformed (400);
- every person gets an answer (a message, or a callback answer with text), in their language;
- a stranger gets the bilingual refusal; a group gets one bilingual line for a command;
- a refused action changes nothing in the database (every table but the queued answers),
  and the audit log does not grow.

One world is seeded per test function and many examples run inside it: derandomized, so the
same examples run every time.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import bot.updates
from bot.features import Audience
from bot.sandbox.markup import utf16_len
from bot.sandbox.models import CallbackQueryRecord
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
    button_prefixes,
    changed_tables,
    collect_errors,
    command_audiences,
    describe,
    foreign_fragment,
    outbox_rows,
    registered_commands,
    seed,
    snapshot,
)
from tests.e2e.meetings_support import PDF
from tests.harness import BOT_USERNAME, Harness

# The stranger's refusal, in both languages at once.
REFUSAL_EN = "It works only for the people the Technical Secretariat has invited."
REFUSAL_ES = "Solo funciona para las personas invitadas por la Secretaría Técnica."

IDS = ["A1", "N1", "M1", "M2", "V1", "S1", "R1", "F1", "D1", "K1", "V99", "X1", "M0", "a1", ""]

# Arguments that reach deep into each command; the strategies mix them with hostile text.
# A command the bot registers without an entry here fails the test: add what drives it.
COMMAND_ARGS: dict[str, list[str]] = {
    "start": ["", "inv_0123456789abcdef", "garbage-token"],
    "help": [""],
    "language": ["", "es", "en", "fr"],
    "cancel": [""],
    "invite": ["MX focal_point", "GT vice_minister", "ZZ ts", "observer IOM", ""],
    "ppt": ["CR", "GT", "ZZ", ""],
    "announce": [ANNOUNCE.removeprefix("/announce "), "state:MX\nEN: x\nES: y", "role:ts", ""],
    "vacancy": [VACANCY.removeprefix("/vacancy "), "N1 applications 2", "N1 extend 2026-05-20"],
    "meeting": [
        "rcgm 2026-09-15 San Salvador",
        "M2 attendance 2026-06-01",
        f"M1 commitment MX 2026-07-15\n{COMMITMENT}",
        "M1",
        "M9 cancel",
        "",
    ],
    "report": ["M2", "M1", "M9", ""],
    "contract": ["2026-03-02", "extended", "resignation", ""],
    "deadline": [DEADLINE.removeprefix("/deadline "), "2026-02-01 all\nEN: a\nES: b", ""],
    "deadlines": [""],
    "calendar": [""],
    "status": IDS,
    "close": IDS,
    "export": IDS,
    "survey": ["coordinator 2026-03-25", "S1", "S9", ""],
    "vote": [VOTE.removeprefix("/vote "), "V1", "majority 2026-04-01\nEN: q\nES: p", ""],
}

SPECIALS = [
    "\u202eRTL override\u202c",
    "مرحبا بالعالم",
    "שלום",
    "zero\u200bwidth\u200d\u2060\ufeff",
    "👩‍👩‍👧‍👦🇲🇽🏳️‍🌈",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛",
    "e\u0301\u0301\u0301",
    "<b>bold</b> <i>x</i> <a href='tg://user?id=1'>l</a> <script>alert(1)</script> </b>",
    "&amp; &lt; & < > &#0; &bogus;",
    "*bold* _it_ `code` ```pre``` [link](http://x) ||spoiler|| \\",
    "{name} {0} %s %(x)s {{}}",
    "'; DROP TABLE person; --",
    "\t\r\n  \n",
    "\x01\x07\x1b[31m",
    "9" * 40,
    "-1",
    "2026-02-30",
    "V1 V1 V1",
]

hostile_text = st.one_of(
    # Surrogates are excluded by default (Telegram carries UTF-8); NUL never arrives.
    st.text(st.characters(exclude_characters="\x00"), max_size=80),
    st.sampled_from(SPECIALS),
    st.lists(st.sampled_from(SPECIALS), min_size=2, max_size=5).map(" ".join),
)


def _fit(text: str, limit: int) -> str:
    """What a client can send: at most `limit` UTF-16 units, not blank."""
    while utf16_len(text) > limit:
        text = text[: len(text) - max(1, (utf16_len(text) - limit) // 2)]
    return text if text.strip() else text[:-1] + "."


@st.composite
def long_text(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from(["a", "é", "👍", "<b>", "&", "\u200b", "ñ ", "\n"]))
    return unit * draw(st.integers(1000, 4200))


@st.composite
def message_text(draw: st.DrawFn, commands: list[str]) -> str:
    kind = draw(st.sampled_from(["command", "command", "command", "text", "long"]))
    if kind == "text":
        return draw(hostile_text)
    if kind == "long":
        prefix = draw(st.sampled_from(["", "/announce all\nEN: ", "/vote no-objection "]))
        return prefix + draw(long_text())
    command = draw(st.sampled_from(commands))
    mention = draw(st.sampled_from(["", "", f"@{BOT_USERNAME}", "@other_bot"]))
    args = draw(
        st.one_of(
            st.sampled_from(COMMAND_ARGS[command]),
            hostile_text,
            st.tuples(st.sampled_from(COMMAND_ARGS[command]), hostile_text).map(" ".join),
        )
    )
    return f"/{command}{mention} {args}".rstrip()


@st.composite
def forged_data(draw: st.DrawFn, harvested: list[str], prefixes: list[str]) -> str:
    """Valid prefixes with wrong, missing or other people's ids; garbage; 64-byte edges."""
    kind = draw(st.sampled_from(["real", "renumbered", "prefix", "edge", "garbage"]))
    if kind in ("real", "renumbered"):
        data = draw(st.sampled_from(harvested))
        if kind == "renumbered":
            numbers = st.sampled_from(["0", "1", "2", "3", "6", "8", "11", "999999999", "-1", "x"])
            data = re.sub(r"\d+", lambda _: draw(numbers), data)
        return data
    if kind == "prefix":
        tail = draw(st.one_of(hostile_text, st.sampled_from(["1", "1:", "::", "1:1:1:1", ""])))
        data = draw(st.sampled_from(prefixes)) + tail
    elif kind == "edge":
        unit = draw(st.sampled_from(["a", "é", "👍", ":", "9"]))
        data = draw(st.sampled_from(prefixes)) + unit * 64
    else:
        data = draw(hostile_text)
    # Telegram carries 1 to 64 bytes of callback data.
    size = draw(st.sampled_from([64, 63, 64, 1000]))
    encoded = data.encode()[:size]
    return encoded.decode(errors="ignore") or "x"


@st.composite
def document(draw: st.DrawFn) -> tuple[bytes, str, str, str | None]:
    name = draw(
        st.one_of(
            st.sampled_from(
                [
                    "report.pdf",
                    "report.PDF.exe",
                    "../../etc/passwd",
                    ".hidden",
                    "no-extension",
                    "informe financiero (versión final) 👍.pdf",
                    "a" * 250 + ".pdf",
                    "con.pdf",
                    "x.pdf\u202egpj.exe",
                ]
            ),
            hostile_text.map(lambda t: t[:60] or "f"),
        )
    )
    mime = draw(
        st.sampled_from(
            ["application/pdf", "image/png", "text/plain", "application/x-msdownload", ""]
        )
    )
    data = draw(st.sampled_from([PDF, b"", b"MZ\x90\x00", b"%PDF-", b"texto \xff"]))
    caption = draw(
        st.one_of(
            st.none(),
            st.sampled_from(["/report M2", "/report", "/announce all\nEN: a\nES: b", "/vote"]),
            st.sampled_from(["/report ", "/vote V1 "]).flatmap(
                lambda c: hostile_text.map(lambda t: c + t)
            ),
            hostile_text,
        )
    )
    return data, name, mime, _fit(caption, 1024) if caption is not None else None


@dataclass
class Expect:
    """What one example may and must do."""

    user: SimUser
    lang: str
    refused_by_role: bool
    previews: bool


class Checker:
    def __init__(self, world: World) -> None:
        self.world = world
        self.h = world.harness
        self.audiences = command_audiences(self.h)
        self.strangers = itertools.count(1)
        self.groups = itertools.count(1)
        self.refusals: list[int] = []  # update ids the wrapper answered with a refusal

    # ---- the world's people ---------------------------------------------------------------

    async def expect(self, user: SimUser, command: str | None) -> Expect:
        actor = await actor_of(self.h, user)
        audience = self.audiences.get(command or "", Audience.EVERYONE)
        refused = actor is None or (
            command is not None
            and audience is not Audience.EVERYONE
            and not (actor.is_ts or (audience is Audience.ADMIN and actor.is_ppt))
        )
        # /language changes it: the person's language now, not the one they were seeded with.
        lang = actor.language if actor is not None else CAST[user.name][2]
        previews = actor is not None and (actor.is_ts or actor.is_ppt)
        return Expect(user, lang, refused, previews)

    async def around(self, expect: Expect, act: Any) -> None:
        h, user = self.h, expect.user
        before, audit = await snapshot(h), await audit_rows(h)
        seen, queued = len(user.bot_messages()), await outbox_rows(h, user.id)
        refusals = len(self.refusals)
        query_id = await act()
        await h.settle()
        self.check_clean()
        fresh = user.bot_messages()[seen:]
        answer = user.callback_answers.get(query_id) if query_id else None
        if query_id is not None:
            assert answer is not None, "a button press was never answered"
        answered = await outbox_rows(h, user.id) > queued or bool(answer and answer.text)
        assert answered, f"{user.name} got no answer:\n{user.transcript()[-1500:]}"
        # The TS and the PPT also see previews of what each language's readers will get (both
        # versions of a survey's questions, say): for them only a refusal is checked.
        if expect.previews and len(self.refusals) == refusals:
            fresh = []
        # The answer to /language or its buttons comes in the language just chosen.
        after = await actor_of(h, user)
        lang = after.language if after is not None else expect.lang
        for text in [m.content for m in fresh] + [answer.text or "" if answer else ""]:
            wrong = foreign_fragment(text, lang)
            assert wrong is None, f"{user.name} reads {lang} but got {wrong!r} in {text!r}"
        refused = expect.refused_by_role or len(self.refusals) > refusals
        event("refused" if refused else "carried out")
        if expect.refused_by_role:
            assert len(self.refusals) > refusals or query_id, "a forbidden action was not refused"
        if refused:
            after = await snapshot(h)
            assert changed_tables(before, after) == [], "a refused action changed the database"
            assert await audit_rows(h) == audit

    def check_clean(self) -> None:
        assert not self.world.errors, describe(self.world.errors)

    # ---- strangers, groups, channels -------------------------------------------------------

    async def stranger(self, lang: str | None, words: str, press: str | None) -> None:
        h = self.h
        user = h.user(f"stranger{next(self.strangers)}", lang=lang)
        before = await snapshot(h)
        await user.send(words)
        await h.settle()
        self.check_clean()
        answers = [m.content for m in user.bot_messages()]
        assert len(answers) == 1, answers
        command = words[1:].split()[0].split("@")[0] if words.startswith("/") else None
        if command is None or self.audiences.get(command) not in (None, Audience.EVERYONE):
            assert REFUSAL_EN in answers[0] and REFUSAL_ES in answers[0], answers[0]
        if press is not None:
            query_id = await user.press_data(press, user.bot_messages()[0].message_id)
            await h.settle()
            self.check_clean()
            answer = user.callback_answers[query_id]
            assert answer is not None and answer.show_alert
            spanish = (lang or "").startswith("es")
            assert answer.text == (
                "Este bot es solo para miembros invitados."
                if spanish
                else "This bot is only for invited members."
            )
            # The bilingual refusal comes once a minute (after /help, the press brings it).
            refusals = [m for m in user.bot_messages() if REFUSAL_ES in m.content]
            assert len(refusals) == 1 and len(user.bot_messages()) <= 2
        assert changed_tables(before, await snapshot(h)) == []

    async def group(self, member: SimUser, words: str) -> None:
        h = self.h
        group = h.server.group(f"group {next(self.groups)}", [member])
        before = await snapshot(h)
        await group.send(member, words)
        await h.settle()
        self.check_clean()
        answers = [m.content for m in group.bot_messages()]
        if words.startswith("/"):
            assert len(answers) == 1, answers
            assert "I work in private chats only." in answers[0]
            assert "Solo funciono en chats privados." in answers[0]
        else:
            assert answers == []
        assert changed_tables(before, await snapshot(h)) == []

    async def raw(self, update: dict[str, Any]) -> None:
        h = self.h
        before = await snapshot(h)
        bot_ = h.server.default_bot
        query = update.get("callback_query")
        if query is not None:  # the sandbox keeps the press, to see how it is answered
            bot_.callback_queries[query["id"]] = CallbackQueryRecord(
                id=query["id"],
                user_id=query["from"]["id"],
                chat_id=0,
                message_id=0,
                data=query["data"],
                date=h.server.now(),
            )
        bot_.enqueue_raw(update)
        await h.settle()
        self.check_clean()
        if query is not None:
            answer = bot_.callback_queries[query["id"]].answer
            assert answer is not None and answer.show_alert, "a press with no chat was not answered"
        assert changed_tables(before, await snapshot(h)) == []


def _channel_post(text: str) -> dict[str, Any]:
    chat = {"id": -1001234567890, "type": "channel", "title": "RCM news"}
    return {"channel_post": {"message_id": 7, "date": 1772463600, "chat": chat, "text": text}}


_INLINE = itertools.count(1)


def _inline_press(user: SimUser, data: str) -> dict[str, Any]:
    # A press on a message sent in inline mode: there is no chat at all.
    return {
        "callback_query": {
            "id": f"inline-{next(_INLINE)}",
            "from": user.info.to_api(),
            "chat_instance": "1",
            "inline_message_id": "AAAA",
            "data": data,
        }
    }


def _edited(user: SimUser, text: str) -> dict[str, Any]:
    chat = user.chat.to_api()
    message = {"message_id": 1, "date": 1772463600, "edit_date": 1772463601, "chat": chat}
    return {"edited_message": {**message, "from": user.info.to_api(), "text": text}}


@pytest.fixture
async def world(harness: Harness) -> World:
    world = await seed(harness)
    # Buttons are read once, from the seeded world: strategies must not depend on state that
    # the examples change.
    world.harvested = _harvest(world)  # type: ignore[attr-defined]
    return world


def _harvest(world: World) -> list[str]:
    return sorted(
        {
            button.value
            for user in world.users.values()
            for message in user.bot_messages()
            for row in message.buttons
            for button in row
            if button.value and not button.value.startswith("http")
        }
    )


KINDS = ["command", "command", "text", "press", "press", "document", "stranger", "group", "raw"]


# HOSTILE_EXAMPLES=1000 explores further, with fresh random examples each run.
EXPLORE = int(os.environ.get("HOSTILE_EXAMPLES", "0"))


@settings(
    max_examples=EXPLORE or 120,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_hostile_input_is_answered_and_changes_nothing_when_refused(
    world: World, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = world.harness
    commands = sorted(registered_commands(h))
    assert set(commands) == set(COMMAND_ARGS), "add arguments for every new command"
    prefixes = button_prefixes(h)
    harvested: list[str] = world.harvested  # type: ignore[attr-defined]
    seeded = {p for p in prefixes if p and any(d.startswith(p) for d in harvested)}
    literal = sorted(p for p in prefixes if p is not None)
    assert seeded >= {"vote:", "att:", "srv:", "ack:", "dl:", "cmt:", "rpt:", "lang:", "dlg:"}
    checker = getattr(world, "checker", None)
    if checker is None:  # the first example installs the hooks, for all of them
        checker = Checker(world)
        world.checker = checker  # type: ignore[attr-defined]
        tell = bot.updates._tell

        async def recording_tell(services: Any, update: Any, *args: Any) -> None:
            checker.refusals.append(update.update_id)
            await tell(services, update, *args)

        monkeypatch.setattr(bot.updates, "_tell", recording_tell)
    world.errors.clear()  # each example answers for its own (shrinking replays them)
    people = [world[name] for name in CAST]
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    event(kind)
    with collect_errors(world.errors):
        if kind in ("command", "text"):
            user = data.draw(st.sampled_from(people), label="user")
            words = data.draw(message_text(commands), label="words")
            if kind == "text" and words.startswith("/"):
                words = " " + words
            words = _fit(words, 4096)
            command = words[1:].split()[0].split("@")[0] if words.startswith("/") else None
            expect = await h_expect(checker, user, command)
            await checker.around(expect, lambda: _send(user, words))
        elif kind == "press":
            user = data.draw(st.sampled_from(people), label="user")
            press = data.draw(forged_data(harvested, literal), label="data")
            back = data.draw(st.integers(1, 5), label="on message, counting back")
            mine = user.bot_messages()
            message = mine[-min(back, len(mine))]
            expect = await h_expect(checker, user, None)
            await checker.around(expect, lambda: user.press_data(press, message.message_id))
        elif kind == "document":
            user = data.draw(st.sampled_from(people), label="user")
            body, name, mime, caption = data.draw(document(), label="document")
            command = caption[1:].split()[0] if caption and caption.startswith("/") else None
            expect = await h_expect(checker, user, command)
            await checker.around(expect, lambda: _send_document(user, body, name, mime, caption))
        elif kind == "stranger":
            lang = data.draw(st.sampled_from([None, "en", "es", "es-MX", "fr", "zz-ZZ"]))
            words = _fit(data.draw(message_text(commands), label="words"), 4096)
            forged = data.draw(st.one_of(st.none(), forged_data(harvested, literal)))
            await checker.stranger(lang, words, forged)
        elif kind == "group":
            member = data.draw(st.sampled_from([*people, h.user("passer-by")]), label="member")
            words = _fit(data.draw(message_text(commands), label="words"), 4096)
            await checker.group(member, words)
        else:
            user = data.draw(st.sampled_from(people), label="user")
            words = _fit(data.draw(hostile_text), 4096)
            update = data.draw(
                st.sampled_from(
                    [_channel_post(words), _inline_press(user, "vote:1:3:ok"), _edited(user, words)]
                )
            )
            await checker.raw(update)
        # Time moves a little between examples (never past the seeded deadlines).
        await h.travel(timedelta(seconds=data.draw(st.sampled_from([0, 1, 61]), label="wait")))
    assert await h.refused_sends() == []


async def h_expect(checker: Checker, user: SimUser, command: str | None) -> Expect:
    return await checker.expect(user, command)


async def _send(user: SimUser, words: str) -> None:
    await user.send(words)


async def _send_document(
    user: SimUser, body: bytes, name: str, mime: str, caption: str | None
) -> None:
    await user.send_document(body, name, mime, caption)


async def test_a_stranger_is_answered_once_a_minute(harness: Harness) -> None:
    stranger = harness.user("stranger", lang="es")
    for words in ("/help me", "hola", "/vote V1"):
        await stranger.send(words)
    await harness.settle()
    assert len(stranger.bot_messages()) <= 2  # /help is for strangers too; the rest once
    refusals = [m.content for m in stranger.bot_messages() if REFUSAL_ES in m.content]
    assert len(refusals) == 1 and REFUSAL_EN in refusals[0]
    await harness.travel(timedelta(seconds=61))
    await stranger.send("¿hay alguien?")
    await harness.settle()
    later = [m for m in stranger.bot_messages() if REFUSAL_ES in m.content]
    assert len(later) == 2
