"""What the accounts pages need around their forms: reading a posted form, turning it into the
API's own request models, keeping what was typed when it is refused, and writing times.

A field's name on a page is its path in the API's request body ("owner.name"), so a refusal
(a problem's `body.owner.name`) lands beside the field that caused it with no mapping table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from api.errors import FieldProblem, InvalidInput, PledgeError
from reports.dates import day_month_year
from web.forms import fields

M = TypeVar("M", bound=BaseModel)

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


def checked(form: Mapping[str, str], name: str) -> bool:
    return name in form and form[name] not in ("", "off", "false")


def build(model: type[M], data: dict[str, Any]) -> M:
    """The API's request model from a form's values; refused as the API refuses a body."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in ("body", *error.get("loc", ())))
            blank = error.get("type") == "string_too_short" and error.get("input") == ""
            message = "is required" if error.get("type") == "missing" or blank else error["msg"]
            problems.append(FieldProblem(field=where, message=message or "is invalid"))
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InvalidInput(detail, errors=problems) from None


def local_instant(value: str | None, timezone: str, field_path: str) -> datetime | None:
    """A `datetime-local` value (wall-clock time, no zone) read in the account's zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.for_field(
            f"body.{field_path}", f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM)"
        ) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=ZoneInfo(timezone))


@dataclass
class FormState:
    """One form as the page shows it: the values to put back and what is wrong, per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""  # a refusal that names no field (a 409), said above the form
    refused: bool = False

    def value(self, name: str, default: object = "") -> str:
        if self.refused:
            return self.values.get(name, "")
        return "" if default is None else str(default)

    def is_checked(self, name: str, default: bool = False) -> bool:
        return checked(self.values, name) if self.refused else default

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    def error_id(self, form: str, name: str) -> str:
        return f"{form}-{name.replace('.', '-')}-error"


def refused(values: Mapping[str, str], exc: PledgeError) -> FormState:
    """The form with the API's refusal: each field's message beside it, the rest above."""
    errors: dict[str, str] = {}
    for problem in exc.errors or []:
        name = problem.field.removeprefix("body.").removeprefix("body")
        if name and name in values:
            errors[name] = _sentence(problem.message)
        else:
            # A field the form does not show (or the whole body): said above the form.
            errors.setdefault("", _sentence(problem.message))
    message = errors.pop("", "") or ("" if exc.errors else exc.detail)
    return FormState(values=dict(values), errors=errors, message=message, refused=True)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
