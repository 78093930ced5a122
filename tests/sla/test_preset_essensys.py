"""essensys (seed 004): live-chat hours per time zone, representatives, editions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sla import Policy, UnknownCalendar, compute_deadlines, get_policy

from .conftest import Z

H = timedelta(hours=1)


@pytest.fixture(scope="module")
def essensys() -> Policy:
    return get_policy("essensys")


def test_regions_and_zones(essensys: Policy) -> None:
    zones = {key: essensys.calendar(key).timezone for key in essensys.calendars}
    assert zones == {
        "uk-eu": "Europe/London",
        "us-eastern": "America/New_York",
        "us-central": "America/Chicago",
        "us-pacific": "America/Los_Angeles",
        "apac": "Asia/Singapore",
    }
    assert essensys.default_calendar == "uk-eu"


def test_business_days_are_open_all_day_to_the_end_of_23_59(essensys: Policy) -> None:
    uk = essensys.calendar("uk-eu")
    assert uk.is_open(Z(2026, 11, 16, 23, 59, 30))
    assert uk.business_between(Z(2026, 11, 16), Z(2026, 11, 17)) == 24 * H
    assert not uk.is_open(Z(2026, 11, 21, 12))
    assert not uk.is_working_day(date(2026, 12, 28))  # Boxing Day substitute


@pytest.mark.parametrize(
    "region, close", [("us-eastern", 20), ("us-central", 19), ("us-pacific", 17)]
)
def test_us_early_friday_close(essensys: Policy, region: str, close: int) -> None:
    cal = essensys.calendar(region)
    intervals = cal.open_intervals(date(2026, 11, 13))
    assert len(intervals) == 1
    local_close = intervals[0][1].astimezone(cal._tz)  # noqa: SLF001 - the test reads the zone
    assert (local_close.hour, local_close.minute) == (close, 0)
    # All three close at the same instant: Saturday 01:00Z in winter.
    assert intervals[0][1] == Z(2026, 11, 14, 1)
    assert (
        cal.open_intervals(date(2026, 11, 12))[0][1] - cal.open_intervals(date(2026, 11, 12))[0][0]
        == 24 * H
    )


def test_us_pst_friday_17_00(essensys: Policy) -> None:
    pacific = essensys.calendar("us-pacific")
    assert pacific.is_open(Z(2026, 11, 14, 0, 59))  # 16:59 PST
    assert not pacific.is_open(Z(2026, 11, 14, 1))  # 17:00 PST
    d = compute_deadlines(essensys, "p1", Z(2026, 11, 13, 21, 50), calendar="us-pacific")
    assert d.first_response_due == Z(2026, 11, 13, 22, 5)
    assert d.resolution_due == Z(
        2026, 11, 16, 8, 50
    )  # 3h10 on Friday, 50 min from Monday 00:00 PST


def test_us_dst_changes(essensys: Policy) -> None:
    # Spring forward 8 March 2026: Fri 17:00 PST = 01:00Z; Monday opens 00:00 PDT = 07:00Z.
    d = compute_deadlines(essensys, "p1", Z(2026, 3, 6, 23), calendar="us-pacific")
    assert d.resolution_due == Z(2026, 3, 9, 9)
    # Fall back 1 November 2026: Fri 17:00 PDT = 00:00Z; Monday opens 00:00 PST = 08:00Z.
    d = compute_deadlines(essensys, "p1", Z(2026, 10, 30, 22), calendar="us-pacific")
    assert d.resolution_due == Z(2026, 11, 2, 10)
    eastern = compute_deadlines(essensys, "p1", Z(2026, 3, 6, 23), calendar="us-eastern")
    assert eastern.resolution_due == Z(2026, 3, 9, 6)


def test_us_federal_holiday(essensys: Policy) -> None:
    eastern = essensys.calendar("us-eastern")
    assert not eastern.is_working_day(date(2026, 11, 26))  # Thanksgiving
    d = compute_deadlines(essensys, "p4", Z(2026, 11, 25, 15), calendar="us-eastern")
    assert d.first_response_due == Z(2026, 11, 27, 15)


def test_apac_singapore(essensys: Policy) -> None:
    apac = essensys.calendar("apac")
    assert apac.open_intervals(date(2026, 11, 16)) == [(Z(2026, 11, 15, 16), Z(2026, 11, 16, 16))]
    assert not apac.is_working_day(date(2026, 8, 10))  # National Day observed


def test_priorities_are_marked_chosen(essensys: Policy) -> None:
    assert list(essensys.priorities) == ["p1", "p2", "p3", "p4"]
    assert any("CHOSEN, NOT PUBLISHED" in note for note in essensys.notes)
    for prio in essensys.priorities.values():
        for target in prio.targets.values():
            assert "Chosen" in target.note


def test_region_must_exist(essensys: Policy) -> None:
    with pytest.raises(UnknownCalendar, match="mars"):
        compute_deadlines(essensys, "p1", Z(2026, 11, 16), calendar="mars")


def test_representatives_and_closing(essensys: Policy) -> None:
    tickets = essensys.tickets
    assert tickets.close_requires_representative
    assert tickets.raised_by == "authorised_representative"
    fields = {f.key: f.when for f in tickets.required_fields}
    assert fields == {
        "representative_name": "always",
        "contact_phone": "always",
        "management_system_login": "if_requested",
        "description": "always",
    }


def test_editions(essensys: Policy) -> None:
    services = essensys.account_services
    assert services is not None
    enterprise, other = essensys.entitlements("enterprise"), essensys.entitlements("standard")
    for name in (
        "customer_success_manager",
        "quarterly_business_review",
        "incident_reporting",
        "monthly_reporting",
    ):
        assert getattr(enterprise, name) is True
        assert getattr(other, name) is False
