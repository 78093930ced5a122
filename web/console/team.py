"""The team's own pages: /console/huddle (what the morning huddle looks at, the same selection
the mail carries: services/huddle.py) and /console/on-call (the rota; admins change it through
services/on_call.py, as PUT /on-call does, with its refusals beside the fields)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import Principal
from api.deps import AppSettings, Session
from api.errors import PledgeError
from api.schemas import OnCallSet
from db.models import Role, User
from services import huddle, on_call
from sla.team import parse_week
from web.console.clocks import clock_name
from web.console.desk_words import (
    day_words,
    policy_words,
    problem_errors,
    summary,
    validation_errors,
    when,
)
from web.forms import posted
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Staff = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER)]
RotaReader = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]
Admin = Annotated[Principal, staff_page()]
WEEKS_SHOWN = 12


@router.get("/console/huddle", response_class=HTMLResponse)
async def huddle_page(session: Session, settings: AppSettings, viewer: Staff) -> HTMLResponse:
    h = await huddle.today(session, settings, viewer)
    return page(
        "console/team/huddle.html",
        viewer=viewer,
        h=h,
        when=lambda at: when(at, h.zone),
        day_words=day_words,
        policy_words=policy_words,
        clock_name=clock_name,
    )


async def _rota_page(
    session: Session,
    settings: AppSettings,
    viewer: Principal,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    weeks = await on_call.rota(session, settings, viewer, None, WEEKS_SHOWN)
    people = list(
        await session.scalars(
            select(User).where(User.removed_at.is_(None)).order_by(User.full_name)
        )
    )
    choosable = [u for u in people if on_call.ON_CALL_ROLES & set(u.roles)]
    return page(
        "console/team/on_call.html",
        status_code=status_code,
        viewer=viewer,
        weeks=weeks,
        people=[(str(u.id), f"{u.full_name} ({u.email})") for u in choosable],
        can_change=viewer.has_role(Role.ADMIN),
        typed=typed or {"week": weeks[0].week},
        errors=errors or {},
        problem=problem,
        flash={"set": "The rota was changed.", "cleared": "The week was cleared."}.get(done, ""),
        when=when,
        day_words=day_words,
        week_days=week_days,
    )


def week_days(week: str) -> str:
    """'Mon 30 Nov to Sun 6 Dec 2026': the local days an ISO week holds."""
    monday = parse_week(week)
    sunday = monday + timedelta(days=6)
    return f"{monday:%a} {monday.day} {monday:%b} to {sunday:%a} {sunday.day} {sunday:%b %Y}"


@router.get("/console/on-call", response_class=HTMLResponse)
async def rota_page(
    session: Session, settings: AppSettings, viewer: RotaReader, done: str = ""
) -> HTMLResponse:
    return await _rota_page(session, settings, viewer, done=done)


@router.post("/console/on-call", response_model=None)
async def set_from_form(
    request: Request, session: Session, settings: AppSettings, viewer: Admin
) -> Response:
    typed = await posted(request)
    try:
        body = OnCallSet(
            user_id=typed.get("user_id", ""),  # type: ignore[arg-type]
            holiday_user_id=typed.get("holiday_user_id") or None,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        errors = validation_errors(exc)
        return await _rota_page(
            session, settings, viewer, typed=typed, errors=errors, problem=summary(errors),
            status_code=422,
        )  # fmt: skip
    try:
        await on_call.set_week(session, settings, viewer, typed.get("week", ""), body)
    except PledgeError as exc:
        errors = {k.removeprefix("path."): v for k, v in problem_errors(exc).items()}
        return await _rota_page(
            session, settings, viewer, typed=typed, errors=errors,
            problem="; ".join(errors.values()) or exc.detail,
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse("/console/on-call?done=set", status_code=303)


@router.post("/console/on-call/{week}/clear", response_model=None)
async def clear_from_form(
    week: str, session: Session, settings: AppSettings, viewer: Admin
) -> Response:
    try:
        await on_call.clear_week(session, settings, viewer, week)
    except PledgeError as exc:
        return await _rota_page(
            session, settings, viewer, problem=exc.detail, status_code=exc.status_code
        )
    return RedirectResponse("/console/on-call?done=cleared", status_code=303)
