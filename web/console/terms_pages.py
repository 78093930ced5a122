"""What the pages of policies, calendars and complaint regimes share: reading a version,
its history, the edit form around services/policies.py, and deleting a version.

The handlers stay thin: every rule (who may save, what a version must hold, which version
may go) is the service's, and its refusal is shown in its words beside the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.auth import Principal
from api.deps import Session
from api.errors import Conflict, InvalidInput, PledgeError
from db.models import Role
from services import policies
from sla.authoring import without_read_only
from web.console import terms_forms, terms_words
from web.console.account_forms import Times, viewer_zone
from web.forms import fields
from web.pages import page

PATHS = {
    "policy": "/console/policies",
    "calendar": "/console/calendars",
    "regime": "/console/regimes",
}
NOUNS = {"policy": "policy", "calendar": "calendar", "regime": "complaint regime"}
# A policy with its calendars, as JSON in a form, runs to tens of kilobytes.
MAX_FORM_BYTES = 512 * 1024
DONE = {
    "saved": "Saved as version {v}. Tickets already open stay on the version they were opened "
    "under; move them to it below if they should change.",
    "unchanged": "Nothing was changed, so nothing was saved: version {v} stands.",
    "created": "Saved as version 1.",
    "deleted": "Version {v} is deleted.",
    "imported": "The file's days are closures now, saved as version {v}.",
}


def is_admin(viewer: Principal) -> bool:
    return viewer.has_role(Role.ADMIN)


async def read_posted(request: Request) -> dict[str, str]:
    """A posted edit form's fields (x-www-form-urlencoded); too large or not UTF-8: 422."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput.for_field("body", "the form is too large")
    try:
        return fields(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput.for_field("body", "the form is not UTF-8") from None


def done_words(done: str, version: str) -> str:
    return DONE[done].format(v=version) if done in DONE else ""


async def version_page(
    request: Request,
    session: Session,
    viewer: Principal,
    kind: str,
    key: str,
    version: int | None,
    *,
    template: str,
    flash: str = "",
    row_errors: dict[int, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """A version as people read it, with every version's author and time."""
    found = await policies.stored(session, kind, key, version)
    history = await policies.versions(session, viewer, kind, key)
    newest = history[-1]["version"]
    years = _years()
    closed = {}
    if kind == "calendar":
        closed = found.model.build().describe(years)["closed_days"]
    return page(
        template,
        status_code=status_code,
        viewer=viewer,
        kind=kind,
        key=key,
        found=found,
        model=found.model,
        shown=found.row.version,
        newest=newest,
        history=[{**h, "created_at": terms_words.saved_at(h["created_at"])} for h in history],
        shipped=policies.stored_presets(kind),
        can_edit=is_admin(viewer),
        flash=flash,
        row_errors=row_errors or {},
        times=Times(viewer_zone(request)),
        words=terms_words,
        closed_days=closed,
        years=years,
        base=PATHS[kind],
        **extra,
    )


def _years() -> list[int]:
    year = datetime.now(UTC).year
    return [year, year + 1]


# -- the edit form ------------------------------------------------------------------------------


@dataclass
class EditForm:
    """One edit form as the page shows it: the fields, their values, what is wrong."""

    kind: str
    layout: terms_forms.Layout
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)
    message: str = ""  # a refusal that names no field (someone saved meanwhile)
    new: bool = False  # a new policy or calendar (a copy): its key is a field

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    @staticmethod
    def field_id(name: str) -> str:
        return "f-" + name.replace(".", "-").replace("_", "-")


def blank_form(kind: str, body: dict[str, Any], *, new: bool = False) -> EditForm:
    """The form for editing `body` (a stored version's JSON)."""
    body = without_read_only(kind, body)
    layout = terms_forms.layout_of(kind, body, new=new)
    return EditForm(kind, layout, terms_forms.values_of(kind, body), new=new)


def posted_form(kind: str, typed: dict[str, str], *, new: bool = False) -> tuple[EditForm, Any]:
    """The form as posted, and the body it describes (None when its JSON cannot be read)."""
    read = terms_forms.read_form(kind, typed)
    base = read.data if read.data is not None else {}
    form = EditForm(kind, terms_forms.layout_of(kind, base, new=new), {}, new=new)
    if read.data is not None:
        # The fields as typed; the JSON with the fields laid over it, as it would be saved.
        form.values = {**terms_forms.values_of(kind, read.data), **typed}
        form.values[terms_forms.JSON_FIELD] = terms_forms.pretty(read.data)
    else:
        form.values = dict(typed)
    form.errors, form.summary = terms_forms.place([], form.layout, read)
    return form, read


def refuse(form: EditForm, read: terms_forms.Posted, exc: PledgeError) -> int:
    """Put the service's refusal on the form: each problem beside its field. The status."""
    if isinstance(exc, Conflict) and form.new and "already exists" in exc.detail:
        problems = [("key", f"A {NOUNS[form.kind]} with this key exists already: choose another")]
    elif exc.errors:
        problems = [(p.field.removeprefix("body").removeprefix("."), p.message) for p in exc.errors]
    else:
        form.message = exc.detail
        return exc.status_code
    form.errors, form.summary = terms_forms.place(problems, form.layout, read)
    return exc.status_code


def edit_page(
    request: Request,
    viewer: Principal,
    form: EditForm,
    *,
    key: str,
    based_on: int | None,
    template: str,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    return page(
        template,
        status_code=status_code,
        viewer=viewer,
        form=form,
        key=key,
        based_on=based_on,
        base=PATHS[form.kind],
        zones=[(zone, zone) for zone in terms_words.zone_choices()],
        countries=terms_words.country_choices(),
        units=terms_words.UNIT_CHOICES,
        days=list(zip(terms_forms.DAY_NAMES, terms_words.DAY_WORDS, strict=True)),
        times=Times(viewer_zone(request)),
        **extra,
    )


def local_default(timezone: str) -> str:
    """A received time to preview with: the next whole hour on the calendar's clock."""
    now = datetime.now(ZoneInfo(timezone)).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
