"""The PPT term rolls over on 1 November (001_b79985bfaf76089f.txt): the TS is reminded in
October while the incoming PPT is not set; on the day the new Troika is told and the command
menus follow the Presidency."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.models.deadlines import Deadline, DeadlineStatus
from tests.harness import Harness

CR = ZoneInfo("America/Costa_Rica")


def cr(*args: int) -> datetime:
    return datetime(*args, tzinfo=CR)  # type: ignore[misc]


def _texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text or "" for m in user.bot_messages()]


async def test_october_reminders_then_the_new_troika_and_menus(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    lucia, _ = await harness.person("lucia", "vice_minister", "CR", lang="es")
    hugo, _ = await harness.person("hugo", "focal_point", "HN")
    await tess.send("/ppt GT 2024")
    await harness.settle()
    await tess.send("/ppt CR 2025")
    assert "is Costa Rica" in (await tess.last_message()).text  # type: ignore[union-attr]
    assert "close" in {c.command for c in lucia.visible_commands()}
    # 1 October, 09:00: the incoming PPT is not set, so the TS is reminded.
    await harness.travel_to(cr(2026, 10, 1, 9, 0))
    reminder = _texts(tess)[-1]
    assert "The term starting November 1, 2026 has no Presidency Pro-Tempore yet" in reminder
    assert "/ppt CR 2026" in reminder
    assert not any("Presidency" in t or "Presidencia" in t for t in _texts(hugo) + _texts(lucia))
    await tess.send("/ppt HN 2026")
    await harness.settle()
    count = len(_texts(tess))
    await harness.travel_to(cr(2026, 10, 18, 9, 0))  # set now: no more reminders
    assert len(_texts(tess)) == count
    # 1 November, midnight in the conference time zone: the Troika changes.
    await harness.travel_to(cr(2026, 11, 1, 0, 0))
    told = _texts(hugo)[-1]
    assert "From today, November 1, 2026, Honduras holds the Presidency Pro-Tempore" in told
    assert "Outgoing PPT: Costa Rica" in told and "Incoming PPT: not set" in told
    assert "A partir de hoy, 1 de noviembre de 2026, Honduras ejerce" in _texts(lucia)[-1]
    assert "Honduras holds" in _texts(tess)[-1]
    # The PPT's menu moved with it.
    assert "close" in {c.command for c in hugo.visible_commands()}
    assert "close" not in {c.command for c in lucia.visible_commands()}
    async with harness.session() as session:
        rows = {d.key: d.status for d in (await session.exec(select(Deadline))).all()}
    assert rows == {"ppt:2026:rollover": DeadlineStatus.DONE, "ppt:2027:rollover": "open"}
    # A restart repeats nothing.
    count = len(_texts(hugo))
    await harness.restart()
    assert len(_texts(hugo)) == count


async def test_a_term_that_begins_without_a_ppt_tells_the_ts(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    for day in (1, 18, 29):
        await harness.travel_to(cr(2026, 10, day, 9, 0))
    assert sum("todavía no tiene Presidencia Pro Tempore" in t for t in _texts(tess)) == 3
    await harness.travel_to(cr(2026, 11, 1, 0, 0))
    assert "ya comenzó y no se ha registrado la Presidencia Pro Tempore" in _texts(tess)[-1]
