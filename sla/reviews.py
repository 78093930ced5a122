"""Quarterly business reviews: when one is proposed, and when its pack is due."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import Calendar
from sla.periods import at_local, local_date, working_day_after, working_day_before

# A proposal leaves three working weeks' notice, at a civil hour.
PROPOSE_AFTER_WORKING_DAYS = 15
REVIEW_TIME = time(10, 0)
# The pack goes out this many working days before the meeting, early in the day.
PACK_WORKING_DAYS = 3
PACK_TIME = time(8, 0)


def proposed_time(calendar: Calendar, after: datetime) -> datetime:
    """10:00 local on the 15th working day after `after`."""
    day = working_day_after(calendar, local_date(calendar, after), PROPOSE_AFTER_WORKING_DAYS)
    return at_local(calendar, day, REVIEW_TIME)


def pack_due(calendar: Calendar, starts_at: datetime) -> datetime:
    """08:00 local, three working days before the meeting's day."""
    day = working_day_before(calendar, local_date(calendar, starts_at), PACK_WORKING_DAYS)
    return at_local(calendar, day, PACK_TIME)


def is_working_day(calendar: Calendar, at: datetime) -> bool:
    return calendar.is_working_day(local_date(calendar, at))


# The people at a review keep office hours even where the desk is open all day (essensys's
# calendars run 00:00-24:00): a meeting falls inside both these hours and the calendar's.
MEETING_HOURS = (time(8, 0), time(18, 0))


def outside_working_hours(calendar: Calendar, starts_at: datetime, minutes: int) -> str | None:
    """Why a meeting at `starts_at` lasting `minutes` is outside the account's working hours
    (in words, local time), or None when it is inside them."""
    zone = ZoneInfo(calendar.timezone)
    start = starts_at.astimezone(zone)
    end = (starts_at + timedelta(minutes=minutes)).astimezone(zone)
    day = start.date()
    when = f"{start:%A} {day.day} {start:%B %Y} at {start:%H:%M} {start.tzname()}"
    if not calendar.is_working_day(day):
        return f"{when} is not on a working day in the account's calendar"
    first, last = MEETING_HOURS
    office = (datetime.combine(day, first, zone), datetime.combine(day, last, zone))
    fits = any(
        max(opens, office[0]) <= start and end <= min(closes, office[1])
        for opens, closes in calendar.open_intervals(day)
    )
    if fits:
        return None
    hours = ", ".join(
        f"{max(o.astimezone(zone), office[0]):%H:%M}-{min(c.astimezone(zone), office[1]):%H:%M}"
        for o, c in calendar.open_intervals(day)
        if max(o, office[0]) < min(c, office[1])
    )
    return (
        f"{when} is outside the account's working hours: a {minutes}-minute review must "
        f"start and end within {hours or 'its open hours'} ({calendar.timezone}) that day"
    )


ACTION_REMINDER_TIME = time(9, 0)


def action_reminder_at(calendar: Calendar, due_on: date) -> datetime:
    """09:00 on the last working day on or before an agreed action's date."""
    day = due_on
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return at_local(calendar, day, ACTION_REMINDER_TIME)


def action_overdue_at(calendar: Calendar, due_on: date) -> datetime:
    """The end of the action's date in the account's zone."""
    return at_local(calendar, due_on + timedelta(days=1), time())
