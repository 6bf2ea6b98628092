"""Vacancy notices (SPEC 2.2), from 000_80de73a49c3b69ea.txt:

- the link, in English and in Spanish, goes to every member state the day it is posted
  (United States' proposal 1): here, to every Vice-Minister and focal point;
- open 30 calendar days (United States 2), never fewer than 3 (Mexico 3);
- a minimum number of applicants may be set (Mexico 4); with fewer at closing the notice is
  extended (Mexico 5) or posted a second time (Canada 4, United States 4).

Plain service functions other capabilities call (the contract posts the Coordinator's
vacancy through `post_vacancy`), and the `DeadlineKind` that closes a notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audiences, audit, deadlines, receipts
from bot.clock import as_utc
from bot.errors import InputError, NotFound
from bot.ids import VACANCY, format_id
from bot.models.deadlines import Deadline
from bot.models.people import Person
from bot.models.vacancies import Vacancy, VacancyStatus
from bot.outbox import Content
from bot.parsing import parse_url
from bot.permissions import Action, Actor, require
from bot.roles import Role
from bot.services import Services
from bot.text import Bi, Bold, Button, Day, Join, Node, Plural, Tr, When, keyboard

KIND = "vacancy"
# 000_80de73a49c3b69ea.txt: "open for 30 calendar days" (US), "open 3 days as minimum" (MX).
DEFAULT_OPEN_DAYS = 30
MIN_OPEN_DAYS = 3
MAX_OPEN_DAYS = 365  # a closing date further out is a typo, not a plan
MAX_APPLICANTS = 1000
# The TS is reminded 3 days and 1 day before closing to record the applications received;
# not 2 hours before (SPEC 2.6's last default): that is 21:59, too late to count anything.
REMINDERS = (timedelta(days=3), timedelta(days=1))
EXTENSION_CHOICES = (7, 14, 30)  # days offered on the buttons at closing
RECIPIENT_ROLES = (Role.VICE_MINISTER, Role.FOCAL_POINT)


def ref(number: int) -> str:
    return f"vacancy:{number}"


def deadline_key(number: int) -> str:
    return f"vacancy:{number}:close"


def name(number: int | None) -> str:
    return format_id(VACANCY, number)


def default_closing(posted_on: date) -> date:
    return posted_on + timedelta(days=DEFAULT_OPEN_DAYS)


def check_closing(opens_on: date, closes_on: date) -> None:
    """000_80de73a49c3b69ea.txt (Mexico 3): a notice is open at least 3 days."""
    days = (closes_on - opens_on).days
    if days < MIN_OPEN_DAYS:
        raise InputError(
            Tr(
                "A vacancy notice must stay open at least {minimum} days: choose a closing "
                "date on or after {earliest}.",
                minimum=MIN_OPEN_DAYS,
                earliest=Day(opens_on + timedelta(days=MIN_OPEN_DAYS)),
            )
        )
    if days > MAX_OPEN_DAYS:
        raise InputError(
            Tr(
                "That closing date is more than a year away. Please check it.",
            )
        )


def check_minimum(value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_APPLICANTS:
        raise InputError(
            Tr(
                "The minimum number of applicants must be between 1 and {maximum}.",
                maximum=MAX_APPLICANTS,
            )
        )


def title_of(vacancy: Vacancy) -> Bi | None:
    if vacancy.title_en or vacancy.title_es:
        return Bi(vacancy.title_en or "", vacancy.title_es or "")
    return None


def closes_at(services: Services, vacancy: Vacancy) -> datetime:
    return services.clock.end_of_day(vacancy.closes_on)


def notice_body(
    services: Services, vacancy: Vacancy, *, number: int | None, extended: bool = False
) -> Node:
    """What every Vice-Minister and focal point reads: both links, the closing moment."""
    if extended:
        heading: Node = Tr("<b>Vacancy notice extended</b> ({id})", id=name(number))
    elif vacancy.readvertises_id is not None:
        heading = Tr(
            "<b>Vacancy notice, posted again</b> ({id}, first posted as {first})",
            id=name(number) if number is not None else "…",
            first=name(vacancy.readvertises_id),
        )
    elif number is not None:
        heading = Tr("<b>Vacancy notice</b> ({id})", id=name(number))
    else:
        heading = Tr("<b>Vacancy notice</b>")
    parts: list[Node] = [heading]
    title = title_of(vacancy)
    if title is not None:
        parts.append(Bold(title))
    parts.extend(
        [
            "",
            Tr("Notice in English: {url}", url=vacancy.url_en),
            Tr("Notice in Spanish: {url}", url=vacancy.url_es),
            "",
            (
                Tr("New closing date: {when}.", when=When(closes_at(services, vacancy)))
                if extended
                else Tr("Applications close on {when}.", when=When(closes_at(services, vacancy)))
            ),
            Tr("Please share it with possible candidates."),
        ]
    )
    return Join(parts)


def notice(services: Services, vacancy: Vacancy, *, extended: bool = False) -> Content:
    number = vacancy.id
    buttons = keyboard([receipts.ack_button(ref(number))]) if number is not None else None
    return Content(notice_body(services, vacancy, number=number, extended=extended), buttons)


def build(
    *,
    url_en: str,
    url_es: str,
    closes_on: date | None,
    min_applicants: int | None,
    today: date,
    now: datetime,
    title: Bi | None,
    posted_by_id: int | None,
    readvertises_id: int | None = None,
) -> Vacancy:
    """A checked, unsaved notice (used for the preview too)."""
    closing = closes_on or default_closing(today)
    check_closing(today, closing)
    check_minimum(min_applicants)
    return Vacancy(
        title_en=(title.en.strip() or None) if title else None,
        title_es=(title.es.strip() or None) if title else None,
        url_en=parse_url(url_en),
        url_es=parse_url(url_es),
        posted_at=now,
        posted_on=today,
        closes_on=closing,
        min_applicants=min_applicants,
        status=VacancyStatus.OPEN,
        posted_by_id=posted_by_id,
        readvertises_id=readvertises_id,
    )


async def recipients(session: AsyncSession) -> list[Person]:
    found = await audiences.with_roles(session, RECIPIENT_ROLES)
    if not found:
        raise InputError(
            Tr(
                "No Vice-Minister or focal point has joined the bot yet: there is no one to send "
                "it to."
            )
        )
    return found


async def _broadcast(
    services: Services,
    session: AsyncSession,
    vacancy: Vacancy,
    *,
    now: datetime,
    requested_by: Person | None,
    extended: bool = False,
) -> int:
    assert vacancy.id is not None
    persons = await recipients(session)
    content = notice(services, vacancy, extended=extended)
    services.outbox.check(content)
    await receipts.add(session, ref(vacancy.id), persons, now=now)
    title = (
        Tr("Extension of vacancy notice {id}", id=name(vacancy.id))
        if extended
        else Tr("Vacancy notice {id}", id=name(vacancy.id))
    )
    broadcast = await services.outbox.broadcast(
        session,
        persons,
        content,
        now=now,
        title=title,
        ref=ref(vacancy.id),
        requested_by=requested_by,
    )
    return broadcast.total


async def _schedule_closing(
    session: AsyncSession, services: Services, vacancy: Vacancy, now: datetime
) -> None:
    assert vacancy.id is not None
    await deadlines.schedule(
        session,
        key=deadline_key(vacancy.id),
        kind=KIND,
        ref=ref(vacancy.id),
        title=Tr("Vacancy notice {id} closes", id=name(vacancy.id)),
        due_at=closes_at(services, vacancy),
        now=now,
        reminders=REMINDERS,
        created_by_id=vacancy.posted_by_id,
    )


async def _person(session: AsyncSession, actor: Actor | None) -> Person | None:
    return await session.get(Person, actor.person_id) if actor is not None else None


async def post_vacancy(
    services: Services,
    session: AsyncSession,
    *,
    posted_by: Actor | None,
    url_en: str,
    url_es: str,
    closes_on: date | None,
    min_applicants: int | None,
    now: datetime,
    title: Bi | None = None,
) -> Vacancy:
    """Post a vacancy notice: stored, sent today to every Vice-Minister and focal point,
    its closing scheduled, all in the caller's transaction. `posted_by=None`: the bot posts
    it itself (e.g. the contract's last year); the TS is then told."""
    if posted_by is not None:
        require(posted_by, Action.VACANCY)
    vacancy = build(
        url_en=url_en,
        url_es=url_es,
        closes_on=closes_on,
        min_applicants=min_applicants,
        today=services.clock.local(now).date(),
        now=now,
        title=title,
        posted_by_id=posted_by.person_id if posted_by else None,
    )
    return await _post(services, session, vacancy, posted_by=posted_by, now=now)


async def _post(
    services: Services,
    session: AsyncSession,
    vacancy: Vacancy,
    *,
    posted_by: Actor | None,
    now: datetime,
) -> Vacancy:
    session.add(vacancy)
    await session.flush()
    assert vacancy.id is not None
    requester = await _person(session, posted_by)
    total = await _broadcast(services, session, vacancy, now=now, requested_by=requester)
    await _schedule_closing(session, services, vacancy, now)
    await audit.record(
        session,
        action="vacancy.post",
        now=now,
        actor_id=posted_by.person_id if posted_by else None,
        subject=ref(vacancy.id),
        closes_on=vacancy.closes_on.isoformat(),
        min_applicants=vacancy.min_applicants,
        recipients=total,
        readvertises=vacancy.readvertises_id,
    )
    if posted_by is None:
        for person in await ts_contacts(session, vacancy):
            await services.outbox.to_person(
                session,
                person,
                Content(
                    Tr(
                        "The bot posted vacancy notice {id} to {count} Vice-Ministers and focal "
                        "points; it closes on {when}. /status {id} shows who received it.",
                        id=name(vacancy.id),
                        count=total,
                        when=When(closes_at(services, vacancy)),
                    )
                ),
                now=now,
                dedupe_key=f"{ref(vacancy.id)}:posted:{person.id}",
            )
    return vacancy


async def get(session: AsyncSession, number: int) -> Vacancy:
    vacancy = await session.get(Vacancy, number)
    if vacancy is None:
        raise NotFound(Tr("There is no vacancy notice {id}.", id=name(number)))
    return vacancy


async def ts_contacts(session: AsyncSession, vacancy: Vacancy) -> list[Person]:
    """Who in the TS hears about this notice: whoever posted it while they are still TS
    staff, otherwise every TS member."""
    staff = await audiences.with_roles(session, [Role.TS])
    poster = [p for p in staff if p.id == vacancy.posted_by_id]
    return poster or staff


async def record_applications(
    session: AsyncSession, actor: Actor, number: int, count: int, *, now: datetime
) -> Vacancy:
    require(actor, Action.VACANCY)
    if not 0 <= count <= 100_000:
        raise InputError(Tr("The number of applications must be 0 or more."))
    vacancy = await get(session, number)
    if vacancy.status == VacancyStatus.READVERTISED:
        raise InputError(
            Tr(
                "{id} was posted again as a new notice; record its applications there.",
                id=name(number),
            )
        )
    vacancy.applications, vacancy.applications_recorded_at = count, now
    session.add(vacancy)
    await audit.record(
        session,
        action="vacancy.applications",
        now=now,
        actor_id=actor.person_id,
        subject=ref(number),
        applications=count,
    )
    return vacancy


def _open_or_short(vacancy: Vacancy, number: int) -> None:
    if vacancy.status not in (VacancyStatus.OPEN, VacancyStatus.BELOW_MINIMUM):
        raise InputError(Tr("{id} is already closed.", id=name(number)))


def extended_copy(vacancy: Vacancy, closes_on: date, today: date) -> Vacancy:
    """The notice as it will read once extended (for the preview): checked, not saved."""
    if closes_on <= vacancy.closes_on:
        raise InputError(
            Tr(
                "The new closing date must be after the current one ({current}).",
                current=Day(vacancy.closes_on),
            )
        )
    check_closing(today, closes_on)
    return vacancy.model_copy(update={"closes_on": closes_on})


async def extend(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    number: int,
    closes_on: date,
    *,
    now: datetime,
) -> Vacancy:
    """Move the closing date and send the notice again, with the new date, to every
    Vice-Minister and focal point (000_80de73a49c3b69ea.txt, Mexico 5)."""
    require(actor, Action.VACANCY)
    vacancy = await get(session, number)
    _open_or_short(vacancy, number)
    extended_copy(vacancy, closes_on, services.clock.local(now).date())
    previous = vacancy.closes_on
    vacancy.closes_on, vacancy.status, vacancy.closed_at = closes_on, VacancyStatus.OPEN, None
    vacancy.extensions += 1
    session.add(vacancy)
    await session.flush()
    await _broadcast(
        services,
        session,
        vacancy,
        now=now,
        requested_by=await _person(session, actor),
        extended=True,
    )
    await _schedule_closing(session, services, vacancy, now)  # moves and reopens the deadline
    await audit.record(
        session,
        action="vacancy.extend",
        now=now,
        actor_id=actor.person_id,
        subject=ref(number),
        previous=previous.isoformat(),
        closes_on=closes_on.isoformat(),
    )
    return vacancy


async def close(
    services: Services, session: AsyncSession, actor: Actor, number: int, *, now: datetime
) -> Vacancy:
    """Close without extending (the TS decided to go on with the applications it has)."""
    require(actor, Action.VACANCY)
    vacancy = await get(session, number)
    _open_or_short(vacancy, number)
    vacancy.status, vacancy.closed_at = VacancyStatus.CLOSED, now
    session.add(vacancy)
    await deadlines.complete(session, deadline_key(number), now)
    await audit.record(
        session, action="vacancy.close", now=now, actor_id=actor.person_id, subject=ref(number)
    )
    return vacancy


def readvertised_copy(
    vacancy: Vacancy,
    *,
    closes_on: date | None,
    today: date,
    now: datetime,
    posted_by_id: int | None,
) -> Vacancy:
    """The new notice that re-advertises `vacancy` (same links, title and minimum)."""
    if vacancy.status == VacancyStatus.OPEN:
        raise InputError(
            Tr(
                "{id} is still open. Extend it, or wait until it closes to post it again.",
                id=name(vacancy.id),
            )
        )
    if vacancy.status == VacancyStatus.READVERTISED:
        raise InputError(Tr("{id} was already posted again.", id=name(vacancy.id)))
    return build(
        url_en=vacancy.url_en,
        url_es=vacancy.url_es,
        closes_on=closes_on,
        min_applicants=vacancy.min_applicants,
        today=today,
        now=now,
        title=title_of(vacancy),
        posted_by_id=posted_by_id,
        readvertises_id=vacancy.id,
    )


async def readvertise(
    services: Services,
    session: AsyncSession,
    actor: Actor,
    number: int,
    *,
    closes_on: date | None,
    now: datetime,
) -> Vacancy:
    """Post a closed notice again as a new one linked to it (000_80de73a49c3b69ea.txt,
    Canada 4: "posted a second time")."""
    require(actor, Action.VACANCY)
    old = await get(session, number)
    new = readvertised_copy(
        old,
        closes_on=closes_on,
        today=services.clock.local(now).date(),
        now=now,
        posted_by_id=actor.person_id,
    )
    old.status = VacancyStatus.READVERTISED
    old.closed_at = old.closed_at or now
    session.add(old)
    await deadlines.complete(session, deadline_key(number), now)
    return await _post(services, session, new, posted_by=actor, now=now)


def decision_buttons(vacancy: Vacancy) -> list[list[Button]]:
    """The TS's choices when a notice closed with too few applications. The data carries the
    number of extensions so far: a button from an earlier closing is refused."""
    assert vacancy.id is not None
    base = f"vac:{vacancy.id}"
    seen = vacancy.extensions
    return [
        [
            Button(Tr("Extend {days} days", days=days), data=f"{base}:ext:{days}:{seen}")
            for days in EXTENSION_CHOICES
        ],
        [
            Button(Tr("Close it"), data=f"{base}:close:{seen}"),
            Button(Tr("Post it again"), data=f"{base}:again:{seen}"),
        ],
    ]


class VacancyDeadline:
    """The closing of a vacancy notice (kind "vacancy").

    Reminded before closing: the TS (whoever posted it, or every TS member), to record the
    number of applications received, since the closing decision depends on it; only while
    that number is below the minimum, or, with no minimum, not yet recorded. Member states
    are not reminded: they were sent the notice the day it was posted."""

    kind = KIND

    async def _vacancy(self, session: AsyncSession, deadline: Deadline) -> Vacancy | None:
        number = int(deadline.ref.split(":", 1)[1])
        return await session.get(Vacancy, number)

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        vacancy = await self._vacancy(session, deadline)
        if vacancy is None or vacancy.status != VacancyStatus.OPEN:
            return []
        if vacancy.min_applicants is not None:
            if (vacancy.applications or 0) >= vacancy.min_applicants:
                return []
        elif vacancy.applications is not None:
            return []
        return await ts_contacts(session, vacancy)

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        number = int(deadline.ref.split(":", 1)[1])
        return Content(
            Tr(
                "Vacancy notice {id} closes on {when}. Please record how many applications "
                "have arrived: /vacancy {id} applications followed by the number.",
                id=name(number),
                when=When(as_utc(deadline.due_at)),
            ),
            keyboard([Button(Tr("Record applications"), data=f"vac:{number}:apps")]),
        )

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        """Close the notice; with fewer applications than the minimum, ask the TS whether
        to extend it, close it or post it again. Running it twice changes nothing."""
        vacancy = await self._vacancy(session, deadline)
        if vacancy is None or vacancy.status != VacancyStatus.OPEN:
            return
        if as_utc(deadline.due_at) != closes_at(services, vacancy):
            return  # an old closing that an extension moved
        assert vacancy.id is not None
        short = (
            vacancy.min_applicants is not None
            and (vacancy.applications or 0) < vacancy.min_applicants
        )
        vacancy.status = VacancyStatus.BELOW_MINIMUM if short else VacancyStatus.CLOSED
        vacancy.closed_at = now
        session.add(vacancy)
        await audit.record(
            session,
            action="vacancy.closing",
            now=now,
            subject=ref(vacancy.id),
            applications=vacancy.applications,
            min_applicants=vacancy.min_applicants,
            below_minimum=short,
        )
        for person in await ts_contacts(session, vacancy):
            if short:
                content = Content(
                    Plural(
                        "Vacancy notice {id} closed today with {n} application recorded; the "
                        "minimum is {minimum}. Extend it (the notice is sent again with the "
                        "new date), close it, or post it again?",
                        "Vacancy notice {id} closed today with {n} applications recorded; the "
                        "minimum is {minimum}. Extend it (the notice is sent again with the "
                        "new date), close it, or post it again?",
                        vacancy.applications or 0,
                        id=name(vacancy.id),
                        minimum=vacancy.min_applicants,
                    ),
                    keyboard(*decision_buttons(vacancy)),
                )
            else:
                content = Content(
                    Plural(
                        "Vacancy notice {id} closed today with {n} application recorded.",
                        "Vacancy notice {id} closed today with {n} applications recorded.",
                        vacancy.applications or 0,
                        id=name(vacancy.id),
                    )
                )
            await services.outbox.to_person(
                session,
                person,
                content,
                now=now,
                dedupe_key=f"{ref(vacancy.id)}:closed:{vacancy.extensions}:{person.id}",
            )


async def open_for(session: AsyncSession) -> list[Vacancy]:
    rows = await session.exec(
        select(Vacancy).where(
            Vacancy.status.in_([VacancyStatus.OPEN, VacancyStatus.BELOW_MINIMUM])  # type: ignore[attr-defined]
        )
    )
    return list(rows.all())
