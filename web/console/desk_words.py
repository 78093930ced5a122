"""Words and instants as the complaints, releases and dashboard pages show them, and the
plain forms they post.

Instants are written in UK time inside `<time datetime>`, with the exact instant in UTC in the
title; the console's shared script re-writes them in the viewer's own zone, except deadlines
at a day's end, which keep their day (`data-keep`). Nothing depends on the script.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from pydantic import ValidationError

import sla
from api.errors import PledgeError
from reports.customer_words import zone_words
from reports.dates import duration
from sla.errors import SlaLookupError
from sla.regimes import get_regime

# The team works in the UK: their complaints regimes are the UK's.
VIEWER_ZONE = "Europe/London"

STATUS_WORDS = {
    "received": "Received, not yet acknowledged",
    "acknowledged": "Acknowledged, reply owed",
    "replied": "Replied",
    "closed": "Closed",
    "reopened": "Reopened, a new reply owed",
}
CLOCK_WORDS = {"acknowledgement": "Acknowledgement", "reply": "Full reply"}
STATE_WORDS = {"running": "Running", "met": "Met", "breached": "Overdue"}
JURISDICTION_WORDS = {
    "england-and-wales": "England and Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
    "any-uk": "Anywhere in the UK",
}
CHANNEL_WORDS = {
    "letter": "Letter",
    "email": "E-mail",
    "phone": "Phone",
    "web": "Web form",
    "chat": "Live chat",
    "in-person": "In person",
}
LETTER_WORDS = {
    "acknowledgement": "Acknowledgement",
    "holding_response": "Holding response (extension)",
    "reply": "Full reply",
}
DELIVERY_WORDS = {"email": "by e-mail", "post": "by post (printed by the handler)"}
RELEASE_KIND_WORDS = {"hotfix": "Hot fix", "maintenance": "Maintenance release"}


def regime_words(key: str) -> str:
    try:
        return get_regime(key).name
    except (SlaLookupError, KeyError):
        return key


def policy_words(key: str | None) -> str:
    if key is None:
        return "No product named"
    try:
        return sla.get_policy(key).name
    except SlaLookupError:
        return key


def when(at: datetime | None, zone: str = VIEWER_ZONE) -> Markup:
    """`<time>` with the instant in the zone, the exact UTC instant on hover."""
    if at is None:
        return Markup("—")
    exact = at.astimezone(UTC)
    local = at.astimezone(ZoneInfo(zone))
    keep = ""
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        # A deadline counted in days falls at the midnight after the last day: say that day,
        # and keep these words (data-keep) where the console's script localises instants, as
        # the day is the complainant's nation's, wherever the viewer is.
        day = local - timedelta(days=1)
        text = f"end of {day:%a} {day.day} {day:%b %Y} ({zone_words(at, zone)})"
        keep = " data-keep"
    else:
        text = f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {zone_words(at, zone)}"
    return Markup(
        f'<time datetime="{exact.isoformat()}" title="{exact:%Y-%m-%d %H:%M:%S} UTC"{keep}>'
        f"{escape(text)}</time>"
    )


def day_words(day: date | None) -> str:
    return "—" if day is None else f"{day:%a} {day.day} {day:%B %Y}"


def left_words(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    return f"overdue by {duration(-seconds)}" if seconds <= 0 else f"in {duration(seconds)}"


def week_bounds(now: datetime, zone: str = VIEWER_ZONE) -> tuple[datetime, datetime]:
    """Monday 00:00 of this week and of the next, in the zone, as UTC."""
    local = now.astimezone(ZoneInfo(zone))
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, datetime.min.time(), ZoneInfo(zone))
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), ZoneInfo(zone))
    return start.astimezone(UTC), end.astimezone(UTC)


def present(form: dict[str, str], *names: str) -> dict[str, Any]:
    """The named fields that were filled in (an empty optional field is left out)."""
    return {name: form[name] for name in names if form.get(name, "").strip()}


def validation_errors(exc: ValidationError) -> dict[str, str]:
    """Each refused field by its form name ('complainant.email'), with why."""
    found: dict[str, str] = {}
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        name = ".".join(location) or "form"
        message = "is required" if error.get("type") == "missing" else str(error["msg"])
        found.setdefault(name, message.removeprefix("Value error, "))
    return found


def problem_errors(exc: PledgeError) -> dict[str, str]:
    """The API's per-field problems by form name: 'body.new_reply_by' -> 'new_reply_by'."""
    found = {}
    for problem in exc.errors or []:
        name = problem.field.removeprefix("body.").removeprefix("query.")
        found[name] = problem.message
    return found


def summary(errors: dict[str, str]) -> str:
    return "; ".join(f"{field}: {text}" for field, text in errors.items())
