"""Terms that admins write: policies, calendars and complaint regimes as JSON, checked on save.

The JSON of a version is what `model_dump(mode="json")` of the engine's model gives (the same
data a ticket's snapshot carries, sla/snapshot.py), so what the API returns can be sent back
as it is: the fields it adds for people to read (closed days, the version's number and author)
are dropped on the way in (READ_ONLY).

The rules here are checked when a version is saved, not when a model is validated: a ticket
opened under older terms revives its snapshot through the model, and must keep reviving
whatever stricter rule a save enforces later (docs/policies.md).

Pure: no I/O, no clock; an iCalendar file is parsed from its text, never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from .errors import FieldError, PolicyError
from .loader import _explain, policy_from_data
from .policy import CalendarSpec, Policy
from .regimes import Regime

KINDS = ("policy", "calendar", "regime")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# What a version's JSON carries for people to read, and a save ignores: who saved it and when,
# and what the engine derives (a calendar's closed days in the years asked for).
VERSION_FIELDS = ("version", "created_at", "created_by", "digest")
READ_ONLY = {
    "policy": (*VERSION_FIELDS, "priority_order"),
    "calendar": (*VERSION_FIELDS, "is_always_open", "closed_days"),
    "regime": VERSION_FIELDS,
}
_CALENDAR_DERIVED = ("is_always_open", "closed_days")


class AuthoringError(ValueError):
    """Terms that cannot be saved: every (field path, reason) found, the first one first."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))


class NamedCalendar(CalendarSpec):
    """A calendar kept on its own (/calendars): a CalendarSpec with a key of its own."""

    key: str

    def spec(self) -> CalendarSpec:
        """The calendar as a policy embeds it (without its key)."""
        return CalendarSpec.model_validate(self.model_dump(mode="json", exclude={"key"}))


def check_key(key: Any, field: str = "key") -> str:
    """`key`, or AuthoringError saying what a key may hold."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise AuthoringError(
            [
                (
                    field,
                    "must be 1 to 64 lower-case letters, digits, '-' or '_', starting with a "
                    "letter or digit",
                )
            ]  # fmt: skip
        )
    return key


def without_read_only(kind: str, data: Any) -> Any:
    """`data` without the fields the API adds for reading (see READ_ONLY)."""
    if not isinstance(data, Mapping):
        return data
    clean = {k: v for k, v in data.items() if k not in READ_ONLY[kind]}
    if kind == "policy" and isinstance(clean.get("calendars"), Mapping):
        clean["calendars"] = {
            name: (
                {k: v for k, v in spec.items() if k not in _CALENDAR_DERIVED}
                if isinstance(spec, Mapping)
                else spec
            )
            for name, spec in clean["calendars"].items()
        }
    return clean


# The longest target a save accepts, per unit: about a year. A promise longer than that is a
# typing slip (hours for minutes), and a bound keeps every deadline inside the years the engine
# preloads for workflows (sla.loader.PRELOAD_YEARS) rather than failing when a ticket opens.
LONGEST = {
    "business_minutes": 2000 * 60,
    "business_hours": 2000,  # a year of 40-hour weeks
    "working_days": 260,
    "end_of_working_day": 260,
    "calendar_minutes": 366 * 24 * 60,
    "calendar_hours": 366 * 24,
    "calendar_days": 366,
    "weeks": 52,
    "calendar_months": 12,
}


def too_long(data: Any, path: str = "") -> list[tuple[str, str]]:
    """(field, reason) of every amount in `data` (any target or period, however nested) longer
    than LONGEST allows for its unit."""
    found: list[tuple[str, str]] = []
    if isinstance(data, Mapping):
        unit, amount = data.get("unit"), data.get("amount")
        limit = LONGEST.get(unit) if isinstance(unit, str) else None
        if limit is not None and isinstance(amount, int | float) and amount > limit:
            where = f"{path}.amount" if path else "amount"
            found.append((where, f"must be at most {limit} {unit} (about a year), not {amount:g}"))
        for name, value in data.items():
            found += too_long(value, f"{path}.{name}" if path else str(name))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += too_long(value, f"{path}.{i}" if path else str(i))
    return found


# A closure every year longer than this is taken for a mistake: "12-24" to "12-20" (meaning
# 12-26) reads as a closure running across the new year, shut for 362 days of each.
LONGEST_YEARLY_CLOSURE = 92


def _yearly_length(start: str, end: str) -> int | None:
    """Days a yearly closure shuts (across the new year when it ends before it starts)."""
    try:
        first = date(2025, *map(int, start.split("-")))
        last = date(2025, *map(int, end.split("-")))
    except (TypeError, ValueError):
        return None  # a fixed YYYY-MM-DD closure, or one the model refused already
    if last < first:
        last = last.replace(year=2026)
    return (last - first).days + 1


def long_closures(closures: Any, path: str) -> list[tuple[str, str]]:
    """(field, reason) of each yearly closure that shuts more than a season of every year."""
    found = []
    for i, closure in enumerate(closures if isinstance(closures, list) else []):
        if not isinstance(closure, Mapping):
            continue
        start, end = str(closure.get("start", "")), str(closure.get("end") or closure.get("start"))
        days = _yearly_length(start, end) if len(start) == 5 else None
        if days is not None and days > LONGEST_YEARLY_CLOSURE:
            found.append(
                (
                    f"{path}.{i}",
                    f'"{closure.get("name", "")}" would close {days} days every year ({start} to'
                    f" {end}, across the new year): check its first and last day (a closure over"
                    " the new year is written like 12-24 to 01-02)",
                )
            )
    return found


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    return [_explain(err) for err in exc.errors()]


def policy_from_json(data: Any) -> Policy:
    """A policy to save from its JSON; AuthoringError naming each field and its problem."""
    if not isinstance(data, Mapping):
        raise AuthoringError([("", "must be a JSON object")])
    data = without_read_only("policy", data)
    check_key(data.get("key"))
    try:
        policy = policy_from_data(data)
    except PolicyError as exc:
        raise AuthoringError([(exc.field, exc.reason), *exc.others]) from None
    problems = policy_problems(policy) + too_long(policy.model_dump(mode="json"))
    for name, spec in policy.model_dump(mode="json")["calendars"].items():
        problems += long_closures(spec.get("closures"), f"calendars.{name}.closures")
    if problems:
        raise AuthoringError(problems)
    return policy


def policy_problems(policy: Policy) -> list[tuple[str, str]]:
    """What a saved policy must have beyond what the model accepts (stricter than the presets'
    model, so older snapshots keep reviving): every priority promises a first response."""
    problems: list[tuple[str, str]] = []
    for key, priority in policy.priorities.items():
        if not priority.targets:
            problems.append((f"priorities.{key}.targets", "a priority needs at least one target"))
        elif "first_response" not in priority.targets:
            problems.append(
                (
                    f"priorities.{key}.targets.first_response",
                    "is missing: every priority promises a first response"
                    f" (it has {', '.join(priority.targets)})",
                )
            )
    return problems


def calendar_from_json(data: Any) -> NamedCalendar:
    """A calendar to save from its JSON; AuthoringError naming each field and its problem."""
    if not isinstance(data, Mapping):
        raise AuthoringError([("", "must be a JSON object")])
    data = without_read_only("calendar", data)
    check_key(data.get("key"))
    try:
        calendar = NamedCalendar.model_validate(dict(data))
    except ValidationError as exc:
        raise AuthoringError(_problems(exc)) from None
    problems = long_closures(calendar.model_dump(mode="json").get("closures"), "closures")
    if problems:
        raise AuthoringError(problems)
    return calendar


def regime_from_json(data: Any) -> Regime:
    """A complaint regime to save from its JSON; AuthoringError naming each field and problem."""
    if not isinstance(data, Mapping):
        raise AuthoringError([("", "must be a JSON object")])
    data = without_read_only("regime", data)
    check_key(data.get("key"))
    try:
        regime = Regime.model_validate(dict(data))
    except ValidationError as exc:
        raise AuthoringError(_problems(exc)) from None
    problems = too_long(regime.model_dump(mode="json"))
    if problems:
        raise AuthoringError(problems)
    return regime


def from_json(kind: str, data: Any) -> Policy | NamedCalendar | Regime:
    """The engine's model of a version of `kind` from its JSON."""
    if kind == "policy":
        return policy_from_json(data)
    if kind == "calendar":
        return calendar_from_json(data)
    return regime_from_json(data)


def body_of(model: Policy | NamedCalendar | Regime) -> dict[str, Any]:
    """What is stored for a version: the model's canonical JSON (as snapshots hold it)."""
    return model.model_dump(mode="json")


# ---------------------------------------------------------------------------- iCalendar


NOTE = "imported from an iCalendar file"


class _Unusable(ValueError):
    """An event that cannot close whole days; the message follows the event's name."""


def _closure_of(event: Any, name: str) -> dict[str, str]:
    start_prop = event.get("DTSTART")
    start = getattr(start_prop, "dt", None)
    if not isinstance(start, date) or isinstance(start, datetime):
        raise _Unusable("is not an all-day event: only whole days can close a calendar")
    last = start
    end_prop, duration = event.get("DTEND"), event.get("DURATION")
    if end_prop is not None:
        end = getattr(end_prop, "dt", None)
        if isinstance(end, datetime) or not isinstance(end, date):
            raise _Unusable("ends at a time, not on a date")
        if end <= start:
            raise _Unusable("ends before it starts")
        last = end - timedelta(days=1)
    elif duration is not None:
        last = start + timedelta(days=max(duration.dt.days, 1) - 1)
    rule = event.get("RRULE")
    if rule is None:
        return {"name": name, "start": start.isoformat(), "end": last.isoformat(), "note": NOTE}
    freq = [str(f).upper() for f in rule.get("FREQ", [])]
    extra = set(rule) - {"FREQ", "INTERVAL", "WKST"}
    interval = [int(i) for i in rule.get("INTERVAL", [1])]
    if freq != ["YEARLY"] or extra or interval != [1]:
        raise _Unusable("repeats other than once a year on the same dates; enter its dates by hand")
    return {"name": name, "start": f"{start:%m-%d}", "end": f"{last:%m-%d}", "note": NOTE}


def closures_from_ical(text: str, field: str = "") -> list[dict[str, str]]:
    """Closures (the JSON of ClosureSpec) from the all-day events of an iCalendar file.

    A one-off event closes its dates (DTEND is exclusive, RFC 5545 3.6.1); one repeating every
    year (RRULE FREQ=YEARLY) closes the same dates every year. Timed events do not close whole
    days, and other repeats cannot be written as closures: both are refused, naming the event,
    rather than dropped without a word.
    """
    from icalendar import Calendar as ICalendar  # imported on use: sla imports cheaply

    try:
        calendar = ICalendar.from_ical(text)
    except Exception as exc:  # noqa: BLE001 - whatever the parser says, it is not a calendar
        raise AuthoringError([(field, f"is not an iCalendar file: {exc}")]) from None
    closures: list[dict[str, str]] = []
    problems: list[tuple[str, str]] = []
    for n, event in enumerate(calendar.walk("VEVENT")):
        where = ".".join(p for p in (field, "events", str(n)) if p)
        name = str(event.get("SUMMARY") or f"event {n + 1}").strip()[:200] or f"event {n + 1}"
        try:
            closures.append(_closure_of(event, name))
        except _Unusable as exc:
            problems.append((where, f'"{name}" {exc}'))
        except (AttributeError, TypeError, ValueError, KeyError, OverflowError):
            problems.append((where, f'"{name}" cannot be read: its dates are malformed'))
    if problems:
        raise AuthoringError(problems)
    if not closures:
        raise AuthoringError([(field, "holds no events")])
    return closures


def with_calendar(policy: Policy, calendar: NamedCalendar) -> Policy:
    """`policy` with `calendar` (kept on its own) among its calendars, under its own key: the
    terms of an account that counts in it, as one self-contained snapshot."""
    data = body_of(policy)
    data["calendars"] = {**data["calendars"], calendar.key: body_of(calendar.spec())}
    return policy_from_data(data, file=f"policy {policy.key} with calendar {calendar.key}")


def with_closures(calendar: NamedCalendar, closures: list[dict[str, str]]) -> NamedCalendar:
    """The calendar with `closures` added (those it already has, by name and dates, kept once)."""
    data = calendar.model_dump(mode="json")
    have = {(c["name"], c["start"], c["end"]) for c in data["closures"]}
    data["closures"] += [c for c in closures if (c["name"], c["start"], c["end"]) not in have]
    try:
        return calendar_from_json(data)
    except AuthoringError as exc:
        raise AuthoringError(exc.problems) from None


__all__ = [
    "KINDS",
    "READ_ONLY",
    "AuthoringError",
    "FieldError",
    "NamedCalendar",
    "body_of",
    "calendar_from_json",
    "check_key",
    "closures_from_ical",
    "from_json",
    "policy_from_json",
    "policy_problems",
    "regime_from_json",
    "with_calendar",
    "with_closures",
]


def shipped_terms() -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, key, body) of the terms Pledge ships, as version 1 of each on a new database:
    the five preset policies (sla/presets), each of their calendars as a calendar of its own
    (<policy>-<calendar>), and the complaint regimes (sla/regimes). Read from the files that
    ship with the code, whatever PLEDGE_PRESETS_DIR says, so every new database starts alike."""
    import tomllib
    from importlib import resources

    from .loader import PRESET_KEYS, parse_policy
    from .regimes import REGIME_KEYS

    root = resources.files("sla")
    terms: list[tuple[str, str, dict[str, Any]]] = []
    for key in PRESET_KEYS:
        text = (root / "presets" / f"{key}.toml").read_text(encoding="utf-8")
        policy = parse_policy(text, file=f"sla/presets/{key}.toml")
        terms.append(("policy", key, body_of(policy)))
        for name, spec in policy.calendars.items():
            calendar = NamedCalendar.model_validate(
                {**spec.model_dump(mode="json"), "key": f"{key}-{name}"}
            )
            terms.append(("calendar", calendar.key, body_of(calendar)))
    for key in REGIME_KEYS:
        text = (root / "regimes" / f"{key}.toml").read_text(encoding="utf-8")
        terms.append(("regime", key, body_of(Regime.model_validate(tomllib.loads(text)))))
    return terms
