"""Spotler (seed 001): every promise of its Support Charter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla import Policy, compute_deadlines, get_policy, on_waiting, triage

from .conftest import Z


@pytest.fixture(scope="module")
def spotler() -> Policy:
    return get_policy("spotler")


def test_priorities(spotler: Policy) -> None:
    assert list(spotler.priorities) == ["high", "medium", "low"]


@pytest.mark.parametrize("priority", ["high", "medium", "low"])
def test_first_response_within_one_business_hour_for_85_percent(
    spotler: Policy, priority: str
) -> None:
    d = compute_deadlines(spotler, priority, Z(2026, 11, 17, 17, 30))
    assert d.first_response_due == Z(2026, 11, 18, 9)
    assert d.deadlines["first_response"].attainment_goal == 0.85
    assert d.deadlines["resolution"].attainment_goal == 0.95


def test_high_is_8_working_hours(spotler: Policy) -> None:
    assert compute_deadlines(spotler, "high", Z(2026, 11, 17, 9)).resolution_due == Z(
        2026, 11, 17, 17
    )
    assert compute_deadlines(spotler, "high", Z(2026, 11, 19, 17)).resolution_due == Z(
        2026, 11, 20, 15, 30
    )


def test_medium_is_16_working_hours(spotler: Policy) -> None:
    assert compute_deadlines(spotler, "medium", Z(2026, 11, 16, 9)).resolution_due == Z(
        2026, 11, 17, 15, 30
    )


def test_low_is_10_working_days(spotler: Policy) -> None:
    assert compute_deadlines(spotler, "low", Z(2026, 11, 18, 10, 15)).resolution_due == Z(
        2026, 12, 2, 10, 15
    )


def test_support_line_hours(spotler: Policy) -> None:
    cal = spotler.calendar()
    week = cal.business_between(Z(2026, 11, 16), Z(2026, 11, 23))
    assert week == timedelta(hours=5 * 9.5)  # "9.5 working hours" a day


@pytest.mark.parametrize(
    "scheduled_in, expected",
    [
        (timedelta(hours=5), "high"),
        (timedelta(hours=24), "high"),
        (timedelta(hours=24, minutes=1), "medium"),
        (timedelta(days=3), "medium"),
        (timedelta(days=3, minutes=1), "low"),  # the seed's 3-10 day gap: chosen Low
        (timedelta(days=12), "low"),
        (-timedelta(hours=2), "high"),  # a send that is already late
    ],
)
def test_triage_follows_how_soon_the_campaign_is_scheduled(
    spotler: Policy, scheduled_in: timedelta, expected: str
) -> None:
    received = Z(2026, 11, 17, 10)
    assert triage(spotler, received, {"campaign_scheduled_at": received + scheduled_in}) == expected


def test_triage_without_a_campaign_is_low(spotler: Policy) -> None:
    assert triage(spotler, Z(2026, 11, 17, 10), {}) == "low"
    assert triage(spotler, Z(2026, 11, 17, 10), {"campaign_scheduled_at": None}) == "low"


def test_waiting_on_the_customer_regrades_high_to_medium_and_marks_delayed(spotler: Policy) -> None:
    action = on_waiting(spotler, "high")
    assert action.regrade_to == "medium" and action.mark_delayed and not action.pause
    received = Z(2026, 11, 16, 9)
    # Re-graded deadlines count from receipt as if Medium had applied all along.
    assert compute_deadlines(spotler, action.regrade_to, received).resolution_due == Z(
        2026, 11, 17, 15, 30
    )


@pytest.mark.parametrize("priority", ["medium", "low"])
def test_waiting_on_the_customer_pauses_the_other_levels(spotler: Policy, priority: str) -> None:
    action = on_waiting(spotler, priority)
    assert action.pause and action.regrade_to is None and not action.mark_delayed


@pytest.mark.parametrize(
    "kind, route", [("enhancement", "development"), ("advice", "account_manager")]
)
def test_enhancements_and_advice_carry_no_clock(spotler: Policy, kind: str, route: str) -> None:
    assert spotler.request_type(kind).route_to == route
    d = compute_deadlines(spotler, "low", Z(2026, 11, 16, 9), request_type=kind)
    assert d.first_response_due is None and d.resolution_due is None
    assert {x.status for x in d.deadlines.values()} == {"no_clock"}


def test_support_request_has_a_clock(spotler: Policy) -> None:
    d = compute_deadlines(spotler, "low", Z(2026, 11, 16, 9), request_type="support")
    assert d.first_response_due == Z(2026, 11, 16, 10)


def test_escalation_lines_and_confirmation(spotler: Policy) -> None:
    assert spotler.escalation == ["assignee", "account_manager", "customer_services_manager"]
    assert [line.key for line in spotler.support_lines] == ["1st", "2nd", "3rd"]
    assert spotler.tickets.reference_number and spotler.tickets.confirmation
