"""Votes of the Vice-Ministers and of the selection committee (SPEC 2.4).

Opening a vote fixes its seats (every active member state, or the named committee members),
schedules its deadline and queues a ballot to each person who may vote for a seat. Every
press appends a ballot to the trail; a seat's counted ballot is its latest one. Closing is
one idempotent function that a deadline job, a test or `/close` calls; it sends the results
and, for a candidate slate, moves on to the next candidate.

Concurrency: every ballot and every close first takes the vote's row with a locking read
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite runs each transaction under `BEGIN IMMEDIATE`,
which already serialises writers), so two persons of one state pressing at once are counted
one after the other, never both; `(seat_id, seq)` is unique as a last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit, deadlines, slates, states, vote_seats
from bot import vote_messages as say
from bot.clock import as_utc
from bot.errors import InputError, NotFound, PermissionDenied
from bot.ids import VOTE, format_id
from bot.models.deadlines import Deadline
from bot.models.documents import StoredDocument
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus, Priority
from bot.models.people import MemberState, Person
from bot.models.votes import (
    Candidate,
    CloseReason,
    Slate,
    Vote,
    VoteBallot,
    VoteSeat,
    VoteStatus,
)
from bot.outbox import Content, MessageTooLong
from bot.permissions import Action, Actor, require, require_same_state
from bot.roles import Role
from bot.states import state_name
from bot.text import Bi, Join, Node, Tr, When, from_json, to_json
from bot.vote_rules import (
    Choice,
    Tally,
    VoteRule,
    approved,
    deadline_in_days,
    is_allowed,
    settled,
)

if TYPE_CHECKING:
    from bot.services import Services

KIND = "vote"  # the DeadlineKind of every vote's closing
# 000_80de73a49c3b69ea.txt: "The vice ministers shouldn't take more than five calendar days".
DEFAULT_NO_OBJECTION_DAYS = 5
MAX_DAYS = 366
MAX_REASON = 500
# The preview shows the question in both languages in one Telegram message (4096
# characters); a longer text belongs in the attached document.
MAX_QUESTION = 1500


def ref(vote_id: int) -> str:
    return f"vote:{vote_id}"


def deadline_key(vote_id: int) -> str:
    return f"vote:{vote_id}:close"


def _ballot_key(vote_id: int) -> str:
    # Dedupe keys of ballot messages start with this, so that closing can find them.
    return f"vote:{vote_id}:ballot:"


# ---- what a vote looks like from outside ---------------------------------------------------


@dataclass(frozen=True)
class VoteOutcome:
    vote_id: int
    rule: VoteRule
    approved: bool
    tally: Tally
    closed_at: datetime
    reason: CloseReason
    next_vote_id: int | None = None  # a slate: the vote opened on the next candidate


@dataclass(frozen=True)
class CastResult:
    ballot: VoteBallot
    changed: bool  # False: the same vote was pressed again, nothing was recorded
    outcome: VoteOutcome | None = None  # the vote closed because of this ballot


# ---- reading -------------------------------------------------------------------------------


async def get_vote(session: AsyncSession, vote_id: int, *, lock: bool = False) -> Vote:
    query = select(Vote).where(Vote.id == vote_id)
    if lock:
        # The locking read: concurrent ballots and closes of one vote wait for each other.
        query = query.with_for_update().execution_options(populate_existing=True)
    vote = (await session.exec(query)).first()
    if vote is None:
        raise NotFound(Tr("There is no vote {id}.", id=format_id(VOTE, vote_id)))
    return vote


async def by_origin(session: AsyncSession, origin: str) -> list[Vote]:
    """The votes opened for `origin` (e.g. "contract:1:year-1"), oldest first."""
    rows = await session.exec(select(Vote).where(Vote.origin == origin).order_by(col(Vote.id)))
    return list(rows.all())


async def outcome_of(session: AsyncSession, vote_id: int) -> VoteOutcome | None:
    """The outcome of a closed vote (None while it is open)."""
    vote = await get_vote(session, vote_id)
    if vote.status != VoteStatus.CLOSED:
        return None
    return await _stored_outcome(session, vote)


async def _stored_outcome(session: AsyncSession, vote: Vote) -> VoteOutcome:
    assert vote.id is not None and vote.closed_at is not None
    views = await vote_seats.seat_views(session, vote)
    following = None
    if vote.slate_id is not None:
        following = await slates.next_vote_of(session, vote)
    return VoteOutcome(
        vote_id=vote.id,
        rule=VoteRule(vote.rule),
        approved=bool(vote.approved),
        tally=vote_seats.tally_of(views),
        closed_at=as_utc(vote.closed_at),
        reason=CloseReason(vote.close_reason or CloseReason.DEADLINE),
        next_vote_id=following.id if following else None,
    )


async def open_votes(session: AsyncSession) -> list[Vote]:
    rows = await session.exec(
        select(Vote).where(Vote.status == VoteStatus.OPEN).order_by(col(Vote.deadline))
    )
    return list(rows.all())


# ---- opening -------------------------------------------------------------------------------


def default_deadline(now: datetime, tz: ZoneInfo) -> datetime:
    """The no-objection default: 5 calendar days, to 23:59 of the fifth day."""
    return deadline_in_days(now, tz, DEFAULT_NO_OBJECTION_DAYS)


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise InputError(Tr("The deadline {deadline} has already passed.", deadline=When(deadline)))
    if deadline > now + timedelta(days=MAX_DAYS):
        raise InputError(Tr("A vote may last at most one year."))


def check_question(question: Bi) -> None:
    if not question.en.strip() or not question.es.strip():
        raise InputError(
            Tr(
                "The question is needed in both languages: a line starting with EN: and one "
                "starting with ES:."
            )
        )
    for text in (question.en, question.es):
        if len(text) > MAX_QUESTION:
            raise InputError(
                Tr(
                    "The question may have at most {limit} characters in each language; one "
                    "has {length}. Please shorten it, or attach the full text as a document.",
                    limit=MAX_QUESTION,
                    length=len(text),
                )
            )


async def open_vote(
    services: Services,
    session: AsyncSession,
    *,
    opened_by: Actor | None,
    rule: VoteRule,
    question: Bi,
    deadline: datetime,
    now: datetime,
    document: StoredDocument | None = None,
    committee: Sequence[Person] = (),
    secret: bool = False,
    origin: str | None = None,
) -> Vote:
    """Open a vote and queue its ballots. `opened_by` None: the bot opens it on a schedule
    (e.g. the majority vote on the Coordinator's contract extension)."""
    if opened_by is not None:
        require(opened_by, Action.OPEN_VOTE)
    check_question(question)
    if rule is VoteRule.COMMITTEE:
        await vote_seats.check_committee(session, committee)
    elif committee:
        raise InputError(Tr("Only a committee vote has named members."))
    return await _open(
        services,
        session,
        rule=rule,
        question=question,
        deadline=deadline,
        now=now,
        document=document,
        committee=committee,
        secret=secret,
        origin=origin,
        opened_by_id=opened_by.person_id if opened_by else None,
        progress_to_opener=True,
    )


async def _open(
    services: Services,
    session: AsyncSession,
    *,
    rule: VoteRule,
    question: Node,
    deadline: datetime,
    now: datetime,
    document: StoredDocument | None,
    committee: Sequence[Person],
    secret: bool,
    origin: str | None,
    opened_by_id: int | None,
    progress_to_opener: bool,
    slate_id: int | None = None,
    candidate_id: int | None = None,
) -> Vote:
    _check_deadline(deadline, now)
    vote = Vote(
        rule=rule.value,
        question=to_json(question),
        document_id=document.id if document else None,
        secret=secret,
        origin=origin,
        opened_by_id=opened_by_id,
        opened_at=now,
        deadline=deadline,
        slate_id=slate_id,
        candidate_id=candidate_id,
    )
    session.add(vote)
    await session.flush()
    assert vote.id is not None
    if rule is VoteRule.COMMITTEE:
        seats = [VoteSeat(vote_id=vote.id, person_id=member.id) for member in committee]
    else:
        # 002_9138b89dd8fde4ed.txt: nothing hard-wired to eleven; the active member states.
        members = await states.member_states(session)
        if not members:
            raise InputError(Tr("There are no member states to vote."))
        seats = [VoteSeat(vote_id=vote.id, state_id=state.id) for state in members]
    session.add_all(seats)
    await session.flush()
    await deadlines.schedule(
        session,
        key=deadline_key(vote.id),
        kind=KIND,
        ref=ref(vote.id),
        title=say.title(vote),
        due_at=deadline,
        now=now,
        created_by_id=opened_by_id,
    )
    await audit.record(
        session,
        action="vote.open",
        now=now,
        actor_id=opened_by_id,
        subject=ref(vote.id),
        rule=rule.value,
        deadline=deadline.isoformat(),
        seats=len(seats),
        secret=secret,
        origin=origin,
        slate_id=slate_id,
    )
    opener = None
    if progress_to_opener and opened_by_id is not None:
        opener = await session.get(Person, opened_by_id)
    await _send_ballots(services, session, vote, seats, now=now, requested_by=opener)
    return vote


async def _send_ballots(
    services: Services,
    session: AsyncSession,
    vote: Vote,
    seats: Sequence[VoteSeat],
    *,
    now: datetime,
    requested_by: Person | None,
) -> None:
    assert vote.id is not None
    recipients = await vote_seats.voters(session, seats)
    names = await vote_seats.seat_names(session, seats)
    document = await session.get(StoredDocument, vote.document_id) if vote.document_id else None
    if document is not None:
        for voter in recipients:
            await services.outbox.to_person(
                session,
                voter.person,
                Content(say.document_caption(vote), document=document),
                now=now,
                ref=ref(vote.id),
                dedupe_key=f"vote:{vote.id}:document:{voter.person.id}",
            )
    by_person = {voter.person.id: voter for voter in recipients}

    def ballot(person: Person) -> Content:
        voter = by_person[person.id]
        return ballot_content(vote, len(seats), voter, names, has_document=document is not None)

    await services.outbox.broadcast(
        session,
        [voter.person for voter in recipients],
        ballot,
        now=now,
        title=Tr("Ballots of vote {id}", id=say.vote_id_text(vote)),
        ref=ref(vote.id),
        requested_by=requested_by,
        dedupe_prefix=_ballot_key(vote.id).rstrip(":"),
    )


def ballot_content(
    vote: Vote, seats: int, voter: vote_seats.Voter, names: dict[int, Node], *, has_document: bool
) -> Content:
    assert voter.seat.id is not None
    body = say.ballot_body(
        vote, seats, role=voter.role, seat_name=names[voter.seat.id], has_document=has_document
    )
    return Content(body, say.ballot_buttons(vote, voter.seat.id))


async def resend_ballot(
    services: Services, session: AsyncSession, actor: Actor, vote_id: int, *, now: datetime
) -> None:
    """The ballot again, for a person who may vote on it now (the reminder's button)."""
    vote = await get_vote(session, vote_id)
    await _check_open(session, vote, now)
    require(actor, Action.CAST_VOTE)
    seat = await vote_seats.seat_for(session, vote, actor)
    person = await session.get(Person, actor.person_id)
    if seat is None or person is None:
        raise PermissionDenied(Tr("You do not vote in vote {id}.", id=say.vote_id_text(vote)))
    assert vote.id is not None and person.id is not None
    content = await ballot_view(session, vote, seat, vote_seats.role_in(seat, actor))
    await services.outbox.to_person(
        session,
        person,
        content,
        now=now,
        priority=Priority.REPLY,
        ref=ref(vote.id),
        # Under the ballots' key, so that closing the vote takes its buttons off too.
        dedupe_key=f"{_ballot_key(vote.id)}{person.id}:{int(now.timestamp())}",
    )


async def ballot_view(
    session: AsyncSession,
    vote: Vote,
    seat: VoteSeat,
    role: Role,
    *,
    recorded: VoteBallot | None = None,
) -> Content:
    """A ballot as its voter sees it now: with the vote recorded for the seat, if any, and
    without buttons once the vote is closed."""
    assert vote.id is not None and seat.id is not None
    if vote.status != VoteStatus.OPEN:
        return Content(say.closed_ballot_body(vote))
    seats = len(await vote_seats.seats_of(session, vote.id))
    names = await vote_seats.seat_names(session, [seat])
    body = say.ballot_body(
        vote,
        seats,
        role=role,
        seat_name=names[seat.id],
        has_document=vote.document_id is not None,
    )
    if recorded is not None:
        body = Join([body, "", say.recorded_line(recorded)])
    return Content(body, say.ballot_buttons(vote, seat.id))


# ---- candidate slates ----------------------------------------------------------------------


async def open_slate(
    services: Services,
    session: AsyncSession,
    *,
    opened_by: Actor,
    candidates: Sequence[slates.CandidateEntry],
    deadline: datetime,
    now: datetime,
    subject: Bi | None = None,
    document: StoredDocument | None = None,
    secret: bool = False,
) -> Vote:
    """Open a candidate slate and the no-objection vote on its first candidate (returned)."""
    require(opened_by, Action.OPEN_VOTE)
    _check_deadline(deadline, now)
    if subject is not None:
        check_question(subject)
    slate, rows = await slates.create(
        session,
        opened_by_id=opened_by.person_id,
        candidates=candidates,
        deadline=deadline,
        now=now,
        tz=services.clock.tz,
        subject=subject,
        document_id=document.id if document else None,
        secret=secret,
    )
    return await _open_candidate(
        services, session, slate, rows[0], len(rows), deadline, now, progress_to_opener=True
    )


async def _open_candidate(
    services: Services,
    session: AsyncSession,
    slate: Slate,
    candidate: Candidate,
    total: int,
    deadline: datetime,
    now: datetime,
    *,
    progress_to_opener: bool,
) -> Vote:
    document = await session.get(StoredDocument, slate.document_id) if slate.document_id else None
    return await _open(
        services,
        session,
        rule=VoteRule.NO_OBJECTION,
        question=slates.question(slate, candidate, total),
        deadline=deadline,
        now=now,
        document=document,
        committee=(),
        secret=slate.secret,
        origin=f"slate:{slate.id}",
        opened_by_id=slate.opened_by_id,
        progress_to_opener=progress_to_opener,
        slate_id=slate.id,
        candidate_id=candidate.id,
    )


def _node(data: object) -> Node:
    node: Node = from_json(data)
    return node


# ---- ballots -------------------------------------------------------------------------------


async def _check_open(session: AsyncSession, vote: Vote, now: datetime) -> None:
    """Refuse a press on a vote that is closed, past its deadline, or a superseded candidate."""
    if vote.status == VoteStatus.CLOSED:
        if vote.slate_id is not None and await slates.next_vote_of(session, vote) is not None:
            raise InputError(
                Tr(
                    "This candidate is no longer under consideration: the vote has moved to "
                    "the next candidate. Nothing was changed."
                )
            )
        assert vote.closed_at is not None
        raise InputError(
            Tr(
                "Vote {id} closed on {when}. Nothing was changed.",
                id=say.vote_id_text(vote),
                when=When(vote.closed_at),
            )
        )
    if now >= as_utc(vote.deadline):
        raise InputError(
            Tr(
                "The deadline of vote {id} passed on {when}. Nothing was changed.",
                id=say.vote_id_text(vote),
                when=When(vote.deadline),
            )
        )


@dataclass(frozen=True)
class Checked:
    vote: Vote
    seat: VoteSeat
    role: Role
    latest: VoteBallot | None  # the seat's counted ballot before this one


async def check_ballot(
    session: AsyncSession,
    actor: Actor | None,
    *,
    vote_id: int,
    seat_id: int,
    choice: Choice,
    now: datetime,
    lock: bool = False,
) -> Checked:
    """Every check of a press: this person may vote for this seat, on this vote, now."""
    vote = await get_vote(session, vote_id, lock=lock)
    query = select(VoteSeat).where(VoteSeat.id == seat_id, VoteSeat.vote_id == vote_id)
    if lock:
        query = query.with_for_update()
    seat = (await session.exec(query)).first()
    if seat is None or not is_allowed(VoteRule(vote.rule), choice):
        raise InputError(Tr("That button is not valid. Nothing was changed."))
    await _check_open(session, vote, now)
    actor = require(actor, Action.CAST_VOTE)
    if seat.person_id is not None:
        if seat.person_id != actor.person_id:
            raise PermissionDenied(
                Tr("This ballot belongs to another committee member. Nothing was changed.")
            )
    else:
        require_same_state(actor, seat.state_id)
        if not actor.has(Role.VICE_MINISTER, Role.ALTERNATE):
            raise PermissionDenied(
                Tr("Only the Vice-Minister or an alternate votes for a member state.")
            )
    role = vote_seats.role_in(seat, actor)
    latest = (
        await session.exec(
            select(VoteBallot)
            .where(VoteBallot.seat_id == seat_id)
            .order_by(col(VoteBallot.seq).desc())
            .limit(1)
        )
    ).first()
    if role is Role.ALTERNATE and latest is not None and latest.role == Role.VICE_MINISTER:
        # SPEC 2.4: the alternate votes for the state only when the Vice-Minister has not.
        raise InputError(
            Tr(
                "Your Vice-Minister has already voted for your state, and that vote counts. "
                "Nothing was changed."
            )
        )
    return Checked(vote, seat, role, latest)


def _clean_reason(choice: Choice, reason: str | None) -> str | None:
    text = (reason or "").strip()
    if choice is Choice.OBJECT and not text:
        raise InputError(Tr("An objection needs a reason. Please write it in a message."))
    if len(text) > MAX_REASON:
        raise InputError(
            Tr(
                "The reason may have at most {limit} characters; it has {length}. Please "
                "shorten it.",
                limit=MAX_REASON,
                length=len(text),
            )
        )
    return text or None


async def cast_ballot(
    services: Services,
    session: AsyncSession,
    *,
    actor: Actor | None,
    vote_id: int,
    seat_id: int,
    choice: Choice,
    now: datetime,
    reason: str | None = None,
) -> CastResult:
    """Record one ballot (after every check) and act on it: the majority vote closes once
    decided; a candidate's vote closes at its first objection."""
    checked = await check_ballot(
        session, actor, vote_id=vote_id, seat_id=seat_id, choice=choice, now=now, lock=True
    )
    assert actor is not None
    text = _clean_reason(choice, reason)
    latest = checked.latest
    if (
        latest is not None
        and latest.person_id == actor.person_id
        and latest.choice == choice
        and latest.reason == text
    ):
        return CastResult(latest, changed=False)
    ballot = VoteBallot(
        vote_id=vote_id,
        seat_id=seat_id,
        seq=(latest.seq + 1) if latest else 1,
        person_id=actor.person_id,
        state_id=checked.seat.state_id,
        role=checked.role.value,
        choice=choice.value,
        reason=text,
        cast_at=now,
    )
    session.add(ballot)
    await session.flush()
    await _tell_colleagues(services, session, checked, ballot, now=now)
    vote = checked.vote
    rule = VoteRule(vote.rule)
    outcome = None
    if vote.slate_id is not None and choice is Choice.OBJECT:
        # 000_80de73a49c3b69ea.txt: "If any of the Vice-Ministers objects to the candidate,
        # the candidate with the second highest score is submitted for consideration."
        outcome = await _close(services, session, vote, now=now, reason=CloseReason.OBJECTION)
    elif rule is VoteRule.MAJORITY and settled(
        rule, vote_seats.tally_of(await vote_seats.seat_views(session, vote))
    ):
        outcome = await _close(services, session, vote, now=now, reason=CloseReason.DECIDED)
    return CastResult(ballot, changed=True, outcome=outcome)


async def _current_tally(session: AsyncSession, vote: Vote) -> Tally:
    return vote_seats.tally_of(await vote_seats.seat_views(session, vote))


async def _tell_colleagues(
    services: Services,
    session: AsyncSession,
    checked: Checked,
    ballot: VoteBallot,
    *,
    now: datetime,
) -> None:
    """The other Vice-Ministers and alternates of the state learn how it now votes."""
    if checked.seat.state_id is None:
        return
    state = await session.get(MemberState, checked.seat.state_id)
    voter = await session.get(Person, ballot.person_id)
    assert state is not None and voter is not None
    colleagues = [
        v.person
        for v in await vote_seats.voters(session, [checked.seat])
        if v.person.id != ballot.person_id
    ]
    body = say.colleague_notice(
        checked.vote, ballot, voter_name=voter.display_name, state_name=state_name(state)
    )
    for person in colleagues:
        await services.outbox.to_person(
            session, person, Content(body), now=now, ref=ref(checked.vote.id or 0)
        )


# ---- closing -------------------------------------------------------------------------------


async def close_vote(
    services: Services,
    session: AsyncSession,
    vote_id: int,
    *,
    now: datetime,
    closed_by: Actor | None,
) -> VoteOutcome:
    """Close a vote now, as its deadline would, and send the results. Safe to call twice:
    a vote already closed returns its outcome and sends nothing."""
    if closed_by is not None:
        require(closed_by, Action.CLOSE)
    vote = await get_vote(session, vote_id, lock=True)
    if vote.status == VoteStatus.CLOSED:
        return await _stored_outcome(session, vote)
    reason = CloseReason.DEADLINE if now >= as_utc(vote.deadline) else CloseReason.MANUAL
    return await _close(
        services,
        session,
        vote,
        now=now,
        reason=reason,
        closed_by_id=closed_by.person_id if closed_by else None,
    )


async def _close(
    services: Services,
    session: AsyncSession,
    vote: Vote,
    *,
    now: datetime,
    reason: CloseReason,
    closed_by_id: int | None = None,
) -> VoteOutcome:
    assert vote.id is not None
    views = await vote_seats.seat_views(session, vote)
    result = vote_seats.tally_of(views)
    rule = VoteRule(vote.rule)
    passed = approved(rule, result)
    vote.status, vote.approved, vote.close_reason = VoteStatus.CLOSED, passed, reason.value
    vote.closed_at, vote.closed_by_id = now, closed_by_id
    session.add(vote)
    await session.flush()
    await deadlines.complete(session, deadline_key(vote.id), now)
    await audit.record(
        session,
        action="vote.close",
        now=now,
        actor_id=closed_by_id,
        subject=ref(vote.id),
        approved=passed,
        reason=reason.value,
        counts={c.value: n for c, n in result.counts.items()},
        seats=result.seats,
    )
    step = None
    if vote.slate_id is not None:
        step = await slates.after_close(session, vote, passed, now, services.clock.tz)
    following = step.shown if step else None
    await _send_results(services, session, vote, views, result, passed, following, now=now)
    await _close_ballot_messages(services, session, vote, now=now)
    next_vote = None
    if step is not None and step.next_candidate is not None:
        assert following is not None and following.next_deadline is not None
        next_vote = await _open_candidate(
            services,
            session,
            step.slate,
            step.next_candidate,
            step.total,
            following.next_deadline,
            now,
            progress_to_opener=False,
        )
    outcome = VoteOutcome(
        vote_id=vote.id,
        rule=rule,
        approved=passed,
        tally=result,
        closed_at=now,
        reason=reason,
        next_vote_id=next_vote.id if next_vote else None,
    )
    # Whoever opened the vote for a purpose of their own (the contract's extension) acts on
    # the outcome in the same transaction.
    for listener in services.vote_listeners:
        await listener(services, session, vote, outcome, now)
    return outcome


async def _send_results(
    services: Services,
    session: AsyncSession,
    vote: Vote,
    views: Sequence[vote_seats.SeatView],
    result: Tally,
    passed: bool,
    following: say.SlateNext | None,
    *,
    now: datetime,
) -> None:
    assert vote.id is not None
    body = fitted_results(services, vote, views, result, passed, following)
    await services.outbox.broadcast(
        session,
        await vote_seats.participants(session, vote),
        Content(body),
        now=now,
        title=Tr("Results of vote {id}", id=say.vote_id_text(vote)),
        ref=ref(vote.id),
        dedupe_prefix=f"vote:{vote.id}:results",
    )


def fitted_results(
    services: Services,
    vote: Vote,
    views: Sequence[vote_seats.SeatView],
    result: Tally,
    passed: bool,
    following: say.SlateNext | None,
) -> Node:
    """The results, shortened until they fit in one Telegram message in both languages:
    whole reasons, then reasons cut short, then none, then counts only. Closing must never
    fail because many states wrote long reasons."""
    attempts: list[tuple[int | None, bool]] = [(None, True), (120, True), (0, True), (0, False)]
    for reasons, positions in attempts:
        body = say.results_body(
            vote, views, result, passed, following=following, reasons=reasons, positions=positions
        )
        try:
            services.outbox.check(Content(body))
        except MessageTooLong:
            continue
        return body
    return say.outcome_heading(vote, passed)


async def _close_ballot_messages(
    services: Services, session: AsyncSession, vote: Vote, *, now: datetime
) -> None:
    """Take the buttons off every ballot of a closed vote, so nobody presses a dead one."""
    assert vote.id is not None
    rows = await session.exec(
        select(OutboxMessage).where(
            OutboxMessage.method == OutboxMethod.SEND,
            col(OutboxMessage.dedupe_key).startswith(_ballot_key(vote.id)),
            col(OutboxMessage.status).not_in([OutboxStatus.FAILED, OutboxStatus.CANCELLED]),
        )
    )
    body = say.closed_ballot_body(vote)
    for row in rows.all():
        await services.outbox.edit(session, target=row, content=Content(body), now=now)


# ---- the deadline ---------------------------------------------------------------------------


class VoteDeadline:
    """The scheduler's view of votes: who has not voted, closing at the deadline, reminders."""

    kind = KIND

    @staticmethod
    def vote_id(deadline: Deadline) -> int:
        return int(deadline.ref.split(":")[1])

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        vote = await get_vote(session, self.vote_id(deadline))
        if vote.status != VoteStatus.OPEN:
            return []
        assert vote.id is not None
        seats = await vote_seats.seats_of(session, vote.id)
        counted = await vote_seats.counted_ballots(session, vote.id)
        silent = [s for s in seats if s.id not in counted]
        return [voter.person for voter in await vote_seats.voters(session, silent)]

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        await close_vote(services, session, self.vote_id(deadline), now=now, closed_by=None)

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        body = say.reminder_body(_node(deadline.title), as_utc(deadline.due_at))
        return Content(body, say.show_button(self.vote_id(deadline)))
