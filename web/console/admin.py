"""/console/admin (admins only): the people who sign in, and the API keys machines use.

Users: invite (a mail with a single-use link to choose a password), change roles, remove (their
sessions end at once). Keys: list, create (the secret is shown on the answer page once, never
in a URL), revoke. Every form posts and is answered with a redirect carrying a notice, or the
page again with what is wrong beside the field and what was typed kept.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.deps import AppSettings, Session
from api.errors import Conflict, InvalidInput, NotFound
from db.models import Role
from services import keys as key_service
from services import user_mail, users
from web.pages import page
from web.signin import send_mail
from web.viewer import staff_page

log = logging.getLogger("pledge.web")
router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, staff_page()]

KEY_ROLES = (Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER, Role.ADMIN, Role.CUSTOMER)
NOTICES = {
    "invited": "The invitation is on its way.",
    "invite-unsent": "The user was added, but the invitation mail could not be sent: "
    "send it again with “Invite again”.",
    "roles": "The roles are changed.",
    "removed": "The user is removed and signed out everywhere.",
    "revoked": "The key is revoked; requests with it are refused from now on.",
}


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    roles = [v for v in form.getlist("roles") if isinstance(v, str)]
    return values, roles


async def _admin_page(
    session: Session,
    viewer: Principal,
    *,
    status: int = 200,
    notice: str | None = None,
    invite: dict[str, Any] | None = None,
    key_form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    new_key: Any = None,
    row_error: str | None = None,
) -> HTMLResponse:
    return page(
        "console/admin/index.html",
        status_code=status,
        viewer=viewer,
        notice=notice,
        row_error=row_error,
        people=await users.list_users(session),
        keys=await key_service.list_keys(session, viewer),
        invite=invite or {"email": "", "full_name": "", "job_title": "", "roles": ["agent"]},
        key_form=key_form or {"name": "", "role": "agent", "account_id": ""},
        errors=errors or {},
        new_key=new_key,
        staff_roles=users.STAFF_ROLES,
        role_names=users.ROLE_NAMES,
        key_roles=KEY_ROLES,
    )


def _field_errors(exc: InvalidInput) -> dict[str, str]:
    return {p.field: p.message for p in exc.errors or []} or {"form": exc.detail}


@router.get("/console/admin", response_class=HTMLResponse)
async def admin(request: Request, viewer: Admin, session: Session) -> Response:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return await _admin_page(session, viewer, notice=notice)


@router.post("/console/admin/users", response_class=HTMLResponse)
async def invite(
    request: Request, viewer: Admin, session: Session, settings: AppSettings
) -> Response:
    values, roles = await _form(request)
    typed = {
        "email": values.get("email", ""),
        "full_name": values.get("full_name", ""),
        "job_title": values.get("job_title", ""),
        "roles": roles,
    }
    lifetime = timedelta(days=settings.invitation_days)
    try:
        invited = await users.invite_user(
            session,
            viewer,
            email=typed["email"],
            full_name=typed["full_name"],
            job_title=typed["job_title"],
            roles=roles,
            lifetime=lifetime,
        )
    except InvalidInput as exc:
        await session.rollback()
        return await _admin_page(
            session, viewer, status=422, invite=typed, errors=_field_errors(exc)
        )
    await session.commit()
    subject, body = user_mail.invitation(settings, invited.user, invited.token, lifetime)
    try:
        await send_mail(settings, invited.user.email, invited.user.full_name, subject, body)
    except Exception:  # noqa: BLE001 - the admin is told, and can invite again
        log.exception("the invitation to user %s could not be sent", invited.user.id)
        return RedirectResponse("/console/admin?notice=invite-unsent", status_code=303)
    return RedirectResponse("/console/admin?notice=invited", status_code=303)


@router.post("/console/admin/users/{user_id}/reinvite", response_class=HTMLResponse)
async def reinvite(
    user_id: int, viewer: Admin, session: Session, settings: AppSettings
) -> Response:
    try:
        user = await users.get_user(session, user_id)
    except NotFound as exc:
        return await _admin_page(session, viewer, status=404, row_error=exc.detail)
    lifetime = timedelta(days=settings.invitation_days)
    token = await users.issue_token(session, user, users.INVITATION, lifetime)
    await session.commit()
    subject, body = user_mail.invitation(settings, user, token, lifetime)
    try:
        await send_mail(settings, user.email, user.full_name, subject, body)
    except Exception:  # noqa: BLE001
        log.exception("the invitation to user %s could not be sent", user.id)
        return RedirectResponse("/console/admin?notice=invite-unsent", status_code=303)
    return RedirectResponse("/console/admin?notice=invited", status_code=303)


@router.post("/console/admin/users/{user_id}/roles", response_class=HTMLResponse)
async def change_roles(user_id: int, request: Request, viewer: Admin, session: Session) -> Response:
    _, roles = await _form(request)
    try:
        await users.change_roles(session, viewer, user_id, roles)
    except (InvalidInput, Conflict, NotFound) as exc:
        await session.rollback()
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
        message = exc.errors[0].message if getattr(exc, "errors", None) else exc.detail
        return await _admin_page(session, viewer, status=status, row_error=message)
    return RedirectResponse("/console/admin?notice=roles", status_code=303)


@router.post("/console/admin/users/{user_id}/remove", response_class=HTMLResponse)
async def remove(user_id: int, viewer: Admin, session: Session) -> Response:
    try:
        await users.remove_user(session, viewer, user_id)
    except (Conflict, NotFound) as exc:
        await session.rollback()
        status = 404 if isinstance(exc, NotFound) else 409
        return await _admin_page(session, viewer, status=status, row_error=exc.detail)
    return RedirectResponse("/console/admin?notice=removed", status_code=303)


@router.post("/console/admin/keys", response_class=HTMLResponse)
async def create_key(request: Request, viewer: Admin, session: Session) -> Response:
    values, _ = await _form(request)
    typed = {
        "name": values.get("name", "").strip(),
        "role": values.get("role", ""),
        "account_id": values.get("account_id", "").strip(),
    }
    errors: dict[str, str] = {}
    if not typed["name"]:
        errors["name"] = "Say who or what the key is for."
    elif len(typed["name"]) > 200:
        errors["name"] = "Use at most 200 characters."
    if typed["role"] not in {r.value for r in KEY_ROLES}:
        errors["role"] = "Choose a role."
    account_id = None
    if typed["account_id"]:
        if not typed["account_id"].isdigit() or int(typed["account_id"]) > 2**31 - 1:
            errors["account_id"] = "An account is a number, as on its page."
        else:
            account_id = int(typed["account_id"])
    if not errors:
        try:
            minted = await key_service.create_key(
                session, viewer, name=typed["name"], role=Role(typed["role"]), account_id=account_id
            )
        except InvalidInput as exc:
            await session.rollback()
            errors = _field_errors(exc)
        else:
            await session.commit()
            # Shown on this answer only: a redirect would have to carry the secret in a URL.
            return await _admin_page(session, viewer, new_key=minted)
    return await _admin_page(session, viewer, status=422, key_form=typed, errors=errors)


@router.post("/console/admin/keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_key(key_id: int, viewer: Admin, session: Session) -> Response:
    try:
        await key_service.revoke_key(session, viewer, key_id)
    except (Conflict, NotFound) as exc:
        await session.rollback()
        status = 404 if isinstance(exc, NotFound) else 409
        return await _admin_page(session, viewer, status=status, row_error=exc.detail)
    return RedirectResponse("/console/admin?notice=revoked", status_code=303)
