"""A ticket's state in the words its customer reads: in mails, the tracking page, the portal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sla
from sla import SlaLookupError

# What each status means to the person who raised the ticket.
STATUS_WORDS = {
    "open": "We are working on it",
    "waiting": "Waiting for your answer",
    "delayed": "Delayed: waiting for your answer",
    "resolved": "Resolved",
    "closed": "Closed",
}

# Zones a customer names by their country or region, not by the city the zone is keyed on:
# the same words beside every time a customer reads (pages, mails, the support hours).
ZONE_WORDS = {
    "Europe/London": "UK time",
    "Europe/Dublin": "Irish time",
    "Europe/Paris": "Central European time",
    "Europe/Berlin": "Central European time",
    "Europe/Amsterdam": "Central European time",
    "America/New_York": "US Eastern time",
    "America/Chicago": "US Central time",
    "America/Denver": "US Mountain time",
    "America/Phoenix": "Arizona time",
    "America/Los_Angeles": "US Pacific time",
    "Asia/Singapore": "Singapore time",
    "Asia/Hong_Kong": "Hong Kong time",
    "Asia/Tokyo": "Japan time",
    "Asia/Kolkata": "India time",
    "Australia/Sydney": "Sydney time",
    "UTC": "UTC",
}


def zone_words(at: datetime, timezone: str) -> str:
    """'UK time', 'US Pacific time': how the reader's clock is named beside a time; a zone
    not in the table by its abbreviation at `at`, or its place where that is only an offset."""
    if timezone in ZONE_WORDS:
        return ZONE_WORDS[timezone]
    name = at.astimezone(ZoneInfo(timezone)).tzname() or ""
    if not name or name[0] in "+-":
        return f"{timezone.rpartition('/')[2].replace('_', ' ')} time"
    return name


def plain_time(at: datetime, timezone: str, now: datetime | None = None) -> str:
    """'10:30 on Tuesday 1 December (UK time)'; the year only when it is not this year's."""
    local = at.astimezone(ZoneInfo(timezone))
    this_year = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo).year
    year = "" if local.year == this_year else f" {local.year}"
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}{year} ({zone_words(at, timezone)})"


def near_time(at: datetime, timezone: str, now: datetime) -> str:
    """'10:30 today (UK time)', '17:00 tomorrow (UK time)'; further off, plain_time's words.
    For a page, read as it is rendered: a mail is read later, so it says the date."""
    local = at.astimezone(ZoneInfo(timezone))
    days = (local.date() - now.astimezone(local.tzinfo).date()).days
    word = {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days)
    if word is None:
        return plain_time(at, timezone, now)
    return f"{local:%H:%M} {word} ({zone_words(at, timezone)})"


def promise(
    due: datetime | None, timezone: str, now: datetime, words: str, *, near: bool = False
) -> str | None:
    """'<words> by 10:30 on …' while the due is ahead; None when there is none or it has
    passed (a ticket logged after the fact must not promise a time already gone). `near`
    says 'today' and 'tomorrow' where they apply (pages, not mails)."""
    if due is None or due <= now:
        return None
    when = near_time(due, timezone, now) if near else plain_time(due, timezone, now)
    return f"{words} by {when}."


def ticket_zone(policy: str, calendar: str | None) -> str:
    """The time zone the ticket's customer works in: their calendar's."""
    try:
        return sla.get_policy(policy).calendar(calendar).timezone
    except SlaLookupError:
        return "UTC"


def priority_label(policy: str, priority: str) -> str:
    """The policy's name for a level ('P2 - High', 'Urgent'), never its key."""
    try:
        return sla.get_policy(policy).priority(priority).name
    except SlaLookupError:
        return priority.replace("-", " ").replace("_", " ").capitalize()


def release_promise(policy: str, priority: str) -> str | None:
    """For a level whose resolution is a release: which release will carry the fix."""
    try:
        target = sla.get_policy(policy).priority(priority).targets.get("resolution")
    except SlaLookupError:
        return None
    if target is None or target.release is None:
        return None
    kind = "a hot fix" if target.release == "hotfix" else "our next maintenance release"
    return f"The fix will come in {kind}; we will tell you when it is out."


def close_needs_agreement(policy: str) -> bool:
    """Whether a resolved ticket closes only with an authorised representative's agreement."""
    try:
        return sla.get_policy(policy).tickets.close_requires_representative
    except SlaLookupError:
        return False


def day_and_time(at: datetime, timezone: str, now: datetime) -> str:
    """'10:30 today', '09:00 tomorrow', '17:00 on Thursday 3 December': an instant near `now`
    as a person says it, in `timezone`; the year only when it is not this year's."""
    local = at.astimezone(ZoneInfo(timezone))
    today = now.astimezone(local.tzinfo).date()
    if local.date() == today:
        return f"{local:%H:%M} today"
    if (local.date() - today).days == 1:
        return f"{local:%H:%M} tomorrow"
    year = "" if local.year == today.year else f" {local.year}"
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}{year}"


# A preset marks what its authors chose where a seed is silent ("Chosen: ..."); customers
# read the words after the mark, as the terms they have.
_CHOSEN = "Chosen:"


def level_description(policy: sla.Policy, priority: str) -> str:
    """When a level applies, in the policy's words ('The site is usable but there is a
    problem.'); '' when the policy does not say."""
    text = policy.priority(priority).description.strip().removeprefix(_CHOSEN).strip()
    return text[:1].upper() + text[1:]


_UNITS = {
    sla.Unit.BUSINESS_MINUTES: ("business minute", "business minutes"),
    sla.Unit.BUSINESS_HOURS: ("business hour", "business hours"),
    sla.Unit.WORKING_DAYS: ("working day", "working days"),
    sla.Unit.END_OF_WORKING_DAY: ("working day", "working days"),
    sla.Unit.CALENDAR_MINUTES: ("minute", "minutes"),
    sla.Unit.CALENDAR_HOURS: ("hour", "hours"),
    sla.Unit.CALENDAR_DAYS: ("day", "days"),
    sla.Unit.WEEKS: ("week", "weeks"),
    sla.Unit.CALENDAR_MONTHS: ("month", "months"),
}
# Elapsed time runs on nights and weekends too, which a customer would not otherwise assume.
_ROUND_THE_CLOCK = {sla.Unit.CALENDAR_MINUTES, sla.Unit.CALENDAR_HOURS}


def _amount(target: sla.Target) -> str:
    """'1 business hour', '4 hours'."""
    one, many = _UNITS.get(target.unit, (target.unit.value, target.unit.value))
    amount = target.amount or 0
    return f"{amount:g} {one if amount == 1 else many}"


def within(target: sla.Target) -> str:
    """'within 1 business hour', 'within 1 hour, day or night', 'in a hot fix release';
    e-shot's P2 adds '(4 hours when we are closed)'."""
    if target.unit is sla.Unit.RELEASE:
        if target.release == "hotfix":
            return "in a hot fix release"
        return "in our next maintenance release"
    words = f"within {_amount(target)}"
    if target.unit in _ROUND_THE_CLOCK:
        words += ", day or night"
    if target.out_of_hours is not None and target.out_of_hours.unit is not sla.Unit.RELEASE:
        words += f" ({_amount(target.out_of_hours)} when we are closed)"
    return words


def _what(name: str, targets: Mapping[str, sla.Target]) -> str:
    """'Reply', 'Fix', 'First fix' (where a final fix follows), 'Final fix'."""
    if name == "first_response":
        return "Reply"
    if name == "resolution":
        return "First fix" if "final_resolution" in targets else "Fix"
    if name == "final_resolution":
        return "Final fix"
    return name.replace("_", " ").capitalize()


def level_terms(policy: sla.Policy, priority: str) -> list[str]:
    """What a level promises, one phrase a target: 'Reply within 1 business hour', 'First fix
    within 1 working day', 'Final fix in a hot fix release'."""
    targets = policy.priority(priority).targets
    names = [n for n in ("first_response", "resolution") if n in targets]
    names += [n for n in targets if n not in names]
    return [f"{_what(name, targets)} {within(targets[name])}" for name in names]


def _by(name: str, targets: Mapping[str, sla.Target], goal: bool) -> str:
    """How a promise of a time is said: 'We will reply', 'We aim to fix it'."""
    if name == "first_response":
        # A share of calls (Spotler: 85%) is an aim, not a promise to each caller.
        return "We aim to reply" if goal else "We will reply"
    if name == "resolution":
        first = "final_resolution" in targets
        return "We aim to have a first fix" if first else "We aim to fix it"
    if name == "final_resolution":
        return "We aim to have the final fix"
    return f"{name.replace('_', ' ').capitalize()} is due"


@dataclass(frozen=True)
class PromiseLine:
    """One promise as the customer reads it, and the instant it names (None for a release)."""

    text: str
    due: datetime | None = None

    def __str__(self) -> str:
        return self.text


def promise_lines(
    policy: sla.Policy,
    priority: str,
    dues: Mapping[str, datetime | None],
    timezone: str,
    now: datetime,
) -> list[PromiseLine]:
    """What a ticket at `priority` is promised, a sentence a target, from its dues: 'We will
    reply by 10:30 today.', 'We aim to fix it by 17:00 on Thursday 3 December.', 'We will
    fix it in our next maintenance release, and tell you when it is out.' A due already past
    is not promised again."""
    targets = policy.priority(priority).targets
    names = ["first_response", "resolution"] + [
        n for n in targets if n not in ("first_response", "resolution")
    ]
    lines = []
    for name in names:
        target = targets.get(name)
        if target is None:
            if name == "resolution":
                lines.append(PromiseLine("There is no set time for a fix at this priority."))
            continue
        if target.unit is sla.Unit.RELEASE:
            resolution = targets.get("resolution")
            if name == "final_resolution" and resolution is not None:
                if resolution.release == target.release:
                    continue  # the same release fixes it first and finally: said once
                line = f"The final fix comes {within(target)}; we will tell you when."
            else:
                line = f"We will fix it {within(target)}, and tell you when it is out."
            lines.append(PromiseLine(line))
            continue
        due = dues.get(name)
        if due is not None and due > now:
            goal = name in policy.attainment_goals
            when = day_and_time(due, timezone, now)
            lines.append(PromiseLine(f"{_by(name, targets, goal)} by {when}.", due))
    return lines


# Where a request with no clock goes (Spotler's enhancement requests and advice), in the words
# of the seed that promises it, said to the customer.
_ROUTED = {
    "development": (
        "We will pass it to our Development Team for potential inclusion in a later product "
        "release."
    ),
    "account_manager": "We will pass it to your Account Manager, who will contact you.",
}


def routed_words(route_to: str | None) -> str:
    """What happens to a request that carries no clock, for the customer who sent it."""
    return _ROUTED.get(
        route_to or "",
        "We will pass it to the team that looks after such requests; they will be in touch.",
    )
