"""Acknowledgements of the financial report: one row per recipient, and the "Received" /
"Recibido" button (SPEC 2.3: "Recipients acknowledge; the TS sees who has not").

Self-contained on purpose: announcements (SPEC 2.1) are being built in parallel with their
own acknowledgements; the two are to be unified once both exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines, meetings
from bot.audiences import with_roles
from bot.clock import as_utc, end_of_day
from bot.errors import PermissionDenied
from bot.ids import REPORT, format_id
from bot.models.deadlines import Deadline
from bot.models.meetings import FinancialReport, Meeting
from bot.models.people import MemberState, Person
from bot.models.receipts import Receipt
from bot.outbox import Content, MessageTooLong
from bot.permissions import Actor
from bot.report_rule import acknowledgement_due_date, local_day
from bot.roles import Role
from bot.states import state_name
from bot.text import Button, Join, Node, Plural, Tr, When, from_json, keyboard

if TYPE_CHECKING:
    from bot.services import Services

ACK_KIND = "report_ack"
ACK_PREFIX = "rpt"


REF_PREFIX = "report:"


def report_ref(report_id: int | None) -> str:
    return f"{REF_PREFIX}{report_id}"


def report_number(ref: str) -> int:
    return int(ref.rsplit(":", 1)[1])


def ack_button(report_id: int | None) -> Button:
    return Button(Tr("Received"), data=f"{ACK_PREFIX}:{report_id}:ack")


def ack_line(moment: datetime) -> Node:
    return Tr("✓ Receipt confirmed on {when}.", when=When(moment))


def ack_key(report: FinancialReport) -> str:
    return f"report:{report.id}:ack"


async def schedule(
    session: AsyncSession, meeting: Meeting, report: FinancialReport, now: datetime
) -> None:
    """(Re)schedule the acknowledgement deadline: a week after the report went out, the day
    before the meeting at the latest (bot.report_rule)."""
    tz = meetings.zone(meeting)
    day = acknowledgement_due_date(local_day(report.sent_at, tz), meeting.start_date)
    await deadlines.schedule(
        session,
        key=ack_key(report),
        kind=ACK_KIND,
        ref=report_ref(report.id),
        title=Tr(
            "Confirm receipt of the financial report for {meeting}",
            meeting=meetings.label(meeting),
        ),
        due_at=end_of_day(day, tz),
        now=now,
        created_by_id=report.sent_by_id,
    )


@dataclass(frozen=True)
class Acknowledged:
    receipt: Receipt
    new: bool  # False when this person had already acknowledged


async def acknowledge(
    session: AsyncSession, actor: Actor | None, report: FinancialReport, now: datetime
) -> Acknowledged:
    """A recipient confirms receipt (pressing "Received" again changes nothing)."""
    if actor is None:
        raise PermissionDenied()
    receipt = (
        await session.exec(
            select(Receipt).where(
                Receipt.ref == report_ref(report.id), Receipt.person_id == actor.person_id
            )
        )
    ).first()
    if receipt is None:
        raise PermissionDenied(
            Tr("This report was not sent to you, so there is nothing to confirm.")
        )
    if receipt.acknowledged_at is not None:
        return Acknowledged(receipt, new=False)
    receipt.acknowledged_at = now
    session.add(receipt)
    await session.flush()
    await audit.record(
        session,
        action="report.ack",
        now=now,
        actor_id=actor.person_id,
        subject=report_ref(report.id),
    )
    if not await unacknowledged(session, report.id):
        await deadlines.complete(session, ack_key(report), now)
    return Acknowledged(receipt, new=True)


@dataclass(frozen=True)
class Recipient:
    person: Person
    state: MemberState | None
    acknowledged_at: datetime | None


async def recipients(session: AsyncSession, report_id: int | None) -> list[Recipient]:
    rows = await session.exec(
        select(Receipt, Person)
        .join(Person, col(Person.id) == Receipt.person_id)
        .where(Receipt.ref == report_ref(report_id))
        .order_by(col(Receipt.id))
    )
    states = {s.id: s for s in (await session.exec(select(MemberState))).all()}
    found = [
        Recipient(person, states.get(receipt.state_id), receipt.acknowledged_at)
        for receipt, person in rows.all()
    ]
    return sorted(found, key=lambda r: (r.state.position if r.state else -1, r.person.id or 0))


async def unacknowledged(session: AsyncSession, report_id: int | None) -> list[Person]:
    return [
        r.person
        for r in await recipients(session, report_id)
        if r.acknowledged_at is None and r.person.active
    ]


class ReportAckKind:
    """Recipients confirm receipt; those who have not are reminded, and at the deadline the
    TS officer who sent it gets the list of who still has not."""

    kind = ACK_KIND

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        return await unacknowledged(session, report_number(deadline.ref))

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        report = await session.get(FinancialReport, report_number(deadline.ref))
        if report is None:
            return
        missing = [r for r in await recipients(session, report.id) if r.acknowledged_at is None]
        if not missing:
            return
        sender = await session.get(Person, report.sent_by_id) if report.sent_by_id else None
        readers = (
            [sender]
            if sender is not None and sender.active
            else await with_roles(session, [Role.TS])
        )
        heading = Tr(
            "<b>{title}</b>: the deadline has passed. Not acknowledged yet:",
            title=from_json(deadline.title),
        )
        content = Content(Join([heading, *[recipient_line(r) for r in missing]]))
        try:
            services.outbox.check(content)
        except MessageTooLong:  # a long list: the count here, the names in /status
            content = Content(
                Join(
                    [
                        heading,
                        Plural("{n} recipient.", "{n} recipients.", len(missing)),
                        Tr("/status {id} lists them.", id=format_id(REPORT, report.id)),
                    ]
                )
            )
        stamp = int(as_utc(deadline.due_at).timestamp())
        for person in readers:
            await services.outbox.to_person(
                session,
                person,
                content,
                now=now,
                dedupe_key=f"{ACK_KIND}:{deadline.id}:{stamp}:{person.id}",
            )

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        return Content(
            Tr(
                "Reminder: {title}, by {when}. Press Received below.",
                title=from_json(deadline.title),
                when=When(deadline.due_at),
            ),
            keyboard([ack_button(report_number(deadline.ref))]),
        )


def recipient_line(recipient: Recipient) -> Node:
    where: Node = state_name(recipient.state) if recipient.state else Tr("no member state")
    return Tr("• {name} ({state})", name=recipient.person.display_name or "?", state=where)


DEADLINE_KINDS = (ReportAckKind(),)
