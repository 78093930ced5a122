"""Monitors in the console: /console/monitors (the list), /console/monitors/new and
/console/monitors/{id}/edit (forms whose refusals come from services/monitors.py, as the API's
do, beside the fields), pause, resume and delete, and /console/monitors/{id}: state, uptime,
90 days of bars, the last day's response times and the outages with their tickets."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.errors import PledgeError
from api.schemas import MonitorCreate, MonitorOut, MonitorUpdate
from db.models import Account, Role
from reports.dates import duration, spelled_duration
from services import monitor_pages, monitors
from web import uptime_view
from web.console.desk_words import VIEWER_ZONE, problem_errors, validation_errors, when
from web.forms import posted
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Staff = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]
STATE_WORDS = {
    "unknown": "Not probed yet",
    "up": "Up",
    "pending": "Checking again",
    "down": "Down",
}
SERVICES = [("platform", "The platform"), ("api", "The API"), ("sending", "Sending")]
DONE = {
    "created": "The monitor was made; its first probe comes within one interval.",
    "saved": "The changes were saved.",
    "paused": "The monitor is paused: no probes, so no outages, until resumed.",
    "resumed": "The monitor probes again.",
    "deleted": "The monitor was deleted; its history is kept.",
}
FIELDS = ("url", "name", "account_id", "service", "interval_seconds", "expected_status", "keyword")


# What the form says beside a field, instead of the API's words (field names, `body.`
# prefixes, pydantic's "unable to parse string as an integer").
FIELD_WORDS = {
    "interval_seconds": "Give a whole number of seconds, 30 or more (86400, a day, at most).",
    "expected_status": "Give the HTTP status of a healthy answer: a whole number from 100 to "
    "599, usually 200.",
    "account_id": "Choose the customer whose website this is, or one of our own services below.",
    "service": "Choose either a customer's website or one of our own services, not both.",
}
NOT_WATCHED = (
    "This address is on this machine or a private network; Pledge does not watch those unless "
    "PLEDGE_MONITOR_ALLOWED_HOSTS allows it."
)


def _in_words(errors: dict[str, str]) -> dict[str, str]:
    """The field errors as a person reads them beside the form's fields."""
    found = {}
    for name, message in errors.items():
        if name == "url":
            text = message.removeprefix("the URL ")
            if "PLEDGE_MONITOR_ALLOWED_HOSTS" in text:
                found[name] = NOT_WATCHED
            elif text == "is required" or text.startswith(("String should", "Field required")):
                found[name] = "Give the http or https address to probe."
            elif "user name or password" in text:
                found[name] = "Leave the user name and password out of the address."
            else:
                found[name] = "Give an http or https address (" + text.replace("`", "") + ")."
        elif name in FIELD_WORDS and not message.startswith("no account"):
            found[name] = FIELD_WORDS[name]
        else:
            found[name] = message.replace("`", "")
    return found


def _problem(errors: dict[str, str]) -> str:
    count = len(errors)
    return (
        "one field needs changing, as said beside it."
        if count == 1
        else f"{count} fields need changing, as said beside each."
    )


async def _checked(
    session: Session, settings: AppSettings, typed: dict[str, str], *, creating: bool
) -> dict[str, str]:
    """The service's own refusals of the address and of whose it is, found without making
    anything, so that they are said with the form's other errors at once."""
    errors: dict[str, str] = {}
    url = typed.get("url", "").strip()
    if url:
        try:
            monitors.check_url(url, settings, field="url")
        except PledgeError as exc:
            errors |= problem_errors(exc)
    if creating:
        account, service = (typed.get(n, "").strip() for n in ("account_id", "service"))
        if not account and not service:
            errors["account_id"] = "required"
        elif account and service:
            errors["service"] = "both"
    return errors


def _words() -> dict[str, Any]:
    return {
        "when": when,
        "state_words": STATE_WORDS,
        "share": monitor_pages.share,
        "duration": duration,
        "spelled": spelled_duration,
        "services": dict(SERVICES),
    }


async def _accounts(session: Session) -> list[tuple[str, str]]:
    rows = await session.execute(select(Account.id, Account.name).order_by(Account.name))
    return [(str(i), name) for i, name in rows.all()]


@router.get("/console/monitors", response_class=HTMLResponse)
async def list_page(session: Session, viewer: Staff, done: str = "") -> HTMLResponse:
    shown = await monitors.listing(session, viewer, monitors.MonitorQuery())
    names = dict(await _accounts(session))
    return page(
        "console/monitors/list.html",
        viewer=viewer,
        monitors=shown,
        accounts=names,
        uptime=await monitor_pages.listing_uptime(session, [m.id for m in shown]),
        flash=DONE.get(done, ""),
        **_words(),
    )


async def _form_page(
    session: Session,
    viewer: Principal,
    *,
    monitor: MonitorOut | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    if typed is None:
        typed = {"interval_seconds": "300", "expected_status": "200"}
        if monitor is not None:
            typed = {
                f: "" if getattr(monitor, f) is None else str(getattr(monitor, f)) for f in FIELDS
            }
    return page(
        "console/monitors/form.html",
        status_code=status_code,
        viewer=viewer,
        monitor=monitor,
        typed=typed,
        errors=errors or {},
        problem=problem,
        accounts=[("", "None: one of our own services")] + await _accounts(session),
        service_choices=[("", "None: a customer's website")] + SERVICES,
        **_words(),
    )


def _blank_is_none(typed: dict[str, str], *names: str) -> dict[str, Any]:
    return {n: (typed.get(n, "").strip() or None) for n in names}


@router.get("/console/monitors/new", response_class=HTMLResponse)
async def new_page(session: Session, viewer: Staff) -> HTMLResponse:
    return await _form_page(session, viewer)


@router.post("/console/monitors", response_model=None)
async def create_from_form(
    request: Request, session: Session, client: Temporal, settings: AppSettings, viewer: Staff
) -> Response:
    typed = await posted(request)
    try:
        body = MonitorCreate(
            url=typed.get("url", "").strip(),
            interval_seconds=typed.get("interval_seconds") or 300,  # type: ignore[arg-type]
            expected_status=typed.get("expected_status") or 200,  # type: ignore[arg-type]
            **_blank_is_none(typed, "name", "account_id", "service", "keyword"),
        )
    except ValidationError as exc:
        errors = _in_words(
            await _checked(session, settings, typed, creating=True) | validation_errors(exc)
        )
        return await _form_page(
            session, viewer, typed=typed, errors=errors, problem=_problem(errors),
            status_code=422,
        )  # fmt: skip
    # Free SQLite's write lock before waiting on the workflow that writes the monitor's row.
    await session.commit()
    try:
        made = await monitors.create(session, client, settings, viewer, body)
    except PledgeError as exc:
        errors = _in_words(
            await _checked(session, settings, typed, creating=True) | problem_errors(exc)
        )
        return await _form_page(
            session, viewer, typed=typed, errors=errors,
            problem=_problem(errors) if errors else exc.detail, status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/console/monitors/{made.id}?done=created", status_code=303)


@router.get("/console/monitors/{monitor_id}", response_class=HTMLResponse)
async def monitor_page(
    monitor_id: str, session: Session, viewer: Staff, done: str = ""
) -> HTMLResponse:
    return await _monitor_view(session, viewer, monitor_id, flash=DONE.get(done, ""))


async def _monitor_view(
    session: Session, viewer: Principal, monitor_id: str, *, flash: str = "",
    problem: str = "", status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    d = await monitor_pages.detail(session, viewer, monitor_id, VIEWER_ZONE)
    account = await session.get(Account, d.monitor.account_id) if d.monitor.account_id else None
    return page(
        "console/monitors/monitor.html",
        status_code=status_code,
        viewer=viewer,
        d=d,
        chart=uptime_view.chart_of(d, ZoneInfo(VIEWER_ZONE)),
        m=d.monitor,
        account=account,
        flash=flash,
        problem=problem,
        **_words(),
    )


@router.get("/console/monitors/{monitor_id}/edit", response_class=HTMLResponse)
async def edit_page(monitor_id: str, session: Session, viewer: Staff) -> HTMLResponse:
    monitor = await monitors.get(session, viewer, monitor_id)
    return await _form_page(session, viewer, monitor=monitor)


@router.post("/console/monitors/{monitor_id}/edit", response_model=None)
async def edit_from_form(
    monitor_id: str,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: Staff,
) -> Response:
    typed = await posted(request)
    monitor = await monitors.get(session, viewer, monitor_id)
    try:
        body = MonitorUpdate(
            url=typed.get("url", "").strip() or None,
            name=typed.get("name", "").strip() or None,
            interval_seconds=typed.get("interval_seconds") or None,  # type: ignore[arg-type]
            expected_status=typed.get("expected_status") or None,  # type: ignore[arg-type]
            keyword=typed.get("keyword", "").strip() or None,
        )
    except ValidationError as exc:
        errors = _in_words(
            await _checked(session, settings, typed, creating=False) | validation_errors(exc)
        )
        return await _form_page(
            session, viewer, monitor=monitor, typed=typed, errors=errors,
            problem=_problem(errors), status_code=422,
        )  # fmt: skip
    # An emptied field keeps its value, except the keyword, whose emptying stops the check.
    body = MonitorUpdate.model_validate(
        {k: v for k, v in body.model_dump().items() if v is not None or k == "keyword"}
    )
    await session.commit()
    try:
        await monitors.update(session, client, settings, viewer, monitor_id, body)
    except PledgeError as exc:
        errors = _in_words(problem_errors(exc))
        return await _form_page(
            session, viewer, monitor=monitor, typed=typed, errors=errors,
            problem=_problem(errors) if errors else exc.detail, status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/console/monitors/{monitor_id}?done=saved", status_code=303)


async def _act(
    session: Session, client: Temporal, viewer: Principal, monitor_id: str, what: str
) -> Response:
    await session.commit()
    try:
        if what == "pause":
            await monitors.pause(session, client, viewer, monitor_id)
        elif what == "resume":
            await monitors.resume(session, client, viewer, monitor_id)
        else:
            await monitors.delete(session, client, viewer, monitor_id)
            return RedirectResponse("/console/monitors?done=deleted", status_code=303)
    except PledgeError as exc:
        if exc.status_code == 404:
            raise  # no such monitor: the not-found page, as for the page itself
        # Said on the monitor's page, where the button was (a 409, or 503 while Temporal is
        # away), rather than on a bare error page.
        await session.rollback()
        return await _monitor_view(
            session, viewer, monitor_id, problem=str(exc.detail), status_code=exc.status_code
        )
    return RedirectResponse(f"/console/monitors/{monitor_id}?done={what}d", status_code=303)


@router.post("/console/monitors/{monitor_id}/pause", response_model=None)
async def pause(monitor_id: str, session: Session, client: Temporal, viewer: Staff) -> Response:
    return await _act(session, client, viewer, monitor_id, "pause")


@router.post("/console/monitors/{monitor_id}/resume", response_model=None)
async def resume(monitor_id: str, session: Session, client: Temporal, viewer: Staff) -> Response:
    return await _act(session, client, viewer, monitor_id, "resume")


UNCONFIRMED = "Tick “Yes, stop watching” beside Delete first: a deleted monitor cannot be resumed."


@router.post("/console/monitors/{monitor_id}/delete", response_model=None)
async def delete(
    monitor_id: str, request: Request, session: Session, client: Temporal, viewer: Staff
) -> Response:
    # One press must not stop a watch for good: the box is required in the browser, and
    # checked here for any page or script that posts without it.
    if (await posted(request)).get("confirm") != "yes":
        return await _monitor_view(
            session, viewer, monitor_id, problem=UNCONFIRMED, status_code=422
        )
    return await _act(session, client, viewer, monitor_id, "delete")
