"""Vacancy notices end to end (SPEC 2.2; 000_80de73a49c3b69ea.txt): posted to every
Vice-Minister and focal point, closing after 30 days by default and never fewer than 3, the
closing (the DeadlineKind's `on_due`, called directly: the scheduler is another issue),
extension with a second broadcast, re-advertising."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from bot import deadlines, vacancies
from bot.models.audit import AuditEntry
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.receipts import Receipt
from bot.models.vacancies import Vacancy, VacancyStatus
from bot.rollover import KIND as ROLLOVER_KIND
from bot.sandbox.users import SimUser
from tests.harness import Harness

POST = (
    "/vacancy https://rcm.example.org/en/coordinator https://rcm.example.org/es/coordinador "
    "2026-04-15 4\n"
    "EN: Coordinator of the Technical Secretariat\n"
    "ES: Coordinador(a) de la Secretaría Técnica"
)


async def _cast(harness: Harness) -> dict[str, SimUser]:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    victor, _ = await harness.person("victor", "vice_minister", "US")
    alma, _ = await harness.person("alma", "alternate", "CR", lang="es")
    olga, _ = await harness.person("olga", "observer", organisation="IOM")
    return {"tess": tess, "ana": ana, "victor": victor, "alma": alma, "olga": olga}


async def _post(harness: Harness, tess: SimUser, text: str = POST) -> None:
    await tess.send(text)
    await harness.settle()
    await tess.press("Send")
    await harness.settle()


async def _vacancy(harness: Harness, number: int = 1) -> Vacancy:
    async with harness.session() as session:
        row = await session.get(Vacancy, number)
        assert row is not None
        return row


async def _close(harness: Harness, number: int = 1) -> None:
    """What the scheduler does at the deadline: run the kind's due action."""
    async with harness.services.unit_of_work() as session:
        deadline = await deadlines.get(session, vacancies.deadline_key(number))
        assert deadline is not None
        kind = harness.services.deadline_kinds["vacancy"]
        await kind.on_due(harness.services, session, deadline, harness.now)
    await harness.settle()


async def test_posted_to_every_vice_minister_and_focal_point(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send(POST)
    await harness.settle()
    texts = [m.content for m in tess.bot_messages()]
    assert "It goes to every Vice-Minister and focal point: 2 recipients" in texts[0]
    assert "Minimum number of applicants: 4." in texts[0]
    assert "Notice in English: https://rcm.example.org/en/coordinator" in texts[1]
    assert "Aviso en español: https://rcm.example.org/es/coordinador" in texts[2]
    async with harness.session() as session:
        assert (await session.exec(select(Vacancy))).all() == []
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    ana = (await cast["ana"].last_message()).content  # type: ignore[union-attr]
    assert "Aviso de vacante</b>" not in ana and "Aviso de vacante (N1)" in ana
    assert "Coordinador(a) de la Secretaría Técnica" in ana
    assert "Aviso en inglés: https://rcm.example.org/en/coordinator" in ana
    assert "15 de abril de 2026, 23:59 (UTC-06:00)" in ana
    victor = await cast["victor"].last_message()
    assert victor is not None and "Applications close on April 15, 2026, 23:59" in victor.content
    assert victor.button_labels == ["Received"]
    assert cast["alma"].bot_messages() == [] and cast["olga"].bot_messages() == []
    assert any("Delivery finished: 2 sent" in m.content for m in tess.bot_messages())
    row = await _vacancy(harness)
    assert row.closes_on == date(2026, 4, 15) and row.min_applicants == 4
    assert row.title_es == "Coordinador(a) de la Secretaría Técnica"
    async with harness.session() as session:
        deadline = await deadlines.get(session, "vacancy:1:close")
        assert deadline is not None and deadline.kind == "vacancy"
        assert deadline.due_at == datetime(2026, 4, 16, 5, 59, tzinfo=deadline.due_at.tzinfo)
        assert len((await session.exec(select(Receipt))).all()) == 2


async def test_closing_date_default_and_minimum(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    links = "/vacancy https://rcm.example.org/en/v https://rcm.example.org/es/v"
    for command, expected in [
        (f"{links} 2026-03-04", "must stay open at least 3 days"),
        (f"{links} 2026-02-01", "must stay open at least 3 days"),
        (f"{links} 2027-06-01", "more than a year away"),
        (f"{links} 2026-04-31", "is not a real calendar date"),
        (f"{links} 2026-04-15 0", "between 1 and 1,000"),
        ("/vacancy https://rcm.example.org/en/v", "the link in Spanish"),
        ("/vacancy rcm.example.org/en/v https://rcm.example.org/es/v", "not a web address"),
        (f"{links}\nEN: Title only in English", "needed in both languages"),
    ]:
        await tess.send(command)
        assert expected in (await tess.last_message()).text, command  # type: ignore[union-attr]
    await cast["ana"].send(f"{links}")
    assert "No tiene permiso" in (await cast["ana"].last_message()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(Vacancy))).all() == []
        assert (
            await session.exec(select(Deadline).where(Deadline.kind != ROLLOVER_KIND))
        ).all() == []
    await _post(harness, tess, f"{links} 2026-03-05")  # exactly 3 days: allowed
    await _post(harness, tess, links)
    assert (await _vacancy(harness, 1)).closes_on == date(2026, 3, 5)
    assert (await _vacancy(harness, 2)).closes_on == date(2026, 4, 1)  # 30 calendar days


async def test_guided_conversation(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await tess.send("/vacancy")
    await tess.send("https://rcm.example.org/en/v")
    await tess.send("https://rcm.example.org/es/v")
    await harness.settle()
    await tess.press("30 days: April 1, 2026")
    await harness.settle()
    await tess.press("No minimum")
    await harness.settle()
    await tess.send("EN: Assistant\nES: Asistente")
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    assert "Asistente" in (await cast["ana"].last_message()).content  # type: ignore[union-attr]
    row = await _vacancy(harness)
    assert row.min_applicants is None and row.closes_on == date(2026, 4, 1)


async def test_below_minimum_at_closing_offers_extension_sent_again(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, ana = cast["tess"], cast["ana"]
    await _post(harness, tess)
    await tess.send("/vacancy N1 applications 2")
    assert "Recorded: 2 applications for N1." in (await tess.last_message()).text  # type: ignore[union-attr]
    await harness.travel_to(datetime(2026, 4, 16, 6, 0, tzinfo=harness.now.tzinfo))
    await _close(harness)
    offer = await tess.last_message()
    assert offer is not None
    assert "closed today with 2 applications recorded; the minimum is 4" in offer.text
    assert offer.button_labels == [
        "Extend 7 days",
        "Extend 14 days",
        "Extend 30 days",
        "Close it",
        "Post it again",
    ]
    await _close(harness)  # the due action again (a crash before it was marked done)
    assert len([m for m in tess.bot_messages() if "closed today" in m.content]) == 1
    assert (await _vacancy(harness)).status == VacancyStatus.BELOW_MINIMUM
    await harness.settle()
    await tess.press("Extend 14 days")
    await harness.settle()
    assert "Vacancy notice extended (N1)" in [m.content for m in tess.bot_messages()][-3]
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    extended = (await ana.last_message()).content  # type: ignore[union-attr]
    assert "Aviso de vacante prorrogado (N1)" in extended
    assert "Nueva fecha de cierre: 30 de abril de 2026, 23:59" in extended
    row = await _vacancy(harness)
    assert row.status == VacancyStatus.OPEN and row.extensions == 1
    assert row.closes_on == date(2026, 4, 30)
    async with harness.session() as session:
        deadline = await deadlines.get(session, "vacancy:1:close")
        assert deadline is not None and deadline.status == DeadlineStatus.OPEN
        assert deadline.due_at == datetime(2026, 5, 1, 5, 59, tzinfo=deadline.due_at.tzinfo)
    # The earlier offer's buttons are stale now.
    await harness.settle()
    await tess.press("Extend 7 days", message_id=offer.message_id)
    await harness.settle()
    answer = await tess.last_callback_answer()
    assert answer is not None and answer.show_alert
    assert (await _vacancy(harness)).extensions == 1


async def test_enough_applications_closes(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await _post(harness, tess)
    await tess.send("/vacancy N1 applications 5")
    await harness.travel_to(datetime(2026, 4, 16, 6, 0, tzinfo=harness.now.tzinfo))
    await _close(harness)
    assert "closed today with 5 applications recorded." in (await tess.last_message()).text  # type: ignore[union-attr]
    assert (await _vacancy(harness)).status == VacancyStatus.CLOSED
    await tess.send("/vacancy N1 extend 2026-05-20")
    assert "N1 is already closed" in (await tess.last_message()).text  # type: ignore[union-attr]


async def test_reminders_go_to_the_ts_until_the_minimum_is_recorded(harness: Harness) -> None:
    cast = await _cast(harness)
    tess = cast["tess"]
    await harness.person("teo", "ts")
    await _post(harness, tess)
    kind = harness.services.deadline_kinds["vacancy"]
    async with harness.session() as session:
        deadline = await deadlines.get(session, "vacancy:1:close")
        assert deadline is not None
        pending = await kind.pending(harness.services, session, deadline, harness.now)
        assert [p.display_name for p in pending] == ["Tess"]  # who posted it, not every TS
        assert deadlines.reminder_offsets(deadline) == (timedelta(days=3), timedelta(days=1))
        reminder = kind.reminder(deadline, pending[0], now=harness.now)
        text = harness.services.outbox.renderer("en").plain(reminder.body)
        assert "/vacancy N1 applications" in text and "April 15, 2026" in text
    await tess.send("/vacancy N1 applications 4")
    await harness.settle()
    async with harness.session() as session:
        deadline = await deadlines.get(session, "vacancy:1:close")
        assert deadline is not None
        assert await kind.pending(harness.services, session, deadline, harness.now) == []


async def test_post_it_again_as_a_new_linked_notice(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, victor = cast["tess"], cast["victor"]
    await _post(harness, tess)
    await tess.send("/vacancy N1 readvertise")
    assert "N1 is still open" in (await tess.last_message()).text  # type: ignore[union-attr]
    await harness.travel_to(datetime(2026, 4, 16, 6, 0, tzinfo=harness.now.tzinfo))
    await _close(harness)
    await harness.settle()
    await tess.press("Post it again")
    await harness.settle()
    await tess.press("Send")
    await harness.settle()
    again = (await victor.last_message()).content  # type: ignore[union-attr]
    assert "Vacancy notice, posted again (N2, first posted as N1)" in again
    assert "May 16, 2026" in again  # 30 days from the day it is posted again
    old, new = await _vacancy(harness, 1), await _vacancy(harness, 2)
    assert old.status == VacancyStatus.READVERTISED and new.readvertises_id == 1
    assert new.min_applicants == 4 and new.title_en == old.title_en
    async with harness.session() as session:
        assert (await deadlines.get(session, "vacancy:1:close")).status == DeadlineStatus.DONE  # type: ignore[union-attr]
    await tess.send("/status N1")
    assert "Posted again as N2." in (await tess.last_message()).text  # type: ignore[union-attr]


async def test_posted_by_the_bot_itself(harness: Harness) -> None:
    cast = await _cast(harness)
    async with harness.services.unit_of_work() as session:
        vacancy = await vacancies.post_vacancy(
            harness.services,
            session,
            posted_by=None,
            url_en="https://rcm.example.org/en/c",
            url_es="https://rcm.example.org/es/c",
            closes_on=None,
            min_applicants=None,
            now=harness.now,
        )
        assert vacancy.id == 1 and vacancy.posted_by_id is None
    await harness.settle()
    assert "Aviso de vacante (N1)" in (await cast["ana"].last_message()).content  # type: ignore[union-attr]
    told = (await cast["tess"].last_message()).text  # type: ignore[union-attr]
    assert "The bot posted vacancy notice N1 to 2 Vice-Ministers and focal points" in told
    async with harness.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == "vacancy.post")
        entries = (await session.exec(query)).all()
        assert len(entries) == 1 and entries[0].actor_id is None


async def test_status_reports_every_member_state(harness: Harness) -> None:
    cast = await _cast(harness)
    tess, ana = cast["tess"], cast["ana"]
    await _post(harness, tess)
    await harness.settle()
    await ana.press("Recibido")
    await harness.settle()
    await tess.send("/status N1")
    status = await tess.last_message()
    assert status is not None
    assert "Mexico: 1 sent (1 acknowledged)" in status.text
    assert "United States: 1 sent (0 acknowledged)" in status.text
    assert "Nobody registered to receive it in: Belize, Canada, Costa Rica" in status.text
    assert "No number of applications recorded yet." in status.text
    assert status.button_labels == ["Record applications"]
    await harness.settle()
    await tess.press("Record applications")
    await harness.settle()
    await tess.send("3")
    assert "Recorded: 3 applications for N1." in (await tess.last_message()).text  # type: ignore[union-attr]
    await ana.send("/status N1")
    assert "Aviso de vacante (N1)" in (await ana.last_message()).text  # type: ignore[union-attr]
    await cast["olga"].send("/status N1")
    assert "There is no vacancy notice N1" in (await cast["olga"].last_message()).text  # type: ignore[union-attr]
