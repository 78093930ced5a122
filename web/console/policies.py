"""Policies in the console: /console/policies lists the policies, calendars and complaint
regimes; a policy's page says its terms in words, with its versions; admins edit a new version
(or a copy under a new key) with a preview of the deadlines beside the form, move open tickets
to a version after seeing what that moves, and delete versions nothing runs under.

Staff read (policies are the promises customers are made); only admins change anything, as in
the JSON API, whose service functions these pages call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import sla
from api.auth import Principal
from api.deps import Session, Temporal
from api.errors import Conflict, InvalidInput, NotFound
from api.schemas import MoveRequest, PreviewRequest
from services import policies, policy_moves, policy_usage
from sla.authoring import AuthoringError, check_key, from_json
from web.console import terms_forms, terms_words
from web.console.terms_pages import (
    EditForm,
    blank_form,
    done_words,
    edit_page,
    is_admin,
    local_default,
    posted_form,
    read_posted,
    refuse,
    version_page,
)
from web.forms import local_instant
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, staff_page(*policies.READERS)]
Admin = Annotated[Principal, staff_page()]
PREVIEW = "preview."  # the preview's own fields, apart from the policy's


@router.get("/console/policies", response_class=HTMLResponse)
async def list_page(request: Request, session: Session, viewer: Reader) -> HTMLResponse:
    return page(
        "console/policies/list.html",
        viewer=viewer,
        policies=await policy_usage.listing(session, viewer, "policy"),
        calendars=await policy_usage.listing(session, viewer, "calendar"),
        regimes=await policy_usage.listing(session, viewer, "regime"),
        can_edit=is_admin(viewer),
        words=terms_words,
        times=_times(request),
    )


def _times(request: Request):  # type: ignore[no-untyped-def]
    from web.console.account_forms import Times, viewer_zone

    return Times(viewer_zone(request))


@router.get("/console/policies/{key}", response_class=HTMLResponse)
async def policy_page(
    request: Request, key: str, session: Session, viewer: Reader, done: str = "", v: str = ""
) -> HTMLResponse:
    return await _policy(request, session, viewer, key, None, flash=done_words(done, v))


@router.get("/console/policies/{key}/versions/{version}", response_class=HTMLResponse)
async def policy_version_page(
    request: Request, key: str, version: int, session: Session, viewer: Reader
) -> HTMLResponse:
    return await _policy(request, session, viewer, key, version)


async def _policy(
    request: Request,
    session: Session,
    viewer: Principal,
    key: str,
    version: int | None,
    **extra: Any,
) -> HTMLResponse:
    usage = (await policy_usage.policy_usage(session)).get(key) or policy_usage.Usage()
    return await version_page(
        request, session, viewer, "policy", key, version,
        template="console/policies/policy.html", usage=usage, **extra,
    )  # fmt: skip


# -- editing ------------------------------------------------------------------------------------


@dataclass
class Preview:
    """The deadlines a ticket would get under the form's (unsaved) policy, or why not."""

    received_at: str = ""
    priority: str = ""
    calendar: str = ""
    priorities: list[tuple[str, str]] = field(default_factory=list)
    calendars: list[tuple[str, str]] = field(default_factory=list)
    timezone: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ran: bool = False  # asked for (no JS: the Preview button; JS: every change)
    received_instant: Any = None


def _preview(data: dict[str, Any] | None, typed: dict[str, str], *, ran: bool) -> Preview:
    """What the preview beside the form shows for the policy `data` describes."""
    shown = Preview(ran=ran, received_at=typed.get(f"{PREVIEW}received_at", ""))
    shown.priority = typed.get(f"{PREVIEW}priority", "")
    shown.calendar = typed.get(f"{PREVIEW}calendar", "")
    if data is None:
        shown.problems = ["the JSON cannot be read: see the message beside it"]
        return shown
    # The choices as the form has them, even when the policy cannot be built yet.
    for name, into in (("priorities", shown.priorities), ("calendars", shown.calendars)):
        for key, part in (data.get(name) or {}).items():
            label = part.get("name") if isinstance(part, dict) else None
            into.append((key, str(label or key)))
    data = dict(data)
    try:
        check_key(data.get("key"))
    except AuthoringError:
        data["key"] = "preview"  # a copy's key not chosen yet does not stop its preview
    try:
        policy: sla.Policy = from_json("policy", data)  # type: ignore[assignment]
    except AuthoringError as exc:
        layout = terms_forms.layout_of("policy", data)
        _, summary = terms_forms.place(exc.problems, layout, terms_forms.Posted(data))
        shown.problems = [text for _, text in summary]
        return shown
    if shown.priority not in policy.priorities:
        shown.priority = next(iter(policy.priorities))
    if shown.calendar not in policy.calendars:
        shown.calendar = policy.default_calendar
    shown.timezone = policy.calendars[shown.calendar].timezone
    shown.received_at = shown.received_at or local_default(shown.timezone)
    if not ran:
        return shown
    try:
        received = local_instant(shown.received_at, shown.timezone, "received_at")
        ask = PreviewRequest.model_validate(
            {"received_at": received, "priority": shown.priority, "calendar": shown.calendar}
        )
        result = policies.deadlines_under(policy, ask)
        shown.received_instant = received
    except InvalidInput as exc:
        shown.problems = [p.message for p in exc.errors or []] or [exc.detail]
        return shown
    except ValueError as exc:  # the request model's own refusal (a date out of range)
        shown.problems = [str(exc)]
        return shown
    for name, detail in result["deadlines"].items():
        shown.rows.append(_row(policy, name, detail))
    return shown


def _row(policy: sla.Policy, name: str, detail: dict[str, Any]) -> dict[str, Any]:
    from datetime import datetime

    target = detail.get("target") or {}
    if detail.get("out_of_hours") and target.get("out_of_hours"):
        target = target["out_of_hours"]
    if detail["status"] == "release":
        promise = f"by {terms_words.RELEASE_WORDS.get(target.get('release', ''), 'a release')}"
    elif detail["status"] == "clock":
        promise = f"within {terms_words.amount_words(target.get('amount'), target.get('unit', ''))}"
    else:
        promise = "not promised" if detail["status"] == "not_promised" else "no clock"
    due = detail.get("due")
    calendar = policy.calendars[detail["calendar"]] if detail.get("calendar") else None
    return {
        "name": terms_words.target_name(name),
        "promise": promise,
        "out_of_hours": bool(detail.get("out_of_hours")),
        "due": datetime.fromisoformat(due) if isinstance(due, str) else due,
        "timezone": calendar.timezone if calendar else "UTC",
        "status": detail["status"],
    }


def _edit(
    request: Request,
    viewer: Principal,
    form: EditForm,
    preview: Preview,
    *,
    key: str,
    based_on: int | None,
    status_code: int = 200,
) -> HTMLResponse:
    return edit_page(
        request, viewer, form, key=key, based_on=based_on,
        template="console/policies/edit.html", status_code=status_code, preview=preview,
        words=terms_words,
        action=f"/console/policies/{key}/edit" if not form.new else "/console/policies/new",
    )  # fmt: skip


@router.get("/console/policies/{key}/edit", response_class=HTMLResponse)
async def edit_form(request: Request, key: str, session: Session, viewer: Admin) -> HTMLResponse:
    found = await policies.stored(session, "policy", key)
    form = blank_form("policy", found.row.body)
    return _edit(
        request, viewer, form, _preview(found.row.body, {}, ran=True),
        key=key, based_on=found.row.version,
    )  # fmt: skip


@router.get("/console/policies/{key}/copy", response_class=HTMLResponse)
async def copy_form(request: Request, key: str, session: Session, viewer: Admin) -> HTMLResponse:
    found = await policies.stored(session, "policy", key)
    body = {**found.row.body, "key": "", "name": f"{found.model.name} (copy)"}
    form = blank_form("policy", body, new=True)
    return _edit(request, viewer, form, _preview(body, {}, ran=True), key=key, based_on=None)


@router.post("/console/policies/{key}/edit", response_model=None)
async def save_from_form(request: Request, key: str, session: Session, viewer: Admin) -> Response:
    typed = await read_posted(request)
    form, read = posted_form("policy", typed)
    based_on = int(typed["based_on"]) if typed.get("based_on", "").isdigit() else None
    if typed.get("action") == "preview" or read.data is None or form.errors:
        status = 200 if typed.get("action") == "preview" and read.data is not None else 422
        preview = _preview(read.data, typed, ran=True)
        return _edit(request, viewer, form, preview, key=key, based_on=based_on, status_code=status)
    body = {**read.data, "key": key}
    if based_on is not None:
        body["version"] = based_on
    before = await policies.stored(session, "policy", key)
    try:
        saved = await policies.save_version(session, viewer, "policy", key, body)
    except (InvalidInput, Conflict) as exc:
        status = refuse(form, read, exc)
        preview = _preview(read.data, typed, ran=False)
        return _edit(request, viewer, form, preview, key=key, based_on=based_on, status_code=status)
    done = "unchanged" if saved["version"] == before.row.version else "saved"
    return RedirectResponse(
        f"/console/policies/{key}?done={done}&v={saved['version']}", status_code=303
    )


@router.post("/console/policies/new", response_model=None)
async def create_from_form(request: Request, session: Session, viewer: Admin) -> Response:
    typed = await read_posted(request)
    form, read = posted_form("policy", typed, new=True)
    copied = typed.get("copied_from", "")
    if typed.get("action") == "preview" or read.data is None or form.errors:
        status = 200 if typed.get("action") == "preview" and read.data is not None else 422
        preview = _preview(read.data, typed, ran=True)
        return _edit(request, viewer, form, preview, key=copied, based_on=None, status_code=status)
    try:
        made = await policies.create(session, viewer, "policy", read.data)
    except (InvalidInput, Conflict) as exc:
        status = refuse(form, read, exc)
        preview = _preview(read.data, typed, ran=False)
        return _edit(request, viewer, form, preview, key=copied, based_on=None, status_code=status)
    return RedirectResponse(f"/console/policies/{made['key']}?done=created&v=1", status_code=303)


@router.post("/console/policies/preview", response_class=HTMLResponse)
async def live_preview(request: Request, viewer: Admin) -> HTMLResponse:
    """The preview beside the form, for the form as it stands (htmx posts it on each change)."""
    typed = await read_posted(request)
    read = posted_form("policy", typed)[1]
    return page(
        "console/policies/_preview.html",
        preview=_preview(read.data, typed, ran=True),
        times=_times(request),
        words=terms_words,
    )


# -- moving open tickets, deleting versions -----------------------------------------------------


@router.get("/console/policies/{key}/versions/{version}/move", response_class=HTMLResponse)
async def move_preview(
    request: Request, key: str, version: int, session: Session, client: Temporal, viewer: Admin
) -> HTMLResponse:
    name = (await policies.stored(session, "policy", key, version)).model.name
    result = await policy_moves.move_tickets(
        session, client, viewer, key, MoveRequest(to_version=version, confirm=False)
    )
    return _move_page(request, viewer, name, result)


@router.post("/console/policies/{key}/versions/{version}/move", response_class=HTMLResponse)
async def move_confirmed(
    request: Request, key: str, version: int, session: Session, client: Temporal, viewer: Admin
) -> HTMLResponse:
    name = (await policies.stored(session, "policy", key, version)).model.name
    result = await policy_moves.move_tickets(
        session, client, viewer, key, MoveRequest(to_version=version, confirm=True)
    )
    return _move_page(request, viewer, name, result)


def _move_page(request: Request, viewer: Principal, name: str, result: Any) -> HTMLResponse:
    return page(
        "console/policies/move.html",
        viewer=viewer,
        key=result.policy,
        name=name,
        result=result,
        words=terms_words,
        times=_times(request),
        clock_name=terms_words.target_name,
    )


@router.post("/console/policies/{key}/versions/{version}/delete", response_model=None)
async def delete_version(
    request: Request, key: str, version: int, session: Session, viewer: Admin
) -> Response:
    try:
        await policies.delete_version(session, viewer, "policy", key, version)
    except Conflict as exc:
        await session.rollback()
        return await _policy(
            request, session, viewer, key, None, row_errors={version: exc.detail}, status_code=409
        )
    try:
        await policies.stored(session, "policy", key)
    except NotFound:
        return RedirectResponse("/console/policies", status_code=303)
    return RedirectResponse(f"/console/policies/{key}?done=deleted&v={version}", status_code=303)
