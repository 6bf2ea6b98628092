"""The Coordinator's contract (SPEC 2.7): what the TS records, and the deadlines derived from it.

The TS records the start, whether the Coordinator is interim, and the extensions approved so
far; the bot plans the rest (bot.contract_plan) and keeps the `deadline` table in step with
the plan (`sync`) whenever the contract changes. The scheduler then opens the performance
survey and the extension vote, reminds the TS to record the vote's outcome, tells the
Vice-Ministers when the vacancy must be announced, and warns of an interim Coordinator's
limits. A resignation or a refused extension announces the vacancy at once
(000_80de73a49c3b69ea.txt: "or immediately, when circumstances require").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audiences, audit, custom_deadlines, deadlines, surveys, votes
from bot.audiences import Audience, AudienceKind
from bot.clock import as_utc, end_of_day
from bot.contract_plan import (
    LAST_YEAR,
    MAX_EXTENSIONS,
    ContractFacts,
    ContractOffsets,
    Planned,
    Step,
    current_year,
    find,
    latest_end,
    plan,
    resignation_leaves_on,
    term_end,
    year_end,
)
from bot.errors import InputError, NotFound
from bot.i18n import LANGUAGES
from bot.ids import CONTRACT, SURVEY, VOTE, format_id
from bot.models.contract import ContractEvent, ContractStatus, CoordinatorContract
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.people import Person
from bot.models.votes import Vote
from bot.outbox import Content
from bot.permissions import Action, Actor, require
from bot.roles import Role
from bot.services import Services
from bot.text import Bi, Bold, Button, Day, Join, Node, Renderer, Tr, When, from_json, keyboard
from bot.vote_rules import VoteRule

KIND = "contract"
CALLBACK = "ct"  # ct:<contract id>:<contract year>:yes|no
# A contract recorded now may start at most this far ahead.
MAX_AHEAD = timedelta(days=366)


class VacancyReason(StrEnum):
    LAST_YEAR = "last_year"
    NOT_EXTENDED = "not_extended"
    RESIGNATION = "resignation"


def ref_of(contract_id: int) -> str:
    return f"contract:{contract_id}"


def key_of(contract_id: int, name: str) -> str:
    return f"contract:{contract_id}:{name}"


def short_id(contract: CoordinatorContract) -> str:
    return format_id(CONTRACT, contract.id)


def facts_of(contract: CoordinatorContract) -> ContractFacts:
    return ContractFacts(
        start=contract.started_on,
        interim=contract.interim,
        extensions=contract.extensions,
        not_extended_after=contract.not_extended_after,
        resigned=contract.resigned_at is not None,
    )


def offsets_of(services: Services) -> ContractOffsets:
    return ContractOffsets.from_settings(services.settings)


def bilingual(node: Node, tz: ZoneInfo) -> Bi:
    """Text the bot writes in both languages where TS-written text is expected (a vote's
    question, a deadline's text): each side rendered from the catalogs."""
    en, es = (Renderer(lang, tz).plain(node) for lang in LANGUAGES)
    return Bi(en, es)


# ---- reading ------------------------------------------------------------------------------


async def current(session: AsyncSession) -> CoordinatorContract | None:
    rows = await session.exec(
        select(CoordinatorContract)
        .where(CoordinatorContract.status == ContractStatus.ACTIVE)
        .order_by(col(CoordinatorContract.id).desc())
    )
    return rows.first()


async def get(session: AsyncSession, contract_id: int) -> CoordinatorContract:
    contract = await session.get(CoordinatorContract, contract_id)
    if contract is None:
        raise NotFound(Tr("There is no contract {id}.", id=format_id(CONTRACT, contract_id)))
    return contract


async def events(session: AsyncSession, contract_id: int) -> dict[str, ContractEvent]:
    rows = await session.exec(select(ContractEvent).where(ContractEvent.contract_id == contract_id))
    return {row.step: row for row in rows.all()}


async def _event(
    session: AsyncSession, contract: CoordinatorContract, step: str, now: datetime, result: str
) -> ContractEvent:
    assert contract.id is not None
    row = ContractEvent(contract_id=contract.id, step=step, at=now, result=result)
    session.add(row)
    await session.flush()
    return row


def _active(contract: CoordinatorContract) -> bool:
    return contract.status == ContractStatus.ACTIVE and contract.resigned_at is None


# ---- recording --------------------------------------------------------------------------------


async def record(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    *,
    start: date,
    interim: bool,
    extensions: int,
    now: datetime,
) -> CoordinatorContract:
    """The TS records the Coordinator's contract; a newer one replaces the one before."""
    require(actor, Action.CONTRACT)
    offsets = offsets_of(services)
    today = services.clock.local(now).date()
    if not 0 <= extensions <= MAX_EXTENSIONS:
        raise InputError(
            Tr(
                "A contract is extended at most {max} times (one year each).",
                max=MAX_EXTENSIONS,
            )
        )
    if interim and extensions:
        raise InputError(Tr("An interim Coordinator has no annual extensions."))
    if start > today + MAX_AHEAD:
        raise InputError(Tr("The start date is more than a year away."))
    facts = ContractFacts(start=start, interim=interim, extensions=extensions)
    if term_end(facts, offsets) <= today:
        raise InputError(
            Tr(
                "With what you recorded, this contract already ended on {day}. Check the start "
                "date and the extensions approved so far.",
                day=Day(term_end(facts, offsets) - timedelta(days=1)),
            )
        )
    previous = await current(session)
    if previous is not None:
        assert previous.id is not None
        previous.status, previous.updated_at = ContractStatus.REPLACED, now
        session.add(previous)
        for deadline in await deadlines.open_for_ref(session, ref_of(previous.id)):
            await deadlines.cancel(session, deadline.key, now)
    contract = CoordinatorContract(
        started_on=start,
        interim=interim,
        extensions=extensions,
        created_by_id=actor.person_id,
        created_at=now,
        updated_at=now,
    )
    session.add(contract)
    await session.flush()
    await sync(services, session, contract, now)
    await audit.record(
        session,
        action="contract.record",
        now=now,
        actor_id=actor.person_id,
        subject=ref_of(contract.id or 0),
        start=start.isoformat(),
        interim=interim,
        extensions=extensions,
        replaces=previous.id if previous else None,
    )
    return contract


def _require_regular(contract: CoordinatorContract) -> None:
    if not _active(contract):
        raise InputError(Tr("This contract is no longer current. Nothing was changed."))
    if contract.interim:
        raise InputError(
            Tr("An interim Coordinator has no annual extensions. Nothing was changed.")
        )
    if contract.not_extended_after is not None:
        raise InputError(
            Tr(
                "This contract was not extended after year {year}. Nothing was changed.",
                year=contract.not_extended_after,
            )
        )


async def decide(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    contract: CoordinatorContract,
    *,
    approved: bool,
    now: datetime,
    year: int | None = None,
    requested_by: Person | None = None,
) -> int:
    """The TS records the outcome of the vote on extending the contract year that is running
    (`year`, when given, must be it: a button of an earlier year is stale). Returns the year."""
    require(actor, Action.CONTRACT)
    return await _apply_decision(
        services,
        session,
        contract,
        approved=approved,
        now=now,
        year=year,
        actor_id=actor.person_id,
        requested_by=requested_by,
    )


async def _apply_decision(
    services: Services,
    session: AsyncSession,
    contract: CoordinatorContract,
    *,
    approved: bool,
    now: datetime,
    year: int | None,
    actor_id: int | None,
    requested_by: Person | None = None,
    vote_id: int | None = None,
) -> int:
    """Record whether the running contract year is extended: by the TS, or by the vote."""
    _require_regular(contract)
    running = contract.extensions + 1
    if year is not None and year != running:
        raise InputError(Tr("That decision was already recorded. Nothing was changed."))
    if running > MAX_EXTENSIONS:
        raise InputError(
            Tr(
                "The contract is already in its last possible year (one year and {max} "
                "extensions). Nothing was changed.",
                max=MAX_EXTENSIONS,
            )
        )
    assert contract.id is not None
    if approved:
        contract.extensions += 1
    else:
        contract.not_extended_after = running
    contract.updated_at = now
    session.add(contract)
    await _event(
        session, contract, f"{Step.DECISION}:{running}", now, "extended" if approved else "ended"
    )
    await deadlines.complete(session, key_of(contract.id, f"{Step.DECISION}:{running}"), now)
    await sync(services, session, contract, now)
    if not approved:
        await announce_vacancy(
            services, session, contract, VacancyReason.NOT_EXTENDED, now, requested_by
        )
    await audit.record(
        session,
        action="contract.extension",
        now=now,
        actor_id=actor_id,
        subject=ref_of(contract.id),
        year=running,
        approved=approved,
        vote=format_id(VOTE, vote_id) if vote_id else None,
    )
    return running


async def on_vote_closed(
    services: Services,
    session: AsyncSession,
    vote: Vote,
    outcome: votes.VoteOutcome,
    now: datetime,
) -> None:
    """The majority vote on an extension closed: its outcome is the decision, recorded at
    once, unless the TS already recorded one for that year (theirs stands)."""
    if not vote.origin or not vote.origin.startswith(f"{KIND}:"):
        return
    contract_id, step, year = parse_key(vote.origin)
    contract = await session.get(CoordinatorContract, contract_id)
    if step != Step.VOTE or contract is None or not _active(contract) or contract.interim:
        return
    if contract.not_extended_after is not None or contract.extensions + 1 != year:
        return  # already decided for that year
    await _apply_decision(
        services,
        session,
        contract,
        approved=outcome.approved,
        now=now,
        year=year,
        actor_id=None,
        vote_id=vote.id,
    )
    ts = await audiences.with_roles(session, [Role.TS])
    told = (
        Tr(
            "<b>Coordinator's contract {id}</b>\nVote {vote} approved the extension: the "
            "contract is extended into year {next}.",
            id=short_id(contract),
            vote=format_id(VOTE, vote.id),
            next=year + 1,
        )
        if outcome.approved
        else Tr(
            "<b>Coordinator's contract {id}</b>\nVote {vote} did not approve the extension: "
            "the contract ends after year {year}, and the vacancy is announced.",
            id=short_id(contract),
            vote=format_id(VOTE, vote.id),
            year=year,
        )
    )
    for person in ts:
        await services.outbox.to_person(session, person, Content(told), now=now)


async def resign(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    contract: CoordinatorContract,
    *,
    leaves_on: date | None,
    now: datetime,
    requested_by: Person | None = None,
) -> CoordinatorContract:
    """The Coordinator gave notice: the Vice-Ministers are told at once, the rest of the plan
    is withdrawn, and the TS is reminded until the vacancy is announced."""
    require(actor, Action.CONTRACT)
    if not _active(contract):
        raise InputError(Tr("This contract is no longer current. Nothing was changed."))
    today = services.clock.local(now).date()
    last_day = leaves_on or resignation_leaves_on(today, offsets_of(services))
    if last_day <= today:
        raise InputError(Tr("The last day must be after today. Nothing was changed."))
    contract.resigned_at, contract.leaves_on, contract.updated_at = now, last_day, now
    session.add(contract)
    assert contract.id is not None
    await _event(session, contract, "resignation:0", now, last_day.isoformat())
    await sync(services, session, contract, now)
    await announce_vacancy(
        services, session, contract, VacancyReason.RESIGNATION, now, requested_by
    )
    await audit.record(
        session,
        action="contract.resignation",
        now=now,
        actor_id=actor.person_id,
        subject=ref_of(contract.id),
        leaves_on=last_day.isoformat(),
    )
    return contract


# ---- keeping the deadline table in step ------------------------------------------------------


def title_of(item: Planned, tz: ZoneInfo) -> Node:
    if item.step == Step.SURVEY:
        return Tr(
            "Performance survey on the Coordinator opens (contract year {year})", year=item.year
        )
    if item.step == Step.VOTE:
        return Tr(
            "Vote on extending the Coordinator's contract opens (year {year})", year=item.year
        )
    if item.step == Step.DECISION:
        return Tr(
            "Record the outcome of the vote on extending the Coordinator's contract (year {year})",
            year=item.year,
        )
    if item.step == Step.VACANCY:
        return Tr("The Coordinator's last contract year begins: vacancy notice to Vice-Ministers")
    return Tr(
        "The interim Coordinator reaches {months} months on {day}",
        months=item.months,
        day=Day(item.at.astimezone(tz).date()),
    )


def _reminders(item: Planned, offsets: ContractOffsets, tz: ZoneInfo) -> list[timedelta]:
    if item.step == Step.DECISION:
        days: Sequence[int] = offsets.decision_reminder_days
    elif item.step in (Step.INTERIM_WARNING, Step.INTERIM_LIMIT):
        days = offsets.interim_warn_days
    else:
        return []  # the bot itself acts: nobody to remind
    return deadlines.offsets_at_hour(item.at, days, offsets.notice_hour, tz)


async def sync(
    services: Services, session: AsyncSession, contract: CoordinatorContract, now: datetime
) -> list[Deadline]:
    """Make the contract's open deadlines what its plan says now: schedule what is planned
    and not yet done (what is overdue but still useful, at once), withdraw the rest."""
    assert contract.id is not None
    tz, offsets = services.clock.tz, offsets_of(services)
    items = (
        plan(facts_of(contract), offsets, tz) if contract.status == ContractStatus.ACTIVE else []
    )
    kept: list[Deadline] = []
    for item in items:
        if item.conditional or item.decided:
            continue  # not reached yet, or moot: open ones among them are withdrawn below
        key = key_of(contract.id, item.name)
        existing = await deadlines.get(session, key)
        if existing is not None and existing.status != DeadlineStatus.OPEN:
            continue  # it happened (or was withdrawn): never again
        if existing is None and item.until is not None and now >= item.until:
            continue  # recorded too late for it to mean anything
        # What is overdue but still useful happens at once (or stays where it was due).
        late = as_utc(existing.due_at) if existing is not None else now
        due = item.at if item.at > now else late
        kept.append(
            await deadlines.schedule(
                session,
                key=key,
                kind=KIND,
                ref=ref_of(contract.id),
                title=title_of(item, tz),
                due_at=due,
                now=now,
                reminders=_reminders(item, offsets, tz),
                # Until the outcome is recorded, the TS is reminded every day.
                overdue_every=timedelta(days=1) if item.step == Step.DECISION else None,
            )
        )
    wanted = {d.key for d in kept}
    for deadline in await deadlines.open_for_ref(session, ref_of(contract.id)):
        if deadline.key not in wanted:
            await deadlines.cancel(session, deadline.key, now)
    return kept


# ---- notices ------------------------------------------------------------------------------


def _vacancy_notice(
    contract: CoordinatorContract, reason: VacancyReason, offsets: ContractOffsets
) -> Node:
    heading = Tr("<b>Coordinator of the Technical Secretariat</b>")
    facts = facts_of(contract)
    if reason == VacancyReason.LAST_YEAR:
        body: Node = Tr(
            "The Coordinator's contract began its last possible year on {start} and ends on "
            "{day}, at the end of the maximum period (one year and two extensions). Under the "
            "RCM's rules the vacancy is communicated to the Vice-Ministers at the beginning of "
            "the last year: the Technical Secretariat will announce it shortly.",
            start=Day(year_end(contract.started_on, LAST_YEAR - 1)),
            day=Day(latest_end(facts, offsets) - timedelta(days=1)),
        )
    elif reason == VacancyReason.NOT_EXTENDED:
        body = Tr(
            "The Coordinator's contract was not extended and ends on {day}. The Technical "
            "Secretariat will announce the vacancy shortly.",
            day=Day(term_end(facts, offsets) - timedelta(days=1)),
        )
    else:
        assert contract.leaves_on is not None
        body = Tr(
            "The Coordinator has resigned; the last day is {day}. The process to hire a new "
            "Coordinator begins now: the Technical Secretariat will announce the vacancy "
            "shortly.",
            day=Day(contract.leaves_on),
        )
    return Join([heading, body])


async def announce_vacancy(
    services: Services,
    session: AsyncSession,
    contract: CoordinatorContract,
    reason: VacancyReason,
    now: datetime,
    requested_by: Person | None = None,
) -> None:
    """Every Vice-Minister is told (000_80de73a49c3b69ea.txt), and the TS gets a deadline to
    post the vacancy notice, reminded until it marks it done. Safe to run twice."""
    assert contract.id is not None
    step = f"{Step.VACANCY}:{reason}"
    if step in await events(session, contract.id):
        return
    offsets = offsets_of(services)
    vice_ministers = await audiences.with_roles(session, [Role.VICE_MINISTER])
    await services.outbox.broadcast(
        session,
        vice_ministers,
        Content(_vacancy_notice(contract, reason, offsets)),
        now=now,
        title=Tr("Vacancy of the Coordinator: notice to Vice-Ministers"),
        ref=ref_of(contract.id),
        requested_by=requested_by,
        dedupe_prefix=f"{ref_of(contract.id)}:{step}",
    )
    task = None
    if await audiences.with_roles(session, [Role.TS]):
        today = services.clock.local(now).date()
        task = await custom_deadlines.create(
            services,
            session,
            None,
            due_at=end_of_day(
                today + timedelta(days=services.settings.contract_vacancy_announce_days),
                services.clock.tz,
            ),
            audience=Audience(AudienceKind.ROLES, roles=frozenset({Role.TS})),
            text=bilingual(
                Tr(
                    "Announce the vacancy of the Coordinator of the Technical Secretariat "
                    "(/vacancy), in English and Spanish, to every member state."
                ),
                services.clock.tz,
            ),
            now=now,
            overdue_every=timedelta(days=1),
        )
    await _event(session, contract, step, now, custom_deadlines.short_id(task) if task else "no-ts")


async def _tell(
    services: Services,
    session: AsyncSession,
    persons: Sequence[Person],
    body: Node,
    deadline: Deadline,
    now: datetime,
    what: str,
    buttons: tuple[tuple[Button, ...], ...] | None = None,
) -> None:
    for person in persons:
        await services.outbox.to_person(
            session,
            person,
            Content(body, buttons),
            now=now,
            ref=deadline.ref,
            dedupe_key=f"{deadline.key}:{what}:{person.id}",
        )


def decision_buttons(contract_id: int, year: int) -> tuple[tuple[Button, ...], ...]:
    return keyboard(
        [
            Button(Tr("Extension approved"), data=f"{CALLBACK}:{contract_id}:{year}:yes"),
            Button(Tr("Not extended"), data=f"{CALLBACK}:{contract_id}:{year}:no"),
        ]
    )


def _decision_text(contract_id: int, year: int, last_day: datetime) -> Node:
    return Join(
        [
            Tr("<b>Coordinator's contract {id}</b>", id=format_id(CONTRACT, contract_id)),
            Tr(
                "Contract year {year} ends on {day}. Record the outcome of the majority vote on "
                "extending it: it decides whether the Coordinator continues, or whether the "
                "vacancy is announced.",
                year=year,
                day=When(last_day, with_time=False),
            ),
        ]
    )


def _interim_text(deadline: Deadline) -> Node:
    limit = deadline.key.endswith(f"{Step.INTERIM_LIMIT}:0")
    rule = (
        Tr(
            "This is the most an interim Coordinator may serve (RCM rules on the absence of a "
            "Coordinator): a new Coordinator must be in place by then."
        )
        if limit
        else Tr(
            "Continuing beyond this requires the approval of a majority of member states (RCM "
            "rules on the absence of a Coordinator)."
        )
    )
    return Join([Bold(from_json(deadline.title)), rule])


# ---- the scheduler's view --------------------------------------------------------------------


def parse_key(key: str) -> tuple[int, Step, int]:
    """`contract:3:vote:2` -> (3, Step.VOTE, 2)."""
    _, contract_id, step, year = key.split(":")
    return int(contract_id), Step(step), int(year)


class ContractKind:
    """`deadlines.DeadlineKind` for everything the contract plans."""

    kind = KIND

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        contract_id, step, year = parse_key(deadline.key)
        contract = await session.get(CoordinatorContract, contract_id)
        if contract is None or not _active(contract):
            return []
        if step == Step.DECISION:
            decided = f"{Step.DECISION}:{year}" in await events(session, contract_id)
            return [] if decided else await audiences.with_roles(session, [Role.TS])
        if step in (Step.INTERIM_WARNING, Step.INTERIM_LIMIT):
            # Nobody "acts" on a limit; whoever must know is warned until it is reached.
            return await audiences.with_roles(session, [Role.TS, Role.VICE_MINISTER])
        return []

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        contract_id, step, year = parse_key(deadline.key)
        if step == Step.DECISION:
            return Content(
                _decision_text(contract_id, year, as_utc(deadline.due_at)),
                decision_buttons(contract_id, year),
            )
        return Content(_interim_text(deadline))

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        contract_id, step, year = parse_key(deadline.key)
        contract = await session.get(CoordinatorContract, contract_id)
        if contract is None or not _active(contract):
            return
        done = await events(session, contract_id)
        name = f"{step}:{year}"
        if step in (Step.SURVEY, Step.VOTE):
            if name not in done:
                await _open(services, session, contract, deadline, step, year, now)
        elif step == Step.DECISION:
            if name not in done:
                ts = await audiences.with_roles(session, [Role.TS])
                await _tell(
                    services,
                    session,
                    ts,
                    _decision_text(contract_id, year, as_utc(deadline.due_at)),
                    deadline,
                    now,
                    "due",
                    decision_buttons(contract_id, year),
                )
        elif step == Step.VACANCY:
            await announce_vacancy(services, session, contract, VacancyReason.LAST_YEAR, now)
        else:
            recipients = await self.pending(services, session, deadline, now)
            await _tell(
                services, session, recipients, _interim_text(deadline), deadline, now, "due"
            )


async def _open(
    services: Services,
    session: AsyncSession,
    contract: CoordinatorContract,
    deadline: Deadline,
    step: Step,
    year: int,
    now: datetime,
) -> None:
    """Open the performance survey or the extension vote, once."""
    item = find(plan(facts_of(contract), offsets_of(services), services.clock.tz), f"{step}:{year}")
    ts = await audiences.with_roles(session, [Role.TS])
    survey = step == Step.SURVEY
    if item is None or item.closes_at is None or item.closes_at <= now:
        # Its whole window passed while the bot was down: the TS decides what to do.
        await _event(session, contract, f"{step}:{year}", now, "missed")
        missed = (
            Tr(
                "<b>Coordinator's contract {id}</b>\nThe performance survey of contract year "
                "{year} could not open on time (the assistant was unavailable), and its time has "
                "passed. Open it with /survey if it is still needed.",
                id=short_id(contract),
                year=year,
            )
            if survey
            else Tr(
                "<b>Coordinator's contract {id}</b>\nThe vote on extending the contract after "
                "year {year} could not open on time (the assistant was unavailable), and its "
                "time has passed. Open it with /vote if it is still needed.",
                id=short_id(contract),
                year=year,
            )
        )
        await _tell(services, session, ts, missed, deadline, now, "missed")
        return
    origin = deadline.key
    if survey:
        # 000_80de73a49c3b69ea.txt: "a simple survey (i.e. 5 questions)", before each review.
        opened_survey = await surveys.open_from_template(
            services, session, opened_by=None, deadline=item.closes_at, now=now, origin=origin
        )
        result = format_id(SURVEY, opened_survey.id)
    else:
        question = bilingual(
            Tr(
                "Do you approve extending the contract of the Coordinator of the Technical "
                "Secretariat for one more year (contract year {next})?",
                next=year + 1,
            ),
            services.clock.tz,
        )
        # 000_80de73a49c3b69ea.txt: "each annual extension approved by a majority of Member
        # States"; its outcome is recorded when it closes (on_vote_closed).
        opened_vote = await votes.open_vote(
            services,
            session,
            opened_by=None,
            rule=VoteRule.MAJORITY,
            question=question,
            deadline=item.closes_at,
            now=now,
            origin=origin,
        )
        result = format_id(VOTE, opened_vote.id)
    await _event(session, contract, f"{step}:{year}", now, result)
    told = (
        Tr(
            "<b>Coordinator's contract {id}</b>\nThe performance survey of contract year {year} "
            "is open ({ref}); it closes {closes}.",
            id=short_id(contract),
            year=year,
            ref=result,
            closes=When(item.closes_at),
        )
        if survey
        else Tr(
            "<b>Coordinator's contract {id}</b>\nThe majority vote on extending the contract "
            "after year {year} is open ({ref}); it closes {closes}.",
            id=short_id(contract),
            year=year,
            ref=result,
            closes=When(item.closes_at),
        )
    )
    await _tell(services, session, ts, told, deadline, now, "opened")


# ---- what /contract shows ---------------------------------------------------------------------


def _label(item: Planned) -> Node:
    if item.step == Step.SURVEY:
        return Tr(
            "performance survey opens (year {year}); closes {closes}",
            year=item.year,
            closes=When(item.closes_at or item.at),
        )
    if item.step == Step.VOTE:
        return Tr(
            "majority vote on the extension opens (year {year}); closes {closes}",
            year=item.year,
            closes=When(item.closes_at or item.at),
        )
    if item.step == Step.DECISION:
        return Tr("last day of contract year {year}: its extension decided", year=item.year)
    if item.step == Step.VACANCY:
        return Tr("last year begins: Vice-Ministers told the vacancy must be announced")
    return Tr("the interim Coordinator reaches {months} months", months=item.months)


async def describe(
    services: Services, session: AsyncSession, contract: CoordinatorContract, now: datetime
) -> Node:
    assert contract.id is not None
    offsets = offsets_of(services)
    facts = facts_of(contract)
    today = services.clock.local(now).date()
    lines: list[Node] = [Tr("<b>Coordinator's contract {id}</b>", id=short_id(contract))]
    if contract.interim:
        lines.append(Tr("Interim Coordinator since {day}.", day=Day(contract.started_on)))
    else:
        lines.append(
            Tr(
                "Started {day}; extensions approved: {n} of {max}.",
                day=Day(contract.started_on),
                n=contract.extensions,
                max=MAX_EXTENSIONS,
            )
        )
        if contract.resigned_at is None and contract.not_extended_after is None:
            lines.append(
                Tr("Now in contract year {year}.", year=current_year(facts, today))
                if today >= contract.started_on
                else Tr("The contract has not started yet.")
            )
    if contract.status == ContractStatus.REPLACED:
        lines.append(Tr("Replaced by a newer contract."))
    if contract.resigned_at is not None and contract.leaves_on is not None:
        lines.append(
            Tr(
                "Resigned on {when}; last day {day}.",
                when=When(as_utc(contract.resigned_at), with_time=False),
                day=Day(contract.leaves_on),
            )
        )
    else:
        lines.append(
            Tr(
                "The current term ends on {day}; the maximum period on {latest}.",
                day=Day(term_end(facts, offsets) - timedelta(days=1)),
                latest=Day(latest_end(facts, offsets) - timedelta(days=1)),
            )
        )
    done = await events(session, contract.id)
    items = plan(facts, offsets, services.clock.tz)
    if items:
        lines.extend(["", Tr("<b>Schedule</b>")])
    for item in items:
        lines.append(await _schedule_line(session, contract.id, item, done))
    return Join(lines)


async def _schedule_line(
    session: AsyncSession, contract_id: int, item: Planned, done: dict[str, ContractEvent]
) -> Node:
    deadline = await deadlines.get(session, key_of(contract_id, item.name))
    event = done.get(item.name)
    label = _label(item)
    when = When(item.at)
    if item.conditional:
        return Tr("○ {when}: {what} (if extended)", when=when, what=label)
    if event is not None:
        return Tr("✓ {when}: {what} ({result})", when=when, what=label, result=event.result)
    if deadline is not None and deadline.status == DeadlineStatus.OPEN:
        return Tr("• {when}: {what}", when=When(as_utc(deadline.due_at)), what=label)
    if deadline is not None and deadline.status == DeadlineStatus.DONE:
        return Tr("✓ {when}: {what}", when=when, what=label)
    return Tr("– {when}: {what} (not done)", when=when, what=label)
