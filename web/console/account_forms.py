"""What the accounts pages need around their forms: reading a posted form with its size and
encoding checked, and writing times. Turning a form into the API's request models and keeping
what was typed when it is refused is web/forms.py's, shared with the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from markupsafe import Markup

from api.errors import InvalidInput
from reports.dates import day_month_year
from web.forms import (  # noqa: F401 (the accounts pages import them from here)
    FormState,
    build,
    checked,
    fields,
    local_instant,
    refused,
)

# The browser says its zone in this cookie (web/static/console/local-time.js); until it has,
# times are written in UTC and say so.
ZONE_COOKIE = "pledge_tz"
FALLBACK_ZONE = "UTC"
# A form bigger than this is not one of ours.
MAX_FORM_BYTES = 64 * 1024


async def posted(request: Request) -> dict[str, str]:
    """The fields of a posted HTML form (application/x-www-form-urlencoded); a repeated
    name keeps its last value, as the forms here never repeat one."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput.for_field("body", "the form is too large")
    try:
        return fields(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput.for_field("body", "the form is not UTF-8") from None


def blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def given(data: dict[str, Any]) -> dict[str, Any]:
    """The fields a form filled in: a blank one is left out, so the API's model says it is
    required (or takes its default) rather than that None is not a number."""
    return {name: value for name, value in data.items() if value is not None}


# -- times ---------------------------------------------------------------------------------------


def viewer_zone(request: Request) -> str:
    name = request.cookies.get(ZONE_COOKIE, "")
    if name and len(name) < 64:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return FALLBACK_ZONE


@dataclass(frozen=True)
class Times:
    """Instants and dates as a page writes them, in the viewer's zone."""

    zone: str

    def instant(self, at: datetime | None) -> Markup:
        """<time> with the wall-clock time in the viewer's zone, the exact instant on hover."""
        if at is None:
            return Markup("")
        local = at.astimezone(ZoneInfo(self.zone))
        exact = at.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds")
        words = f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname()}"
        return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(
            exact.replace("+00:00", "Z"), words
        )

    def there(self, at: datetime, timezone: str) -> str:
        """' (10:00 in Europe/London)': the account's wall-clock time, where it differs."""
        if timezone == self.zone:
            return ""
        local, mine = at.astimezone(ZoneInfo(timezone)), at.astimezone(ZoneInfo(self.zone))
        if local.utcoffset() == mine.utcoffset():
            return ""
        return f" ({local:%H:%M} in {timezone})"

    def date(self, day: date | None) -> str:
        return day_month_year(day) if day is not None else ""

    def local_input(self, at: datetime | None, timezone: str) -> str:
        """A `datetime-local` value for an instant, in the account's zone."""
        if at is None:
            return ""
        return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def svg(markup: str) -> Markup:
    """A chart drawn by reports/charts.py: our own markup, its labels already escaped."""
    return Markup(markup)
