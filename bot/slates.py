"""Candidate slates: ranked candidates put to the Vice-Ministers one at a time on a
no-objection basis (000_80de73a49c3b69ea.txt: "If any of the Vice-Ministers objects to the
candidate, the candidate with the second highest score is submitted for consideration").

This module keeps the slate's own rows and rules; `bot.votes` opens and closes the vote on
each candidate and calls `after_close` to learn what comes next.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot import vote_messages as say
from bot.clock import as_utc
from bot.errors import InputError
from bot.models.votes import Candidate, Slate, SlateStatus, Vote
from bot.text import Bi, Node, Tr, from_json, to_json
from bot.vote_rules import deadline_in_days

MAX_CANDIDATES = 10
MAX_CANDIDATE_NAME = 120


@dataclass(frozen=True)
class CandidateEntry:
    name: str
    score: float


def check_candidates(candidates: Sequence[CandidateEntry]) -> None:
    if not candidates:
        raise InputError(Tr("A slate needs at least one candidate, one per line as name; score."))
    if len(candidates) > MAX_CANDIDATES:
        raise InputError(Tr("A slate has at most {n} candidates.", n=MAX_CANDIDATES))
    seen: set[str] = set()
    for entry in candidates:
        if not entry.name.strip():
            raise InputError(Tr("Every candidate needs a name."))
        if len(entry.name) > MAX_CANDIDATE_NAME:
            raise InputError(
                Tr("A candidate's name may have at most {n} characters.", n=MAX_CANDIDATE_NAME)
            )
        key = entry.name.strip().casefold()
        if key in seen:
            raise InputError(Tr("{name} is listed twice.", name=entry.name))
        seen.add(key)
    for higher, lower in itertools.pairwise(candidates):
        # 000_80de73a49c3b69ea.txt: the scores are listed "in descending order", and the
        # candidate with the highest score is submitted first.
        if lower.score > higher.score:
            raise InputError(
                Tr(
                    "List the candidates from the highest score to the lowest: {name} has a "
                    "higher score than the one above.",
                    name=lower.name,
                )
            )


def slate_days(deadline: datetime, now: datetime, tz: ZoneInfo) -> int:
    """How many calendar days the first candidate's vote lasts; each next one gets as many."""
    start = as_utc(now).astimezone(tz).date()
    return (as_utc(deadline).astimezone(tz).date() - start).days


async def create(
    session: AsyncSession,
    *,
    opened_by_id: int | None,
    candidates: Sequence[CandidateEntry],
    deadline: datetime,
    now: datetime,
    tz: ZoneInfo,
    subject: Bi | None,
    document_id: int | None,
    secret: bool,
) -> tuple[Slate, list[Candidate]]:
    check_candidates(candidates)
    days = slate_days(deadline, now, tz)
    if days < 1:
        raise InputError(
            Tr(
                "A slate's deadline must be after today: each next candidate gets the same "
                "number of days."
            )
        )
    slate = Slate(
        subject=to_json(subject) if subject is not None else None,
        days=days,
        secret=secret,
        document_id=document_id,
        opened_by_id=opened_by_id,
        opened_at=now,
    )
    session.add(slate)
    await session.flush()
    assert slate.id is not None
    rows = [
        Candidate(slate_id=slate.id, rank=rank, name=entry.name.strip(), score=entry.score)
        for rank, entry in enumerate(candidates, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    await audit.record(
        session,
        action="vote.slate",
        now=now,
        actor_id=opened_by_id,
        subject=f"slate:{slate.id}",
        candidates=[[c.name, c.score] for c in rows],
        days=days,
    )
    return slate, rows


def question(slate: Slate, candidate: Candidate, total: int) -> Node:
    subject: Node = say.default_subject() if slate.subject is None else from_json(slate.subject)
    return say.candidate_question(
        subject, rank=candidate.rank, total=total, name=candidate.name, score=candidate.score
    )


async def candidates_of(session: AsyncSession, slate_id: int) -> list[Candidate]:
    rows = await session.exec(
        select(Candidate).where(Candidate.slate_id == slate_id).order_by(col(Candidate.rank))
    )
    return list(rows.all())


@dataclass(frozen=True)
class Step:
    """What follows the close of a candidate's vote."""

    shown: say.SlateNext
    slate: Slate
    next_candidate: Candidate | None
    total: int


async def after_close(
    session: AsyncSession, vote: Vote, passed: bool, now: datetime, tz: ZoneInfo
) -> Step:
    """The slate is approved (no objection), moves to the next candidate with as many
    calendar days as the first had, or ends with no candidate approved."""
    slate = await session.get(Slate, vote.slate_id)
    candidate = await session.get(Candidate, vote.candidate_id)
    assert slate is not None and candidate is not None and slate.id is not None
    candidates = await candidates_of(session, slate.id)
    total = len(candidates)
    if passed:
        slate.status, slate.closed_at = SlateStatus.APPROVED, now
        session.add(slate)
        return Step(say.SlateNext(approved_name=candidate.name), slate, None, total)
    following = next((c for c in candidates if c.rank == candidate.rank + 1), None)
    if following is None:
        slate.status, slate.closed_at = SlateStatus.EXHAUSTED, now
        session.add(slate)
        return Step(say.SlateNext(exhausted=True), slate, None, total)
    shown = say.SlateNext(
        next_rank=following.rank,
        next_name=following.name,
        next_score=following.score,
        next_deadline=deadline_in_days(now, tz, slate.days),
    )
    return Step(shown, slate, following, total)


async def next_vote_of(session: AsyncSession, vote: Vote) -> Vote | None:
    """For a candidate's vote: the vote on the candidate after it, if one was opened (the
    candidate of `vote` is then superseded)."""
    candidate = await session.get(Candidate, vote.candidate_id)
    if candidate is None:
        return None
    following = await session.exec(
        select(Vote)
        .join(Candidate, col(Candidate.id) == col(Vote.candidate_id))
        .where(Vote.slate_id == vote.slate_id, Candidate.rank == candidate.rank + 1)
    )
    return following.first()
