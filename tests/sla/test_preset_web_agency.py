"""The web agency (seed 002): its three service levels."""

from __future__ import annotations

import pytest

from sla import Policy, compute_deadlines, get_policy

from .conftest import Z


@pytest.fixture(scope="module")
def agency() -> Policy:
    return get_policy("web-agency")


def test_levels(agency: Policy) -> None:
    assert set(agency.priorities) == {"user-support", "bug-fix", "mission-critical"}


def test_user_support_reply_within_3_working_days(agency: Policy) -> None:
    d = compute_deadlines(agency, "user-support", Z(2026, 11, 16, 14))
    assert d.first_response_due == Z(2026, 11, 19, 14)
    assert d.resolution_due is None and d.deadlines["resolution"].status == "not_promised"


def test_user_support_after_5pm_counts_from_next_morning(agency: Policy) -> None:
    d = compute_deadlines(agency, "user-support", Z(2026, 11, 16, 17, 30))
    assert d.first_response_due == Z(2026, 11, 20, 9)


def test_bug_fix_answered_in_1_working_day_and_fixed_within_1_to_2_more(agency: Policy) -> None:
    d = compute_deadlines(agency, "bug-fix", Z(2026, 11, 20, 16, 30))  # Friday
    assert d.first_response_due == Z(2026, 11, 23, 16, 30)
    assert d.resolution_due == Z(2026, 11, 25, 16, 30)


def test_mission_critical_is_worked_24_7(agency: Policy) -> None:
    d = compute_deadlines(agency, "mission-critical", Z(2026, 11, 21, 3))  # Saturday night
    assert d.calendar == "around-the-clock"
    assert d.first_response_due == Z(2026, 11, 21, 4)
    assert d.resolution_due == Z(2026, 11, 21, 7)
    assert agency.calendar("around-the-clock").is_always_open


def test_office_hours_and_monitoring(agency: Policy) -> None:
    cal = agency.calendar("office")
    assert cal.is_open(Z(2026, 11, 16, 9)) and not cal.is_open(Z(2026, 11, 16, 17))
    assert agency.monitoring is not None and agency.monitoring.interval_minutes == 5
