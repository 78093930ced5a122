"""Maintenance windows under e-shot's promise (20:00 to 02:00 UK time, 2 days' notice), checked
by hand: every instant below is worked out in UTC from the UK clock on that date, including the
two nights a year the clocks change (2026: Sunday 29 March, forward at 01:00 GMT; Sunday 25
October, back at 02:00 BST)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sla import Policy, get_policy
from sla.maintenance_rules import (
    Refusal,
    check_window,
    earliest_start,
    night_around,
    night_of,
    notice_words,
)

from .conftest import Z

# Announced well ahead of every window below unless a case says otherwise.
EARLY = Z(2026, 1, 2, 9)


@pytest.fixture(scope="module")
def eshot() -> Policy:
    return get_policy("e-shot")


def fields(refusals: list[Refusal]) -> list[str]:
    return [r.field for r in refusals]


# (starts_at, ends_at, fields refused, why: the local times by hand)
CASES = [
    # winter (GMT = UTC)
    (Z(2026, 12, 8, 20), Z(2026, 12, 9, 2), [], "Tue 20:00 to Wed 02:00 GMT: the whole window"),
    (Z(2026, 12, 8, 23), Z(2026, 12, 9, 1), [], "23:00 to 01:00: crosses midnight inside it"),
    (Z(2026, 12, 9, 0, 30), Z(2026, 12, 9, 1, 30), [], "00:30 to 01:30: the night before's"),
    (Z(2026, 12, 8, 21), Z(2026, 12, 8, 23), [], "21:00 to 23:00"),
    (Z(2026, 12, 8, 19, 30), Z(2026, 12, 8, 21), ["starts_at"], "starts at 19:30"),
    (Z(2026, 12, 8, 23), Z(2026, 12, 9, 2, 30), ["ends_at"], "ends at 02:30"),
    (Z(2026, 12, 9, 2), Z(2026, 12, 9, 3), ["starts_at"], "starts at 02:00, when it closes"),
    (Z(2026, 12, 8, 12), Z(2026, 12, 8, 13), ["starts_at"], "midday"),
    (Z(2026, 12, 8, 20), Z(2026, 12, 9, 21), ["ends_at"], "runs into the next night"),
    # summer (BST = UTC+1): 20:00 local is 19:00Z, 02:00 local is 01:00Z
    (Z(2026, 7, 14, 19), Z(2026, 7, 15, 1), [], "20:00 to 02:00 BST"),
    (Z(2026, 7, 14, 18, 30), Z(2026, 7, 14, 20), ["starts_at"], "starts at 19:30 BST"),
    (Z(2026, 7, 14, 23), Z(2026, 7, 15, 1, 30), ["ends_at"], "ends at 02:30 BST"),
    # spring forward, Sat 28 to Sun 29 March: 20:00 GMT (20:00Z) to 02:00 BST (01:00Z), 5 hours
    (Z(2026, 3, 28, 20), Z(2026, 3, 29, 1), [], "20:00 GMT to 02:00 BST: all 5 hours"),
    (Z(2026, 3, 29, 0, 30), Z(2026, 3, 29, 1), [], "00:30 GMT to 02:00 BST: half an hour"),
    (Z(2026, 3, 28, 22), Z(2026, 3, 29, 1, 30), ["ends_at"], "ends at 02:30 BST"),
    (Z(2026, 3, 29, 1), Z(2026, 3, 29, 2), ["starts_at"], "02:00 to 03:00 BST"),
    (Z(2026, 3, 28, 19, 30), Z(2026, 3, 28, 21), ["starts_at"], "starts at 19:30 GMT"),
    # fall back, Sat 24 to Sun 25 October: 20:00 BST (19:00Z) to 02:00 GMT (02:00Z), 7 hours
    (Z(2026, 10, 24, 19), Z(2026, 10, 25, 2), [], "20:00 BST to 02:00 GMT: all 7 hours"),
    (Z(2026, 10, 25, 0, 30), Z(2026, 10, 25, 1, 30), [], "01:30 BST to 01:30 GMT: 01:30 twice"),
    (Z(2026, 10, 25, 1, 30), Z(2026, 10, 25, 2, 30), ["ends_at"], "01:30 to 02:30 GMT"),
    (Z(2026, 10, 25, 0, 30), Z(2026, 10, 25, 2, 30), ["ends_at"], "01:30 BST to 02:30 GMT"),
    (Z(2026, 10, 24, 18, 30), Z(2026, 10, 24, 20), ["starts_at"], "starts at 19:30 BST"),
    # the end before the start is refused before anything else is looked at
    (Z(2026, 12, 8, 23), Z(2026, 12, 8, 22), ["ends_at"], "ends before it starts"),
    (Z(2026, 12, 8, 23), Z(2026, 12, 8, 23), ["ends_at"], "ends as it starts"),
]


@pytest.mark.parametrize(("starts", "ends", "refused", "why"), CASES, ids=[c[3] for c in CASES])
def test_windows_in_and_out_of_the_nightly_hours(
    eshot: Policy, starts: datetime, ends: datetime, refused: list[str], why: str
) -> None:
    assert fields(check_window(eshot, starts, ends, EARLY)) == refused, why


def test_the_nights_the_clocks_change_last_five_and_seven_real_hours(eshot: Policy) -> None:
    spring = night_of(eshot, Z(2026, 3, 28).date())
    autumn = night_of(eshot, Z(2026, 10, 24).date())
    ordinary = night_of(eshot, Z(2026, 12, 8).date())
    assert spring is not None and autumn is not None and ordinary is not None
    assert (spring.opens, spring.closes) == (Z(2026, 3, 28, 20), Z(2026, 3, 29, 1))
    assert spring.closes - spring.opens == timedelta(hours=5)
    assert (autumn.opens, autumn.closes) == (Z(2026, 10, 24, 19), Z(2026, 10, 25, 2))
    assert autumn.closes - autumn.opens == timedelta(hours=7)
    assert ordinary.closes - ordinary.opens == timedelta(hours=6)
    # Inside the repeated hour, both 01:30s belong to the same night.
    assert night_around(eshot, Z(2026, 10, 25, 0, 30)) == autumn
    assert night_around(eshot, Z(2026, 10, 25, 1, 30)) == autumn
    assert night_around(eshot, Z(2026, 10, 25, 2)) is None


def test_two_days_notice_is_needed_and_the_refusal_says_when_is_possible(eshot: Policy) -> None:
    starts, ends = Z(2026, 12, 8, 20), Z(2026, 12, 8, 22)  # Tuesday 20:00 GMT
    # Announced on Sunday 6 December at 20:00: exactly two days ahead, allowed.
    assert check_window(eshot, starts, ends, Z(2026, 12, 6, 20)) == []
    # A minute later is too late.
    [refusal] = check_window(eshot, starts, ends, Z(2026, 12, 6, 20, 1))
    assert refusal.field == "starts_at"
    # Announced Monday 7 December at noon: the notice runs out Wednesday at noon, and the
    # first window after that opens Wednesday 20:00.
    [refusal] = check_window(eshot, starts, ends, Z(2026, 12, 7, 12))
    assert refusal == Refusal(
        "starts_at",
        "is too soon: e-shot Customer Success promises customers at least 2 days' notice of "
        "maintenance, so a window announced now may start at 20:00 on Wednesday 9 December "
        "2026 (UK time) at the earliest",
    )
    assert earliest_start(eshot, Z(2026, 12, 7, 12)) == Z(2026, 12, 9, 20)
    # Notice running out inside a window: that moment itself (Wednesday 21:30).
    assert earliest_start(eshot, Z(2026, 12, 7, 21, 30)) == Z(2026, 12, 9, 21, 30)
    assert notice_words(eshot) == "2 days"


def test_a_window_too_soon_and_outside_the_hours_is_told_both(eshot: Policy) -> None:
    refusals = check_window(eshot, Z(2026, 12, 8, 12), Z(2026, 12, 8, 13), Z(2026, 12, 8, 9))
    assert fields(refusals) == ["starts_at", "starts_at"]
    assert "too soon" in refusals[0].message
    assert refusals[1].message == (
        "falls outside the maintenance hours e-shot Customer Success promises, 20:00 to 02:00 "
        "UK time: start at or after 20:00 and finish by 02:00"
    )


def test_running_past_two_names_the_end_of_that_night_in_its_own_clock(eshot: Policy) -> None:
    [refusal] = check_window(eshot, Z(2026, 3, 28, 22), Z(2026, 3, 29, 1, 30), EARLY)
    assert refusal.message.endswith("must finish by 02:00 on Sunday 29 March 2026 (UK time)")
    [refusal] = check_window(eshot, Z(2026, 10, 25, 1, 30), Z(2026, 10, 25, 2, 30), EARLY)
    assert refusal.message.endswith("must finish by 02:00 on Sunday 25 October 2026 (UK time)")


def test_a_policy_without_a_maintenance_rule_only_needs_the_end_after_the_start() -> None:
    agency = get_policy("web-agency")
    assert agency.maintenance is None
    noon = Z(2026, 12, 8, 12)
    # Any hour, announced a minute before.
    assert check_window(agency, noon, noon + timedelta(hours=3), noon - timedelta(minutes=1)) == []
    assert fields(check_window(agency, noon, noon - timedelta(hours=1), EARLY)) == ["ends_at"]
    assert check_window(None, noon, noon + timedelta(hours=1), noon) == []


def test_under_every_policy_a_window_lasts_at_most_a_week_and_starts_within_a_year() -> None:
    agency = get_policy("web-agency")
    noon = Z(2026, 12, 8, 12)
    announced = noon - timedelta(days=1)
    week = check_window(agency, noon, noon + timedelta(days=7), announced)
    assert week == []
    [long] = check_window(agency, noon, noon + timedelta(days=7, minutes=1), announced)
    assert long.field == "ends_at" and "at most 7 days" in long.message
    assert check_window(None, noon, noon + timedelta(days=365), announced)[0].field == "ends_at"
    year_on = Z(2027, 12, 10, 12)  # 367 days after the announcement
    [far] = check_window(agency, year_on, year_on + timedelta(hours=1), announced)
    assert far == Refusal(
        "starts_at",
        "is too far ahead: a window may be announced at most a year ahead, so it must start "
        "by 8 December 2027",
    )


def test_the_nightly_rule_still_applies_to_a_window_within_the_limits(eshot: Policy) -> None:
    # Within a week and a year, so e-shot's own hours decide: a midday start is refused.
    refusals = check_window(eshot, Z(2026, 12, 8, 12), Z(2026, 12, 8, 13), EARLY)
    assert fields(refusals) == ["starts_at"] and "maintenance hours" in refusals[0].message
