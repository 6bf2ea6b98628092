"""/deadlines, /calendar and /deadline (SPEC 2.6 and 3).

`/deadlines` lists what is coming for the person asking, soonest first, with exact times and
the UTC offset; `/calendar` sends the same as an .ics file. The TS sets custom deadlines with
`/deadline <date> [audience]` then `EN:` / `ES:` lines (or step by step), previews them and
presses Send; people answer with the "Done" button.
"""

from __future__ import annotations

from datetime import datetime

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import agenda, custom_deadlines, dialogs, ics
from bot.audiences import Audience, AudienceKind, parse_audience
from bot.clock import as_utc
from bot.custom_deadlines import CustomDeadlineKind
from bot.dialogs import BaseDialog
from bot.errors import InputError, PermissionDenied
from bot.features import Audience as MenuAudience
from bot.features import CommandInfo, Feature
from bot.i18n import N_
from bot.ids import DEADLINE, Subject
from bot.models.dialogs import Draft
from bot.outbox import Content
from bot.parsing import parse_deadline
from bot.permissions import Action
from bot.states import by_codes, state_name
from bot.text import Bi, Bold, Join, Keyboard, Node, Tr, When, keyboard
from bot.updates import Turn, handler
from handlers.common import roles_text

NAME = "deadline"


# ---- /deadlines and /calendar ----------------------------------------------------------------


async def _agenda(turn: Turn) -> list[agenda.AgendaItem]:
    person, actor = turn.known
    return await agenda.agenda_for(turn.services, turn.session, person, actor, turn.now)


async def deadlines_command(turn: Turn) -> None:
    _, actor = turn.known
    items = await _agenda(turn)
    if not items:
        await turn.reply(Tr("Nothing is due for you. /calendar sends your deadlines as a file."))
        return
    lines: list[Node] = [
        Tr("<b>Deadlines</b> (times in the conference time zone)")
        if actor.is_ts
        else Tr("<b>Your deadlines</b> (times in the conference time zone)")
    ]
    for item in items:
        lines.append(_line(item, turn.now, show_pending=actor.is_ts))
    lines.extend(["", Tr("/calendar sends them as a file for your phone's calendar.")])
    await turn.reply(Join(lines))


def _line(item: agenda.AgendaItem, now: datetime, *, show_pending: bool) -> Node:
    due = (
        Tr("overdue since {due}", due=When(item.due_at)) if item.overdue(now) else When(item.due_at)
    )
    parts: list[Node] = [Tr("• {title} — {due}", title=Bold(item.label), due=due)]
    if show_pending and item.pending:
        parts.append(Tr("({n} still to act)", n=item.pending))
    return Join(parts, sep=" ")


async def calendar_command(turn: Turn) -> None:
    person, _ = turn.known
    items = await _agenda(turn)
    if not items:
        await turn.reply(Tr("Nothing is due for you, so there is no calendar to send."))
        return
    data = ics.calendar_file(items, turn.renderer, domain=turn.services.bot_username, now=turn.now)
    stored = await turn.services.documents.store(
        turn.session,
        data,
        file_name="rcm-deadlines.ics",
        mime_type="text/calendar",
        now=turn.now,
        uploaded_by_id=person.id,
    )
    await turn.reply(
        Tr(
            "Your deadlines as a calendar file ({n}). Open it to add them to your calendar; "
            "opening a newer file later updates them instead of adding copies.",
            n=len(items),
        ),
        document=stored,
    )


# ---- /deadline: the TS sets one ------------------------------------------------------------


def _ask_date() -> Node:
    return Tr(
        "By when? Send the date (YYYY-MM-DD or DD/MM/YYYY); the deadline is 23:59 of that day "
        "in the conference time zone. /cancel stops."
    )


def _ask_audience() -> Node:
    return Tr(
        "Who must act? Choose below, or send an audience such as state:MX,CR or role:vice_minister."
    )


def _audience_buttons() -> Keyboard:
    choices = [
        ("all", Tr("All member states")),
        ("role:focal_point", Tr("Focal points")),
        ("role:vice_minister", Tr("Vice-Ministers")),
        ("role:focal_point,vice_minister", Tr("Focal points and Vice-Ministers")),
    ]
    return keyboard(*([dialogs.choice(NAME, f"aud:{value}", label)] for value, label in choices))


def _ask_english() -> Node:
    return Tr("What must be done? Send the text in English.")


def _ask_spanish() -> Node:
    return Tr("Now the same text in Spanish.")


async def deadline_command(turn: Turn) -> None:
    turn.require(Action.ADD_DEADLINE)
    command = turn.command
    if not command.args:
        await dialogs.begin(turn, NAME, "date")
        await turn.reply(_ask_date())
        return
    due = parse_deadline(command.args[0], turn.services.clock, now=turn.now)
    audience = parse_audience("".join(command.args[1:]) or "all")
    data = {"due": due.isoformat(), "audience": audience.describe()}
    if command.english or command.spanish:
        text = command.bilingual()
        draft = await dialogs.begin(turn, NAME, "confirm", **data, en=text.en, es=text.es)
        await _preview(turn, draft)
    else:
        await dialogs.begin(turn, NAME, "en", **data)
        await turn.reply(_ask_english())


async def _describe(turn: Turn, audience: Audience) -> Node:
    if audience.kind == AudienceKind.ROLES:
        return roles_text(audience.roles)
    if audience.kind == AudienceKind.STATES:
        states = await by_codes(turn.session, audience.state_codes)
        return Join([state_name(s) for s in states], sep=", ")
    if audience.kind == AudienceKind.OBSERVERS:
        return Tr("observers")
    return Tr("all member states")


async def _preview(turn: Turn, draft: Draft) -> None:
    audience = parse_audience(draft.data["audience"])
    parties, persons = await custom_deadlines.count_audience(turn.session, audience)
    if not parties:
        raise InputError(
            Tr("Nobody in that audience has joined yet, so nobody would be told. Nothing was set.")
        )
    text = Bi(draft.data["en"], draft.data["es"])
    due = datetime.fromisoformat(draft.data["due"])
    body = Join(
        [
            Tr(
                "<b>Preview</b> (audience: {audience}): {parties} states or bodies must act; "
                "{persons} persons will be told.",
                audience=await _describe(turn, audience),
                parties=parties,
                persons=persons,
            ),
            "",
            text,
            "",
            Tr("Due: {due}", due=When(due)),
        ]
    )
    turn.services.outbox.check(Content(body))
    await turn.reply(
        body,
        keyboard(
            [dialogs.choice(NAME, "send", Tr("Send")), dialogs.choice(NAME, "cancel", Tr("Cancel"))]
        ),
    )


class DeadlineDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.ADD_DEADLINE)
        value = turn.text.strip()
        if draft.step == "date":
            due = parse_deadline(value, turn.services.clock, now=turn.now)
            await dialogs.save(turn, draft, "audience", due=due.isoformat())
            await turn.reply(_ask_audience(), _audience_buttons())
        elif draft.step == "audience":
            await self._set_audience(turn, draft, value.replace(" ", ""))
        elif draft.step == "en":
            await dialogs.save(turn, draft, "es", en=value)
            await turn.reply(_ask_spanish())
        elif draft.step == "es":
            draft = await dialogs.save(turn, draft, "confirm", es=value)
            await _preview(turn, draft)
        else:
            await super().on_text(turn, draft)

    async def _set_audience(self, turn: Turn, draft: Draft, text: str) -> None:
        audience = parse_audience(text)
        await dialogs.save(turn, draft, "en", audience=audience.describe())
        await turn.reply(_ask_english())

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.ADD_DEADLINE)
        if draft.step == "audience" and value.startswith("aud:"):
            await self._set_audience(turn, draft, value[4:])
            turn.answer(Tr("Audience chosen."))
        elif draft.step == "confirm" and value == "send":
            await _send(turn, draft)
        elif draft.step == "confirm" and value == "cancel":
            await dialogs.end(turn)
            await turn.reply(Tr("Cancelled. Nothing was sent."))
        else:
            await super().on_choice(turn, draft, value)


async def _send(turn: Turn, draft: Draft) -> None:
    person, actor = turn.known
    due = datetime.fromisoformat(draft.data["due"])
    if due <= turn.now:
        raise InputError(Tr("The deadline must be in the future."))
    custom = await custom_deadlines.create(
        turn.services,
        turn.session,
        actor,
        due_at=due,
        audience=parse_audience(draft.data["audience"]),
        text=Bi(draft.data["en"], draft.data["es"]),
        now=turn.now,
        requested_by=person,
    )
    await dialogs.end(turn)
    turn.answer(Tr("Sent."))
    await turn.reply(
        Tr(
            "Deadline <b>{id}</b> is set for {due}. Everyone concerned is being told; "
            "/status {id} shows who has done it.",
            id=custom_deadlines.short_id(custom),
            due=When(due),
        )
    )


# ---- the Done button ---------------------------------------------------------------------------


async def done_pressed(turn: Turn) -> None:
    person, _ = turn.known
    parts = turn.callback_data.split(":")
    if len(parts) != 3 or parts[2] != "done" or not parts[1].isdigit():
        raise InputError(Tr("That button is no longer active."))
    marked = await custom_deadlines.mark_done(
        turn.services, turn.session, person, int(parts[1]), turn.now
    )
    if marked.already:
        turn.answer(Tr("Already marked done on {when}.", when=When(as_utc(marked.done.done_at))))
    else:
        turn.answer(
            Tr("Marked done after the deadline. Thank you.")
            if marked.late
            else Tr("Marked done. Thank you.")
        )
    await turn.edit_pressed(
        Join(
            [
                *custom_deadlines.status_lines(marked.custom, marked.deadline, turn.now),
                Tr("✓ Done ({when}).", when=When(as_utc(marked.done.done_at))),
            ]
        )
    )


# ---- /status D4, /close D4 ------------------------------------------------------------------


async def deadline_status(turn: Turn, number: int) -> Node:
    person, actor = turn.known
    custom, deadline = await custom_deadlines.get(turn.session, number)
    lines = custom_deadlines.status_lines(custom, deadline, turn.now)
    if actor.is_ts:
        done, missing = await custom_deadlines.summary(turn.session, custom, deadline)
        lines.append(Tr("Done: {n}", n=len(done)))
        lines.extend(done)
        if missing:
            lines.append(Tr("Not done yet: {parties}", parties=Join(missing, sep=", ")))
        return Join(lines)
    who = await custom_deadlines.concerned(turn.session, custom)
    party = next(
        (p for p, group in who.parties.items() if any(m.id == person.id for m in group)), None
    )
    if party is None:
        raise PermissionDenied(Tr("This deadline is not addressed to you. Nothing was changed."))
    done_rows = await custom_deadlines.done_parties(turn.session, number)
    if party in done_rows:
        lines.append(Tr("✓ Done ({when}).", when=When(as_utc(done_rows[party].done_at))))
    else:
        lines.append(Tr("Not done yet by your state or body."))
    return Join(lines)


async def deadline_close(turn: Turn, number: int) -> None:
    _, actor = turn.known
    custom = await custom_deadlines.close_now(turn.services, turn.session, actor, number, turn.now)
    await turn.reply(
        Tr(
            "Deadline {id} is closed: no more reminders. Whoever set it gets the list of who "
            "has done it.",
            id=custom_deadlines.short_id(custom),
        )
    )


async def deadline_open_items(turn: Turn) -> list[Node]:
    person, _ = turn.known
    kind = CustomDeadlineKind()
    lines: list[Node] = []
    for deadline in await custom_deadlines.open_deadlines(turn.session):
        pending = await kind.pending(turn.services, turn.session, deadline, turn.now)
        if any(p.id == person.id for p in pending):
            lines.append(
                Tr(
                    "{id}: due {due}",
                    id=agenda.short_id(deadline.ref),
                    due=When(as_utc(deadline.due_at)),
                )
            )
    return lines


FEATURE = Feature(
    name=NAME,
    handlers=[
        CommandHandler("deadlines", handler(deadlines_command)),
        CommandHandler("calendar", handler(calendar_command)),
        CommandHandler("deadline", handler(deadline_command)),
        CallbackQueryHandler(handler(done_pressed), pattern=rf"^{custom_deadlines.CALLBACK}:"),
    ],
    dialogs=[DeadlineDialog()],
    subjects=[
        Subject(
            DEADLINE,
            N_("deadline"),
            deadline_status,
            close=deadline_close,
            open_items=deadline_open_items,
        )
    ],
    deadline_kinds=[CustomDeadlineKind()],
    commands=[
        CommandInfo("deadlines", N_("What is due for you, soonest first")),
        CommandInfo("calendar", N_("Your deadlines as a calendar file")),
        CommandInfo("deadline", N_("Set a deadline for member states"), MenuAudience.TS),
    ],
)
