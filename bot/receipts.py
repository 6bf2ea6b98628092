"""Receipts: who was sent a notice, how each delivery went, and who confirmed receiving it.

Shared by announcements and vacancy notices (and any capability whose recipients press
"Received / Recibido"). Delivery outcomes are read from the outbox rows of the same `ref`;
acknowledgements are `Receipt` rows. Knows nothing of Telegram.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.errors import InputError
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.people import MemberState, Person, PersonRole
from bot.models.receipts import Receipt
from bot.states import member_states, state_name
from bot.text import Bold, Button, Join, Node, Tr

PREFIX = "ack"  # callback data: "ack:<ref>", e.g. "ack:announcement:3"


class Delivery(StrEnum):
    SENT = "sent"
    WAITING = "waiting"  # still in the outbox (Telegram's pace, or retrying)
    BLOCKED = "blocked"  # the person blocked the bot (403): final
    FAILED = "failed"  # any other final refusal


def ack_button(ref: str, *, done: bool = False) -> Button:
    """The button every recipient presses; once pressed it shows a tick (same data, so a
    second press is answered without changing anything)."""
    return Button(Tr("✓ Received") if done else Tr("Received"), data=f"{PREFIX}:{ref}")


def ref_of(callback_data: str) -> str:
    return callback_data.removeprefix(f"{PREFIX}:")


async def add(session: AsyncSession, ref: str, persons: Sequence[Person], *, now: datetime) -> int:
    """Record these persons as recipients of `ref` (once each); returns how many are new."""
    known = set((await session.exec(select(Receipt.person_id).where(Receipt.ref == ref))).all())
    added = 0
    for person in persons:
        if person.id is None or person.id in known or person.telegram_id is None:
            continue
        session.add(Receipt(ref=ref, person_id=person.id, state_id=person.state_id, added_at=now))
        known.add(person.id)
        added += 1
    await session.flush()
    return added


@dataclass(frozen=True)
class Acknowledged:
    receipt: Receipt
    message: OutboxMessage  # the delivery whose button was pressed
    first_time: bool


async def acknowledge(
    session: AsyncSession, *, ref: str, person: Person, message_id: int | None, now: datetime
) -> Acknowledged:
    """Record that `person` received `ref`, from the button on a message we sent them.

    A button whose data names something they were not sent, or that sits on another
    message than the one we sent them for it (forged or stale), changes nothing."""
    receipt = (
        await session.exec(
            select(Receipt).where(Receipt.ref == ref, Receipt.person_id == person.id)
        )
    ).first()
    message = None
    if receipt is not None and message_id is not None:
        message = (
            await session.exec(
                _deliveries(ref).where(
                    OutboxMessage.person_id == person.id,
                    OutboxMessage.telegram_message_id == message_id,
                )
            )
        ).first()
    if receipt is None or message is None:
        raise InputError(Tr("That button is no longer active."))
    first = receipt.acknowledged_at is None
    if first:
        receipt.acknowledged_at = now
        session.add(receipt)
        await session.flush()
    return Acknowledged(receipt, message, first)


def _deliveries(ref: str):  # type: ignore[no-untyped-def]
    # Messages of a broadcast for `ref`: not the requester's progress message (no broadcast).
    return select(OutboxMessage).where(
        OutboxMessage.ref == ref,
        OutboxMessage.method == OutboxMethod.SEND,
        col(OutboxMessage.broadcast_id).is_not(None),
    )


@dataclass(frozen=True)
class Recipient:
    person: Person
    state_id: int | None
    delivery: Delivery
    acknowledged_at: datetime | None
    sent_at: datetime | None
    error: str | None


_RANK = {Delivery.SENT: 0, Delivery.WAITING: 1, Delivery.BLOCKED: 2, Delivery.FAILED: 3}


def _delivery(row: OutboxMessage) -> Delivery:
    if row.status == OutboxStatus.SENT:
        return Delivery.SENT
    if row.status in (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT):
        return Delivery.WAITING
    if (row.last_error or "").startswith("403"):
        return Delivery.BLOCKED
    return Delivery.FAILED


async def recipients(session: AsyncSession, ref: str) -> list[Recipient]:
    """Every recipient of `ref` with their best delivery so far (a reminder that reached
    someone whose first message failed counts as delivered)."""
    receipts = (
        await session.exec(select(Receipt).where(Receipt.ref == ref).order_by(col(Receipt.id)))
    ).all()
    person_ids = [r.person_id for r in receipts]
    persons = {
        p.id: p
        for p in (await session.exec(select(Person).where(col(Person.id).in_(person_ids)))).all()
    }
    best: dict[int, OutboxMessage] = {}
    for row in (await session.exec(_deliveries(ref).order_by(col(OutboxMessage.id)))).all():
        if row.person_id is None:
            continue
        current = best.get(row.person_id)
        if current is None or _RANK[_delivery(row)] < _RANK[_delivery(current)]:
            best[row.person_id] = row
    found = []
    for receipt in receipts:
        row = best.get(receipt.person_id)
        found.append(
            Recipient(
                person=persons[receipt.person_id],
                state_id=receipt.state_id,
                delivery=_delivery(row) if row else Delivery.WAITING,
                acknowledged_at=receipt.acknowledged_at,
                sent_at=row.sent_at if row else None,
                error=row.last_error if row and row.status == OutboxStatus.FAILED else None,
            )
        )
    return found


def to_remind(found: Sequence[Recipient]) -> list[Person]:
    """Exactly those who received it and have not confirmed, or whose delivery failed and
    who can be reached again; not those still waiting for their first delivery, nor those
    who blocked the bot and have not written to it since."""
    return [
        r.person
        for r in found
        if r.acknowledged_at is None
        and r.delivery != Delivery.WAITING
        and r.person.active
        and not r.person.blocked_bot
        and r.person.telegram_id is not None
    ]


@dataclass
class Tally:
    """One line of the delivery report: a member state (or None: TS and organisations)."""

    state: MemberState | None
    sent: int = 0
    acknowledged: int = 0
    waiting: int = 0
    failed: int = 0
    blocked: int = 0
    not_acknowledged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.failed + self.blocked


@dataclass(frozen=True)
class Report:
    tallies: list[Tally]
    total: Tally
    unreached: list[MemberState]  # member states with no recipient at all


async def report(session: AsyncSession, ref: str, *, every_state: bool) -> Report:
    """Per member state: sent / acknowledged / waiting / failed (blocked). With
    `every_state`, states that had nobody to receive it are listed too (for notices meant
    for every member state)."""
    found = await recipients(session, ref)
    states = await member_states(session)
    by_id = {s.id: s for s in states}
    tallies: dict[int | None, Tally] = {}
    total = Tally(None)
    for item in found:
        tally = tallies.setdefault(item.state_id, Tally(by_id.get(item.state_id or 0)))
        for target in (tally, total):
            if item.delivery == Delivery.SENT:
                target.sent += 1
                if item.acknowledged_at is not None:
                    target.acknowledged += 1
            elif item.delivery == Delivery.WAITING:
                target.waiting += 1
            elif item.delivery == Delivery.BLOCKED:
                target.blocked += 1
            else:
                target.failed += 1
        if item.acknowledged_at is None:
            tally.not_acknowledged.append(item.person.display_name or f"#{item.person.id}")
    ordered = [tallies[s.id] for s in states if s.id in tallies]
    if None in tallies:
        ordered.append(tallies[None])
    unreached = [s for s in states if s.id not in tallies] if every_state else []
    return Report(ordered, total, unreached)


def tally_text(tally: Tally) -> Node:
    return Tr(
        "{sent} sent ({acknowledged} acknowledged), {waiting} waiting, {failed} failed "
        "({blocked} blocked the bot)",
        sent=tally.sent,
        acknowledged=tally.acknowledged,
        waiting=tally.waiting,
        failed=tally.failed + tally.blocked,
        blocked=tally.blocked,
    )


def report_text(found: Report, *, names: bool = True) -> Node:
    """The report the TS reads: one line per member state, then who has not confirmed."""
    lines: list[Node] = []
    for tally in found.tallies:
        where: Node = (
            state_name(tally.state)
            if tally.state
            else Tr("Technical Secretariat and organisations")
        )
        lines.append(Tr("{where}: {counts}", where=Bold(where), counts=tally_text(tally)))
        if names and tally.not_acknowledged:
            lines.append(Tr("  not acknowledged: {names}", names=", ".join(tally.not_acknowledged)))
    if found.unreached:
        lines.append(
            Tr(
                "Nobody registered to receive it in: {states}",
                states=Join([state_name(s) for s in found.unreached], sep=", "),
            )
        )
    lines.append(Tr("<b>Total</b>: {counts}", counts=tally_text(found.total)))
    return Join(lines)


async def roles_by_person(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str]:
    rows = await session.exec(
        select(PersonRole).where(col(PersonRole.person_id).in_(list(person_ids)))
    )
    roles: dict[int, list[str]] = {}
    for row in rows.all():
        roles.setdefault(row.person_id, []).append(row.role)
    return {pid: ",".join(sorted(names)) for pid, names in roles.items()}


def _cell(value: str) -> str:
    # A name starting with = + - @ would be run as a formula by a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


async def export_csv(session: AsyncSession, ref: str, tz: ZoneInfo) -> bytes:
    """One line per recipient: state, name, roles, language, delivery, acknowledgement."""
    found = await recipients(session, ref)
    states = {s.id: s for s in (await session.exec(select(MemberState))).all()}
    roles = await roles_by_person(session, [r.person.id for r in found if r.person.id])

    def moment(value: datetime | None) -> str:
        return as_utc(value).astimezone(tz).isoformat(timespec="minutes") if value else ""

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["state", "name", "roles", "language", "delivery", "sent_at", "acknowledged_at", "error"]
    )
    for item in found:
        state = states.get(item.state_id or 0)
        writer.writerow(
            [
                state.code if state else "",
                _cell(item.person.display_name),
                roles.get(item.person.id or 0, ""),
                item.person.language,
                item.delivery.value,
                moment(item.sent_at),
                moment(item.acknowledged_at),
                item.error or "",
            ]
        )
    # A byte-order mark, so that spreadsheet programs read the accents right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")
