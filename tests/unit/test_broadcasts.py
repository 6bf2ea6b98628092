"""The rules behind announcements and vacancy notices, as plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import receipts, vacancies
from bot.errors import InputError
from bot.models.people import Person
from bot.parsing import parse_url
from bot.sender import Pacer

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@given(st.integers(min_value=-400, max_value=800))
def test_a_notice_stays_open_between_3_days_and_a_year(days: int) -> None:
    # 000_80de73a49c3b69ea.txt (Mexico 3): "open 3 days as minimum".
    closing = TODAY + timedelta(days=days)
    if vacancies.MIN_OPEN_DAYS <= days <= vacancies.MAX_OPEN_DAYS:
        vacancies.check_closing(TODAY, closing)
    else:
        with pytest.raises(InputError):
            vacancies.check_closing(TODAY, closing)


def test_default_closing_is_30_calendar_days() -> None:
    # 000_80de73a49c3b69ea.txt (United States 2): "open for 30 calendar days".
    assert vacancies.default_closing(TODAY) == date(2026, 4, 1)
    assert vacancies.default_closing(date(2026, 12, 15)) == date(2027, 1, 14)


@pytest.mark.parametrize(
    "text",
    [
        "https://rcm.example.org/en/vacancy",
        "http://www.crmsv.org/es/vacante?id=3&lang=es",
        "https://iom.int/a#b",
    ],
)
def test_urls_written_in_full_are_kept_as_written(text: str) -> None:
    assert parse_url(f"  {text} ") == text


@pytest.mark.parametrize(
    "text",
    [
        "rcm.example.org/en",
        "ftp://files.example.org/x",
        "https://localhost/x",
        "https://",
        'https://example.org/"><script>',
        "https://example.org/a b",
        "javascript:alert(1)",
        "https://example.org/" + "x" * 2100,
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_url(text)


def test_minimum_applicants() -> None:
    vacancies.check_minimum(None)
    vacancies.check_minimum(4)
    for wrong in (0, -1, vacancies.MAX_APPLICANTS + 1):
        with pytest.raises(InputError):
            vacancies.check_minimum(wrong)


@given(st.text(max_size=20))
def test_export_cells_never_start_a_formula(name: str) -> None:
    cell = receipts._cell(name)
    assert cell[:1] not in ("=", "+", "-", "@")
    assert cell.endswith(name)


def _recipient(
    delivery: receipts.Delivery, *, acknowledged: bool = False, blocked: bool = False
) -> receipts.Recipient:
    person = Person(id=1, telegram_id=10, display_name="x", blocked_bot=blocked, created_at=NOW)
    return receipts.Recipient(
        person=person,
        state_id=None,
        delivery=delivery,
        acknowledged_at=NOW if acknowledged else None,
        sent_at=None,
        error=None,
    )


@pytest.mark.parametrize(
    ("delivery", "acknowledged", "blocked", "reminded"),
    [
        (receipts.Delivery.SENT, False, False, True),
        (receipts.Delivery.SENT, True, False, False),
        (receipts.Delivery.WAITING, False, False, False),  # its first delivery is still due
        (receipts.Delivery.FAILED, False, False, True),
        (receipts.Delivery.BLOCKED, False, True, False),  # still blocked: cannot be reached
        (receipts.Delivery.BLOCKED, False, False, True),  # wrote to the bot since
    ],
)
def test_who_is_reminded(
    delivery: receipts.Delivery, acknowledged: bool, blocked: bool, reminded: bool
) -> None:
    found = [_recipient(delivery, acknowledged=acknowledged, blocked=blocked)]
    assert bool(receipts.to_remind(found)) is reminded


def test_pacer_counts_a_message_until_a_second_after_its_answer() -> None:
    pacer = Pacer(rate=3, chat_interval=1.0, margin=0.0)
    for chat in (1, 2):
        pacer.reserve(chat, NOW)
    assert pacer.capacity(NOW) == 1  # claimed messages hold their places
    assert not pacer.chat_ready(1, NOW)
    pacer.start()
    pacer.start()
    assert pacer.capacity(NOW + timedelta(seconds=5)) == 1  # in flight, however long
    answered = NOW + timedelta(seconds=2)
    pacer.finish(1, answered)
    pacer.finish(2, answered)
    assert pacer.capacity(answered + timedelta(milliseconds=999)) == 1
    assert pacer.capacity(answered + timedelta(seconds=1)) == 3
    assert not pacer.chat_ready(1, answered + timedelta(milliseconds=999))
    assert pacer.chat_ready(1, answered + timedelta(seconds=1))


def test_pacer_releases_a_message_that_never_left() -> None:
    pacer = Pacer(rate=2, chat_interval=1.0)
    pacer.reserve(1, NOW)
    pacer.release()
    assert pacer.capacity(NOW) == 2
