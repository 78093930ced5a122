"""The team's own week: its calendar, who is on call, when an emergency pages them, and when
the daily huddle meets.

Pure: every instant is an argument, never the clock. The team keeps one calendar (the setting
PLEDGE_TEAM_CALENDAR names a preset's calendar, `e-shot:support` by default): its working days
are the huddle's mornings, its bank holidays are shown beside each on-call week, and its zone
says where a week begins. The on-call week runs from Monday 00:00 to the next Monday 00:00 in
that zone (ISO weeks), so a night or a weekend belongs to the week it falls in.

Bank holidays (decided, docs in README "On call"): a week's person covers its bank holidays as
they cover its nights and weekend, unless the week names a holiday cover, who then answers
every page on the week's bank holidays (local dates, whole days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .calendar import Calendar
from .errors import SlaLookupError
from .instants import require_aware
from .loader import get_policy
from .policy import Policy

DEFAULT_TEAM_CALENDAR = "e-shot:support"
# Mornings looked at before giving up: a calendar has a working day within any year.
_HORIZON_DAYS = 400
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# The weeks a rota may name (decided, README "On call"): ISO years 2000 to 2099. The holidays
# package computes bank holidays only up to 2100 (its DEFAULT_END_YEAR), so every week the rota
# holds shows its bank holidays; a year far off (0001, 9999) is a typo, and its Monday 00:00
# in the team's zone could not even be written as an instant.
FIRST_ROTA_YEAR, LAST_ROTA_YEAR = 2000, 2099
FIRST_ROTA_MONDAY = date.fromisocalendar(FIRST_ROTA_YEAR, 1, 1)
LAST_ROTA_MONDAY = date.fromisocalendar(LAST_ROTA_YEAR + 1, 1, 1) - timedelta(weeks=1)


class TeamCalendarError(SlaLookupError):
    """PLEDGE_TEAM_CALENDAR names no calendar of the presets."""


class WeekError(ValueError):
    """A week that cannot be read: the reason is for a person."""


def team_calendar(key: str) -> Calendar:
    """The calendar `policy:calendar` names (`e-shot:support`); `policy` alone is its default."""
    policy_key, _, calendar_key = key.strip().partition(":")
    try:
        policy = get_policy(policy_key)
        return policy.calendar(calendar_key or None)
    except SlaLookupError as exc:
        raise TeamCalendarError(f"PLEDGE_TEAM_CALENDAR={key!r} names no calendar: {exc}") from None


# -- weeks -------------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(text: str) -> date:
    """The Monday a week starts: an ISO week (`2026-W47`) or that Monday's date (`2026-11-16`).

    A date that is not a Monday is refused rather than moved, so nobody sets the wrong week;
    so is a week outside the years a rota covers (FIRST_ROTA_YEAR to LAST_ROTA_YEAR)."""
    text = text.strip()
    iso = _ISO_WEEK.match(text)
    if iso:
        year, week = int(iso.group(1)), int(iso.group(2))
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise WeekError(f"{year} has no week {week}") from None
        return check_rota_week(monday)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise WeekError(
            "is not a week: give an ISO week such as 2026-W47 or its Monday, such as 2026-11-16"
        ) from None
    if day.weekday() != 0:
        raise WeekError(
            f"{day.isoformat()} is a {day.strftime('%A')}; a week starts on a Monday "
            f"({monday_of(day).isoformat()} for that week)"
        )
    return check_rota_week(day)


def rota_weeks_words() -> str:
    """'2000-W01 (Mon 3 Jan 2000) to 2099-W53 (Mon 28 Dec 2099)'."""
    first, last = FIRST_ROTA_MONDAY, LAST_ROTA_MONDAY
    return (
        f"{iso_week(first)} (Mon {first.day} {first:%b %Y}) to "
        f"{iso_week(last)} (Mon {last.day} {last:%b %Y})"
    )


def check_rota_week(monday: date) -> date:
    """`monday` when a rota may name its week; WeekError saying the weeks it may name if not."""
    if not FIRST_ROTA_MONDAY <= monday <= LAST_ROTA_MONDAY:
        raise WeekError(f"{iso_week(monday)} is not a week the rota covers: {rota_weeks_words()}")
    return monday


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_of(calendar: Calendar, at: datetime) -> date:
    """The Monday of the on-call week `at` falls in, in the team calendar's zone."""
    return monday_of(require_aware(at, "at").astimezone(calendar.tzinfo).date())


def bank_holidays(calendar: Calendar, monday: date) -> list[tuple[date, str]]:
    """The week's holidays and closures that fall on a weekday the team would work."""
    days = [monday + timedelta(days=i) for i in range(7)]
    closed = {**calendar.closed_days(monday.year), **calendar.closed_days(days[-1].year)}
    return [(d, closed[d]) for d in days if d in closed and calendar.week[d.weekday()]]


@dataclass(frozen=True)
class OnCallWeek:
    """One week of the rota: who answers pages, and who on its bank holidays if not them."""

    monday: date
    person: str
    holiday_cover: str | None = None


def who_is_paged(calendar: Calendar, weeks: list[OnCallWeek], at: datetime) -> str | None:
    """Who answers a page at `at`: the week's holiday cover on one of its bank holidays, its
    person otherwise; None when the rota has nobody for that week."""
    monday = week_of(calendar, at)
    week = next((w for w in weeks if w.monday == monday), None)
    if week is None:
        return None
    local_day = at.astimezone(calendar.tzinfo).date()
    if week.holiday_cover and local_day in dict(bank_holidays(calendar, monday)):
        return week.holiday_cover
    return week.person


# -- paging ------------------------------------------------------------------------------------


def pages_on_call(
    policy: Policy,
    *,
    channel: str,
    calendar: str | None,
    at: datetime,
    support_calendar: str | None = None,
) -> bool:
    """Whether a ticket arriving at `at` pages the person on call: the policy has emergency
    support, the ticket came by its emergency line or counts on its emergency calendar, and
    the support calendar (the account's, else the default) is closed then: out of hours.
    An emergency in hours is the team's at their desks, so nobody is woken."""
    emergency = policy.emergency_support
    if emergency is None:
        return False
    if channel not in emergency.channels and calendar != emergency.calendar:
        return False
    support = support_calendar if support_calendar in policy.calendars else None
    if support == emergency.calendar:
        support = None
    return not policy.calendar(support).is_open(require_aware(at, "at"))


# -- the huddle --------------------------------------------------------------------------------


def next_huddle(calendar: Calendar, after: datetime, at: time) -> datetime:
    """The first huddle strictly after `after`: `at` local time on the calendar's next working
    day (weekends, bank holidays and closures skipped), as a UTC instant.

    A wall time that a spring-forward night skips (02:30 in London on the last Sunday of
    March) is read as the moment an hour later, the way the zone's rules move it; a huddle is
    on a working day, which those Sundays are not in any shipped calendar.
    """
    after = require_aware(after, "after")
    tz = calendar.tzinfo
    day = after.astimezone(tz).date()
    for _ in range(_HORIZON_DAYS):
        if calendar.is_working_day(day):
            local = datetime.combine(day, at, tzinfo=tz)
            instant = local.astimezone(UTC)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise TeamCalendarError(f"the calendar has no working day in {_HORIZON_DAYS} days")


def huddle_day(calendar: Calendar, at: datetime) -> date:
    """The local date a huddle at `at` is for."""
    return require_aware(at, "at").astimezone(calendar.tzinfo).date()
