"""A ticket's state in the words its customer reads: in mails, the tracking page, the portal."""

from __future__ import annotations

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

# Zones whose abbreviation is only an offset ("+08") are named by their place instead.
_PLACE_NAMES = {"Europe/London": "UK time", "Asia/Singapore": "Singapore time"}


def zone_words(at: datetime, timezone: str) -> str:
    """'UK time', 'EST', 'Singapore time': how the reader's clock is named beside a time."""
    if timezone in _PLACE_NAMES:
        return _PLACE_NAMES[timezone]
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
