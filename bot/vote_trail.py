"""The audit trail of a vote: every ballot, as `/export V3` gives it (SPEC 2.4: "who, for
which state, when, what"). The rows come from `vote_ballot`, which the database keeps
append-only; a ballot is superseded when a later ballot of the same seat replaced it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.ids import VOTE, format_id
from bot.models.people import MemberState, Person
from bot.models.votes import Vote, VoteBallot


@dataclass(frozen=True)
class TrailRow:
    ballot: VoteBallot
    person: str
    state: str  # ISO code, or "" for a committee member
    superseded: bool


async def trail(session: AsyncSession, vote_id: int) -> list[TrailRow]:
    """Every ballot of a vote, oldest first; superseded ones are those a later ballot of the
    same seat replaced."""
    ballots = list(
        (
            await session.exec(
                select(VoteBallot)
                .where(VoteBallot.vote_id == vote_id)
                .order_by(col(VoteBallot.cast_at), col(VoteBallot.id))
            )
        ).all()
    )
    last_seq: dict[int, int] = {}
    for ballot in ballots:
        last_seq[ballot.seat_id] = max(last_seq.get(ballot.seat_id, 0), ballot.seq)
    persons = {
        p.id: p
        for p in (
            await session.exec(
                select(Person).where(col(Person.id).in_({b.person_id for b in ballots}))
            )
        ).all()
    }
    codes = {s.id: s.code for s in (await session.exec(select(MemberState))).all()}
    rows = []
    for ballot in ballots:
        person = persons.get(ballot.person_id)
        rows.append(
            TrailRow(
                ballot=ballot,
                person=person.display_name if person else "",
                state=codes.get(ballot.state_id, "") if ballot.state_id else "",
                superseded=ballot.seq < last_seq[ballot.seat_id],
            )
        )
    return rows


TRAIL_COLUMNS = (
    "vote",
    "ballot",
    "cast_at_utc",
    "cast_at_local",
    "person_id",
    "person",
    "state",
    "role",
    "choice",
    "reason",
    "superseded",
)


def trail_csv(vote: Vote, rows: Sequence[TrailRow], tz: ZoneInfo) -> bytes:
    """The trail as CSV (UTF-8 with a byte-order mark, so spreadsheets read the accents). A
    secret vote's export leaves out choices and reasons: no one learns a state's position
    through the bot (the database keeps them for an audit)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TRAIL_COLUMNS)
    for row in rows:
        ballot = row.ballot
        cast_at = as_utc(ballot.cast_at)
        writer.writerow(
            [
                format_id(VOTE, vote.id),
                ballot.id,
                cast_at.isoformat(),
                cast_at.astimezone(tz).isoformat(),
                ballot.person_id,
                _csv_safe(row.person),
                row.state,
                ballot.role,
                "" if vote.secret else ballot.choice,
                "" if vote.secret else _csv_safe(ballot.reason or ""),
                "yes" if row.superseded else "no",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: keep people's text as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
