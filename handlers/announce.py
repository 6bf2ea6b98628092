"""/announce: the TS sends an announcement to an audience (SPEC 2.1 and section 3).

One-line form::

    /announce [all | role:vice_minister | state:MX,CR | observers] [https://link]
    EN: English text (several lines)
    ES: texto en español

A file sent with that as its caption is attached. Without the text, the bot asks for each
part. Everything is previewed in both languages and goes only on a press of "Send".
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import announcements, dialogs, receipts
from bot.audiences import Audience, AudienceKind, parse_audience
from bot.dialogs import BaseDialog
from bot.errors import InputError
from bot.features import Audience as MenuAudience
from bot.features import CommandInfo, Feature
from bot.i18n import N_
from bot.ids import ANNOUNCEMENT, Subject, format_id
from bot.models.dialogs import Draft
from bot.models.documents import StoredDocument
from bot.models.receipts import Receipt
from bot.outbox import Content, MessageTooLong
from bot.parsing import looks_like_url, parse_url
from bot.permissions import Action, can
from bot.roles import STATE_ROLES, Role
from bot.text import Bi, Button, Join, Node, Plural, Tr, When, keyboard
from bot.updates import Turn, handler
from handlers import preview
from handlers.common import download_document

NAME = "announce"
REMIND = r"^ann:\d{1,9}:remind:\d{1,9}$"


# ---- /announce ------------------------------------------------------------------------


async def announce_command(turn: Turn) -> None:
    turn.require(Action.ANNOUNCE)
    command = turn.command
    audience_text: str | None = None
    url: str | None = None
    for arg in command.args:
        if looks_like_url(arg) or "://" in arg:
            url = parse_url(arg)
        elif audience_text is None:
            audience_text = arg
        else:
            raise InputError(
                Tr(
                    "I did not understand {text}. Write /announce, the audience, and then the "
                    "lines EN: and ES:.",
                    text=arg,
                )
            )
    audience = parse_audience(audience_text or "")
    if audience_text is not None or command.english or command.spanish:
        await announcements.recipients_of(turn.session, audience)  # refuse nobody now
    document = await download_document(turn) if _has_document(turn) else None
    data: dict[str, Any] = {
        "audience": audience.describe(),
        "url": url,
        "document_id": document.id if document else None,
    }
    if command.english or command.spanish:
        text = command.bilingual(what=Tr("The announcement"))
        draft = await dialogs.begin(turn, NAME, "extra", **data, en=text.en, es=text.es)
        await _preview(turn, draft)
    elif audience_text is None and url is None:
        await dialogs.begin(turn, NAME, "audience", **data)
        await turn.reply(*_ask_audience())
    else:
        await dialogs.begin(turn, NAME, "en", **data)
        await turn.reply(_ask_english())


def _has_document(turn: Turn) -> bool:
    message = turn.update.message
    return message is not None and message.document is not None


def _ask_audience() -> tuple[Node, Any]:
    return (
        Tr(
            "Who should receive the announcement? Choose below, or write state: followed by "
            "state codes (state:MX,CR) or role: followed by roles (role:vice_minister)."
        ),
        keyboard(
            [
                dialogs.choice(NAME, "aud:all", Tr("Everyone")),
                dialogs.choice(NAME, "aud:observers", Tr("Observers")),
            ],
            [
                dialogs.choice(NAME, "aud:vice_minister", Tr("Vice-Ministers")),
                dialogs.choice(NAME, "aud:focal_point", Tr("Focal points")),
            ],
        ),
    )


def _ask_english() -> Node:
    return Tr("Send the text of the announcement in <b>English</b>.")


def _ask_spanish() -> Node:
    return Tr("Now send the same text in <b>Spanish</b>.")


def _ask_extra() -> tuple[Node, Any]:
    return (
        Tr("To attach a link, send it (https://...); to attach a document, send the file."),
        keyboard([dialogs.choice(NAME, "none", Tr("No link or document"))]),
    )


_AUDIENCE_BUTTONS: dict[str, Audience] = {
    "all": Audience(),
    "observers": Audience(AudienceKind.OBSERVERS),
    "vice_minister": Audience(AudienceKind.ROLES, roles=frozenset({Role.VICE_MINISTER})),
    "focal_point": Audience(AudienceKind.ROLES, roles=frozenset({Role.FOCAL_POINT})),
}


async def _draft_of(turn: Turn, data: dict[str, Any]) -> announcements.Draft:
    document_id = data.get("document_id")
    document = (
        await turn.session.get(StoredDocument, document_id) if document_id is not None else None
    )
    return announcements.Draft(
        Bi(data["en"], data["es"]),
        parse_audience(data["audience"]),
        url=data.get("url"),
        document=document,
    )


async def _preview(turn: Turn, draft: Draft) -> None:
    """Both languages exactly as recipients will see them, then "Send" / "Cancel"."""
    composed = await _draft_of(turn, draft.data)
    announcements.check(turn.services, composed)
    persons = await announcements.recipients_of(turn.session, composed.audience)
    spanish = sum(1 for p in persons if p.language == "es")
    intro = Tr(
        "<b>Preview.</b> It goes to {audience}: {count} recipients, {english} reading "
        "English and {spanish} Spanish. Each receives it in their own language:",
        audience=await announcements.audience_names(turn.session, composed.audience),
        count=len(persons),
        english=len(persons) - spanish,
        spanish=spanish,
    )
    content = Content(
        announcements.body(composed.text, composed.url, number=None),
        keyboard([preview.received_button(NAME)]),
        document=composed.document,
    )
    await preview.show(turn, draft, intro, content)


class AnnounceDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.ANNOUNCE)
        value = turn.text.strip()
        if draft.step == "audience":
            audience = parse_audience(value)
            await announcements.recipients_of(turn.session, audience)
            await dialogs.save(turn, draft, "en", audience=audience.describe())
            await turn.reply(_ask_english())
        elif draft.step == "en":
            trial = await _draft_of(turn, {**draft.data, "en": value, "es": value})
            announcements.check(turn.services, trial)
            await dialogs.save(turn, draft, "es", en=value)
            await turn.reply(_ask_spanish())
        elif draft.step == "es":
            announcements.check(turn.services, await _draft_of(turn, {**draft.data, "es": value}))
            draft = await dialogs.save(turn, draft, "extra", es=value)
            if draft.data.get("url") or draft.data.get("document_id"):
                await _preview(turn, draft)  # the link or document came with the command
            else:
                await turn.reply(*_ask_extra())
        elif draft.step == "extra":
            await dialogs.save(turn, draft, url=parse_url(value))
            await _preview(turn, draft)
        else:
            await super().on_text(turn, draft)

    async def on_document(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.ANNOUNCE)
        if draft.step not in ("extra", "confirm"):
            await super().on_document(turn, draft)
            return
        document = await download_document(turn)
        await dialogs.save(turn, draft, document_id=document.id)
        await _preview(turn, draft)

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.ANNOUNCE)
        action, _, arg = value.partition(":")
        if action == "preview":
            preview.explain(turn)
        elif action == "aud" and draft.step == "audience" and arg in _AUDIENCE_BUTTONS:
            audience = _AUDIENCE_BUTTONS[arg]
            await announcements.recipients_of(turn.session, audience)
            await dialogs.save(turn, draft, "en", audience=audience.describe())
            await turn.reply(_ask_english())
        elif action == "none" and draft.step == "extra":
            await _preview(turn, draft)
        elif preview.pressed(draft, action, arg):
            if action == "cancel":
                await preview.cancel(turn)
                return
            _, actor = turn.known
            row, broadcast = await announcements.send(
                turn.services, turn.session, actor, await _draft_of(turn, draft.data), now=turn.now
            )
            await dialogs.end(turn)
            number = format_id(ANNOUNCEMENT, row.id)
            await turn.edit_pressed(
                Tr(
                    "Sent as <b>{id}</b> to {count} recipients. /status {id} shows, per member "
                    "state, who received and acknowledged it.",
                    id=number,
                    count=broadcast.total,
                )
            )
            turn.answer(Tr("Sent."))
        else:
            raise InputError(Tr("That button is no longer active."))


# ---- the report, reminders, export -----------------------------------------------------


async def status(turn: Turn, number: int) -> Node | Content:
    _, actor = turn.known
    row = await announcements.get(turn.session, number)
    ref = announcements.ref(number)
    name = format_id(ANNOUNCEMENT, number)
    if not can(actor, Action.SEE_DELIVERY):
        return await _own_status(turn, number)
    audience = parse_audience(row.audience)
    # States where nobody received it matter when it was meant for every state.
    every_state = audience.kind == AudienceKind.ALL or bool(audience.roles & STATE_ROLES)
    report = await receipts.report(turn.session, ref, every_state=every_state)
    head: list[Node] = [
        Tr(
            "<b>Announcement {id}</b>, sent {when} to {audience}.",
            id=name,
            when=When(row.created_at),
            audience=await announcements.audience_names(turn.session, audience),
        ),
        _excerpt(row.text_en, row.text_es),
        "",
    ]
    if row.reminders_sent:
        head.append(
            Plural(
                "Reminded {n} time, on {when}.",
                "Reminded {n} times, last on {when}.",
                row.reminders_sent,
                when=When(row.last_reminded_at or row.created_at),
            )
        )
    text: Node = Join([*head, receipts.report_text(report)])
    try:
        turn.services.outbox.check(Content(text))
    except MessageTooLong:  # too many names for one message: counts only, names in the export
        text = Join(
            [
                *head,
                receipts.report_text(report, names=False),
                Tr("The full list of names: /export {id}", id=name),
            ]
        )
    buttons = None
    waiting = receipts.to_remind(await receipts.recipients(turn.session, ref))
    if waiting and can(actor, Action.ANNOUNCE):
        buttons = keyboard(
            [
                Button(
                    Tr("Remind the {count} who have not acknowledged", count=len(waiting)),
                    data=f"ann:{number}:remind:{row.reminders_sent}",
                )
            ]
        )
    return Content(text, buttons)


def _excerpt(en: str, es: str, limit: int = 200) -> Node:
    def cut(text: str) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    return Bi(cut(en), cut(es))


async def _own_status(turn: Turn, number: int) -> Node:
    """A recipient asking about an announcement they received."""
    person, _ = turn.known
    receipt = (
        await turn.session.exec(
            select(Receipt).where(
                Receipt.ref == announcements.ref(number), Receipt.person_id == person.id
            )
        )
    ).first()
    name = format_id(ANNOUNCEMENT, number)
    if receipt is None:
        raise InputError(Tr("There is no announcement {id}.", id=name))
    if receipt.acknowledged_at is not None:
        return Tr(
            "You acknowledged announcement {id} on {when}.",
            id=name,
            when=When(receipt.acknowledged_at),
        )
    return Tr(
        "You have not acknowledged announcement {id} yet: press Received on the message.",
        id=name,
    )


async def remind_button(turn: Turn) -> None:
    _, actor = turn.known
    _, number, _, seen = turn.callback_data.split(":")
    reminded, blocked = await announcements.remind(
        turn.services, turn.session, actor, int(number), seen_reminders=int(seen), now=turn.now
    )
    name = format_id(ANNOUNCEMENT, int(number))
    lines: list[Node] = [
        Tr(
            "Reminding the {count} recipients of {id} who have not acknowledged it.",
            count=reminded,
            id=name,
        )
    ]
    if blocked:
        lines.append(
            Tr(
                "{count} who blocked the bot cannot be reached until they write to it again.",
                count=blocked,
            )
        )
    await turn.reply(Join(lines))
    turn.answer(Tr("Reminder queued."))


async def export(turn: Turn, number: int) -> None:
    turn.require(Action.EXPORT)
    await announcements.get(turn.session, number)
    await export_receipts(turn, announcements.ref(number), format_id(ANNOUNCEMENT, number))


async def export_receipts(turn: Turn, ref: str, name: str) -> None:
    person, _ = turn.known
    data = await receipts.export_csv(turn.session, ref, turn.services.clock.tz)
    document = await turn.services.documents.store(
        turn.session,
        data,
        file_name=f"{name}-receipts.csv",
        mime_type="text/csv",
        now=turn.now,
        uploaded_by_id=person.id,
    )
    await turn.reply(
        Tr("Deliveries and acknowledgements of {id}, one line per recipient.", id=name),
        document=document,
    )


async def open_items(turn: Turn) -> list[Node]:
    person, _ = turn.known
    rows = await announcements.unacknowledged_for(turn.session, person)
    return [
        Tr(
            "Announcement {id} of {when}: please press Received on it.",
            id=format_id(ANNOUNCEMENT, r.id),
            when=When(r.created_at, with_time=False),
        )
        for r in rows
    ]


FEATURE = Feature(
    name=NAME,
    handlers=[
        CommandHandler("announce", handler(announce_command)),
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.Document.ALL
            & filters.CaptionRegex(r"^/announce(@\w+)?(\s|$)"),
            handler(announce_command),
        ),
        CallbackQueryHandler(handler(remind_button), pattern=REMIND),
    ],
    dialogs=[AnnounceDialog()],
    subjects=[
        Subject(
            ANNOUNCEMENT,
            N_("announcement"),
            status=status,
            export=export,
            open_items=open_items,
        )
    ],
    commands=[CommandInfo("announce", N_("Send an announcement"), MenuAudience.TS)],
)
