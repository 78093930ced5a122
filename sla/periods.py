"""Reporting periods: months in an account's time zone and when their reports fall due."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import Calendar

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Monthly reports go out early on the first working day, before the working day starts.
REPORT_TIME = time(7, 0)


class BadPeriod(ValueError):
    """A period that is not a month like 2026-11."""


def parse_month(period: str) -> tuple[int, int]:
    match = MONTH.match(period)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2001:
        raise BadPeriod(f"{period!r} is not a month like 2026-11")
    return int(match[1]), int(match[2])


def month_label(period: str) -> str:
    """'November 2026'."""
    year, month = parse_month(period)
    return f"{date(year, month, 1):%B %Y}"


def month_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next, in the zone, as UTC."""
    year, month = parse_month(period)
    zone = ZoneInfo(timezone)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: date) -> str:
    return month_of(day.replace(day=1) - timedelta(days=1))


def first_working_day(calendar: Calendar, year: int, month: int) -> date:
    day = date(year, month, 1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def next_monthly_run(calendar: Calendar, after: datetime) -> datetime:
    """The first working day of a month at 07:00 local, strictly after `after` (UTC)."""
    zone = ZoneInfo(calendar.timezone)
    local = after.astimezone(zone).date()
    year, month = local.year, local.month
    while True:
        run = datetime.combine(first_working_day(calendar, year, month), REPORT_TIME, zone)
        if run.astimezone(UTC) > after:
            return run.astimezone(UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def period_reported_at(calendar: Calendar, run_at: datetime) -> str:
    """The month a report made at `run_at` covers: the one before, in the calendar's zone."""
    return previous_month(run_at.astimezone(ZoneInfo(calendar.timezone)).date())


def quarter_of(day: date) -> str:
    """'2026-Q4'."""
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str, timezone: str) -> tuple[datetime, datetime]:
    """The first instant of the quarter and of the next, in the zone, as UTC."""
    match = re.match(r"^(\d{4})-Q([1-4])$", quarter)
    if not match:
        raise BadPeriod(f"{quarter!r} is not a quarter like 2026-Q4")
    year, q = int(match[1]), int(match[2])
    start, _ = month_bounds(f"{year:04d}-{3 * q - 2:02d}", timezone)
    _, end = month_bounds(f"{year:04d}-{3 * q:02d}", timezone)
    return start, end


def previous_quarter(day: date) -> str:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return quarter_of(first - timedelta(days=1))


def working_day_after(calendar: Calendar, day: date, days: int) -> date:
    """The working day `days` working days after `day`."""
    while days > 0:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            days -= 1
    return day


def working_day_before(calendar: Calendar, day: date, days: int) -> date:
    while days > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            days -= 1
    return day


def local_date(calendar: Calendar, at: datetime) -> date:
    return at.astimezone(ZoneInfo(calendar.timezone)).date()


def at_local(calendar: Calendar, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, ZoneInfo(calendar.timezone)).astimezone(UTC)


def quarter_starts(calendar: Calendar, run_at: datetime) -> bool:
    """Whether a monthly run falls in the first month of a quarter (January, April...)."""
    return local_date(calendar, run_at).month in (1, 4, 7, 10)


def quarter_reported_at(calendar: Calendar, run_at: datetime) -> str:
    """The quarter a review proposed at `run_at` covers: the one just ended."""
    return previous_quarter(local_date(calendar, run_at))


def quarter_label(quarter: str) -> str:
    """'Q4 2026 (October to December)'."""
    match = re.match(r"^(\d{4})-Q([1-4])$", quarter)
    if not match:
        raise BadPeriod(f"{quarter!r} is not a quarter like 2026-Q4")
    year, q = int(match[1]), int(match[2])
    first, last = date(year, 3 * q - 2, 1), date(year, 3 * q, 1)
    return f"Q{q} {year} ({first:%B} to {last:%B})"
