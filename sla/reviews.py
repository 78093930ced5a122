"""Quarterly business reviews: when one is proposed, and when its pack is due."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

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
