"""The rules a maintenance window must keep under a policy that promises them (e-shot: between
20:00 and 02:00 local time, announced at least 2 calendar days ahead).

Pure: the policy, the window's instants and the moment it is announced in; the refusals out,
each naming the field to change and saying, in words a person acts on, what the rule is and
what would be allowed. Times are read on the policy's maintenance calendar (its time zone);
the nightly window is wall-clock time there, so on the nights the clocks change it lasts 5 or
7 real hours (UK: the last Sundays of March and October).

A window bound that falls in an hour the clocks skip means the moment they jump (02:00 on the
spring night is 01:00 GMT, which is 02:00 BST); one in an hour they repeat means its first
occurrence. A window that names no rule (a policy without `[maintenance]`) is only checked to
end after it starts, to last at most MAX_LENGTH and to start at most MAX_AHEAD from now: those
two hold under every policy (a week is longer than any work we plan, and a notice a year ahead
is a guess, not a plan; a policy's own hours are stricter still).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .instants import from_us, naive_wall_to_us, require_aware, zone
from .policy import Policy
from .units import Unit, due

# Under every policy: how long a window may last, and how far ahead it may be announced.
MAX_LENGTH = timedelta(days=7)
MAX_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Refusal:
    """Why a window may not be scheduled: the field to change and the rule in words."""

    field: str  # starts_at | ends_at
    message: str


@dataclass(frozen=True)
class Night:
    """One occurrence of the policy's nightly window, as instants."""

    opens: datetime
    closes: datetime


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.strip().split(":"))
    return hours * 60 + minutes


def window_minutes(policy: Policy) -> tuple[int, int] | None:
    """The nightly window as minutes after local midnight (opens, closes); None without one."""
    if policy.maintenance is None:
        return None
    opens, closes = policy.maintenance.window.replace("–", "-").split("-")
    return _minutes(opens), _minutes(closes)


def timezone_of(policy: Policy) -> str:
    """The zone a policy's maintenance times are read in: its maintenance calendar's, else its
    default calendar's."""
    key = policy.maintenance.calendar if policy.maintenance else None
    return policy.calendar(key).timezone


def night_of(policy: Policy, day: date) -> Night | None:
    """The window that opens on local `day` (closing the next day when it crosses midnight)."""
    bounds = window_minutes(policy)
    if bounds is None:
        return None
    opens, closes = bounds
    tz = zone(timezone_of(policy))
    midnight = datetime(day.year, day.month, day.day)
    close_day = midnight + timedelta(days=1) if closes <= opens else midnight
    return Night(
        opens=from_us(naive_wall_to_us(tz, midnight + timedelta(minutes=opens))),
        closes=from_us(naive_wall_to_us(tz, close_day + timedelta(minutes=closes))),
    )


def night_around(policy: Policy, at: datetime) -> Night | None:
    """The window occurrence that holds `at` (opens <= at < closes), if any."""
    local_day = require_aware(at, "at").astimezone(zone(timezone_of(policy))).date()
    for day in (local_day - timedelta(days=1), local_day):
        night = night_of(policy, day)
        if night is not None and night.opens <= at < night.closes:
            return night
    return None


def notice_ends(policy: Policy, announced_at: datetime) -> datetime:
    """When the notice promised for a window announced at `announced_at` has been given."""
    require_aware(announced_at, "announced_at")
    assert policy.maintenance is not None
    notice = policy.maintenance.notice
    calendar = policy.calendar(notice.calendar or policy.maintenance.calendar)
    return due(calendar, announced_at, notice.amount, notice.unit) or announced_at


def earliest_start(policy: Policy, announced_at: datetime) -> datetime:
    """The first moment a window announced at `announced_at` may start: the notice run out,
    then the next opening of the nightly window (the same moment if it is open)."""
    ready = notice_ends(policy, announced_at)
    if night_around(policy, ready) is not None:
        return ready
    day = ready.astimezone(zone(timezone_of(policy))).date() - timedelta(days=1)
    while True:
        night = night_of(policy, day)
        assert night is not None
        if night.opens >= ready:
            return night.opens
        day += timedelta(days=1)


def notice_words(policy: Policy) -> str:
    """'2 days': the notice the policy promises, as a person says it."""
    assert policy.maintenance is not None
    notice = policy.maintenance.notice
    amount = notice.amount
    shown = int(amount) if amount is not None and float(amount).is_integer() else amount
    unit = {
        Unit.CALENDAR_DAYS: "day",
        Unit.WORKING_DAYS: "working day",
        Unit.CALENDAR_HOURS: "hour",
        Unit.BUSINESS_HOURS: "business hour",
        Unit.WEEKS: "week",
    }.get(notice.unit, notice.unit.value.replace("_", " "))
    return f"{shown} {unit}{'' if shown == 1 else 's'}"


def _local(at: datetime, timezone: str) -> str:
    """'20:00 on Thursday 10 December 2026 (UK time)': the rule's own words, in the policy's
    zone, named as its hours are."""
    local = at.astimezone(zone(timezone))
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y} ({_zone_words(timezone)})"


def check_window(
    policy: Policy | None, starts_at: datetime, ends_at: datetime, announced_at: datetime
) -> list[Refusal]:
    """Every rule the window breaks, the field to change first; empty when it may be held."""
    require_aware(starts_at, "starts_at")
    require_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        return [Refusal("ends_at", "must be after the start of the window")]
    refusals: list[Refusal] = []
    if starts_at - announced_at > MAX_AHEAD:
        latest = announced_at + MAX_AHEAD
        refusals.append(
            Refusal(
                "starts_at",
                f"is too far ahead: a window may be announced at most a year ahead, so it "
                f"must start by {latest.day} {latest:%B %Y}",
            )
        )
    if ends_at - starts_at > MAX_LENGTH:
        refusals.append(
            Refusal(
                "ends_at",
                "makes the window too long: it may last at most 7 days; announce longer work "
                "as several windows",
            )
        )
    if refusals or policy is None or policy.maintenance is None:
        return refusals
    timezone = timezone_of(policy)
    opens, closes = policy.maintenance.window.replace("–", "-").split("-")
    earliest = earliest_start(policy, announced_at)
    if starts_at < notice_ends(policy, announced_at):
        refusals.append(
            Refusal(
                "starts_at",
                f"is too soon: {policy.name} promises customers at least "
                f"{_possessive(notice_words(policy))} notice of maintenance, so a window "
                f"announced now may "
                f"start at {_local(earliest, timezone)} at the earliest",
            )
        )
    night = night_around(policy, starts_at)
    if night is None:
        refusals.append(
            Refusal(
                "starts_at",
                f"falls outside the maintenance hours {policy.name} promises, {opens.strip()} "
                f"to {closes.strip()} {_zone_words(timezone)}: start at or after "
                f"{opens.strip()} and finish by {closes.strip()}",
            )
        )
    elif ends_at > night.closes:
        refusals.append(
            Refusal(
                "ends_at",
                f"runs past the end of the maintenance hours {policy.name} promises, "
                f"{opens.strip()} to {closes.strip()} {_zone_words(timezone)}: this window "
                f"must finish by {_local(night.closes, timezone)}",
            )
        )
    return refusals


def _zone_words(timezone: str) -> str:
    """'UK time': the place, as the policy's own notes name its hours."""
    return {"Europe/London": "UK time", "UTC": "UTC"}.get(
        timezone, f"{timezone.rpartition('/')[2].replace('_', ' ')} time"
    )


def _possessive(words: str) -> str:
    """ "2 days'", "1 day's"."""
    return f"{words}'" if words.endswith("s") else f"{words}'s"
