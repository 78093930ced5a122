"""Maintenance in the console: /console/maintenance lists the windows, schedules one and
cancels one, for staff (success managers and admins change, everyone else reads).

The form calls services/maintenance.py as the JSON API does, so a refusal carries the API's
reason (the policy's promise, in its words) beside the field it names, and what was typed is
kept. The times are typed as the policy's clock shows them (UK time for e-shot). Done, it
redirects (303).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

import sla
from activities.maintenance import administrators
from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.errors import InvalidInput, NotFound, PledgeError
from api.schemas import MaintenanceCreate, MaintenanceOut
from db.models import Account, Role
from reports.maintenance import service_words, window_words
from services import maintenance
from services.incidents import known_services
from sla.maintenance_rules import timezone_of
from web.console.desk_words import policy_words, problem_errors, validation_errors
from web.forms import checked, local_instant, posted
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]
Maker = Annotated[Principal, staff_page(*maintenance.MAKERS)]

DONE = {
    "scheduled": "The window was scheduled; the administrators of the accounts it affects "
    "have been sent the notice.",
    "cancelled": "The window was cancelled; everyone told of it has been told.",
}
NOT_SCHEDULED = "The window was not scheduled: what to change is said beside each field."
STATE_WORDS = {
    "scheduled": "Announced",
    "in_progress": "Under way",
    "completed": "Completed",
    "cancelled": "Cancelled",
}


def _policies() -> list[tuple[str, str]]:
    """Policies with a maintenance promise first: those are what windows are usually for."""
    keys = sorted(sla.policy_keys(), key=lambda k: (sla.get_policy(k).maintenance is None, k))
    return [(key, _policy_label(key)) for key in keys]


def _policy_label(key: str) -> str:
    policy = sla.get_policy(key)
    if policy.maintenance is None:
        return f"{policy_words(key)} (no maintenance hours promised)"
    return f"{policy_words(key)} ({policy.maintenance.window.replace('-', ' to ')})"


async def _told(session: Session, window: MaintenanceOut) -> dict[str, object]:
    """Who is (or was) told of `window`: the accounts by name, how many people, and the
    accounts with nobody to tell (no administrator, no representative)."""
    query = select(Account).order_by(Account.name)
    if window.account_ids:
        query = query.where(Account.id.in_(window.account_ids))
    else:
        query = query.where(Account.policy == window.policy)
    accounts = list(await session.scalars(query))
    people = {a.id: len(await administrators(session, a.id)) for a in accounts}
    return {
        "accounts": [a.name for a in accounts],
        "people": sum(people.values()),
        "nobody": [a.name for a in accounts if not people[a.id]],
        "named": bool(window.account_ids),
    }


async def _list_page(
    session: Session,
    viewer: Principal,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    cancel_problem: str = "",
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    now = datetime.now(UTC)
    windows = await maintenance.listing(session, viewer, now=now)
    current = [w for w in windows if w.state in ("scheduled", "in_progress") and w.ends_at > now]
    past = [w for w in reversed(windows) if w not in current][:20]
    accounts = list(await session.scalars(select(Account).order_by(Account.policy, Account.name)))
    return page(
        "console/maintenance/list.html",
        status_code=status_code,
        viewer=viewer,
        announced=current,
        past=past,
        policies=_policies(),
        told={w.id: await _told(session, w) for w in current},
        known_services=await known_services(session),
        accounts=[(a.id, a.name, policy_words(a.policy)) for a in accounts],
        can_change=viewer.has_role(*maintenance.MAKERS),
        typed=typed or {},
        errors=errors or {},
        problem=problem,
        cancel_problem=cancel_problem,
        flash=DONE.get(done, ""),
        when=lambda w: window_words(w.starts_at, w.ends_at, w.timezone, now),
        services=service_words,
        state_words=STATE_WORDS,
        policy_words=policy_words,
    )


@router.get("/console/maintenance", response_class=HTMLResponse)
async def list_page(session: Session, viewer: Reader, done: str = "") -> HTMLResponse:
    return await _list_page(session, viewer, done=done)


def _body(typed: dict[str, str], known: list[str]) -> MaintenanceCreate:
    """The form as the API's body: the times read on the chosen policy's clock."""
    key = typed.get("policy", "")
    try:
        zone = timezone_of(sla.get_policy(key))
    except sla.SlaLookupError:
        raise InvalidInput.for_field("body.policy", "choose one of the policies") from None
    services = [s for s in known if checked(typed, f"service_{s}")]
    account_ids = [
        int(name.removeprefix("account_"))
        for name in typed
        if name.startswith("account_")
        and name.removeprefix("account_").isdigit()
        and checked(typed, name)
    ]
    return MaintenanceCreate(
        title=typed.get("title", "").strip(),
        description=typed.get("description", "").strip(),
        services=services,
        starts_at=local_instant(typed.get("starts_at"), zone, "starts_at"),  # type: ignore[arg-type]
        ends_at=local_instant(typed.get("ends_at"), zone, "ends_at"),  # type: ignore[arg-type]
        policy=key,
        account_ids=account_ids,
    )


@router.post("/console/maintenance", response_model=None)
async def schedule_from_form(
    request: Request, session: Session, client: Temporal, settings: AppSettings, viewer: Maker
) -> Response:
    typed = await posted(request)
    try:
        body = _body(typed, await known_services(session))
    except ValidationError as exc:
        errors = {k.split(".")[0]: v for k, v in validation_errors(exc).items()}
        return await _list_page(
            session, viewer, typed=typed, errors=errors, problem=NOT_SCHEDULED, status_code=422
        )
    except PledgeError as exc:
        return await _list_page(
            session, viewer, typed=typed, errors=problem_errors(exc), problem=NOT_SCHEDULED,
            status_code=exc.status_code,
        )  # fmt: skip
    try:
        await maintenance.schedule(session, client, settings, viewer, body)
    except PledgeError as exc:
        errors = problem_errors(exc)
        return await _list_page(
            session, viewer, typed=typed, errors=errors,
            problem=NOT_SCHEDULED if errors else exc.detail, status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse("/console/maintenance?done=scheduled", status_code=303)


@router.post("/console/maintenance/{window_id}/cancel", response_model=None)
async def cancel_from_form(
    window_id: str, session: Session, client: Temporal, viewer: Maker
) -> Response:
    try:
        await maintenance.cancel(session, client, viewer, window_id)
    except NotFound:
        raise
    except PledgeError as exc:
        return await _list_page(
            session, viewer, cancel_problem=exc.detail, status_code=exc.status_code
        )
    return RedirectResponse("/console/maintenance?done=cancelled", status_code=303)
