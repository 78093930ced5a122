"""Support hours in a customer's words: open now or not, the week, the days we are shut.

Every time is the calendar's own wall-clock time, and says so plainly ("UK time"), never as a
zone's database key. The answers themselves come from sla.opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sla
from reports.customer_words import ZONE_WORDS
from reports.dates import zone_name
from sla.calendar import Calendar
from sla.opening import ClosedSpell, Opening, closed_spells, opening, support_calendars
from sla.week import Interval, Week

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ONE_DAY = timedelta(days=1)
# The holidays and closures listed ahead, and how many at most.
SPELLS_AHEAD = timedelta(days=366)
SPELLS_SHOWN = 12


def zone_words(timezone: str) -> str:
    """'UK time', 'US Eastern time'; otherwise 'Sydney time (AEDT/AEST)'-like."""
    return ZONE_WORDS.get(timezone) or zone_name(timezone)


def day_words(day: date, today: date) -> str:
    """'Monday 7 December', with the year when it is not this year's."""
    text = f"{_WEEKDAYS[day.weekday()]} {day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def _clock(at: datetime) -> str:
    return f"{at:%H:%M}"


def opens_words(at: datetime, now: datetime) -> str:
    """When a calendar opens, from the calendar's wall time: '08:30 today', '09:00 tomorrow',
    '09:00 on Monday 7 December'."""
    today = now.date()
    if at.date() == today:
        return f"{_clock(at)} today"
    if at.date() == today + _ONE_DAY:
        return f"{_clock(at)} tomorrow"
    return f"{_clock(at)} on {day_words(at.date(), today)}"


def closes_words(at: datetime, now: datetime) -> str:
    """When an open stretch ends, from the calendar's wall time: '17:30', 'midnight tonight',
    'the end of Friday 4 December', '20:00 on Friday 4 December'."""
    today = now.date()
    if at.hour == 0 and at.minute == 0:
        last = at.date() - _ONE_DAY
        if last == today:
            return "midnight tonight"
        if last == today + _ONE_DAY:
            return "the end of tomorrow"
        return f"the end of {day_words(last, today)}"
    if at.date() == today:
        return _clock(at)
    if at.date() == today + _ONE_DAY:
        return f"{_clock(at)} tomorrow"
    return f"{_clock(at)} on {day_words(at.date(), today)}"


def state_words(state: Opening, calendar: Calendar, what: str = "Support") -> str:
    """'Support is open now, until 17:30 (UK time).' or 'Support is closed; it opens at 09:00
    on Monday 7 December (UK time).'"""
    tz = calendar.tzinfo
    now = state.at.astimezone(tz)
    zone = zone_words(calendar.timezone)
    if state.is_open:
        if state.closes_at is None:
            return f"{what} is open now, around the clock."
        until = closes_words(state.closes_at.astimezone(tz), now)
        return f"{what} is open now, until {until} ({zone})."
    assert state.opens_at is not None
    why = f" today ({state.closed_for})" if state.closed_for else ""
    opens = opens_words(state.opens_at.astimezone(tz), now)
    return f"{what} is closed{why}; it opens at {opens} ({zone})."


def short_state(state: Opening, calendar: Calendar) -> str:
    """'Open until 20:00 on Friday 4 December', 'Closed (Thanksgiving Day); opens at 00:00
    tomorrow': for a table whose rows name their zone."""
    tz = calendar.tzinfo
    now = state.at.astimezone(tz)
    if state.is_open:
        if state.closes_at is None:
            return "Open around the clock"
        return f"Open until {closes_words(state.closes_at.astimezone(tz), now)}"
    assert state.opens_at is not None
    why = f" today ({state.closed_for})" if state.closed_for else ""
    return f"Closed{why}; opens at {opens_words(state.opens_at.astimezone(tz), now)}"


def interval_words(interval: Interval) -> str:
    """'08:30 to 18:00', 'all day', '00:00 to 20:00', '22:00 to midnight'."""
    start, end = interval
    if (start, end) == (0, 1440):
        return "all day"
    # 'Friday midnight to 20:00' could be read as the night into Saturday: a day starts at 00:00.
    first = f"{start // 60:02d}:{start % 60:02d}"
    last = "midnight" if end == 1440 else f"{end // 60:02d}:{end % 60:02d}"
    return f"{first} to {last}"


def _days(first: int, last: int) -> str:
    if first == last:
        return _WEEKDAYS[first]
    if last == first + 1:
        return f"{_WEEKDAYS[first]} and {_WEEKDAYS[last]}"
    return f"{_WEEKDAYS[first]} to {_WEEKDAYS[last]}"


def week_words(week: Week) -> list[tuple[str, str]]:
    """[('Monday to Friday', '08:30 to 18:00'), ('Saturday and Sunday', 'closed')]: runs of
    days with the same hours."""
    rows: list[tuple[str, str]] = []
    start = 0
    for i in range(1, 8):
        if i == 7 or week[i] != week[start]:
            hours = week[start]
            said = " and ".join(interval_words(iv) for iv in hours) if hours else "closed"
            rows.append((_days(start, i - 1), said))
            start = i
    return rows


def week_line(week: Week) -> str:
    """The week in one line: 'Monday to Thursday: all day; Friday: 00:00 to 20:00'."""
    return "; ".join(f"{days}: {hours}" for days, hours in week_words(week) if hours != "closed")


def spell_words(spell: ClosedSpell, today: date) -> str:
    """'Thursday 24 December to Friday 1 January 2027' or 'Monday 31 August'."""
    if spell.first == spell.last:
        return day_words(spell.first, today)
    return f"{day_words(spell.first, today)} to {day_words(spell.last, today)}"


@dataclass(frozen=True)
class Desk:
    """One calendar as a customer reads it."""

    key: str
    name: str
    zone: str
    state: Opening
    now_words: str
    short: str
    week: list[tuple[str, str]]
    week_line: str


def desk(policy: sla.Policy, key: str, now: datetime, what: str = "Support") -> Desk:
    """The calendar `key` of the policy, open or not at `now`."""
    calendar = policy.calendar(key)
    state = opening(calendar, now)
    return Desk(
        key=key,
        name=policy.calendar_name(key),
        zone=zone_words(calendar.timezone),
        state=state,
        now_words=state_words(state, calendar, what),
        short=short_state(state, calendar),
        week=week_words(calendar.week),
        week_line=week_line(calendar.week),
    )


def frame_line(policy_key: str, account_calendar: str | None, now: datetime) -> str:
    """The line every signed-in portal page shows: the person's support hours now."""
    policy = sla.get_policy(policy_key)
    key = support_calendars(policy, account_calendar)[0]
    calendar = policy.calendar(key)
    return state_words(opening(calendar, now), calendar)


def upcoming_closures(calendar: Calendar, now: datetime) -> list[tuple[str, str]]:
    """The next holidays and closures: [('Thursday 24 December to Friday 1 January 2027',
    'Christmas closure'), ...]."""
    today = now.astimezone(calendar.tzinfo).date()
    spells = closed_spells(calendar, today, today + SPELLS_AHEAD)[:SPELLS_SHOWN]
    return [(spell_words(s, today), s.name) for s in spells]
