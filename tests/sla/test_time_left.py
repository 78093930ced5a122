"""Time left, in the unit a clock counts in: checked by hand on a wall calendar.

November 2026 in London is GMT, so Z times are local times; no bank holiday that month.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla import get_policy
from sla.time_left import (
    complaint_clock_left,
    describe_left,
    describe_paused,
    statutory_days_left,
    unit_of,
    working_days_left,
)
from sla.units import Unit

from .conftest import Z


@pytest.fixture(scope="module")
def putty():  # type: ignore[no-untyped-def]
    return get_policy("electric-putty").calendar()  # Mon-Fri 09:00-17:00


@pytest.fixture(scope="module")
def eshot():  # type: ignore[no-untyped-def]
    return get_policy("e-shot").calendar()  # Mon-Fri 08:30-18:00


def test_a_working_days_clock_says_working_days(putty) -> None:  # type: ignore[no-untyped-def]
    # Normal issue raised Monday 16th 10:00, due Wednesday 18th 10:00.
    due = Z(2026, 11, 18, 10)
    assert describe_left(putty, Unit.WORKING_DAYS, Z(2026, 11, 16, 10), due) == "2 working days"
    # Monday 12:00: Tuesday 12:00 is one working day on; then Tue 12-17 and Wed 9-10 is 6 h.
    assert working_days_left(putty, Z(2026, 11, 16, 12), due) == (1, timedelta(hours=6))
    assert (
        describe_left(putty, Unit.WORKING_DAYS, Z(2026, 11, 16, 12), due)
        == "1 working day and 6 h of business time"
    )
    # Tuesday 16:00: 1 h on Tuesday and 1 h on Wednesday morning, never '18h'.
    assert (
        describe_left(putty, Unit.WORKING_DAYS, Z(2026, 11, 17, 16), due) == "2 h of business time"
    )
    # Over a weekend: Friday 20th 15:00 to Tuesday 24th 15:00 is 2 working days, not 4 days.
    assert (
        describe_left(putty, Unit.WORKING_DAYS, Z(2026, 11, 20, 15), Z(2026, 11, 24, 15))
        == "2 working days"
    )


def test_a_business_hours_clock_says_business_time(eshot) -> None:  # type: ignore[no-untyped-def]
    # DESIGN's example: 8 business hours from Thursday 19th 17:00 are due Friday 15:30; from
    # Thursday 17:00 there are 1 h that evening and 7 h on Friday, not 22 h 30 min.
    assert (
        describe_left(eshot, Unit.BUSINESS_HOURS, Z(2026, 11, 19, 17), Z(2026, 11, 20, 15, 30))
        == "8 h of business time"
    )
    assert (
        describe_left(eshot, Unit.BUSINESS_HOURS, Z(2026, 11, 20, 12, 10), Z(2026, 11, 20, 15, 30))
        == "3 h 20 min of business time"
    )


def test_an_elapsed_clock_says_plain_hours(eshot) -> None:  # type: ignore[no-untyped-def]
    # e-shot P2 out of hours: 4 calendar hours.
    start, due = Z(2026, 11, 21, 22), Z(2026, 11, 22, 2)
    assert describe_left(eshot, Unit.CALENDAR_HOURS, start, due) == "4 h"
    assert describe_left(eshot, Unit.WEEKS, start, start + timedelta(days=9, hours=3)) == (
        "9 days 3 h"
    )


def test_a_statutory_deadline_says_working_days_after_today(eshot) -> None:  # type: ignore[no-untyped-def]
    # DESIGN: received Monday 16th, acknowledgement due at the end of Monday 23rd.
    due = Z(2026, 11, 24)
    assert statutory_days_left(eshot, Z(2026, 11, 16, 15), due) == 5  # Tue-Fri, Mon 23rd
    assert (
        describe_left(eshot, Unit.END_OF_WORKING_DAY, Z(2026, 11, 16, 15), due)
        == "5 working days after today"
    )
    # Saturday 21st: only Monday 23rd is left.
    assert (
        describe_left(eshot, Unit.END_OF_WORKING_DAY, Z(2026, 11, 21, 9), due)
        == "1 working day after today"
    )
    assert (
        describe_left(eshot, Unit.END_OF_WORKING_DAY, Z(2026, 11, 23, 20), due)
        == "until the end of today"
    )
    assert describe_left(eshot, Unit.END_OF_WORKING_DAY, Z(2026, 11, 24, 0, 1), due) == "overdue"


def test_a_complaint_clock_reads_in_its_regimes_unit() -> None:
    # Standard regime, England and Wales: full reply due at the end of Monday 14 December.
    assert (
        complaint_clock_left(
            "standard", "england-and-wales", "reply", Z(2026, 11, 16, 15), Z(2026, 12, 15)
        )
        == "20 working days after today"
    )
    # The FCA's final response is eight weeks: calendar time.
    assert complaint_clock_left(
        "fca", "england-and-wales", "reply", Z(2026, 11, 16, 15), Z(2027, 1, 12)
    ).startswith("56 days")


def test_a_paused_working_days_clock_says_what_it_would_have_if_resumed(putty) -> None:  # type: ignore[no-untyped-def]
    # 16 h of support time frozen = two 8-hour support days, whether asked in hours or not.
    for now in (Z(2026, 11, 17, 14), Z(2026, 11, 17, 20)):
        assert describe_paused(putty, Unit.WORKING_DAYS, now, timedelta(hours=16)) == (
            "2 working days"
        )
    assert describe_paused(putty, Unit.BUSINESS_HOURS, Z(2026, 11, 17, 14), timedelta(hours=3)) == (
        "3 h of business time"
    )


def test_the_unit_comes_from_the_targets_label() -> None:
    assert unit_of("2 working_days") is Unit.WORKING_DAYS
    assert unit_of("1.5 business_hours") is Unit.BUSINESS_HOURS
    assert unit_of("hotfix release") is None
