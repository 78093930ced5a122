"""Incidents in the console: /console/incidents (the list), /console/incidents/new (open one)
and /console/incidents/{id} (word it, post an update, publish or discard a draft, link monitors
and tickets), for
staff. The forms call services/incidents.py as the JSON API does, so a refusal carries the
API's reason and status; the page comes back with it beside the form and what was typed kept.
Done, it redirects (303). Linked tickets are shown here, to staff, and never on /status.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.errors import NotFound, PledgeError
from api.schemas import IncidentChange, IncidentCreate, IncidentLinks, IncidentUpdateCreate
from db.models import Role
from reports.status_words import IMPACT_WORDS, STATUS_WORDS, service_name, services_words
from services import incidents, status_page
from web.console.desk_words import problem_errors, summary, validation_errors, when
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Staff = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]

DONE = {
    "created": "The incident was opened.",
    "update": "The update was posted.",
    "publish": "The incident is on the status page; its subscribers are being e-mailed.",
    "link": "The links were added.",
    "edit": "The wording was saved.",
    "discarded": "The draft was discarded.",
}


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text) if part]


async def _words(session: Session) -> dict[str, object]:
    names = await status_page.service_names(session)
    return {
        "when": when,
        "status_words": STATUS_WORDS,
        "impact_words": IMPACT_WORDS,
        "names": names,
        "service_name": lambda key: service_name(key, names),
        "services_words": lambda keys, start=False: services_words(keys, names, start),
    }


@router.get("/console/incidents", response_class=HTMLResponse)
async def list_page(session: Session, viewer: Staff, done: str = "") -> HTMLResponse:
    shown = await incidents.listing(session, viewer, incidents.IncidentQuery())
    return page(
        "console/incidents/list.html",
        viewer=viewer,
        incidents=shown,
        flash=DONE.get(done, ""),
        **await _words(session),
    )


async def _new_page(
    session: Session,
    viewer: Principal,
    *,
    typed: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    known = await incidents.known_services(session)
    words = await _words(session)
    return page(
        "console/incidents/new.html",
        status_code=status_code,
        viewer=viewer,
        services=[(key, service_name(key, words["names"])) for key in known],  # type: ignore[arg-type]
        typed=typed or {},
        errors=errors or {},
        problem=problem,
        **words,
    )


@router.get("/console/incidents/new", response_class=HTMLResponse)
async def new_page(session: Session, viewer: Staff) -> HTMLResponse:
    return await _new_page(session, viewer)


@router.post("/console/incidents/new", response_model=None)
async def create_from_form(
    request: Request, session: Session, client: Temporal, settings: AppSettings, viewer: Staff
) -> Response:
    pairs = parse_qsl((await request.body()).decode("utf-8", errors="replace"), True)
    form = dict(pairs)
    typed: dict[str, object] = {
        **form,
        "services": [v for k, v in pairs if k == "services"],
        "publish": form.get("publish") == "yes",
    }
    try:
        body = IncidentCreate(
            title=form.get("title", ""),
            services=typed["services"],  # type: ignore[arg-type]
            impact=form.get("impact", ""),  # type: ignore[arg-type]
            status=form.get("status", "investigating"),  # type: ignore[arg-type]
            message=form.get("message", ""),
            publish=typed["publish"],  # type: ignore[arg-type]
            monitor_ids=_split(form.get("monitor_ids", "")),
            ticket_references=_split(form.get("ticket_references", "")),
        )
    except ValidationError as exc:
        errors = {k.split(".")[0]: v for k, v in validation_errors(exc).items()}
        return await _new_page(
            session, viewer, typed=typed, errors=errors, problem=summary(errors), status_code=422
        )
    try:
        made = await incidents.create(session, client, settings, viewer, body)
    except PledgeError as exc:
        errors = {k.split(".")[0]: v for k, v in problem_errors(exc).items()}
        return await _new_page(
            session, viewer, typed=typed, errors=errors, problem=exc.detail,
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/console/incidents/{made.id}?done=created", status_code=303)


async def _incident_page(
    session: Session,
    viewer: Principal,
    incident_id: str,
    *,
    failed: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    incident = await incidents.get(session, viewer, incident_id)
    words = await _words(session)
    known = await incidents.known_services(session)
    return page(
        "console/incidents/incident.html",
        status_code=status_code,
        viewer=viewer,
        i=incident,
        services=[(key, service_name(key, words["names"])) for key in known],  # type: ignore[arg-type]
        failed=failed,
        problem=problem,
        errors=errors or {},
        typed=typed or {},
        flash=DONE.get(done, ""),
        **words,
    )


@router.get("/console/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    incident_id: str, session: Session, viewer: Staff, done: str = ""
) -> HTMLResponse:
    return await _incident_page(session, viewer, incident_id, done=done)


async def _refused(
    session: Session, viewer: Principal, incident_id: str, failed: str, typed: dict[str, str],
    errors: dict[str, str], problem: str, status_code: int,
) -> HTMLResponse:  # fmt: skip
    return await _incident_page(
        session, viewer, incident_id, failed=failed, problem=problem, errors=errors,
        typed=typed, status_code=status_code,
    )  # fmt: skip


@router.post("/console/incidents/{incident_id}/updates", response_model=None)
async def update_from_form(
    incident_id: str, request: Request, session: Session, client: Temporal, viewer: Staff
) -> Response:
    typed = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), True))
    try:
        body = IncidentUpdateCreate(
            status=typed.get("status", ""),  # type: ignore[arg-type]
            message=typed.get("message", ""),
        )
    except ValidationError as exc:
        errors = validation_errors(exc)
        await incidents.get(session, viewer, incident_id)  # 404 first for an unknown one
        return await _refused(
            session, viewer, incident_id, "update", typed, errors, summary(errors), 422
        )
    try:
        await incidents.post_update(session, client, viewer, incident_id, body)
    except NotFound:
        raise
    except PledgeError as exc:
        return await _refused(
            session, viewer, incident_id, "update", typed, problem_errors(exc), exc.detail,
            exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/console/incidents/{incident_id}?done=update", status_code=303)


@router.post("/console/incidents/{incident_id}/publish", response_model=None)
async def publish_from_form(
    incident_id: str, session: Session, client: Temporal, viewer: Staff
) -> Response:
    try:
        await incidents.publish(session, client, viewer, incident_id)
    except NotFound:
        raise
    except PledgeError as exc:
        return await _refused(
            session, viewer, incident_id, "publish", {}, {}, exc.detail, exc.status_code
        )
    return RedirectResponse(f"/console/incidents/{incident_id}?done=publish", status_code=303)


@router.post("/console/incidents/{incident_id}/links", response_model=None)
async def link_from_form(
    incident_id: str, request: Request, session: Session, client: Temporal, viewer: Staff
) -> Response:
    typed = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), True))
    body = IncidentLinks(
        monitor_ids=_split(typed.get("monitor_ids", "")),
        ticket_references=_split(typed.get("ticket_references", "")),
    )
    try:
        await incidents.link(session, client, viewer, incident_id, body)
    except NotFound:
        raise
    except PledgeError as exc:
        errors = {k.split(".")[0]: v for k, v in problem_errors(exc).items()}
        return await _refused(
            session, viewer, incident_id, "link", typed, errors, exc.detail, exc.status_code
        )
    return RedirectResponse(f"/console/incidents/{incident_id}?done=link", status_code=303)


@router.post("/console/incidents/{incident_id}/edit", response_model=None)
async def edit_from_form(
    incident_id: str, request: Request, session: Session, client: Temporal, viewer: Staff
) -> Response:
    pairs = parse_qsl((await request.body()).decode("utf-8", errors="replace"), True)
    form = dict(pairs)
    services = [v for k, v in pairs if k == "services"]
    typed: dict[str, object] = {**form, "services": services}
    current = await incidents.get(session, viewer, incident_id)  # 404 first for an unknown one
    # The form shows every field: send only what changed (a published incident's first
    # message is not on it, and is not reworded).
    changes: dict[str, object] = {}
    if form.get("title", "") != current.title:
        changes["title"] = form.get("title", "")
    if form.get("impact", current.impact) != current.impact:
        changes["impact"] = form.get("impact")
    if services != current.services:
        changes["services"] = services
    if "message" in form and form["message"] != current.updates[-1].message:
        changes["message"] = form["message"]
    try:
        body = IncidentChange(**changes)  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = {k.split(".")[0]: v for k, v in validation_errors(exc).items()}
        return await _refused(
            session,
            viewer,
            incident_id,
            "edit",
            typed,
            errors,
            summary(errors),
            422,  # type: ignore[arg-type]
        )
    if not changes:
        return RedirectResponse(f"/console/incidents/{incident_id}?done=edit", status_code=303)
    try:
        await incidents.revise(session, client, viewer, incident_id, body)
    except NotFound:
        raise
    except PledgeError as exc:
        errors = {k.split(".")[0]: v for k, v in problem_errors(exc).items()}
        return await _refused(
            session,
            viewer,
            incident_id,
            "edit",
            typed,
            errors,
            exc.detail,
            exc.status_code,  # type: ignore[arg-type]
        )
    return RedirectResponse(f"/console/incidents/{incident_id}?done=edit", status_code=303)


@router.post("/console/incidents/{incident_id}/discard", response_model=None)
async def discard_from_form(
    incident_id: str, session: Session, client: Temporal, viewer: Staff
) -> Response:
    try:
        await incidents.discard(session, client, viewer, incident_id)
    except NotFound:
        raise
    except PledgeError as exc:
        return await _refused(
            session, viewer, incident_id, "discard", {}, {}, exc.detail, exc.status_code
        )
    return RedirectResponse("/console/incidents?done=discarded", status_code=303)
