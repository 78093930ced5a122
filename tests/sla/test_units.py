"""Calendar units (days, weeks, months), unit names and amounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla import Calendar, Unit, due
from sla.units import parse_unit

from .conftest import Z


def test_calendar_days_keep_local_wall_time(lon: Calendar) -> None:
    # 10:00 GMT on Friday 27 March, three days later is 10:00 BST.
    assert due(lon, Z(2026, 3, 27, 10), 3, Unit.CALENDAR_DAYS) == Z(2026, 3, 30, 9)


def test_weeks(lon: Calendar) -> None:
    assert due(lon, Z(2026, 1, 15, 12), 8, Unit.WEEKS) == Z(2026, 3, 12, 12)  # the FCA's 8 weeks


def test_calendar_months_clamp_to_the_end_of_a_shorter_month(lon: Calendar) -> None:
    assert due(lon, Z(2026, 1, 31, 10), 1, Unit.CALENDAR_MONTHS) == Z(2026, 2, 28, 10)
    assert due(lon, Z(2028, 1, 31, 10), 1, Unit.CALENDAR_MONTHS) == Z(2028, 2, 29, 10)
    assert due(lon, Z(2026, 3, 15, 10), 1, Unit.CALENDAR_MONTHS) == Z(2026, 4, 15, 9)
    assert due(lon, Z(2026, 12, 15, 10), 1, Unit.CALENDAR_MONTHS) == Z(2027, 1, 15, 10)
    assert due(lon, Z(2026, 3, 15, 10), 12, Unit.CALENDAR_MONTHS) == Z(2027, 3, 15, 10)


def test_calendar_hours_and_minutes_ignore_the_calendar(lon: Calendar) -> None:
    assert due(lon, Z(2026, 3, 28, 23), 4, Unit.CALENDAR_HOURS) == Z(2026, 3, 29, 3)
    assert due(lon, Z(2026, 3, 28, 23), 90, Unit.CALENDAR_MINUTES) == Z(2026, 3, 29, 0, 30)


def test_business_minutes_and_fractional_hours(lon: Calendar) -> None:
    assert due(lon, Z(2026, 11, 16, 9), 90, Unit.BUSINESS_MINUTES) == Z(2026, 11, 16, 10, 30)
    assert due(lon, Z(2026, 11, 16, 9), 1.5, Unit.BUSINESS_HOURS) == Z(2026, 11, 16, 10, 30)


def test_whole_units_refuse_fractions(lon: Calendar) -> None:
    with pytest.raises(ValueError, match="whole"):
        due(lon, Z(2026, 11, 16, 9), 1.5, Unit.WORKING_DAYS)


def test_unknown_unit_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown unit 'fortnights'.*business_hours"):
        parse_unit("fortnights")


def test_units_accept_strings(lon: Calendar) -> None:
    assert due(lon, Z(2026, 11, 16, 9), 1, "business_hours") == Z(2026, 11, 16, 10)
    assert due(lon, Z(2026, 11, 16, 9), None, "release") is None


def test_amounts_must_not_be_negative_or_missing(lon: Calendar) -> None:
    with pytest.raises(ValueError):
        due(lon, Z(2026, 11, 16, 9), -1, Unit.BUSINESS_HOURS)
    with pytest.raises(ValueError):
        due(lon, Z(2026, 11, 16, 9), None, Unit.WORKING_DAYS)


def test_results_are_utc(lon: Calendar) -> None:
    for unit in Unit:
        if unit is Unit.RELEASE:
            continue
        result = due(lon, Z(2026, 11, 16, 9), 1, unit)
        assert (
            result is not None and result.utcoffset() == timedelta(0) and result.tzname() == "UTC"
        ), unit
