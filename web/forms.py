"""Reading what an HTML form posted, and giving it back with the API's refusal beside each field.

A field's name on a page is its path in the API's request body ("owner.name"), so a refusal
(a problem's `body.owner.name`) lands beside the field that caused it with no mapping table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import BaseModel, ValidationError

from api.errors import InvalidInput, PledgeError

M = TypeVar("M", bound=BaseModel)


def fields(raw: str) -> dict[str, str]:
    """The form's fields; a repeated name keeps its last value (the forms never repeat one)."""
    return dict(parse_qsl(raw, keep_blank_values=True))


async def posted(request: Request) -> dict[str, str]:
    """The posted form's fields, as typed."""
    return fields((await request.body()).decode("utf-8", errors="replace"))


def checked(form: Mapping[str, str], name: str) -> bool:
    return name in form and form[name] not in ("", "off", "false")


def build(model: type[M], data: dict[str, Any]) -> M:
    """The API's request model from a form's values; refused as the API refuses a body."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc) from None


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
