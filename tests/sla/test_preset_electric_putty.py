"""Electric Putty (seed 003): response times in support hours, bank holidays, Christmas closure."""

from __future__ import annotations

from datetime import date

import pytest

from sla import Policy, compute_deadlines, get_policy

from .conftest import Z


@pytest.fixture(scope="module")
def putty() -> Policy:
    return get_policy("electric-putty")


def test_critical_within_1_hour_of_support_hours(putty: Policy) -> None:
    assert compute_deadlines(putty, "critical", Z(2026, 11, 16, 16, 30)).first_response_due == Z(
        2026, 11, 17, 9, 30
    )


def test_normal_within_48_support_hours(putty: Policy) -> None:
    # Six 8-hour days: Monday 09:00 to the following Monday's close.
    assert compute_deadlines(putty, "normal", Z(2026, 11, 16, 9)).first_response_due == Z(
        2026, 11, 23, 17
    )


def test_low_within_72_support_hours(putty: Policy) -> None:
    assert compute_deadlines(putty, "low", Z(2026, 11, 16, 9)).first_response_due == Z(
        2026, 11, 26, 17
    )


def test_no_resolution_is_promised(putty: Policy) -> None:
    d = compute_deadlines(putty, "critical", Z(2026, 11, 16, 9))
    assert d.resolution_due is None and d.deadlines["resolution"].status == "not_promised"


def test_christmas_closure(putty: Policy) -> None:
    assert compute_deadlines(putty, "critical", Z(2026, 12, 23, 16, 30)).first_response_due == Z(
        2027, 1, 4, 9, 30
    )
    assert compute_deadlines(putty, "normal", Z(2026, 12, 21, 9)).first_response_due == Z(
        2027, 1, 6, 17
    )
    cal = putty.calendar()
    for day in (date(2027, 12, 24), date(2027, 12, 29), date(2028, 1, 1)):
        assert not cal.is_working_day(day)
    assert putty.calendars["support"].closures[0].note.startswith("Chosen")


def test_bank_holidays(putty: Policy) -> None:
    # Late summer bank holiday, Monday 31 August 2026.
    assert compute_deadlines(putty, "critical", Z(2026, 8, 28, 15, 30)).first_response_due == Z(
        2026, 9, 1, 8, 30
    )
