"""The Coordinator's contract end to end, time travelled (SPEC 2.7, 000_80de73a49c3b69ea.txt):
a full cycle from the start to the third year's vacancy notice, with the real performance
survey and the real majority vote on each extension, a refused extension, a resignation, an
interim Coordinator's limits, and the refusals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.models.contract import ContractEvent, CoordinatorContract
from bot.models.custom_deadlines import CustomDeadline
from bot.models.deadlines import Deadline, DeadlineStatus
from bot.models.surveys import Survey
from bot.models.votes import Vote
from bot.text import Bi, from_json
from tests.harness import Harness

CR = ZoneInfo("America/Costa_Rica")


def cr(*args: int) -> datetime:
    return datetime(*args, tzinfo=CR)  # type: ignore[misc]


async def _opened(harness: Harness) -> tuple[list[Survey], list[Vote]]:
    """The surveys and votes the contract opened, oldest first."""
    async with harness.session() as session:
        found_surveys = await session.exec(
            select(Survey).where(col(Survey.origin).startswith("contract:")).order_by(Survey.id)
        )
        found_votes = await session.exec(
            select(Vote).where(col(Vote.origin).startswith("contract:")).order_by(Vote.id)
        )
        return list(found_surveys.all()), list(found_votes.all())


# Vice-Ministers of six more states: with Mexico's and the United States', seven of eleven,
# enough for a majority of all member states.
OTHER_STATES = ("CR", "GT", "HN", "SV", "PA", "BZ")


async def _cast(harness: Harness):  # type: ignore[no-untyped-def]
    tess, _ = await harness.person("tess", "ts")
    vm_mx, _ = await harness.person("lucia", "vice_minister", "MX", lang="es")
    vm_us, _ = await harness.person("victor", "vice_minister", "US")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    for code in OTHER_STATES:
        await harness.person(f"vm_{code.lower()}", "vice_minister", code)
    return tess, vm_mx, vm_us, ana


def _texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text or m.caption or "" for m in user.bot_messages()]


def _has(user, *parts: str) -> bool:  # type: ignore[no-untyped-def]
    return any(all(p in t for p in parts) for t in _texts(user))


async def _open_deadlines(harness: Harness) -> list[str]:
    async with harness.session() as session:
        rows = await session.exec(
            select(Deadline).where(Deadline.status == DeadlineStatus.OPEN).order_by(Deadline.due_at)
        )
        # The PPT's term rollover is always on the calendar too; it is not the contract's.
        return [d.key for d in rows.all() if not d.key.startswith("ppt:")]


async def test_full_cycle_to_the_third_years_vacancy_notice(harness: Harness) -> None:
    tess, lucia, victor, ana = await _cast(harness)
    await tess.send("/contract 2026-03-02")
    shown = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "Contract recorded" in shown and "Coordinator's contract K1" in shown
    assert "extensions approved: 0 of 2" in shown
    assert "• January 1, 2027, 09:00 (UTC-06:00): performance survey opens (year 1)" in shown
    assert "(if extended)" in shown
    assert await _open_deadlines(harness) == [
        "contract:1:survey:1",
        "contract:1:vote:1",
        "contract:1:decision:1",
    ]

    # Year 1: the survey opens 60 days before the year ends and closes 30 days before.
    await harness.travel_to(cr(2027, 1, 1, 9, 0))
    (survey,), _ = await _opened(harness)
    assert survey.deadline == cr(2027, 1, 31, 23, 59)
    assert survey.opened_by_id is None and survey.origin == "contract:1:survey:1"
    assert "performance survey of contract year 1 is open (S1)" in _texts(tess)[-1]
    assert _has(ana, "S1")  # the focal points are asked to answer
    # The majority vote opens when the survey has closed; its deadline is 14 days before.
    await harness.travel_to(cr(2027, 2, 1, 9, 0))
    _, (vote,) = await _opened(harness)
    assert vote.rule == "majority" and vote.deadline == cr(2027, 2, 16, 23, 59)
    question = from_json(vote.question)
    assert isinstance(question, Bi)
    assert "one more year" in question.en and "prorrogar" in question.es
    # Six Vice-Ministers of eleven states say yes: the outcome cannot change, the vote closes
    # at once, and its outcome is the contract's decision, recorded with it.
    voters = [victor, *(harness.user(f"vm_{c.lower()}") for c in OTHER_STATES[:5])]
    for voter in voters:
        await voter.press("Yes")
        await harness.settle()
    assert _has(tess, "Vote V1 approved the extension", "extended into year 2")
    # The reminder to record the outcome is no longer needed; a stale button changes nothing.
    await harness.travel_to(cr(2027, 2, 22, 9, 0))
    assert not _has(tess, "Contract year 1 ends on March 1, 2027")
    last = tess.bot_messages()[-1]
    await tess.press_data("ct:1:1:yes", last.message_id)
    assert "already recorded" in (await tess.last_callback_answer()).text  # type: ignore[union-attr]

    # Year 2 (ending 2 March 2028, a leap year), the outcome recorded by command this time.
    await harness.travel_to(cr(2028, 1, 2, 9, 0))
    await harness.travel_to(cr(2028, 2, 2, 9, 0))
    found_surveys, found_votes = await _opened(harness)
    assert found_surveys[-1].deadline == cr(2028, 2, 1, 23, 59)
    assert found_votes[-1].deadline == cr(2028, 2, 17, 23, 59)
    await tess.send("/contract extended")
    assert "extended into year 3" in (await tess.last_message()).text  # type: ignore[union-attr]
    # The vote closes at its deadline without a majority; the TS's decision stands.
    await harness.travel_to(cr(2028, 2, 18, 9, 0))
    assert not _has(tess, "did not approve the extension")
    assert "contract:1:vacancy:3" in await _open_deadlines(harness)
    assert not any("vacante" in t for t in _texts(lucia))

    # The last year of the maximum period begins: every Vice-Minister is told.
    await harness.travel_to(cr(2028, 3, 2, 9, 0))
    notice_es = _texts(lucia)[-1]
    assert "entró en su último año posible el 2 de marzo de 2028" in notice_es
    assert "termina el 1 de marzo de 2029" in notice_es
    assert "began its last possible year on March 2, 2028" in _texts(victor)[-1]
    assert not any("vacancy" in t.lower() or "vacante" in t for t in _texts(ana))
    # The TS has a deadline to post the vacancy, with the Done button.
    async with harness.session() as session:
        (task,) = (await session.exec(select(CustomDeadline))).all()
        assert task.audience == "role:ts" and "Announce the vacancy" in task.text_en
        steps = {e.step: e.result for e in (await session.exec(select(ContractEvent))).all()}
    assert steps == {
        "survey:1": "S1",
        "vote:1": "V1",
        "decision:1": "extended",
        "survey:2": "S2",
        "vote:2": "V2",
        "decision:2": "extended",
        "vacancy:last_year": "D1",
    }
    assert any("New deadline" in t and "Announce the vacancy" in t for t in _texts(tess))
    await tess.send("/status K1")
    status = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "extensions approved: 2 of 2" in status and "Now in contract year 3." in status
    assert "✓ March 2, 2028, 09:00 (UTC-06:00): last year begins" in status
    # A restart repeats nothing.
    before = (len(_texts(lucia)), [len(found) for found in await _opened(harness)])
    await harness.restart()
    assert (len(_texts(lucia)), [len(found) for found in await _opened(harness)]) == before


async def test_not_extended_tells_the_vice_ministers_and_withdraws_the_rest(
    harness: Harness,
) -> None:
    tess, lucia, victor, _ana = await _cast(harness)
    await tess.send("/contract 2026-03-02")
    await harness.settle()
    await harness.travel_to(cr(2027, 1, 1, 9, 0))
    await harness.travel_to(cr(2027, 2, 1, 9, 0))
    # Only two states say yes: at the deadline there is no majority of all member states.
    await victor.press("Yes")
    await lucia.press("Sí")
    await harness.travel_to(cr(2027, 2, 17, 9, 0))
    assert _has(tess, "Vote V1 did not approve the extension", "ends after year 1")
    assert "no se prorrogó y termina el 1 de marzo de 2027" in _texts(lucia)[-1]
    assert "was not extended and ends on March 1, 2027" in _texts(victor)[-1]
    assert await _open_deadlines(harness) == ["custom:1"]
    await tess.send("/contract extended")
    assert "was not extended after year 1" in (await tess.last_message()).text  # type: ignore[union-attr]
    await harness.travel_to(cr(2028, 3, 2, 9, 0))
    # Year 1's survey and vote only: nothing of the years that will not come.
    assert [len(found) for found in await _opened(harness)] == [1, 1]


async def test_resignation_gives_notice_and_starts_the_vacancy_reminders(harness: Harness) -> None:
    tess, lucia, victor, _ana = await _cast(harness)
    await tess.send("/contract 2026-01-10 interim")
    await harness.settle()
    await tess.send("/contract resignation 2026-03-01")
    assert "last day must be after today" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("/contract resignation")
    await harness.settle()
    assert any("Resignation recorded" in t for t in _texts(tess))
    # 30 days' notice by default.
    assert "su último día es el 1 de abril de 2026" in _texts(lucia)[-1]
    assert "the last day is April 1, 2026" in _texts(victor)[-1]
    assert await _open_deadlines(harness) == ["custom:1"]
    # The TS is reminded until it says the vacancy is announced; daily once overdue.
    await harness.travel_to(cr(2026, 3, 9, 21, 59))  # 2 hours before the 7-day deadline
    assert "Reminder: deadline D1" in _texts(tess)[-1]
    await harness.travel_to(cr(2026, 3, 10, 23, 59))
    await harness.travel(timedelta(days=1))
    assert "Overdue since" in _texts(tess)[-1]
    await tess.press("Done")
    await harness.travel(timedelta(days=3))
    assert "Overdue since" not in _texts(tess)[-1]
    await tess.send("/contract resignation")
    assert "no longer current" in (await tess.last_message()).text  # type: ignore[union-attr]


async def test_interim_coordinator_warnings_and_limits(harness: Harness) -> None:
    tess, lucia, victor, ana = await _cast(harness)
    await tess.send("/contract 2026-03-02 interim")
    shown = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "Interim Coordinator since March 2, 2026" in shown
    assert "the interim Coordinator reaches 6 months" in shown
    await harness.travel_to(cr(2026, 8, 3, 9, 0))  # 30 days before six months
    warning = _texts(lucia)[-1]
    assert "cumple 6 meses el 2 de septiembre de 2026" in warning
    assert "mayoría de los países miembros" in warning
    await harness.travel_to(cr(2026, 8, 26, 9, 0))  # 7 days before
    await harness.travel_to(cr(2026, 9, 2, 9, 0))
    assert sum("reaches 6 months" in t for t in _texts(victor)) == 3
    assert sum("Continuing beyond this requires" in t for t in _texts(tess)) == 3
    assert not any("interim" in t for t in _texts(ana))  # focal points are not concerned
    await harness.travel_to(cr(2027, 3, 2, 9, 0))  # twelve months: the limit
    assert "reaches 12 months on March 2, 2027" in _texts(victor)[-1]
    assert "the most an interim Coordinator may serve" in _texts(victor)[-1]
    assert await _opened(harness) == ([], [])


async def test_contract_step_by_step(harness: Harness) -> None:
    tess, *_ = await _cast(harness)
    await tess.send("/contract")
    assert "When did the Coordinator's contract start?" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("02/03/2026")
    assert "interim?" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.press("Regular contract")
    assert "How many" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.press("0")
    assert "Contract recorded" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("/contract")
    assert "/contract extended" in (await tess.last_message()).text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/contract 2020-01-01", "already ended on"),
        ("/contract 2026-03-02 3", "between 0 and 2"),
        ("/contract 2026-03-02 interim 1", "no annual extensions"),
        ("/contract 2028-06-01", "more than a year away"),
        ("/contract 2026-03-02 permanent", "/contract extended"),
        ("/contract extended", "No contract is recorded yet"),
        ("/contract resignation", "No contract is recorded yet"),
    ],
)
async def test_bad_input_changes_nothing(harness: Harness, command: str, expected: str) -> None:
    tess, *_ = await _cast(harness)
    await tess.send(command)
    assert expected in (await tess.last_message()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(CoordinatorContract))).all() == []
        assert (await session.exec(select(Deadline).where(Deadline.kind == "contract"))).all() == []


async def test_only_the_ts_records_the_contract(harness: Harness) -> None:
    tess, lucia, *_ = await _cast(harness)
    await lucia.send("/contract 2026-03-02")
    assert "No tiene permiso" in (await lucia.last_message()).text  # type: ignore[union-attr]
    await tess.send("/contract 2026-03-02")
    await harness.settle()
    await lucia.send("/status K1")
    assert "No tiene permiso" in (await lucia.last_message()).text  # type: ignore[union-attr]
    own = await lucia.last_message()
    assert own is not None
    await lucia.press_data("ct:1:1:yes", own.message_id)  # a forged decision button
    assert "No tiene permiso" in (await lucia.last_callback_answer()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(ContractEvent))).all() == []
        (row,) = (await session.exec(select(CoordinatorContract))).all()
        assert row.extensions == 0
