"""Target units and the due instant of an amount of a unit counted on a calendar."""

from __future__ import annotations

import calendar as _cal
from datetime import datetime, timedelta
from enum import StrEnum

from .calendar import Calendar
from .instants import from_us, naive_wall_to_us, require_aware, to_us, zone


class Unit(StrEnum):
    """Every unit a target can be counted in."""

    BUSINESS_HOURS = "business_hours"
    BUSINESS_MINUTES = "business_minutes"
    WORKING_DAYS = "working_days"
    END_OF_WORKING_DAY = "end_of_working_day"
    CALENDAR_MINUTES = "calendar_minutes"
    CALENDAR_HOURS = "calendar_hours"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"
    CALENDAR_MONTHS = "calendar_months"
    RELEASE = "release"


class Clock(StrEnum):
    """What a unit's clock counts: open time of the calendar, elapsed time, or nothing."""

    BUSINESS = "business"
    ELAPSED = "elapsed"
    NONE = "none"


CLOCK: dict[Unit, Clock] = {
    Unit.BUSINESS_HOURS: Clock.BUSINESS,
    Unit.BUSINESS_MINUTES: Clock.BUSINESS,
    Unit.WORKING_DAYS: Clock.BUSINESS,
    Unit.END_OF_WORKING_DAY: Clock.BUSINESS,
    Unit.CALENDAR_MINUTES: Clock.ELAPSED,
    Unit.CALENDAR_HOURS: Clock.ELAPSED,
    Unit.CALENDAR_DAYS: Clock.ELAPSED,
    Unit.WEEKS: Clock.ELAPSED,
    Unit.CALENDAR_MONTHS: Clock.ELAPSED,
    Unit.RELEASE: Clock.NONE,
}

# Units counted in whole numbers: a fraction of a working day or of a month has no meaning.
WHOLE_UNITS = frozenset(
    {
        Unit.WORKING_DAYS,
        Unit.END_OF_WORKING_DAY,
        Unit.CALENDAR_DAYS,
        Unit.WEEKS,
        Unit.CALENDAR_MONTHS,
    }
)

# Units whose amount is a fixed length of time.
_LENGTH = {
    Unit.BUSINESS_HOURS: timedelta(hours=1),
    Unit.BUSINESS_MINUTES: timedelta(minutes=1),
    Unit.CALENDAR_MINUTES: timedelta(minutes=1),
    Unit.CALENDAR_HOURS: timedelta(hours=1),
}


_LENGTH_US = {unit: per // timedelta(microseconds=1) for unit, per in _LENGTH.items()}


def parse_unit(text: str) -> Unit:
    """The Unit named by `text`; ValueError listing the known units otherwise."""
    try:
        return Unit(text)
    except ValueError:
        known = ", ".join(u.value for u in Unit)
        raise ValueError(f"unknown unit {text!r} (expected one of: {known})") from None


def length(amount: float, unit: Unit) -> timedelta:
    """The duration of an amount of an hour- or minute-based unit, to the microsecond."""
    per = _LENGTH.get(unit)
    if per is None:
        raise ValueError(f"{unit} is not a fixed length of time")
    return timedelta(microseconds=round(amount * (per // timedelta(microseconds=1))))


def due(
    calendar: Calendar, start: datetime, amount: float | None, unit: Unit | str
) -> datetime | None:
    """When `amount` `unit` counted from `start` on `calendar` runs out (None for a release).

    calendar_days, weeks and calendar_months keep the local wall-clock time of the start in the
    calendar's time zone; a month is the same date in the target month, or its last day when
    that date does not exist (31 January + 1 month = 28 or 29 February).
    """
    if type(unit) is not Unit:
        unit = parse_unit(unit)
    if unit is Unit.RELEASE:
        return None
    if amount is None or amount < 0:
        raise ValueError(f"{unit} needs an amount >= 0, not {amount!r}")
    per = _LENGTH_US.get(unit)
    if per is not None:
        # Recomputed for every open ticket, so straight to the microsecond core.
        if unit is Unit.BUSINESS_HOURS or unit is Unit.BUSINESS_MINUTES:
            return from_us(calendar._add(to_us(start), round(amount * per)))  # noqa: SLF001
        return from_us(to_us(start) + round(amount * per))
    if unit is Unit.WORKING_DAYS:
        return calendar.add_working_days(start, _whole(amount, unit))
    if unit is Unit.END_OF_WORKING_DAY:
        return calendar.end_of_working_day(start, _whole(amount, unit))
    start = require_aware(start, "start")
    if unit is Unit.CALENDAR_DAYS:
        return add_local_days(calendar.timezone, start, _whole(amount, unit))
    if unit is Unit.WEEKS:
        return add_local_days(calendar.timezone, start, 7 * _whole(amount, unit))
    return add_months(calendar.timezone, start, _whole(amount, unit))


def add_local_days(timezone: str, start: datetime, days: int) -> datetime:
    """The same local wall-clock time `days` calendar days later."""
    tz = zone(timezone)
    local = start.astimezone(tz).replace(tzinfo=None)
    return from_us(naive_wall_to_us(tz, local + timedelta(days=days)))


def add_months(timezone: str, start: datetime, months: int) -> datetime:
    """The same local date and time `months` later, clamped to the end of a shorter month."""
    tz = zone(timezone)
    local = start.astimezone(tz).replace(tzinfo=None)
    index = local.year * 12 + local.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    day = min(local.day, _cal.monthrange(year, month)[1])
    return from_us(naive_wall_to_us(tz, local.replace(year=year, month=month, day=day)))


def _whole(amount: float, unit: Unit) -> int:
    if type(amount) is int:
        return amount
    if amount != int(amount):
        raise ValueError(f"{unit} are counted in whole numbers, not {amount!r}")
    return int(amount)


__all__ = [
    "CLOCK",
    "Clock",
    "Unit",
    "WHOLE_UNITS",
    "add_local_days",
    "add_months",
    "due",
    "length",
    "parse_unit",
]
