"""Releases in the console: /console/releases (list, plan one) and /console/releases/{id}
(link tickets, ship), for agents, success managers (reading) and admins.

The forms call services/releases.py as the JSON API does, so a refusal carries the API's
reason and status (403, 409, 422); the page comes back with it beside the form and what was
typed kept. Done, it redirects (303).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

import sla
from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.errors import NotFound, PledgeError
from api.schemas import ReleaseCreate, ReleaseLink
from db.models import Role
from services import releases
from web.console.desk_words import (
    RELEASE_KIND_WORDS,
    day_words,
    policy_words,
    present,
    problem_errors,
    summary,
    validation_errors,
    when,
)
from web.forms import fields, posted
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]
# Success managers read releases; only agents (and admins) plan, link and ship them, and are
# told so before anything they typed is looked at.
Maker = Annotated[Principal, staff_page(Role.AGENT)]

DONE = {
    "created": "The release was planned.",
    "link": "The tickets were linked; shipping the release meets their release targets.",
    "ship": "The release shipped: its tickets' release targets are met and their contacts told.",
}


def _can_change(viewer: Principal) -> bool:
    return viewer.has_role(*releases.MAKERS)


def _words() -> dict[str, object]:
    return {
        "when": when,
        "day_words": day_words,
        "policy_words": policy_words,
        "kind_words": RELEASE_KIND_WORDS,
    }


async def _list_page(
    session: Session,
    viewer: Principal,
    policy: str = "",
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    keys = sla.policy_keys()
    shown = await releases.listing(session, viewer, policy if policy in keys else None)
    return page(
        "console/releases/list.html",
        status_code=status_code,
        viewer=viewer,
        releases=shown,
        policy=policy,
        policies=[(key, policy_words(key)) for key in keys],
        can_change=_can_change(viewer),
        typed=typed or {},
        errors=errors or {},
        problem=problem,
        flash=DONE.get(done, ""),
        **_words(),
    )


@router.get("/console/releases", response_class=HTMLResponse)
async def list_page(
    session: Session,
    viewer: Reader,
    policy: Annotated[str, Query(max_length=64)] = "",
    done: str = "",
) -> HTMLResponse:
    return await _list_page(session, viewer, policy, done=done)


@router.post("/console/releases", response_model=None)
async def create_from_form(
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: Maker,
) -> Response:
    typed = await posted(request)
    try:
        body = ReleaseCreate(
            name=typed.get("name", ""),
            policy=typed.get("policy", ""),
            kind=typed.get("kind", ""),  # type: ignore[arg-type]
            planned_for=typed.get("planned_for", ""),  # type: ignore[arg-type]
            **present(typed, "notes"),
        )
    except ValidationError as exc:
        errors = validation_errors(exc)
        return await _list_page(
            session, viewer, typed=typed, errors=errors, problem=summary(errors), status_code=422
        )
    # End the request's transaction before waiting on Temporal: on SQLite it holds the write
    # lock the worker needs to record the release (the service has no session to end it).
    await session.commit()
    try:
        made = await releases.create(client, settings, viewer, body)
    except PledgeError as exc:
        return await _list_page(
            session,
            viewer,
            typed=typed,
            errors=problem_errors(exc),
            problem=exc.detail,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/console/releases/{made.id}?done=created", status_code=303)


# -- a release ---------------------------------------------------------------------------------


async def _release_page(
    session: Session,
    viewer: Principal,
    release_id: str,
    *,
    failed: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    release = await releases.get(session, viewer, release_id)
    candidates = (
        await releases.linkable_tickets(session, viewer, release_id)
        if release.shipped_at is None
        else []
    )
    return page(
        "console/releases/release.html",
        status_code=status_code,
        viewer=viewer,
        r=release,
        candidates=candidates,
        can_change=_can_change(viewer),
        failed=failed,
        problem=problem,
        errors=errors or {},
        typed=typed or {},
        flash=DONE.get(done, ""),
        now=datetime.now(UTC),
        **_words(),
    )


@router.get("/console/releases/{release_id}", response_class=HTMLResponse)
async def release_page(
    release_id: str, session: Session, viewer: Reader, done: str = ""
) -> HTMLResponse:
    return await _release_page(session, viewer, release_id, done=done)


def _references(raw: str) -> list[str]:
    """The ticket boxes ticked and the references typed (spaces, commas or lines apart)."""
    pairs = parse_qsl(raw, keep_blank_values=True)
    chosen = [value for key, value in pairs if key == "ticket"]
    typed = next((value for key, value in reversed(pairs) if key == "references"), "")
    chosen += [part for part in re.split(r"[\s,;]+", typed) if part]
    return list(dict.fromkeys(chosen))


@router.post("/console/releases/{release_id}/link", response_model=None)
async def link_from_form(
    release_id: str, request: Request, session: Session, client: Temporal, viewer: Maker
) -> Response:
    raw = (await request.body()).decode("utf-8", errors="replace")
    typed = fields(raw)
    references = _references(raw)
    typed["references"] = " ".join(references)
    try:
        body = ReleaseLink(references=references)
    except ValidationError:
        errors = {"references": "tick a ticket or type at least one reference"}
        return await _release_page(
            session,
            viewer,
            release_id,
            failed="link",
            problem=summary(errors),
            errors=errors,
            typed=typed,
            status_code=422,
        )
    try:
        await releases.link_tickets(session, client, viewer, release_id, body)
    except NotFound:
        raise
    except PledgeError as exc:
        errors = {
            "references" if name.startswith("references") else name: message
            for name, message in problem_errors(exc).items()
        }
        return await _release_page(
            session,
            viewer,
            release_id,
            failed="link",
            problem=exc.detail,
            errors=errors,
            typed=typed,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/console/releases/{release_id}?done=link", status_code=303)


@router.post("/console/releases/{release_id}/ship", response_model=None)
async def ship_from_form(
    release_id: str, session: Session, client: Temporal, viewer: Maker
) -> Response:
    try:
        await releases.ship(session, client, viewer, release_id)
    except NotFound:
        raise
    except PledgeError as exc:
        return await _release_page(
            session,
            viewer,
            release_id,
            failed="ship",
            problem=exc.detail,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/console/releases/{release_id}?done=ship", status_code=303)
