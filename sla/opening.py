"""Is support open now, until when, and when does it next open: read off a calendar's tables.

Pure: the instant is an argument, never the clock. The answers come from the calendar's own
maths (`is_open`, `next_open`, the day's open intervals), so holidays, closures, shorter days
and the nights the clocks change are honoured as the deadlines honour them; an open stretch
is followed day by day (never minute by minute) up to a year ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .calendar import Calendar
from .instants import require_aware
from .policy import Policy

# How far an open stretch is followed before it counts as round the clock: a calendar open
# every day of the year but closed on one holiday still says when it closes.
STRETCH_DAYS = 370
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Opening:
    """Whether a calendar is open at an instant, and when that changes (UTC instants)."""

    at: datetime
    is_open: bool
    # Open: the end of the open stretch `at` lies in (across midnights while it stays open);
    # None when it does not close within STRETCH_DAYS (a 24/7 line).
    closes_at: datetime | None
    # Closed: the next opening.
    opens_at: datetime | None
    # Closed: the holiday or closure that shuts the local day, when one does (not a weekend).
    closed_for: str | None

    @property
    def round_the_clock(self) -> bool:
        """Open, and not closing within the horizon."""
        return self.is_open and self.closes_at is None


@dataclass(frozen=True)
class ClosedSpell:
    """Days a calendar is shut by one holiday or closure, both ends inclusive (local dates)."""

    first: date
    last: date
    name: str


def opening(calendar: Calendar, at: datetime) -> Opening:
    """Open now or not at `at`, when it closes if open, when it next opens if closed."""
    at = require_aware(at, "at")
    if calendar.is_open(at):
        return Opening(at, True, _stretch_end(calendar, at), None, None)
    day = at.astimezone(calendar.tzinfo).date()
    reason = calendar.closed_days(day.year).get(day) if calendar.week[day.weekday()] else None
    return Opening(at, False, None, calendar.next_open(at), reason)


def _stretch_end(calendar: Calendar, at: datetime) -> datetime | None:
    """The first closed instant after `at`, which is open; None past the horizon."""
    if calendar.is_always_open:
        return None
    tz = calendar.tzinfo
    day = at.astimezone(tz).date()
    end = next(e for s, e in calendar.open_intervals(day) if s <= at < e)
    for _ in range(STRETCH_DAYS):
        # An interval that runs to 24:00 goes on if the next day opens at its midnight.
        following = calendar.open_intervals(end.astimezone(tz).date())
        later = next((e for s, e in following if s == end), None)
        if later is None:
            return end
        end = later
    return None


def closed_spells(calendar: Calendar, first: date, last: date) -> list[ClosedSpell]:
    """The holidays and closures that shut the calendar between two local dates, soonest first.

    A closure is one spell however many holidays fall inside it (Electric Putty's Christmas);
    a holiday on a day the calendar is shut anyway (a Saturday) is left out.
    """
    years = range(first.year - 1, last.year + 2)
    in_closure: dict[date, str] = {}
    for closure in calendar.closed.closures:
        for year in years:
            for day in closure.dates(year):
                in_closure.setdefault(day, closure.name)
    spells = _runs(in_closure)
    for source in calendar.closed.holidays:
        for year in years:
            for day, name in source.dates(year).items():
                if day not in in_closure and calendar.week[day.weekday()]:
                    spells.append(ClosedSpell(day, day, name))
                    in_closure[day] = name  # a day two sources name is listed once
    return sorted((s for s in spells if s.last >= first and s.first <= last), key=lambda s: s.first)


def _runs(days: dict[date, str]) -> list[ClosedSpell]:
    """Consecutive days with the same name, as spells."""
    spells: list[ClosedSpell] = []
    for day in sorted(days):
        name = days[day]
        if spells and spells[-1].name == name and spells[-1].last + _ONE_DAY == day:
            spells[-1] = ClosedSpell(spells[-1].first, day, name)
        else:
            spells.append(ClosedSpell(day, day, name))
    return spells


def support_calendars(policy: Policy, chosen: str | None = None) -> list[str]:
    """The calendars a customer reads as support hours, theirs first: `chosen` (the account's
    region) or the default, then the policy's other regions (essensys's UK, US and APAC).
    Calendars kept for the emergency line or pinned to a priority (the web agency's 24/7
    team) are not regions: `cover_calendars` names them."""
    first = chosen if chosen in policy.calendars else policy.default_calendar
    pinned = set(cover_calendars(policy))
    return [first, *(k for k in policy.calendars if k != first and k not in pinned)]


def cover_calendars(policy: Policy) -> dict[str, list[str]]:
    """Calendars beyond the regions, with the priorities they serve: the emergency line's (no
    priorities: it takes any) and those a priority or target always counts on."""
    cover: dict[str, list[str]] = {}
    emergency = policy.emergency_support
    if emergency is not None:
        cover[emergency.calendar] = []
    for key, priority in policy.priorities.items():
        pinned = {priority.calendar, *(t.calendar for t in priority.targets.values())}
        for calendar in sorted(c for c in pinned if c):
            if calendar != policy.default_calendar:
                cover.setdefault(calendar, []).append(key)
    return cover
