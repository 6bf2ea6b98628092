"""The one sender: drains the outbox at Telegram's pace, never losing a message.

Every row goes pending -> in_flight (committed before the call to Telegram) -> sent / failed,
or back to pending with a later `next_attempt_at`. After a crash, rows left in flight go back
to pending: only a message that was in flight at the crash can be delivered twice.

Pacing (SPEC section 4): at most `rate` messages in any sliding second overall, one message
per private chat every `chat_interval` seconds and 20 a minute per group; messages to one
chat leave in the order they were queued. A 429 pauses that chat for `retry_after` (and
everyone, when several chats get one at once: that is a global flood signal); network errors
and 5xx are retried with backoff; 403 (blocked, deactivated) is a final failure the TS sees,
and marks the person.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, auto
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import col, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.clock import Clock, as_seconds, as_utc
from bot.db import Database
from bot.documents import DocumentStore
from bot.i18n import is_language
from bot.models.documents import StoredDocument
from bot.models.outbox import Broadcast, OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.people import Person
from bot.outbox import BOTH, Content, Outbox, delivery_counts, progress_text, render_both
from bot.text import Keyboard, Renderer, from_json, keyboard_from_json

log = logging.getLogger(__name__)

# How far back we look when choosing what to send: the first unsettled row of each chat.
_CANDIDATES = 500
MAX_BACKOFF = timedelta(minutes=10)
PROGRESS_EVERY = timedelta(seconds=3)
IDLE_WAIT = 60.0  # seconds asleep with nothing queued (a wake() ends it at once)
GROUP_INTERVAL = 3.0  # seconds: Telegram allows 20 messages per minute in a group
MAX_CONCURRENT_REQUESTS = 8
MAX_BATCH = 2 * MAX_CONCURRENT_REQUESTS
SETTLE_WINDOW = 0.02  # seconds: answers this close together are recorded together
# Telegram answers this when an edit changes nothing; the message is as we want it.
_NOT_MODIFIED = "message is not modified"


class Outcome(Enum):
    SENT = auto()
    RETRY = auto()
    FAILED = auto()
    BLOCKED = auto()


@dataclass
class Result:
    row_id: int
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    retry_after: float | None = None
    file_id: str | None = None


class Pacer:
    """Telegram's flood limits, kept on our side so that we rarely see a 429.

    A message holds its place in the window from the moment it is claimed until a second
    after Telegram answered: Telegram counted it somewhere in between, so however long the
    request took (a busy network, a busy machine), the next one cannot land in the same
    window. Claimed and in-flight messages hold their places too, so a claim never takes
    more than the window allows."""

    def __init__(self, rate: float, chat_interval: float, margin: float = 0.01) -> None:
        self.rate = rate
        # Counted from Telegram's answer, a place is already held for longer than Telegram
        # holds it; the margin only absorbs timer rounding.
        self.chat_interval = timedelta(seconds=chat_interval + margin)
        self.group_interval = timedelta(seconds=GROUP_INTERVAL + margin)
        self.window = timedelta(seconds=1 + margin)
        self._sent: deque[datetime] = deque()
        self._reserved = 0  # claimed, request not started yet
        self._in_flight = 0  # request started, no answer yet
        self._chat_next: dict[int, datetime] = {}
        self._paused_until: datetime | None = None

    def capacity(self, now: datetime) -> int:
        if self._paused_until and now < self._paused_until:
            return 0
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        return max(0, int(self.rate) - len(self._sent) - self._reserved - self._in_flight)

    def chat_ready(self, chat_id: int, now: datetime) -> bool:
        ready_at = self._chat_next.get(chat_id)
        return ready_at is None or ready_at <= now

    def _interval(self, chat_id: int) -> timedelta:
        # Groups (negative ids) may receive 20 messages a minute; private chats one a second.
        return self.group_interval if chat_id < 0 else self.chat_interval

    def reserve(self, chat_id: int, now: datetime) -> None:
        """A message claimed to go now: it holds a place until `start` (or `release`)."""
        self._reserved += 1
        self._chat_next[chat_id] = now + self._interval(chat_id)

    def start(self) -> None:
        self._reserved = max(0, self._reserved - 1)
        self._in_flight += 1

    def finish(self, chat_id: int, now: datetime) -> None:
        """Telegram answered now: the window counts the message from here."""
        self._in_flight = max(0, self._in_flight - 1)
        self.record(chat_id, now)

    def release(self) -> None:
        """A reserved message whose request never started."""
        self._reserved = max(0, self._reserved - 1)

    def record(self, chat_id: int, now: datetime) -> None:
        self._sent.append(now)
        self._chat_next[chat_id] = max(
            now + self._interval(chat_id), self._chat_next.get(chat_id, now)
        )

    def pause_chat(self, chat_id: int, until: datetime) -> None:
        self._chat_next[chat_id] = max(until, self._chat_next.get(chat_id, until))

    def pause_all(self, until: datetime) -> None:
        self._paused_until = max(until, self._paused_until or until)

    def next_ready(self, now: datetime) -> datetime | None:
        """When capacity frees up, if it is exhausted now."""
        moments = []
        if self._paused_until and self._paused_until > now:
            moments.append(self._paused_until)
        if self.capacity(now) == 0 and self._sent:
            moments.append(self._sent[0] + self.window)
        return max(moments) if moments else None

    def chat_ready_at(self, chat_id: int) -> datetime | None:
        return self._chat_next.get(chat_id)

    def forget_idle_chats(self, now: datetime) -> None:
        for chat_id in [c for c, t in self._chat_next.items() if t <= now]:
            del self._chat_next[chat_id]


class Sender:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock,
        outbox: Outbox,
        documents: DocumentStore,
        *,
        rate: float = 30.0,
        chat_interval: float = 1.0,
    ) -> None:
        self.db, self.bot, self.clock, self.outbox, self.documents = (
            db,
            bot,
            clock,
            outbox,
            documents,
        )
        self.pacer = Pacer(rate, chat_interval)
        # Requests to Telegram at once: enough to keep its pace over a slow link, few enough
        # that each leaves when the pacer counted it (and httpx's pool stays cheap).
        self._requests = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.busy = False
        self.unauthorized = False
        self.stats: dict[str, int] = {"sent": 0, "failed": 0, "retried": 0, "429": 0}
        self._idle = asyncio.Event()
        self._progress_at: datetime | None = None
        # Whether a broadcast may be unfinished: true at start and whenever a claim takes one
        # of a broadcast's rows; false once a progress update found none open. Only this
        # sender settles rows, so a broadcast cannot finish unseen (an empty one is finished
        # when it is queued, bot.outbox).
        self._broadcasts_open = True
        # When nothing could be claimed: the earliest moment something could go (None: the
        # outbox is empty), found in the claim's own transaction.
        self._next_due: datetime | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await self.recover()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop after the batch in hand: rows already handed to Telegram get their outcome."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    @property
    def wake_pending(self) -> bool:
        return self._wake.is_set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def recover(self) -> int:
        """Rows left in flight by a crash go back to pending (they may repeat, once)."""
        async with self.db.transaction() as session:
            result = await session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == OutboxStatus.IN_FLIGHT)
                .values(status=OutboxStatus.PENDING)
            )
            count = int(result.rowcount or 0)
        if count:
            log.warning("outbox: %d message(s) were in flight at the last stop; resending", count)
        return count

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before looking, not before sleeping: a wake() that comes while a cycle
            # runs (a message queued meanwhile) makes the next sleep return at once.
            self._wake.clear()
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("outbox: sender cycle failed; retrying shortly")
                handled = 0
                await self._sleep(1.0)
                continue
            if handled or self._stopping:
                continue
            now = self.clock.now()
            delay = None if self._next_due is None else (self._next_due - now).total_seconds()
            await self._sleep(delay)

    async def _sleep(self, seconds: float | None) -> None:
        self.busy = False
        self._idle.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._wake.wait(), timeout=IDLE_WAIT if seconds is None else max(seconds, 0.001)
            )

    # ---- one cycle ---------------------------------------------------------------------

    async def run_once(self) -> int:
        """Send what may be sent now; returns how many rows were attempted."""
        if self.unauthorized:
            self._next_due = None  # asleep until woken: nothing can go without a token
            return 0
        self.busy = True
        self._idle.clear()
        now = self.clock.now()
        batch = await self._claim(now)
        if not batch:
            if self._broadcasts_open:
                await self._update_progress(now)
            return 0
        rows, people, documents, targets = batch
        await self._deliver_batch(rows, people, documents, targets)
        now = self.clock.now()
        # Between batches, progress every few seconds is enough; when the sender runs out of
        # work (the branch above) it is brought up to date, so a finished broadcast says so.
        if self._progress_at is None or now - self._progress_at >= PROGRESS_EVERY:
            await self._update_progress(now)
        return len(rows)

    async def _deliver_batch(
        self,
        rows: Sequence[OutboxMessage],
        people: dict[int, Person],
        documents: dict[int, StoredDocument],
        targets: dict[int, OutboxMessage],
    ) -> None:
        """Send the batch, recording each answer as soon as it comes.

        A message Telegram accepted but we have not yet recorded is sent again after a crash,
        so answers are written while the rest of the batch is still going: what can repeat is
        what was in flight, not the whole batch. Answers that arrive within SETTLE_WINDOW of
        each other, or while one is being written, are written together."""
        by_id = {row.id: row for row in rows}
        flooded: set[int] = set()
        failure: BaseException | None = None
        waiting = {
            asyncio.ensure_future(self._deliver(row, people, documents, targets)) for row in rows
        }
        try:
            while waiting:
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if waiting:
                    # Answers a few milliseconds apart share one write: one transaction per
                    # answer costs about 40% more CPU under load (docs/decisions.md).
                    more, waiting = await asyncio.wait(waiting, timeout=SETTLE_WINDOW)
                    done |= more
                results = []
                for task in done:
                    if task.exception() is not None:
                        failure = failure or task.exception()
                    else:
                        results.append(task.result())
                if results:
                    await self._settle(
                        [by_id[r.row_id] for r in results], results, self.clock.now(), flooded
                    )
        finally:
            for task in waiting:  # cancelled (not stopped): the rows stay in flight, recovered
                task.cancel()
        if failure is not None:
            raise failure

    async def _claim(
        self, now: datetime
    ) -> (
        tuple[
            list[OutboxMessage],
            dict[int, Person],
            dict[int, StoredDocument],
            dict[int, OutboxMessage],
        ]
        | None
    ):
        # A small batch: a claimed message holds its place while it waits for its turn to go,
        # so claiming a whole second's worth at once would waste most of the next second.
        capacity = min(self.pacer.capacity(now), MAX_BATCH)
        if capacity == 0:
            self._next_due = await self.next_due_at()
            return None
        async with self.db.transaction() as session:
            # A few more than may go, for chats still waiting out their interval.
            limit = min(_CANDIDATES, 4 * capacity)
            heads = (await session.exec(_claim_query(limit), params={"now": now})).all()
            targets = await self._targets(session, heads)
            chosen: list[OutboxMessage] = []
            for row in heads:
                if len(chosen) >= capacity:
                    break
                if not self.pacer.chat_ready(row.chat_id, now):
                    continue
                if row.method != OutboxMethod.SEND and row.target_message_id is None:
                    target = targets.get(row.target_id or 0)
                    if target is None or target.status in (
                        OutboxStatus.FAILED,
                        OutboxStatus.CANCELLED,
                    ):
                        row.status, row.last_error = OutboxStatus.CANCELLED, "target not sent"
                        session.add(row)
                        continue
                    if target.telegram_message_id is None:
                        continue  # its message has not gone yet
                chosen.append(row)
            if not chosen:
                # The sender sleeps until then; asked here, it costs no transaction of its own.
                self._next_due = await self._next_due_in(session, now)
                return None  # (rows cancelled above are committed on the way out)
            # One statement for the batch, not the ORM's unit of work: the claim runs for
            # every message of a thin flow (bench/load.py --arrival-rate).
            ids = [row.id for row in chosen]
            await (await session.connection()).execute(
                _CLAIM, {"ids": ids, "in_flight": OutboxStatus.IN_FLIGHT}
            )
            # Only what the batch needs: when the flow is thin, most claims take one message
            # and these queries would otherwise run empty (bench/load.py --arrival-rate).
            person_ids = {r.person_id for r in chosen if r.person_id}
            people: dict[int, Person] = {}
            if person_ids:
                found = await session.exec(select(Person).where(col(Person.id).in_(person_ids)))
                people = {p.id: p for p in found.all() if p.id is not None}
            document_ids = {r.document_id for r in chosen if r.document_id}
            documents: dict[int, StoredDocument] = {}
            if document_ids:
                stored = await session.exec(
                    select(StoredDocument).where(col(StoredDocument.id).in_(document_ids))
                )
                documents = {d.id: d for d in stored.all() if d.id is not None}
        for row in chosen:  # once they are committed in flight: a failed commit holds nothing
            self.pacer.reserve(row.chat_id, now)
            if row.broadcast_id is not None:
                self._broadcasts_open = True
        return chosen, people, documents, targets

    @staticmethod
    async def _targets(session: Any, rows: Sequence[OutboxMessage]) -> dict[int, OutboxMessage]:
        ids = {r.target_id for r in rows if r.target_id}
        if not ids:
            return {}
        found = await session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))
        return {t.id: t for t in found.all() if t.id is not None}

    def _language(self, row: OutboxMessage, people: dict[int, Person]) -> str:
        person = people.get(row.person_id or 0)
        if person is not None and is_language(person.language):
            return person.language
        return row.language or BOTH

    def _render(self, row: OutboxMessage, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
        body = from_json(row.body) if row.body is not None else ""
        buttons = keyboard_from_json(row.buttons)
        if lang == BOTH:
            text = render_both(self.outbox.renderer, body)
            renderer = self.outbox.renderer("en")
        else:
            renderer = self.outbox.renderer(lang)  # type: ignore[arg-type]
            text = renderer.html(body)
        return text, _markup(renderer, buttons)

    async def _deliver(
        self,
        row: OutboxMessage,
        people: dict[int, Person],
        documents: dict[int, StoredDocument],
        targets: dict[int, OutboxMessage],
    ) -> Result:
        started = False
        try:
            async with self._requests:
                self.pacer.start()
                started = True
                return await self._request(row, people, documents, targets)
        finally:
            if started:
                self.pacer.finish(row.chat_id, self.clock.now())
            else:
                self.pacer.release()

    async def _request(
        self,
        row: OutboxMessage,
        people: dict[int, Person],
        documents: dict[int, StoredDocument],
        targets: dict[int, OutboxMessage],
    ) -> Result:
        assert row.id is not None
        try:
            text, markup = self._render(row, self._language(row, people))
            message_id = row.target_message_id
            if message_id is None and row.target_id:
                message_id = targets[row.target_id].telegram_message_id
            sent: TgMessage | bool | None
            file_id = None
            if row.method == OutboxMethod.SEND and row.document_id:
                sent, file_id = await self._send_document(
                    row, documents[row.document_id], text, markup
                )
            elif row.method == OutboxMethod.SEND:
                sent = await self.bot.send_message(
                    row.chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=row.disable_preview),
                )
            elif row.method == OutboxMethod.EDIT:
                target = targets.get(row.target_id or 0)
                if target is not None and target.document_id:
                    sent = await self.bot.edit_message_caption(
                        chat_id=row.chat_id,
                        message_id=message_id,
                        caption=text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                else:
                    sent = await self.bot.edit_message_text(
                        text,
                        chat_id=row.chat_id,
                        message_id=message_id,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
            else:
                sent = await self.bot.delete_message(row.chat_id, message_id)  # type: ignore[arg-type]
            new_id = sent.message_id if isinstance(sent, TgMessage) else message_id
            return Result(row.id, Outcome.SENT, message_id=new_id, file_id=file_id)
        except RetryAfter as exc:
            return Result(
                row.id, Outcome.RETRY, error="429", retry_after=as_seconds(exc.retry_after)
            )
        except Forbidden as exc:
            return Result(row.id, Outcome.BLOCKED, error=f"403 {exc.message}"[:300])
        except BadRequest as exc:
            if _NOT_MODIFIED in exc.message.lower():
                return Result(row.id, Outcome.SENT, message_id=row.target_message_id)
            return Result(row.id, Outcome.FAILED, error=f"400 {exc.message}"[:300])
        except InvalidToken:
            self.unauthorized = True
            log.error("outbox: Telegram refused the bot token; sending stopped")
            return Result(row.id, Outcome.RETRY, error="invalid token")
        except (TimedOut, NetworkError) as exc:
            return Result(row.id, Outcome.RETRY, error=f"network: {exc.message}"[:300])
        except OSError as exc:  # the stored document cannot be read
            return Result(row.id, Outcome.FAILED, error=f"document: {exc}"[:300])

    async def _send_document(
        self,
        row: OutboxMessage,
        document: StoredDocument,
        caption: str,
        markup: InlineKeyboardMarkup | None,
    ) -> tuple[TgMessage, str | None]:
        source: Any = document.telegram_file_id
        if source is None:
            source = await self.documents.read(document)
        if row.as_photo:
            message = await self.bot.send_photo(
                row.chat_id,
                source,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                filename=document.file_name,
            )
            file_id = message.photo[-1].file_id if message.photo else None
        else:
            message = await self.bot.send_document(
                row.chat_id,
                source,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                filename=document.file_name,
            )
            file_id = message.document.file_id if message.document else None
        return message, file_id if document.telegram_file_id is None else None

    async def _settle(
        self,
        rows: Sequence[OutboxMessage],
        results: Sequence[Result],
        now: datetime,
        flooded: set[int],
    ) -> None:
        """Record answers; `flooded` collects the chats of this batch that got a 429."""
        by_id = {r.id: r for r in rows}
        flooded.update(
            by_id[r.row_id].chat_id for r in results if r.outcome is Outcome.RETRY and r.retry_after
        )
        # The common case, a message sent, needs nothing read back (only the sender changes a
        # row in flight): one statement for the batch.
        plain = [r for r in results if r.outcome is Outcome.SENT and not r.file_id]
        rest = [r for r in results if r.outcome is not Outcome.SENT or r.file_id]
        async with self.db.transaction() as session:
            if plain:
                sent = [
                    {
                        "row_id": r.row_id,
                        "sent": OutboxStatus.SENT,
                        "at": now,
                        # An edit or a deletion keeps the id of the message it changed.
                        "message_id": r.message_id
                        if by_id[r.row_id].method == OutboxMethod.SEND
                        else None,
                    }
                    for r in plain
                ]
                await (await session.connection()).execute(_SENT, sent)
                self.stats["sent"] += len(plain)
            if not rest:
                return
            loaded = await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.id).in_([r.row_id for r in rest]))
            )
            fresh = {r.id: r for r in loaded.all()}  # one query, not one per row
            for result in rest:
                row = fresh[result.row_id]
                if result.outcome is Outcome.SENT:
                    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
                    if row.method == OutboxMethod.SEND:
                        row.telegram_message_id = result.message_id
                    if result.file_id and row.document_id:
                        document = await session.get(StoredDocument, row.document_id)
                        if document is not None and document.telegram_file_id is None:
                            document.telegram_file_id = result.file_id
                            session.add(document)
                    self.stats["sent"] += 1
                elif result.outcome is Outcome.RETRY:
                    if result.retry_after is not None:
                        wait = timedelta(seconds=result.retry_after)
                        self.pacer.pause_chat(row.chat_id, now + wait)
                        if len(flooded) > 1:
                            self.pacer.pause_all(now + wait)
                        self.stats["429"] += 1
                    else:
                        row.failures += 1
                        wait = min(timedelta(seconds=2 ** min(row.failures, 10)), MAX_BACKOFF)
                    row.status = OutboxStatus.PENDING
                    row.next_attempt_at = now + wait
                    row.last_error = result.error
                    self.stats["retried"] += 1
                else:
                    row.status, row.last_error = OutboxStatus.FAILED, result.error
                    self.stats["failed"] += 1
                    if result.outcome is Outcome.FAILED:
                        # Telegram refused the request itself: a bug on our side, not theirs.
                        log.warning("outbox: message %s refused: %s", row.id, result.error)
                    if result.outcome is Outcome.BLOCKED and row.person_id:
                        person = await session.get(Person, row.person_id)
                        if person is not None and not person.blocked_bot:
                            person.blocked_bot = True
                            session.add(person)
                session.add(row)

    async def _update_progress(self, now: datetime) -> None:
        """Keep each open broadcast's progress message current (at most every few seconds)."""
        self._progress_at = now
        async with self.db.transaction() as session:
            open_ones = (
                await session.exec(select(Broadcast).where(col(Broadcast.finished_at).is_(None)))
            ).all()
            still_open = False
            for record in open_ones:
                assert record.id is not None
                counts = await delivery_counts(session, record.id)
                finished = counts.waiting == 0
                still_open = still_open or not finished
                shown = record.progress_shown_at
                if not finished and shown and as_utc(shown) + PROGRESS_EVERY > now:
                    continue
                if record.progress_id is not None:
                    progress = await session.get(OutboxMessage, record.progress_id)
                    if progress is not None:
                        eta = int(counts.waiting / max(self.pacer.rate, 0.1)) + 1
                        await self.outbox.edit(
                            session,
                            target=progress,
                            content=Content(
                                progress_text(
                                    from_json(record.title),
                                    counts.sent,
                                    counts.failed,
                                    counts.waiting,
                                    eta,
                                )
                            ),
                            now=now,
                        )
                record.progress_shown_at = now
                if finished:
                    record.finished_at = now
                session.add(record)
        self._broadcasts_open = still_open

    # ---- what tests and the harness ask ----------------------------------------------------

    async def next_due_at(self) -> datetime | None:
        """The earliest moment at which the sender could send something: for each chat, its
        oldest unsettled row (the only one that may go next), paced."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            return await self._next_due_in(session, now)

    async def _next_due_in(self, session: Any, now: datetime) -> datetime | None:
        # Three columns, not whole rows: this runs every time the sender goes to sleep.
        heads = (await session.exec(_NEXT_DUE)).all()
        moments = []
        for chat_id, status, next_attempt_at in heads:
            if status != OutboxStatus.PENDING:
                continue  # in flight: its chat waits for the answer
            due = as_utc(next_attempt_at)
            ready = self.pacer.chat_ready_at(chat_id)
            moments.append(max(due, ready) if ready else due)
        if not moments:
            return None
        earliest = min(moments)
        paced = self.pacer.next_ready(now)
        return max(earliest, paced) if paced else earliest

    async def wait_idle(self) -> None:
        await self._idle.wait()


def _heads_query(*columns: Any) -> Any:
    """Each chat's oldest unsettled row: messages to one chat leave in order, one at a time."""
    unsettled = (
        select(func.min(OutboxMessage.id))
        .where(col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]))
        .group_by(col(OutboxMessage.chat_id))
    )
    wanted = select(*columns) if columns else select(OutboxMessage)
    return wanted.where(col(OutboxMessage.id).in_(unsettled))


@functools.cache
def _claim_query(limit: int) -> Any:
    """What may go now, most urgent first (built once per limit: it runs for nearly every
    message)."""
    return (
        _heads_query()
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            col(OutboxMessage.next_attempt_at) <= bindparam("now"),
        )
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(limit)
        # PostgreSQL: a row another sender is claiming is skipped, and one it has claimed
        # meanwhile no longer matches `pending` when re-checked, so two senders (a leader
        # and one that has not yet noticed it lost the lead) never claim one row twice.
        # SQLite ignores it: BEGIN IMMEDIATE already serialises claims.
        .with_for_update(skip_locked=True)
    )


# Built once: they run for nearly every message.
_NEXT_DUE = _heads_query(OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.next_attempt_at)
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_CLAIM = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=bindparam("in_flight"), attempts=_OUTBOX.c.attempts + 1)
)
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        status=bindparam("sent"),
        sent_at=bindparam("at"),
        last_error=None,
        telegram_message_id=func.coalesce(
            bindparam("message_id", type_=_OUTBOX.c.telegram_message_id.type),
            _OUTBOX.c.telegram_message_id,
        ),
    )
)


def _markup(renderer: Renderer, buttons: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(renderer.plain(b.label), callback_data=b.data, url=b.url)
                for b in row
            ]
            for row in buttons
        ]
    )
