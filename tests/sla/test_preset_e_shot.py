"""e-shot (seed 000): every promise of its Customer Promise."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sla import Policy, complaint_deadlines, compute_deadlines, get_policy, on_waiting

from .conftest import Z


@pytest.fixture(scope="module")
def eshot() -> Policy:
    return get_policy("e-shot")


def test_hours_are_monday_to_friday_0830_1800_uk_time_with_english_bank_holidays(
    eshot: Policy,
) -> None:
    cal = eshot.calendar()
    assert cal.timezone == "Europe/London"
    assert cal.open_intervals(date(2026, 11, 16)) == [(Z(2026, 11, 16, 8, 30), Z(2026, 11, 16, 18))]
    assert cal.open_intervals(date(2026, 7, 1)) == [
        (Z(2026, 7, 1, 7, 30), Z(2026, 7, 1, 17))
    ]  # BST
    assert cal.open_intervals(date(2026, 11, 21)) == []
    assert not cal.is_working_day(date(2026, 8, 31))  # English late summer bank holiday
    assert cal.is_working_day(date(2026, 11, 30))  # St Andrew's Day is Scottish only


def test_p1_urgent(eshot: Policy) -> None:
    d = compute_deadlines(eshot, "p1", Z(2026, 11, 16, 10))
    assert d.first_response_due == Z(2026, 11, 16, 11)  # 1 business hour
    assert d.resolution_due == Z(2026, 11, 17, 10)  # initial resolution: 1 working day
    final = d.deadlines["final_resolution"]
    assert final.due is None and final.status == "release" and final.target.release == "hotfix"


def test_p1_late_on_friday_runs_into_monday(eshot: Policy) -> None:
    d = compute_deadlines(eshot, "p1", Z(2026, 11, 20, 17, 30))
    assert d.first_response_due == Z(2026, 11, 23, 9)
    assert d.resolution_due == Z(2026, 11, 23, 17, 30)


def test_p2_high_in_hours_is_2_business_hours(eshot: Policy) -> None:
    d = compute_deadlines(eshot, "p2", Z(2026, 11, 20, 17))
    assert d.first_response_due == Z(2026, 11, 23, 9, 30)
    assert not d.deadlines["first_response"].out_of_hours
    assert d.resolution_due == Z(2026, 11, 24, 17)  # 2 working days
    assert d.deadlines["final_resolution"].target.release == "hotfix"


@pytest.mark.parametrize(
    "received, expected",
    [
        (Z(2026, 11, 21, 10), Z(2026, 11, 21, 14)),  # Saturday
        (Z(2026, 11, 17, 18), Z(2026, 11, 17, 22)),  # exactly at closing time
        (Z(2026, 11, 17, 6), Z(2026, 11, 17, 10)),  # before opening
        (Z(2026, 12, 25, 9), Z(2026, 12, 25, 13)),  # Christmas Day
        (Z(2026, 7, 1, 17, 30), Z(2026, 7, 1, 21, 30)),  # 18:30 BST
    ],
)
def test_p2_out_of_hours_is_4_calendar_hours(eshot: Policy, received, expected) -> None:
    d = compute_deadlines(eshot, "p2", received)
    assert d.first_response_due == expected
    assert d.deadlines["first_response"].out_of_hours
    assert d.deadlines["first_response"].target.unit == "calendar_hours"
    assert not d.open_at_receipt


@pytest.mark.parametrize("priority", ["p3", "p4"])
def test_p3_and_p4(eshot: Policy, priority: str) -> None:
    d = compute_deadlines(eshot, priority, Z(2026, 11, 18, 10, 15))
    assert d.first_response_due == Z(2026, 11, 19, 10, 15)  # 1 working day
    assert d.resolution_due is None
    assert d.deadlines["resolution"].status == "release"
    assert d.deadlines["resolution"].target.release == "maintenance"
    assert d.deadlines["final_resolution"].target.release == "maintenance"


def test_summary_has_iso_dates_with_offsets_and_nulls(eshot: Policy) -> None:
    summary = compute_deadlines(eshot, "p1", Z(2026, 11, 16, 10)).summary()
    assert summary == {
        "first_response_due": "2026-11-16T11:00:00+00:00",
        "resolution_due": "2026-11-17T10:00:00+00:00",
        "final_resolution_due": None,
    }


def test_warning_at_75_percent(eshot: Policy) -> None:
    d = compute_deadlines(eshot, "p1", Z(2026, 11, 16, 10))
    assert d.deadlines["first_response"].warnings == (Z(2026, 11, 16, 10, 45),)


def test_complaints_acknowledged_in_5_working_days_full_reply_in_20(eshot: Policy) -> None:
    d = complaint_deadlines(eshot, Z(2026, 11, 16, 11))
    assert d["acknowledge"].due == Z(2026, 11, 24)
    assert d["full_reply"].due == Z(2026, 12, 15)
    assert eshot.complaints is not None and eshot.complaints.holding_reply


def test_emergency_support_is_24_7(eshot: Policy) -> None:
    assert eshot.emergency_support is not None
    assert eshot.calendar(eshot.emergency_support.calendar).is_always_open


def test_maintenance_window_and_notice(eshot: Policy) -> None:
    m = eshot.maintenance
    assert m is not None and m.window == "20:00-02:00"
    assert m.notice.due(eshot.calendar(), Z(2026, 11, 16, 12)) == Z(2026, 11, 18, 12)


def test_account_services_and_published_figures(eshot: Policy) -> None:
    services = eshot.account_services
    assert services is not None
    standard = services.editions[services.default_edition]
    assert (
        standard.monthly_reporting
        and standard.quarterly_business_review
        and standard.onboarding_objectives
    )
    assert not standard.account_manager
    figures = {f.metric: f for f in eshot.published_figures}
    assert figures["median_first_response"].seconds == 60
    assert timedelta(seconds=figures["median_time_to_close"].seconds) == timedelta(
        hours=1, minutes=11
    )
    assert figures["median_time_to_close"].period_start == date(2023, 7, 1)


def test_waiting_on_the_customer_pauses(eshot: Policy) -> None:
    action = on_waiting(eshot, "p1")
    assert action.pause and action.regrade_to is None
