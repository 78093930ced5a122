"""Pauses, remaining time and warning instants."""

from __future__ import annotations

from datetime import timedelta

from sla import (
    Calendar,
    Clock,
    Unit,
    due_with_pauses,
    merge_pauses,
    paused_time,
    remaining,
    warn_at,
)
from sla.clock import extend_for_pauses

from .conftest import EW, Z

H = timedelta(hours=1)


def test_pause_during_business_hours_carries_the_remaining_time(lon: Calendar) -> None:
    received = Z(2026, 11, 16, 9)
    assert due_with_pauses(lon, received, 8, Unit.BUSINESS_HOURS) == Z(2026, 11, 16, 17)
    # Two hours paused: the last hour runs over into Tuesday.
    assert due_with_pauses(
        lon, received, 8, Unit.BUSINESS_HOURS, [(Z(2026, 11, 16, 10), Z(2026, 11, 16, 12))]
    ) == Z(2026, 11, 17, 9, 30)


def test_resuming_is_adding_the_remaining_time_to_the_resume(lon: Calendar) -> None:
    received = Z(2026, 11, 16, 9)
    original = due_with_pauses(lon, received, 16, Unit.BUSINESS_HOURS)
    assert original == Z(2026, 11, 17, 15, 30)
    paused_at, resumed_at = Z(2026, 11, 16, 17), Z(2026, 11, 17, 9)
    left = remaining(lon, paused_at, original)
    assert left == 8 * H
    paused = due_with_pauses(lon, received, 16, Unit.BUSINESS_HOURS, [(paused_at, resumed_at)])
    assert paused == lon.add_business(resumed_at, left) == Z(2026, 11, 17, 17)


def test_a_running_pause_leaves_the_due_unknown(lon: Calendar) -> None:
    assert (
        due_with_pauses(
            lon, Z(2026, 11, 16, 9), 8, Unit.BUSINESS_HOURS, [(Z(2026, 11, 16, 10), None)]
        )
        is None
    )


def test_pauses_after_the_due_or_before_receipt_change_nothing(lon: Calendar) -> None:
    received = Z(2026, 11, 16, 9)
    later = [(Z(2026, 11, 16, 17), Z(2026, 11, 18, 9))]
    assert due_with_pauses(lon, received, 8, Unit.BUSINESS_HOURS, later) == Z(2026, 11, 16, 17)
    earlier = [(Z(2026, 11, 13, 9), Z(2026, 11, 16, 9))]
    assert due_with_pauses(lon, received, 8, Unit.BUSINESS_HOURS, earlier) == Z(2026, 11, 16, 17)


def test_overlapping_pauses_count_once(lon: Calendar) -> None:
    pauses = [
        (Z(2026, 11, 16, 10), Z(2026, 11, 16, 11, 30)),
        (Z(2026, 11, 16, 11), Z(2026, 11, 16, 12)),
    ]
    assert merge_pauses(pauses) == [(Z(2026, 11, 16, 10), Z(2026, 11, 16, 12))]
    assert due_with_pauses(lon, Z(2026, 11, 16, 9), 4, Unit.BUSINESS_HOURS, pauses) == Z(
        2026, 11, 16, 15
    )


def test_a_pause_taken_in_closed_time_costs_nothing(lon: Calendar) -> None:
    received = Z(2026, 11, 16, 9)
    night = [(Z(2026, 11, 16, 19), Z(2026, 11, 17, 8))]
    assert due_with_pauses(lon, received, 16, Unit.BUSINESS_HOURS, night) == Z(2026, 11, 17, 15, 30)


def test_calendar_hours_pause_by_elapsed_time(lon: Calendar) -> None:
    received = Z(2026, 11, 21, 10)
    assert due_with_pauses(
        lon, received, 4, Unit.CALENDAR_HOURS, [(Z(2026, 11, 21, 11), Z(2026, 11, 21, 12, 30))]
    ) == Z(2026, 11, 21, 15, 30)


def test_working_days_move_by_the_open_time_paused(lon: Calendar) -> None:
    received = Z(2026, 11, 16, 10)
    assert due_with_pauses(lon, received, 2, Unit.WORKING_DAYS) == Z(2026, 11, 18, 10)
    whole_tuesday = [(Z(2026, 11, 16, 18), Z(2026, 11, 17, 18))]
    assert due_with_pauses(lon, received, 2, Unit.WORKING_DAYS, whole_tuesday) == Z(
        2026, 11, 19, 10
    )


def test_end_of_working_day_pauses_round_up_to_whole_days() -> None:
    cal = Calendar.working_days_only("Europe/London", [EW])
    received = Z(2026, 11, 16, 10)
    assert due_with_pauses(cal, received, 5, Unit.END_OF_WORKING_DAY) == Z(2026, 11, 24)
    one_day = [(Z(2026, 11, 17, 12), Z(2026, 11, 18, 12))]
    assert due_with_pauses(cal, received, 5, Unit.END_OF_WORKING_DAY, one_day) == Z(2026, 11, 25)
    three_hours = [(Z(2026, 11, 17, 12), Z(2026, 11, 17, 15))]
    assert due_with_pauses(cal, received, 5, Unit.END_OF_WORKING_DAY, three_hours) == Z(
        2026, 11, 25
    )


def test_release_has_no_due_even_with_pauses(lon: Calendar) -> None:
    assert (
        due_with_pauses(lon, Z(2026, 11, 16, 10), None, Unit.RELEASE, [(Z(2026, 11, 16, 11), None)])
        is None
    )


def test_remaining_is_negative_once_overdue(lon: Calendar) -> None:
    assert remaining(lon, Z(2026, 11, 17, 9, 30), Z(2026, 11, 17, 9)) == -timedelta(minutes=30)
    assert remaining(lon, Z(2026, 11, 21, 9), Z(2026, 11, 21, 13), Clock.ELAPSED) == 4 * H


def test_paused_time(lon: Calendar) -> None:
    pauses = [(Z(2026, 11, 16, 17), Z(2026, 11, 17, 9)), (Z(2026, 11, 17, 12), None)]
    assert paused_time(lon, pauses, Z(2026, 11, 16, 9), Z(2026, 11, 17, 13)) == timedelta(hours=2.5)
    assert (
        paused_time(lon, pauses, Z(2026, 11, 16, 9), Z(2026, 11, 17, 13), Clock.ELAPSED) == 17 * H
    )


def test_warning_at_75_percent(lon: Calendar) -> None:
    start = Z(2026, 11, 19, 17)
    due_at = Z(2026, 11, 20, 15, 30)  # 8 business hours
    assert warn_at(lon, start, due_at) == Z(2026, 11, 20, 13, 30)  # 6 business hours in
    assert warn_at(lon, Z(2026, 11, 21, 10), Z(2026, 11, 21, 14), 0.75, Clock.ELAPSED) == Z(
        2026, 11, 21, 13
    )


def test_warning_moves_with_pauses(lon: Calendar) -> None:
    start = Z(2026, 11, 16, 9)
    nominal = warn_at(lon, start, Z(2026, 11, 16, 17))
    assert nominal == Z(2026, 11, 16, 15)
    assert extend_for_pauses(
        lon, start, nominal, [(Z(2026, 11, 16, 10), Z(2026, 11, 16, 11))], Clock.BUSINESS
    ) == Z(2026, 11, 16, 16)
