"""Clocks and instants as the console shows them: which clock is next, when it turns amber,
and times written for people (the browser then re-writes them in the viewer's own zone).

The countdowns tick in the browser (web/static/console/queue.js) from the instants rendered
here; the server stays the source of truth, so every instant, the warning included, is
computed here and the script only counts towards them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sla
from reports.customer_words import zone_words
from reports.dates import duration
from sla.units import Clock

CLOCK_NAMES = {"first_response": "First response", "resolution": "Resolution"}
UNIT_WORDS = {
    "business_hours": "business hours",
    "business_minutes": "business minutes",
    "working_days": "working days",
    "end_of_working_day": "working days (to the end of the day)",
    "calendar_hours": "hours, round the clock",
}


def clock_name(name: str) -> str:
    return CLOCK_NAMES.get(name, name.replace("_", " ").capitalize())


def target_words(target: str) -> str:
    """'8 business_hours' -> '8 business hours'; 'hotfix release' -> 'a hot fix release'."""
    amount, _, unit = target.partition(" ")
    if unit == "release":
        return "a hot fix release" if amount == "hotfix" else f"a {amount} release"
    words = UNIT_WORDS.get(unit, unit.replace("_", " "))
    if amount == "1":
        words = words.replace("hours", "hour").replace("minutes", "minute").replace("days", "day")
    return f"{amount} {words}"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def utc_text(at: datetime) -> str:
    """'Mon 30 Nov 2026, 14:05 UTC': the text a browser without JavaScript keeps."""
    at = at.astimezone(UTC)
    return f"{at:%a} {at.day} {at:%b %Y}, {at:%H:%M} UTC"


def zone_text(at: datetime, zone: str) -> str:
    """'Mon 30 Nov, 14:05 UK time': the account's own clock."""
    from zoneinfo import ZoneInfo

    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {zone_words(at, zone)}"


def countdown_text(due: datetime, now: datetime) -> str:
    """'in 2h 5m' or 'overdue by 1d 3h': wall time to the due, what the script ticks."""
    left = (due - now).total_seconds()
    if left <= 0:
        return f"overdue by {duration(-left)}"
    return f"in {duration(left)}"


@dataclass(frozen=True)
class NextClock:
    """The clock a ticket's next deadline belongs to, and where its countdown changes colour."""

    name: str
    due: datetime
    warn: datetime | None
    paused: bool
    breached: bool

    def tone(self, now: datetime) -> str:
        """'breached', 'warning' or 'ok' now: what the row shows before any script runs."""
        if self.breached or self.due <= now:
            return "breached"
        if self.warn is not None and self.warn <= now:
            return "warning"
        return "ok"


def warn_instant(ticket: Any, clock: Any) -> datetime | None:
    """When the policy's first warning falls (75% of the target elapsed, by default): counted
    in the clock's own time (business time for business units) from receipt to the due."""
    try:
        policy = sla.get_policy(ticket.policy)
        fraction = min(policy.warning_thresholds, default=0.75)
        calendar = policy.calendar(clock.calendar)
        return sla.warn_at(calendar, ticket.received_at, clock.due, fraction, Clock(clock.clock))
    except (sla.SlaLookupError, ValueError):
        # A calendar the preset has since dropped, or dates beyond those the engine counts:
        # the countdown turns red at the due all the same, only the amber is left out.
        return None


def next_clock(ticket: Any, clocks: Sequence[Any]) -> NextClock | None:
    """The clock due soonest of those still to be met (as ticket.next_due is chosen)."""
    if ticket.next_due is None:
        return None
    waiting = [c for c in clocks if c.due is not None and c.met_at is None]
    chosen = next((c for c in waiting if c.due == ticket.next_due), None)
    if chosen is None:
        chosen = min(waiting, key=lambda c: c.due, default=None)
    if chosen is None:
        return None
    return NextClock(
        name=chosen.name,
        due=chosen.due,
        warn=warn_instant(ticket, chosen) if chosen.clock in ("business", "elapsed") else None,
        paused=chosen.state == "paused",
        breached=chosen.state == "breached",
    )
