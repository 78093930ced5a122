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


# "Within 48 hours" / "72 hours" during support hours, read as the customer reads them: two
# and three days of support. Checked by hand on a wall calendar: November 2026, GMT (so Z is
# local time), no bank holidays that month.


def test_normal_within_48_hours_is_2_working_days(putty: Policy) -> None:
    # Monday 16 Nov 10:00 -> Tuesday (1), Wednesday (2) 18 Nov at 10:00.
    assert compute_deadlines(putty, "normal", Z(2026, 11, 16, 10)).first_response_due == Z(
        2026, 11, 18, 10
    )
    # Friday 20 Nov 15:00 -> Monday (1), Tuesday (2) 24 Nov at 15:00: the weekend is not support.
    assert compute_deadlines(putty, "normal", Z(2026, 11, 20, 15)).first_response_due == Z(
        2026, 11, 24, 15
    )
    # Saturday 21 Nov noon is out of hours: counted from Monday 23 Nov 09:00 -> Wed 25 09:00.
    assert compute_deadlines(putty, "normal", Z(2026, 11, 21, 12)).first_response_due == Z(
        2026, 11, 25, 9
    )


def test_low_within_72_hours_is_3_working_days(putty: Policy) -> None:
    # Monday 16 Nov 10:00 -> Tue (1), Wed (2), Thu (3) 19 Nov at 10:00; not 72 support hours,
    # which would run to Thursday 26 Nov.
    d = compute_deadlines(putty, "low", Z(2026, 11, 16, 10))
    assert d.first_response_due == Z(2026, 11, 19, 10)
    assert d.deadlines["first_response"].target.label() == "3 working_days"


def test_no_resolution_is_promised(putty: Policy) -> None:
    d = compute_deadlines(putty, "critical", Z(2026, 11, 16, 9))
    assert d.resolution_due is None and d.deadlines["resolution"].status == "not_promised"


def test_christmas_closure(putty: Policy) -> None:
    assert compute_deadlines(putty, "critical", Z(2026, 12, 23, 16, 30)).first_response_due == Z(
        2027, 1, 4, 9, 30
    )
    # Wednesday 23 Dec 11:00: closed 24 Dec to 1 Jan, weekend 2-3 Jan; Mon 4 (1), Tue 5 (2).
    assert compute_deadlines(putty, "normal", Z(2026, 12, 23, 11)).first_response_due == Z(
        2027, 1, 5, 11
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
