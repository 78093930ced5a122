"""Time left on a clock, counted and worded in the unit the clock counts in.

A clock counted in working days says "2 working days", one counted in business hours "3 h 20 min
of business time", a statutory deadline "5 working days after today": never business time
turned into 24-hour days, which would promise a customer a week where they have a day.
Pure: every function takes the instant it is asked at.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .calendar import Calendar
from .instants import zone
from .units import CLOCK, Clock, Unit

# More working days than any promise or statutory deadline runs to: a bound, not a rule.
_MAX_DAYS = 400


def unit_of(label: str) -> Unit | None:
    """The unit of a target from its label ('2 working_days'); None for a release target."""
    word = label.rsplit(" ", 1)[-1]
    try:
        unit = Unit(word)
    except ValueError:
        return None
    return None if unit is Unit.RELEASE else unit


def working_days_left(calendar: Calendar, now: datetime, due: datetime) -> tuple[int, timedelta]:
    """(whole working days, business time beyond them) from `now` until `due`.

    A working day is counted as a working-days target counts it (DESIGN: the same wall-clock
    time on the next working day), so a ticket due 2 working days from now has (2, 0) left.
    """
    days = 0
    mark = now
    while days < _MAX_DAYS:
        try:
            step = calendar.add_working_days(now, days + 1)
        except ValueError:  # past the years the calendar counts: the due is nearer than that
            break
        if step > due:
            break
        days, mark = days + 1, step
    return days, max(timedelta(), calendar.business_between(mark, due))


def statutory_days_left(calendar: Calendar, now: datetime, due: datetime) -> int:
    """Working days after today's local date up to the last day of an end-of-day deadline.

    `due` is the midnight that ends the last day (DESIGN unit end_of_working_day).
    """
    local = zone(calendar.timezone)
    today = now.astimezone(local).date()
    last = (due - timedelta(microseconds=1)).astimezone(local).date()
    days, day = 0, today + timedelta(days=1)
    while day <= last and days < _MAX_DAYS:
        days += calendar.is_working_day(day)
        day += timedelta(days=1)
    return days


def describe_left(calendar: Calendar, unit: Unit, now: datetime, due: datetime) -> str:
    """Time left until `due` in the clock's own unit, for people."""
    if due <= now:
        return "overdue"
    if unit is Unit.END_OF_WORKING_DAY:
        days = statutory_days_left(calendar, now, due)
        if days == 0:
            return "until the end of today"
        return f"{_days(days)} after today"
    if unit is Unit.WORKING_DAYS:
        days, rest = working_days_left(calendar, now, due)
        if days == 0:
            return business_time(rest)
        if rest < timedelta(minutes=1):
            return _days(days)
        return f"{_days(days)} and {business_time(rest)}"
    if CLOCK[unit] is Clock.BUSINESS:
        return business_time(calendar.business_between(now, due))
    return elapsed(due - now)


def describe_paused(calendar: Calendar, unit: Unit, now: datetime, left: timedelta) -> str:
    """A paused clock's frozen time left (business time for business units), in its unit.

    A working-days clock says how many working days it would have if it ran again now.
    """
    if unit is Unit.WORKING_DAYS:
        due = calendar.add_business(now, left)
        if not calendar.is_open(due):
            # Run out at a closing time: the same open time as the next opening, which is
            # where a working day counted from an opening ends.
            due = calendar.next_open(due)
        return describe_left(calendar, unit, now, due)
    if CLOCK[unit] is Clock.BUSINESS:
        return business_time(left)
    return elapsed(left)


def business_time(left: timedelta) -> str:
    """'3 h 20 min of business time'."""
    return f"{_hours_minutes(left)} of business time"


def elapsed(left: timedelta) -> str:
    """'3 h 20 min', '2 days 3 h': plain elapsed time, where a day is 24 hours."""
    days = left // timedelta(days=1)
    if days:
        hours = (left - timedelta(days=days)) // timedelta(hours=1)
        text = f"{days} day" + ("s" if days != 1 else "")
        return f"{text} {hours} h" if hours else text
    return _hours_minutes(left)


def _hours_minutes(left: timedelta) -> str:
    minutes = max(0, round(left.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def _days(days: int) -> str:
    return f"{days} working day" + ("s" if days != 1 else "")


def complaint_clock_left(
    regime_key: str, jurisdiction: str, clock: str, now: datetime, due: datetime
) -> str:
    """Time left on a complaint's acknowledgement or reply, in the regime's unit for it:
    working days for the statutory ones ('5 working days after today'), calendar time for
    the FCA's eight weeks."""
    from .regimes import get_regime, jurisdiction_calendar  # regimes load lazily, on first use

    regime = get_regime(regime_key)
    period = regime.acknowledgement if clock == "acknowledgement" else regime.reply
    unit = period.unit if period is not None else Unit.END_OF_WORKING_DAY
    return describe_left(jurisdiction_calendar(jurisdiction), unit, now, due)
