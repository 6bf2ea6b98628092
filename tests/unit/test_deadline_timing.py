"""The moments of a deadline (SPEC 2.6): reminders 3 days, 1 day and 2 hours before by default,
the due action once, reminders once overdue; after any pattern of ticks (the bot up or down),
no reminder is sent twice and a missed one goes out once, late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.deadlines import DEFAULT_REMINDERS, Reminder, Timing, plan_step

DUE = datetime(2026, 7, 16, 5, 59, tzinfo=UTC)  # 15 July 23:59 in Costa Rica
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def default() -> Timing:
    return Timing.build(DUE, DEFAULT_REMINDERS)


def test_default_reminders_are_3_days_1_day_2_hours_before() -> None:
    assert [r.at for r in default().before_due()] == [DUE - 3 * DAY, DUE - DAY, DUE - 2 * HOUR]
    assert [r.offset for r in default().before_due()] == [3 * 86400, 86400, 7200]


def test_offsets_after_the_deadline_or_repeated_are_ignored() -> None:
    timing = Timing.build(DUE, [DAY, DAY, timedelta(0), -HOUR])
    assert timing.offsets == (86400,)


def test_next_after_walks_reminders_then_the_due_action() -> None:
    timing = default()
    start = DUE - 10 * DAY
    assert timing.next_after(start, action_pending=True) == DUE - 3 * DAY
    assert timing.next_after(DUE - 3 * DAY, action_pending=True) == DUE - DAY
    assert timing.next_after(DUE - 2 * HOUR, action_pending=True) == DUE
    # A due action that has not run is always pending, even late.
    assert timing.next_after(DUE + 5 * DAY, action_pending=True) == DUE
    assert timing.next_after(DUE, action_pending=False) is None


def test_overdue_reminders_repeat_until_completed() -> None:
    timing = Timing.build(DUE, [DAY], overdue_every=86400)
    assert timing.next_after(DUE, action_pending=False) == DUE + DAY
    assert timing.next_after(DUE + DAY, action_pending=False) == DUE + 2 * DAY
    assert timing.next_after(DUE + DAY + HOUR, action_pending=False) == DUE + 2 * DAY
    assert timing.latest_reminder(DUE + DAY, DUE + 3 * DAY + HOUR) == Reminder(
        DUE + 3 * DAY, -3 * 86400
    )
    assert timing.latest_reminder(DUE + 4 * DAY + HOUR, DUE + 5 * DAY - HOUR) is None


def test_latest_reminder_in_a_window_is_the_one_sent() -> None:
    timing = default()
    # The bot was down from 4 days before to 1 hour before: only "2 hours before" goes.
    step = plan_step(timing, next_at=DUE - 3 * DAY, action_pending=True, now=DUE - HOUR)
    assert step.reminder == Reminder(DUE - 2 * HOUR, 7200)
    assert not step.run_action and not step.late
    # Down past the deadline: the due action runs and the last reminder is marked late.
    late = plan_step(timing, next_at=DUE - 3 * DAY, action_pending=True, now=DUE + HOUR)
    assert late.run_action and late.late and late.reminder == Reminder(DUE - 2 * HOUR, 7200)


def test_a_tick_before_anything_is_due_does_nothing() -> None:
    step = plan_step(default(), next_at=DUE - 3 * DAY, action_pending=True, now=DUE - 4 * DAY)
    assert step.reminder is None and not step.run_action


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=60, max_value=10 * 86400), max_size=5),
    overdue=st.one_of(st.none(), st.integers(min_value=3600, max_value=3 * 86400)),
    created_before=st.integers(min_value=0, max_value=15 * 86400),
    ticks=st.lists(st.integers(min_value=0, max_value=20 * 86400), max_size=25),
)
def test_any_pattern_of_ticks_sends_each_reminder_at_most_once(
    offsets: list[int], overdue: int | None, created_before: int, ticks: list[int]
) -> None:
    """Simulate the scheduler: ticks at arbitrary moments (gaps are the bot being down). Each
    reminder goes out at most once and never before its moment; the action runs exactly once
    if any tick comes after the deadline; between two ticks only the latest moment goes."""
    timing = Timing.build(DUE, [timedelta(seconds=s) for s in offsets], overdue)
    created = DUE - timedelta(seconds=created_before)
    next_at = timing.next_after(created, action_pending=True)
    action_ran = False
    sent: list[Reminder] = []
    runs = 0
    for moment in sorted(created + timedelta(seconds=t) for t in ticks):
        if next_at is None or next_at > moment:
            continue
        step = plan_step(timing, next_at=next_at, action_pending=not action_ran, now=moment)
        if step.run_action:
            runs += 1
            action_ran = True
        if step.reminder is not None:
            assert created < step.reminder.at <= moment
            assert step.reminder not in sent
            sent.append(step.reminder)
        next_at = timing.next_after(moment, action_pending=not action_ran)
        assert next_at is None or next_at > moment
    assert runs <= 1
    assert [r.at for r in sent] == sorted(r.at for r in sent)
    if any(created + timedelta(seconds=t) >= DUE for t in ticks):
        assert runs == 1


@settings(max_examples=200, deadline=None)
@given(tick_every=st.integers(min_value=60, max_value=3600))
def test_a_bot_that_never_stops_sends_every_reminder_on_time(tick_every: int) -> None:
    timing = default()
    moment = DUE - 4 * DAY
    next_at = timing.next_after(moment, action_pending=True)
    sent = []
    while moment < DUE + DAY:
        moment += timedelta(seconds=tick_every)
        if next_at is not None and next_at <= moment:
            step = plan_step(timing, next_at=next_at, action_pending=True, now=moment)
            if step.reminder:
                sent.append(step.reminder.offset)
                assert moment - step.reminder.at < timedelta(seconds=tick_every)
            next_at = timing.next_after(moment, action_pending=not step.run_action)
            if step.run_action:
                break
    assert sent == [3 * 86400, 86400, 7200]
