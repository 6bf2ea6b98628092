"""The Presidency Pro-Tempore term rolls over on 1 November (001_b79985bfaf76089f.txt: "the PPT
term runs November to November").

One deadline per term start: in October the TS is reminded to set the incoming PPT (only while
it is not set); on the day, the persons of the new Troika and the TS are told, and the command
menus of the outgoing and incoming PPT states change (the PPT has the admin menu).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audiences, commands, deadlines, people, presidency, terms
from bot.clock import as_utc, at_hour
from bot.models.deadlines import Deadline
from bot.models.people import MemberState, Person
from bot.outbox import Content
from bot.roles import STATE_ROLES, Role
from bot.services import Services
from bot.states import state_name
from bot.text import Day, Join, Node, Tr

KIND = "ppt"


def rollover_key(year: int) -> str:
    return f"ppt:{year}:rollover"


def term_begins(year: int, tz: ZoneInfo) -> datetime:
    """Midnight of 1 November in the conference time zone: when the Troika changes."""
    return at_hour(terms.term_start(year), 0, tz)


async def ensure_next(services: Services, session: AsyncSession, now: datetime) -> Deadline:
    """The rollover of the next term is on the calendar (created once; never reopened)."""
    tz = services.settings.tz
    year = terms.term_year_at(now, tz) + 1
    existing = await deadlines.get(session, rollover_key(year))
    if existing is not None:
        return existing
    return await deadlines.schedule(
        session,
        key=rollover_key(year),
        kind=KIND,
        ref=f"term:{year}",
        title=Tr(
            "A new term of the Presidency Pro-Tempore begins ({day})",
            day=Day(terms.term_start(year)),
        ),
        due_at=term_begins(year, tz),
        now=now,
        reminders=deadlines.offsets_at_hour(
            term_begins(year, tz),
            services.settings.ppt_reminder_days,
            services.settings.notice_hour,
            tz,
        ),
    )


def _year(deadline: Deadline) -> int:
    return int(deadline.ref.split(":", 1)[1])


async def _ts(session: AsyncSession) -> list[Person]:
    return await audiences.with_roles(session, [Role.TS])


class PptRolloverKind:
    """`deadlines.DeadlineKind` for the start of a PPT term."""

    kind = KIND

    async def pending(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> Sequence[Person]:
        # The TS acts by setting the PPT of the term; once set, nobody is reminded.
        year = _year(deadline)
        if (await presidency.presidencies(session, year)).get(year) is not None:
            return []
        return await _ts(session)

    def reminder(self, deadline: Deadline, person: Person, *, now: datetime) -> Content:
        year = _year(deadline)
        return Content(
            Tr(
                "<b>Presidency Pro-Tempore</b>\nThe term starting {day} has no Presidency "
                "Pro-Tempore yet. Set it with /ppt followed by the state code and {year}, for "
                "example /ppt CR {year}.",
                day=Day(terms.term_start(year)),
                year=str(year),
            )
        )

    async def on_due(
        self, services: Services, session: AsyncSession, deadline: Deadline, now: datetime
    ) -> None:
        year = _year(deadline)
        around = await presidency.presidencies(session, year)
        troika = terms.troika(around, year)
        body: Node
        if troika.incumbent is None:
            body = Tr(
                "<b>Presidency Pro-Tempore</b>\nThe term starting {day} has begun and no "
                "Presidency Pro-Tempore is set. Set it with /ppt followed by the state code.",
                day=Day(terms.term_start(year)),
            )
            recipients = await _ts(session)
        else:
            state = await session.get(MemberState, troika.incumbent)
            assert state is not None
            body = Join(
                [
                    Tr(
                        "<b>New term of the Presidency Pro-Tempore</b>\nFrom today, {day}, "
                        "{state} holds the Presidency Pro-Tempore.",
                        day=Day(terms.term_start(year)),
                        state=state_name(state),
                    ),
                    "",
                    await presidency.describe_troika(session, troika),
                ]
            )
            recipients = await _ts(session) + await _state_persons(session, troika.members())
        for person in recipients:
            assert person.id is not None
            await services.outbox.to_person(
                session,
                person,
                Content(body),
                now=now,
                ref=deadline.ref,
                dedupe_key=f"{rollover_key(year)}:{person.id}",
            )
        # The outgoing PPT loses the admin menu and the new one gains it.
        changed = {s for s in (around.get(year - 1), troika.incumbent) if s is not None}
        await _refresh_menus(services, session, changed, as_utc(now))
        await ensure_next(services, session, now)


async def _state_persons(session: AsyncSession, state_ids: frozenset[int]) -> list[Person]:
    """Joined persons speaking for these states (Vice-Ministers, alternates, focal points)."""
    if not state_ids:
        return []
    speakers = await audiences.with_roles(session, sorted(STATE_ROLES))
    return [p for p in speakers if p.state_id in state_ids]


async def _refresh_menus(
    services: Services, session: AsyncSession, state_ids: set[int], now: datetime
) -> None:
    if services.sender is None or not state_ids:
        return
    holders = await people.state_menu_holders(session, state_ids, now, services.clock.tz)
    bot, features = services.sender.bot, services.features

    async def publish() -> None:
        for chat_id, lang, actor in holders:
            await commands.publish_for(bot, features, chat_id, lang, actor)

    deadlines.after_commit(session, publish)
