"""Onboarding objectives: when one is reached, when its owner is reminded, when it is missed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sla.calendar import Calendar

Direction = Literal["at_least", "at_most"]
# Owners hear this many working days before an objective's date, at the start of the day.
REMINDER_WORKING_DAYS = 5
REMINDER_TIME = time(9, 0)


def reached(value: float, target: float, direction: Direction) -> bool:
    """Whether a measurement meets the target: at least it (more is better) or at most it."""
    return value >= target if direction == "at_least" else value <= target


def deadline(calendar: Calendar, due_on: date) -> datetime:
    """The end of the due date in the account's zone: a reading taken that day still counts."""
    zone = ZoneInfo(calendar.timezone)
    return datetime.combine(due_on + timedelta(days=1), time(), zone).astimezone(UTC)


def reminder_at(
    calendar: Calendar, due_on: date, working_days: int = REMINDER_WORKING_DAYS
) -> datetime:
    """09:00 local on the working day that many working days before the due date."""
    day, counted = due_on, 0
    while counted < working_days:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return datetime.combine(day, REMINDER_TIME, ZoneInfo(calendar.timezone)).astimezone(UTC)
