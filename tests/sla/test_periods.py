"""Reporting months and when their reports fall due, hand-computed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import sla
from sla.periods import (
    BadPeriod,
    month_bounds,
    month_label,
    next_monthly_run,
    period_reported_at,
    previous_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
)


def Z(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_month_bounds_follow_the_zone_across_daylight_saving() -> None:
    # October 2026 in London starts in summer time (23:00 UTC the day before) and ends in GMT.
    assert month_bounds("2026-10", "Europe/London") == (Z(2026, 9, 30, 23), Z(2026, 11, 1))
    assert month_bounds("2026-12", "America/Los_Angeles") == (Z(2026, 12, 1, 8), Z(2027, 1, 1, 8))
    assert month_label("2026-10") == "October 2026"


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-10", "2026-00", "1999-12", ""])
def test_malformed_periods_are_refused(period: str) -> None:
    with pytest.raises(BadPeriod, match="is not a month like 2026-11"):
        month_bounds(period, "Europe/London")


def test_the_monthly_run_is_the_first_working_day_at_seven() -> None:
    uk = sla.get_policy("e-shot").calendar()
    # Tuesday 1 December 2026, 07:00 GMT.
    assert next_monthly_run(uk, Z(2026, 11, 21, 12)) == Z(2026, 12, 1, 7)
    # New Year's Day is a Friday, then a weekend: Monday 4 January 2027.
    assert next_monthly_run(uk, Z(2026, 12, 1, 7)) == Z(2027, 1, 4, 7)
    # Just before the run, the run; 1 March 2026 is a Sunday: Monday 2nd.
    assert next_monthly_run(uk, Z(2026, 2, 27, 9)) == Z(2026, 3, 2, 7)
    # May 2026 begins on a Friday (the bank holiday is Monday 4th); 07:00 BST is 06:00 UTC.
    assert next_monthly_run(uk, Z(2026, 4, 15)) == Z(2026, 5, 1, 6)
    assert period_reported_at(uk, Z(2027, 1, 4, 7)) == "2026-12"


def test_an_account_in_california_runs_on_its_own_clock() -> None:
    pacific = sla.get_policy("essensys").calendar("us-pacific")
    # 07:00 PST on Tuesday 1 December 2026 is 15:00 UTC.
    assert next_monthly_run(pacific, Z(2026, 11, 21)) == Z(2026, 12, 1, 15)


def test_quarters() -> None:
    assert quarter_of(date(2026, 11, 22)) == "2026-Q4"
    assert previous_quarter(date(2027, 1, 4)) == "2026-Q4"
    assert quarter_label("2026-Q4") == "Q4 2026 (October to December)"
    # Q1 2027 in London: GMT throughout; Q2 starts in summer time.
    assert quarter_bounds("2027-Q1", "Europe/London") == (Z(2027, 1, 1), Z(2027, 3, 31, 23))
    with pytest.raises(BadPeriod):
        quarter_bounds("2027-Q5", "Europe/London")
