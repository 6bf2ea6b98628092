"""What the meeting, report, attendance and commitment tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.deadlines import DeadlineKind
from bot.models.deadlines import Deadline
from bot.models.outbox import OutboxMessage
from bot.rollover import KIND as ROLLOVER_KIND
from bot.sandbox.users import SimUser
from tests.harness import Harness

# A file that passes the checks: the PDF type and the `%PDF-` signature.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


async def text(user: SimUser) -> str:
    """The newest message of the bot to this person, once the bot has settled."""
    message = await user.last_message()
    assert message is not None
    return message.text if message.text is not None else message.caption or ""


async def say(user: SimUser, words: str) -> str:
    await user.send(words)
    return await text(user)


async def count(harness: Harness, model: Any) -> int:
    async with harness.session() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def meeting_deadlines(harness: Harness) -> int:
    """Deadlines derived from meetings and reports (the PPT rollover has its own)."""
    async with harness.session() as session:
        query = (
            select(func.count()).select_from(Deadline).where(col(Deadline.kind) != ROLLOVER_KIND)
        )
        return int((await session.exec(query)).one())


async def rows(harness: Harness, model: Any) -> list[Any]:
    async with harness.session() as session:
        return list((await session.exec(select(model).order_by(model.id))).all())


async def send_report(harness: Harness, ts: SimUser, meeting: str = "M1") -> str:
    """The TS sends the report for `meeting` the usual way; returns the bot's last answer."""
    await ts.send(f"/report {meeting}")
    await text(ts)
    await ts.send_document(PDF, "financial-report.pdf")
    await text(ts)
    await ts.press("Send")
    await harness.settle()
    return await text(ts)


def local(harness: Harness, moment: datetime) -> datetime:
    return moment.astimezone(harness.services.clock.tz)


async def secretariat_in_both_languages(harness: Harness) -> dict[str, SimUser]:
    """Two TS officers, one reading English and one Spanish, by language."""
    return {
        "en": (await harness.person("tess", "ts"))[0],
        "es": (await harness.person("tomas", "ts", lang="es"))[0],
    }


async def run_due_action_twice(harness: Harness, kind: DeadlineKind, deadline: Deadline) -> None:
    """Travel to the deadline (the scheduler runs its due action), then run the action twice
    more, as after a crash before the deadline was marked done: nothing is queued again."""
    await harness.travel_to(deadline.due_at)
    async with harness.services.unit_of_work() as session:
        before = await _queued(session)
        await kind.on_due(harness.services, session, deadline, harness.now)
        await kind.on_due(harness.services, session, deadline, harness.now)
        assert await _queued(session) == before
    await harness.settle()


async def _queued(session: Any) -> int:
    return int((await session.exec(select(func.count()).select_from(OutboxMessage))).one())


async def deadline_rows(harness: Harness) -> list[Deadline]:
    """Deadlines derived from meetings and reports (the PPT rollover has its own)."""
    async with harness.session() as session:
        query = select(Deadline).where(col(Deadline.kind) != ROLLOVER_KIND).order_by(Deadline.id)
        return list((await session.exec(query)).all())
