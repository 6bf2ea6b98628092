"""The sender against Telegram's failures, as the sandbox plays them: nothing lost, nothing
doubled (but the one message in flight when a reply is lost), Telegram's pace respected."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.models.outbox import OutboxMessage, OutboxStatus
from bot.models.people import Person
from bot.outbox import Content, MessageTooLong
from bot.text import Tr
from tests.harness import Harness


async def _queue(harness: Harness, person: Person, *texts: str) -> None:
    async with harness.services.unit_of_work() as session:
        for text in texts:
            await harness.services.outbox.to_person(session, person, Content(text), now=harness.now)


async def _rows(harness: Harness) -> list[OutboxMessage]:
    async with harness.session() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


@pytest.mark.settings(TELEGRAM_TIMEOUT=1.0)  # an injected timeout lasts until the bot gives up
@pytest.mark.parametrize("kind", ["429", "5xx", "timeout"])
async def test_failures_delay_but_never_lose_or_double(harness: Harness, kind: str) -> None:
    ana, person = await harness.person("ana", "focal_point", "MX")
    harness.server.faults.fail_next(3, kind, methods=["sendMessage"], retry_after=4)
    start = harness.now
    await _queue(harness, person, "hello")
    await harness.settle()
    assert [m.text for m in ana.bot_messages()] == ["hello"]
    (row,) = await _rows(harness)
    assert row.status == OutboxStatus.SENT and row.attempts == 4
    # A 429 names its own wait; only network errors and 5xx grow the backoff.
    assert row.failures == (0 if kind == "429" else 3)
    if kind == "429":
        # Three waits of retry_after seconds each: the sender honoured them.
        assert harness.now - start >= timedelta(seconds=12)


async def test_floods_do_not_lengthen_the_backoff_of_a_later_error(harness: Harness) -> None:
    # Four 429s then a 502: the row waits 4 x 1 s, then 2 s for its first failure. Were the
    # backoff counted from attempts, the 502 would cost 2^5 = 32 s: how a message got stuck
    # for minutes in the crash drill, behind floods and kills.
    ana, person = await harness.person("ana", "focal_point", "MX")
    harness.server.faults.fail_next(4, "429", methods=["sendMessage"], retry_after=1)
    harness.server.faults.fail_next(1, "502", methods=["sendMessage"])
    start = harness.now
    await _queue(harness, person, "after the flood")
    await harness.settle()
    assert [m.text for m in ana.bot_messages()] == ["after the flood"]
    (row,) = await _rows(harness)
    assert (row.attempts, row.failures) == (6, 1)
    assert harness.now - start < timedelta(seconds=10)


@pytest.mark.settings(TELEGRAM_TIMEOUT=1.0)
async def test_lost_reply_may_repeat_the_message_in_flight_once(harness: Harness) -> None:
    ana, person = await harness.person("ana", "focal_point", "MX")
    harness.server.faults.fail_next(1, "timeout_after_apply", methods=["sendMessage"])
    await _queue(harness, person, "only once, unless the reply is lost")
    await harness.settle()
    texts = [m.text for m in ana.bot_messages()]
    assert texts == ["only once, unless the reply is lost"] * 2
    (row,) = await _rows(harness)
    assert row.status == OutboxStatus.SENT


async def test_blocked_person_is_a_visible_failure_not_a_retry(harness: Harness) -> None:
    ana, person = await harness.person("ana", "focal_point", "MX")
    ana.block()
    await _queue(harness, person, "are you there?")
    await harness.settle()
    (row,) = await _rows(harness)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert row.last_error is not None and "blocked" in row.last_error
    async with harness.session() as session:
        assert (await session.get(Person, person.id)).blocked_bot  # type: ignore[union-attr]
    ana.unblock()
    await ana.send("/help")
    assert "How I can help" in (await ana.last_message()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert not (await session.get(Person, person.id)).blocked_bot  # type: ignore[union-attr]


async def test_pace_per_chat_and_order_kept(harness: Harness) -> None:
    ana, a = await harness.person("ana", "focal_point", "MX")
    ben, b = await harness.person("ben", "focal_point", "CR")
    await _queue(harness, a, "a1", "a2", "a3")
    await _queue(harness, b, "b1", "b2")
    await harness.settle()
    assert [m.text for m in ana.bot_messages()] == ["a1", "a2", "a3"]
    assert [m.text for m in ben.bot_messages()] == ["b1", "b2"]
    dates = [m.date for m in ana.bot_messages()]
    assert all(later - earlier >= 1 for earlier, later in itertools.pairwise(dates))
    assert harness.server.stats.too_many_requests == 0


async def test_global_rate_respected(harness: Harness) -> None:
    people = [(await harness.person(f"p{i}", "focal_point", "MX"))[1] for i in range(45)]
    for person in people:
        await _queue(harness, person, "bulk")
    await harness.settle()
    assert harness.server.stats.too_many_requests == 0
    assert sum(harness.server.stats.messages_per_chat.values()) == 45


async def test_language_is_the_one_at_send_time(harness: Harness) -> None:
    ana, person = await harness.person("ana", "focal_point", "MX", lang="en")
    harness.server.faults.fail_next(1, "5xx", methods=["sendMessage"])
    await _queue_tr(harness, person)
    await harness.sender.wait_idle()
    async with harness.services.unit_of_work() as session:
        row = await session.get(Person, person.id)
        assert row is not None
        row.language = "es"
        session.add(row)
    await harness.settle()
    assert [m.text for m in ana.bot_messages()] == ["Punto focal"]


async def _queue_tr(harness: Harness, person: Person) -> None:
    async with harness.services.unit_of_work() as session:
        await harness.services.outbox.to_person(
            session, person, Content(Tr("Focal point")), now=harness.now
        )


async def test_crash_in_flight_is_resent_after_restart(harness: Harness) -> None:
    ana, person = await harness.person("ana", "focal_point", "MX")
    await harness.sender.stop()
    await _queue(harness, person, "queued before the crash")
    async with harness.services.unit_of_work() as session:
        row = (await session.exec(select(OutboxMessage))).one()
        row.status = OutboxStatus.IN_FLIGHT  # the process died while Telegram was called
        session.add(row)
    await harness.restart()
    assert [m.text for m in ana.bot_messages()] == ["queued before the crash"]


async def test_too_long_is_refused_before_anything_is_stored(harness: Harness) -> None:
    _, person = await harness.person("ana", "focal_point", "MX")
    with pytest.raises(MessageTooLong):
        await _queue(harness, person, "x" * 4097)
    await _queue(harness, person, "y" * 4096)
    await harness.settle()
    assert [r.status for r in await _rows(harness)] == [OutboxStatus.SENT]


async def test_broadcasts_are_finished_whoever_queued_them_and_when(harness: Harness) -> None:
    # The sender looks for unfinished broadcasts only after claiming one of their rows: one
    # with nobody to deliver to is finished when queued, and one queued while the sender had
    # found none open is still followed to the end.
    from bot.models.outbox import Broadcast

    ts, ts_person = await harness.person("tess", "ts")
    ana, ana_person = await harness.person("ana", "focal_point", "MX")
    async with harness.services.unit_of_work() as session:
        await harness.services.outbox.broadcast(
            session, [], Content("nobody"), now=harness.now, title=Tr("Empty"),
            requested_by=ts_person,
        )  # fmt: skip
    await harness.settle()
    async with harness.services.unit_of_work() as session:
        await harness.services.outbox.broadcast(
            session, [ana_person], Content("to Ana"), now=harness.now, title=Tr("One"),
            requested_by=ts_person,
        )  # fmt: skip
    await harness.settle()
    assert [m.text for m in ana.bot_messages()] == ["to Ana"]
    progress = [m.text for m in ts.bot_messages()]
    assert len(progress) == 2
    assert "Delivery finished: 0 sent, 0 failed." in progress[0]
    assert "Delivery finished: 1 sent, 0 failed." in progress[1]
    async with harness.session() as session:
        broadcasts = (await session.exec(select(Broadcast))).all()
    assert len(broadcasts) == 2 and all(b.finished_at is not None for b in broadcasts)
