"""Announcements from the TS (SPEC 2.1): compose, preview, send to an audience, collect
"Received / Recibido", report per member state, remind exactly those who have not confirmed.

Plain functions over a session; the handlers in `handlers/announce.py` only parse and reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audiences, audit, receipts
from bot.audiences import Audience, AudienceKind
from bot.errors import InputError, NotFound
from bot.ids import ANNOUNCEMENT, format_id
from bot.models.announcements import Announcement
from bot.models.documents import StoredDocument
from bot.models.outbox import Broadcast
from bot.models.people import Person
from bot.outbox import Content
from bot.permissions import Action, Actor, require
from bot.roles import ROLE_LABELS, Role
from bot.services import Services
from bot.states import by_codes, state_name
from bot.text import Bi, Join, Link, Node, Tr


def ref(number: int) -> str:
    return f"announcement:{number}"


@dataclass(frozen=True)
class Draft:
    """What the TS composed, before it is sent."""

    text: Bi
    audience: Audience
    url: str | None = None
    document: StoredDocument | None = None


def body(text: Bi, url: str | None, *, number: int | None, reminder: bool = False) -> Node:
    """What a recipient reads: the TS's text, escaped, and the link if any."""
    heading = (
        Tr(
            "<b>Announcement from the Technical Secretariat</b> ({id})",
            id=format_id(ANNOUNCEMENT, number),
        )
        if number is not None
        else Tr("<b>Announcement from the Technical Secretariat</b>")
    )
    parts: list[Node] = []
    if reminder:
        parts.append(Tr("<b>Reminder:</b> please confirm that you received this announcement."))
    parts.extend([heading, "", text])
    if url:
        parts.extend(["", Link(url, url)])
    return Join(parts)


def content(draft: Draft, *, number: int | None, reminder: bool = False) -> Content:
    button = receipts.ack_button(ref(number)) if number is not None else None
    return Content(
        body(draft.text, draft.url, number=number, reminder=reminder),
        (((button,),) if button else None),
        document=draft.document,
    )


def check(services: Services, draft: Draft) -> None:
    """Refuse, before anything is stored, a text Telegram would refuse: the announcement as
    sent and as a reminder, in both languages (with a document, the caption limit)."""
    for reminder in (False, True):
        # The longest id it could get: the check must not pass now and fail once numbered.
        services.outbox.check(content(draft, number=999_999_999, reminder=reminder))


def audience_text(audience: Audience) -> Node:
    """The audience in words, for the TS's preview and report."""
    if audience.kind == AudienceKind.ALL:
        return Tr("everyone registered except observers")
    if audience.kind == AudienceKind.OBSERVERS:
        return Tr("observers")
    if audience.kind == AudienceKind.ROLES:
        ordered = [r for r in Role if r in audience.roles]
        return Tr(
            "these roles: {roles}", roles=Join([Tr(ROLE_LABELS[r]) for r in ordered], sep=", ")
        )
    return Tr("these member states: {states}", states=", ".join(audience.state_codes))


async def audience_names(session: AsyncSession, audience: Audience) -> Node:
    if audience.kind != AudienceKind.STATES:
        return audience_text(audience)
    states = await by_codes(session, audience.state_codes)
    return Tr(
        "these member states: {states}",
        states=Join([state_name(s) for s in states], sep=", "),
    )


async def recipients_of(session: AsyncSession, audience: Audience) -> list[Person]:
    found = await audiences.resolve(session, audience)
    if not found:
        raise InputError(
            Tr("Nobody in that audience has joined the bot yet, so there is no one to send it to.")
        )
    return found


async def send(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    draft: Draft,
    *,
    now: datetime,
) -> tuple[Announcement, Broadcast]:
    """Store the announcement, record its recipients and queue one message each, in the
    caller's transaction; the TS who sent it gets the progress message."""
    require(actor, Action.ANNOUNCE)
    check(services, draft)
    persons = await recipients_of(session, draft.audience)
    sender = await session.get(Person, actor.person_id)
    row = Announcement(
        text_en=draft.text.en,
        text_es=draft.text.es,
        url=draft.url,
        document_id=draft.document.id if draft.document else None,
        audience=draft.audience.describe(),
        recipients=len(persons),
        created_by_id=actor.person_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    await receipts.add(session, ref(row.id), persons, now=now)
    broadcast = await services.outbox.broadcast(
        session,
        persons,
        content(draft, number=row.id),
        now=now,
        title=Tr("Announcement {id}", id=format_id(ANNOUNCEMENT, row.id)),
        ref=ref(row.id),
        requested_by=sender,
    )
    await audit.record(
        session,
        action="announcement.send",
        now=now,
        actor_id=actor.person_id,
        subject=ref(row.id),
        audience=row.audience,
        recipients=len(persons),
        document_id=row.document_id,
    )
    return row, broadcast


async def get(session: AsyncSession, number: int) -> Announcement:
    row = await session.get(Announcement, number)
    if row is None:
        raise NotFound(Tr("There is no announcement {id}.", id=format_id(ANNOUNCEMENT, number)))
    return row


async def draft_of(session: AsyncSession, row: Announcement) -> Draft:
    document = await session.get(StoredDocument, row.document_id) if row.document_id else None
    return Draft(
        Bi(row.text_en, row.text_es),
        audiences.parse_audience(row.audience),
        url=row.url,
        document=document,
    )


async def remind(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    number: int,
    *,
    seen_reminders: int,
    now: datetime,
) -> tuple[int, int]:
    """Send the announcement again, as a reminder, to exactly those who have not confirmed
    it. `seen_reminders` is the count the TS's report showed: a press of an older report's
    button is refused. Returns (reminded, skipped because they blocked the bot)."""
    require(actor, Action.ANNOUNCE)
    row = await get(session, number)
    if row.reminders_sent != seen_reminders:
        raise InputError(
            Tr(
                "A reminder was already sent after this report was shown. Send /status {id} "
                "to see who still has not acknowledged.",
                id=format_id(ANNOUNCEMENT, number),
            )
        )
    found = await receipts.recipients(session, ref(number))
    targets = receipts.to_remind(found)
    blocked = sum(1 for r in found if r.acknowledged_at is None and r.person.blocked_bot)
    if not targets:
        raise InputError(Tr("Everyone who received it has acknowledged it. Nothing was sent."))
    draft = await draft_of(session, row)
    sender = await session.get(Person, actor.person_id)
    row.reminders_sent += 1
    row.last_reminded_at = now
    session.add(row)
    await services.outbox.broadcast(
        session,
        targets,
        content(draft, number=number, reminder=True),
        now=now,
        title=Tr("Reminder of announcement {id}", id=format_id(ANNOUNCEMENT, number)),
        ref=ref(number),
        requested_by=sender,
    )
    await audit.record(
        session,
        action="announcement.remind",
        now=now,
        actor_id=actor.person_id,
        subject=ref(number),
        reminded=len(targets),
    )
    return len(targets), blocked


async def unacknowledged_for(session: AsyncSession, person: Person) -> Sequence[Announcement]:
    """Announcements this person received and has not confirmed (for /status)."""
    from bot.models.receipts import Receipt

    refs = (
        await session.exec(
            select(Receipt.ref).where(
                Receipt.person_id == person.id,
                col(Receipt.acknowledged_at).is_(None),
                col(Receipt.ref).startswith("announcement:"),
            )
        )
    ).all()
    numbers = [int(r.split(":", 1)[1]) for r in refs]
    if not numbers:
        return []
    rows = await session.exec(
        select(Announcement).where(col(Announcement.id).in_(numbers)).order_by(col(Announcement.id))
    )
    return list(rows.all())
