"""Policies, calendars and complaint regimes in words a person reads: '4 working hours',
'Mon to Fri 08:30 to 18:00', 'United Kingdom: England, Wales', '85% of tickets'.

Read from the engine's models (sla.Policy, sla.policy.CalendarSpec, sla.regimes.Regime), never
from their JSON, so what the pages say is what the engine counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from markupsafe import Markup

from reports.customer_words import zone_words as customer_zone_words
from reports.dates import spelled_duration, zone_name
from sla.policy import CalendarSpec, Policy, Target
from sla.units import Unit
from sla.week import DAY_NAMES

DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Singular and plural of each unit, as a sentence says it.
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "business_hours": ("working hour", "working hours"),
    "business_minutes": ("working minute", "working minutes"),
    "working_days": ("working day", "working days"),
    "end_of_working_day": (
        "working day, due at the end of the day",
        "working days, due at the end of the last",
    ),
    "calendar_minutes": ("minute, round the clock", "minutes, round the clock"),
    "calendar_hours": ("hour, round the clock", "hours, round the clock"),
    "calendar_days": ("day", "days"),
    "weeks": ("week", "weeks"),
    "calendar_months": ("month", "months"),
}
RELEASE_WORDS = {"hotfix": "the next hot fix", "maintenance": "the next maintenance release"}
# The units a form offers: each counted unit, then the two releases as units of their own.
UNIT_CHOICES: list[tuple[str, str]] = [
    (unit, plural.capitalize()) for unit, (_, plural) in UNIT_WORDS.items()
] + [(f"release:{kind}", f"Met by {words}") for kind, words in RELEASE_WORDS.items()]
TARGET_WORDS = {
    "first_response": "First response",
    "resolution": "Resolution",
    "initial_resolution": "Initial resolution",
    "final_resolution": "Final resolution",
    "acknowledgement": "Acknowledgement",
    "reply": "Full reply",
}
PEOPLE_WORDS = {
    "assignee": "the ticket's assignee",
    "account_manager": "the account manager",
    "success_manager": "the customer success manager",
    "customer_services_manager": "the customer services manager",
    "team": "the team",
}


def target_name(name: str) -> str:
    return TARGET_WORDS.get(name, name.replace("_", " ").capitalize())


def amount_words(amount: float | None, unit: str) -> str:
    """'4 working hours', '1 working day', '30 working minutes'."""
    if amount is None:
        return unit.replace("_", " ")
    one, many = UNIT_WORDS.get(unit, (unit.replace("_", " "), unit.replace("_", " ")))
    return f"{amount:g} {one if amount == 1 else many}"


def target_words(target: Target) -> str:
    """What a target promises: 'within 4 working hours', 'by the next hot fix'."""
    if target.unit is Unit.RELEASE:
        return f"by {RELEASE_WORDS.get(target.release or '', 'a release')}"
    return f"within {amount_words(target.amount, target.unit.value)}"


def unit_choice(target: dict[str, Any]) -> str:
    """The unit select's value for a target's JSON (a release names its kind)."""
    if target.get("unit") == "release":
        return f"release:{target.get('release') or 'hotfix'}"
    return str(target.get("unit", ""))


# -- calendars ----------------------------------------------------------------------------------


def hours_lines(spec: CalendarSpec) -> list[tuple[str, str]]:
    """(days, hours) lines: ('Monday to Friday', '08:30 to 18:00'), ('Saturday and Sunday',
    'closed'); '24:00' is midnight at the end of the day."""
    if spec.always_open:
        return [("Every day", "open round the clock")]
    # The model keeps hours one list per weekday (sla.week.week_as_hours).
    week = [tuple(spec.hours.get(day, [])) for day in DAY_NAMES]
    runs: list[tuple[int, int]] = []
    for day in range(7):
        if runs and week[runs[-1][1]] == week[day]:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    lines = []
    for first, last in runs:
        days = DAY_WORDS[first]
        if last == first + 1:
            days = f"{DAY_WORDS[first]} and {DAY_WORDS[last]}"
        elif last > first:
            days = f"{DAY_WORDS[first]} to {DAY_WORDS[last]}"
        shown = [
            "all day" if interval == "00:00-24:00" else interval.replace("-", " to ")
            for interval in week[first]
        ]
        lines.append((days, ", ".join(shown) or "closed"))
    return lines


def day_hours(spec: CalendarSpec) -> dict[str, str]:
    """Each weekday's intervals as a form shows them: '08:30-12:00, 13:00-17:00'."""
    hours = spec.hours or {}
    return {day: ", ".join(hours.get(day, [])) for day in DAY_NAMES}


@cache
def _countries() -> dict[str, tuple[str, dict[str, str]]]:
    """Country code -> (name, {subdivision code: name}) for every country `holidays` knows."""
    import holidays
    from holidays.registry import COUNTRIES

    found: dict[str, tuple[str, dict[str, str]]] = {}
    for module, (class_name, code, *_rest) in COUNTRIES.items():
        name = module.replace("_", " ").title().replace(" And ", " and ").replace(" Of ", " of ")
        cls = getattr(holidays, class_name, None)
        aliases = getattr(cls, "subdivisions_aliases", {}) or {}
        names = {sub: alias for alias, sub in aliases.items() if sub not in ()}
        found[code] = (name, {sub: names.get(sub, sub) for sub in getattr(cls, "subdivisions", ())})
    return found


def country_choices() -> list[tuple[str, str]]:
    """(code, 'United Kingdom (GB)') for the holiday country select, by name."""
    return sorted(
        ((code, f"{name} ({code})") for code, (name, _) in _countries().items()),
        key=lambda pair: pair[1],
    )


def holidays_words(spec: CalendarSpec) -> list[str]:
    """'Public holidays of United Kingdom: England, Wales' per holiday source."""
    lines = []
    for source in spec.holidays:
        name, subs = _countries().get(source.country, (source.country, {}))
        where = ", ".join(subs.get(s, s) for s in source.subdivisions)
        lines.append(f"{name}" + (f": {where}" if where else " (national holidays)"))
    return lines


def closure_words(start: str, end: str) -> str:
    """'24 December to 1 January, every year', '2 July 2026'."""

    def one(text: str) -> str:
        if len(text) == 5:  # MM-DD, every year
            day = date(2000, int(text[:2]), int(text[3:]))
            return f"{day.day} {day:%B}"
        day = date.fromisoformat(text)
        return f"{day.day} {day:%B %Y}"

    every = " every year" if len(start) == 5 else ""
    if start == end:
        return one(start) + every
    return f"{one(start)} to {one(end)}{every}"


def zone_words(timezone: str) -> str:
    """'London time (GMT/BST), Europe/London'."""
    return f"{zone_name(timezone)}, {timezone}"


@cache
def zone_choices() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


# -- policies -----------------------------------------------------------------------------------


def waiting_words(policy: Policy) -> str:
    wait = policy.waiting_on_customer
    if wait.action == "pause":
        return "Waiting on the customer pauses the clocks; the time left carries over."
    regraded = wait.applies_to or [
        key for key in policy.priorities if policy.rank(key) < policy.rank(wait.regrade_to or "")
    ]
    names = ", ".join(policy.priorities[k].name for k in regraded if k in policy.priorities)
    to = policy.priorities[wait.regrade_to].name if wait.regrade_to in policy.priorities else ""
    text = f"Waiting on the customer re-grades {names or 'the ticket'} to {to}"
    text += " and marks it Delayed" if wait.mark_delayed else ""
    others = "pause" if wait.otherwise == "pause" else "keep running"
    return f"{text}; other tickets' clocks {others}."


def goal_lines(policy: Policy) -> list[str]:
    """'First response met for 85% of tickets'."""
    return [
        f"{target_name(name)} met for {share * 100:g}% of tickets"
        for name, share in policy.attainment_goals.items()
    ]


def escalation_words(policy: Policy) -> str:
    # A policy naming no chain escalates as workflows/ticket.py's DEFAULT_CHAIN does.
    chain = policy.escalation or ["assignee", "account_manager"]
    if not policy.has_account_managers:
        chain = [p for p in chain if p != "account_manager"]
    words = ", then ".join(PEOPLE_WORDS.get(p, p.replace("_", " ")) for p in chain)
    return (words or "the team").capitalize() + (
        "" if policy.escalation else " (Pledge's usual chain: the policy names none)"
    )


# -- moves --------------------------------------------------------------------------------------


def shift_words(seconds: float | None) -> str:
    """'2 hours later', '30 minutes earlier', 'no longer due' (None: one side has no due)."""
    if seconds is None:
        return "now has no time limit, or gains one"
    if seconds == 0:
        return "unchanged"
    way = "later" if seconds > 0 else "earlier"
    return f"{spelled_duration(abs(seconds))} {way}"


def saved_at(text: str | datetime) -> datetime:
    return text if isinstance(text, datetime) else datetime.fromisoformat(text)


def local_time(at: datetime, timezone: str) -> Markup:
    """'Fri 20 Nov 2026, 10:15 UK time' on a calendar's own clock (kept so by the console's
    script, data-keep), the exact instant on hover."""
    local = at.astimezone(ZoneInfo(timezone))
    exact = at.astimezone(UTC)
    text = (
        f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {customer_zone_words(at, timezone)}"
    )
    return Markup('<time datetime="{0}" title="{1}" data-keep>{2}</time>').format(
        exact.isoformat(), f"{exact:%Y-%m-%d %H:%M} UTC", text
    )
