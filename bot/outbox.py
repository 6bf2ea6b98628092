"""Putting messages in the durable outbox, in the caller's transaction.

Nothing here talks to Telegram: the sender (`bot.sender`) drains the table. A message is
written with the state change that caused it, so either both happen or neither does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserError
from bot.i18n import LANGUAGES, Language
from bot.models.documents import StoredDocument
from bot.models.outbox import Broadcast, OutboxMessage, OutboxMethod, OutboxStatus, Priority
from bot.models.people import Person
from bot.text import (
    MAX_CAPTION,
    MAX_TEXT,
    Keyboard,
    Node,
    Renderer,
    Tr,
    keyboard_to_json,
    telegram_length,
    to_json,
)

BOTH = "both"  # a stranger's language: we do not know it, so every text comes in both


class MessageTooLong(UserError):
    def __init__(self, language: str, length: int, limit: int) -> None:
        super().__init__(
            Tr(
                "The message would be {length} characters long in {language}; Telegram allows "
                "{limit}. Shorten it and try again. Nothing was sent.",
                length=length,
                language=Tr("English") if language == "en" else Tr("Spanish"),
                limit=limit,
            )
        )
        self.language, self.length, self.limit = language, length, limit


@dataclass(frozen=True)
class Content:
    """What one recipient receives."""

    body: Node
    buttons: Keyboard | None = None
    document: StoredDocument | None = None
    as_photo: bool = False


def render_both(renderer_for: Callable[[Language], Renderer], body: Node) -> str:
    """A stranger's text: English, then Spanish."""
    return "\n\n".join(renderer_for(lang).html(body) for lang in LANGUAGES)


class Outbox:
    """Enqueues messages; checks Telegram's length limits before anything is stored."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def renderer(self, lang: Language) -> Renderer:
        return Renderer(lang, self.tz)

    def check(self, content: Content, *, both: bool = False) -> None:
        """Refuse a message that Telegram would refuse, in whichever language it fails."""
        limit = MAX_CAPTION if content.document is not None else MAX_TEXT
        if both:
            length = telegram_length(render_both(self.renderer, content.body))
            if length > limit:
                raise MessageTooLong(BOTH, length, limit)
            return
        for lang in LANGUAGES:
            length = telegram_length(self.renderer(lang).html(content.body))
            if length > limit:
                raise MessageTooLong(lang, length, limit)

    async def send(
        self,
        session: AsyncSession,
        *,
        chat_id: int,
        content: Content,
        now: datetime,
        person_id: int | None = None,
        language: str | None = None,
        priority: Priority = Priority.NORMAL,
        ref: str | None = None,
        broadcast_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue one message; returns its id. With a `dedupe_key` already used, queue nothing
        (None)."""
        self.check(content, both=person_id is None and language == BOTH)
        if dedupe_key is not None:
            existing = await session.exec(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
            )
            if existing.first() is not None:
                return None
        values = _message_values(
            chat_id=chat_id,
            content=content,
            now=now,
            person_id=person_id,
            language=language,
            priority=priority,
            ref=ref,
            broadcast_id=broadcast_id,
            dedupe_key=dedupe_key,
        )
        # One statement, with no model object and no unit of work: nearly every update queues
        # a message, and building the ORM object cost more than the insert (bench/load.py).
        await session.flush()  # what the transaction changed before goes in first, as before
        result = await (await session.connection()).execute(_INSERT, values)
        return int(result.scalar_one())

    async def to_person(
        self,
        session: AsyncSession,
        person: Person,
        content: Content,
        *,
        now: datetime,
        priority: Priority = Priority.NORMAL,
        ref: str | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue a message to a person who has joined (no-op for one who never did); returns
        its id, as `send` does."""
        if person.telegram_id is None:
            return None
        return await self.send(
            session,
            chat_id=person.telegram_id,
            person_id=person.id,
            content=content,
            now=now,
            priority=priority,
            ref=ref,
            dedupe_key=dedupe_key,
        )

    async def broadcast(
        self,
        session: AsyncSession,
        recipients: Sequence[Person],
        content: Content | Callable[[Person], Content],
        *,
        now: datetime,
        title: Node,
        ref: str | None = None,
        requested_by: Person | None = None,
        dedupe_prefix: str | None = None,
    ) -> Broadcast:
        """Queue one message per recipient and, for whoever asked, a progress message that
        the sender keeps up to date until every delivery is settled (SPEC 2.1)."""
        people = [p for p in recipients if p.telegram_id is not None]
        contents = [content(p) if callable(content) else content for p in people]
        checked: set[int] = set()
        for item in contents:  # one check per distinct content: a broadcast fails before any row
            if id(item) not in checked:
                self.check(item)
                checked.add(id(item))
        record = Broadcast(
            ref=ref,
            title=to_json(title),
            requested_by_id=requested_by.id if requested_by else None,
            total=len(people),
            created_at=now,
        )
        session.add(record)
        await session.flush()
        keys = {p.id: f"{dedupe_prefix}:{p.id}" for p in people} if dedupe_prefix else {}
        taken = set()
        if keys:
            taken = set(
                (
                    await session.exec(
                        select(OutboxMessage.dedupe_key).where(
                            col(OutboxMessage.dedupe_key).in_(list(keys.values()))
                        )
                    )
                ).all()
            )
        # Checked above; added together and flushed once: a thousand recipients in one go.
        rows = [
            OutboxMessage(
                **_message_values(
                    chat_id=person.telegram_id,  # type: ignore[arg-type]
                    content=item,
                    now=now,
                    person_id=person.id,
                    priority=Priority.BULK,
                    ref=ref,
                    broadcast_id=record.id,
                    dedupe_key=keys.get(person.id),
                )
            )
            for person, item in zip(people, contents, strict=True)
            if keys.get(person.id) not in taken
        ]
        session.add_all(rows)
        await session.flush()
        if not rows:
            # Nothing to deliver: finished now. The sender looks for unfinished broadcasts
            # only once it has claimed one of their rows (bot.sender).
            record.finished_at = record.progress_shown_at = now
        if requested_by is not None and requested_by.telegram_id is not None:
            record.progress_id = await self.send(
                session,
                chat_id=requested_by.telegram_id,
                person_id=requested_by.id,
                content=Content(progress_text(title, 0, 0, len(rows), None)),
                now=now,
                priority=Priority.REPLY,
                ref=ref,
            )
            session.add(record)
            await session.flush()
        return record

    async def edit(
        self,
        session: AsyncSession,
        *,
        content: Content,
        now: datetime,
        target: OutboxMessage | None = None,
        chat_id: int | None = None,
        message_id: int | None = None,
        person_id: int | None = None,
        priority: Priority = Priority.REPLY,
        ref: str | None = None,
    ) -> OutboxMessage:
        """Queue an edit of an earlier message: one we queued (`target`), or one Telegram
        named (`chat_id` + `message_id`, e.g. the message whose button was pressed). A pending
        edit of the same message is replaced rather than queued twice."""
        if target is not None:
            chat_id, person_id = target.chat_id, target.person_id
        if chat_id is None or (target is None and message_id is None):
            raise ValueError("an edit needs a target row or a chat and message id")
        self.check(content)
        query = select(OutboxMessage).where(
            OutboxMessage.method == OutboxMethod.EDIT,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.chat_id == chat_id,
        )
        if target is not None:
            query = query.where(OutboxMessage.target_id == target.id)
        else:
            query = query.where(OutboxMessage.target_message_id == message_id)
        row = (await session.exec(query)).first()
        if row is None:
            row = OutboxMessage(
                created_at=now,
                chat_id=chat_id,
                person_id=person_id,
                method=OutboxMethod.EDIT,
                target_id=target.id if target is not None else None,
                target_message_id=message_id,
                priority=int(priority),
                next_attempt_at=now,
            )
        row.body = to_json(content.body)
        row.buttons = keyboard_to_json(content.buttons)
        row.ref = ref or row.ref
        session.add(row)
        await session.flush()
        return row


def _message_values(
    *,
    chat_id: int,
    content: Content,
    now: datetime,
    person_id: int | None,
    priority: Priority,
    ref: str | None,
    broadcast_id: int | None,
    dedupe_key: str | None,
    language: str | None = None,
) -> dict[str, Any]:
    """Every column of a new message to send (the model's defaults included, since the
    insert of `send` does not go through the model)."""
    return {
        "created_at": now,
        "chat_id": chat_id,
        "person_id": person_id,
        "language": language,
        "method": OutboxMethod.SEND,
        "body": to_json(content.body),
        "buttons": keyboard_to_json(content.buttons),
        "document_id": content.document.id if content.document else None,
        "as_photo": content.as_photo,
        "disable_preview": True,
        "target_id": None,
        "target_message_id": None,
        "priority": int(priority),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "failures": 0,
        "next_attempt_at": now,
        "last_error": None,
        "telegram_message_id": None,
        "sent_at": None,
        "ref": ref,
        "broadcast_id": broadcast_id,
        "dedupe_key": dedupe_key,
    }


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id)


def progress_text(
    title: Node, sent: int, failed: int, waiting: int, eta_seconds: int | None
) -> Node:
    if waiting == 0:
        return Tr(
            "<b>{title}</b>\nDelivery finished: {sent} sent, {failed} failed.",
            title=title,
            sent=sent,
            failed=failed,
        )
    return Tr(
        "<b>{title}</b>\nSending: {sent} sent, {failed} failed, {waiting} waiting "
        "(about {eta} s left at Telegram's pace).",
        title=title,
        sent=sent,
        failed=failed,
        waiting=waiting,
        eta=eta_seconds if eta_seconds is not None else "?",
    )


@dataclass(frozen=True)
class DeliveryCounts:
    sent: int = 0
    failed: int = 0
    waiting: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.waiting


async def delivery_counts(session: AsyncSession, broadcast_id: int) -> DeliveryCounts:
    rows = await session.exec(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(col(OutboxMessage.status))
    )
    counts = dict(rows.all())
    return DeliveryCounts(
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
        waiting=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.IN_FLIGHT, 0),
    )
