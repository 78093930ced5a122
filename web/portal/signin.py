"""Signing in to the portal with a link e-mailed to the address a customer types.

The link opens a page with a button; only pressing it (a POST) signs in, because mail
scanners open links. Asking for a link answers the same whether or not the address may use
the portal, and links are sent at most PER_ADDRESS times in 15 minutes to one address.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth_failures import FailureLimiter
from api.deps import AppSettings, Session
from services import portal_access, user_mail
from web import sessions
from web.forms import posted
from web.portal.viewer import public_page, signed_in

log = logging.getLogger("pledge.portal")
router = APIRouter(include_in_schema=False)

HOME = "/portal"
PER_ADDRESS = 5
WINDOW_SECONDS = 15 * 60.0
NOTICES = {"signed-out": "You have signed out."}


def safe_next(target: str | None) -> str:
    """Only a page of the portal: never another site, nor a staff page."""
    if not target or not (target == HOME or target.startswith(HOME + "/")):
        return HOME
    if "//" in target or "\\" in target:
        return HOME
    return target


def _sent_too_often(request: Request, email: str) -> bool:
    limiter = getattr(request.app.state, "portal_link_requests", None)
    if limiter is None:
        limiter = request.app.state.portal_link_requests = FailureLimiter(
            PER_ADDRESS, WINDOW_SECONDS
        )
    key = email.strip().lower()
    if limiter.retry_after(key) is not None:
        return True
    limiter.failed(key)
    return False


@router.get("/portal/login", response_class=HTMLResponse)
async def login_form(
    request: Request, session: Session, next: str | None = None, email: str = ""
) -> Response:
    if await signed_in(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return public_page(
        request, "portal/login.html", next_path=safe_next(next), email=email[:320], error=None,
        notice=notice,
    )  # fmt: skip


@router.post("/portal/login", response_class=HTMLResponse)
async def ask_for_link(request: Request, session: Session, settings: AppSettings) -> Response:
    form = await posted(request)
    email, next_path = form.get("email", "").strip()[:320], safe_next(form.get("next"))
    if "@" not in email:
        return public_page(
            request, "portal/login.html", status_code=422, next_path=next_path, email=email,
            error="Enter the e-mail address we know you by, such as jane@example.com.",
            notice=None,
        )  # fmt: skip
    lifetime = timedelta(minutes=settings.portal_link_minutes)
    if not _sent_too_often(request, email):
        for contact, account in await portal_access.contacts_for_email(session, email):
            token = await portal_access.issue_link(session, contact, lifetime, next_path)
            await session.commit()
            subject, body = user_mail.portal_sign_in(settings, contact, account, token, lifetime)
            try:
                await user_mail.send_mail(settings, contact.email, contact.name, subject, body)
            except Exception:  # noqa: BLE001 - the answer must not differ; the log says why
                log.exception("the sign-in link for contact %s could not be sent", contact.id)
    # The same page whether or not a mail went: it cannot tell anyone who is a customer.
    minutes = round(lifetime.total_seconds() / 60)
    return public_page(request, "portal/link_sent.html", email=email, minutes=minutes)


@router.get("/portal/link/{token}", response_class=HTMLResponse)
async def link_page(token: str, request: Request, session: Session) -> Response:
    """What the e-mailed link opens: a button. Opening it changes nothing."""
    try:
        contact, account = await portal_access.link_contact(session, token)
    except portal_access.LinkNotValid:
        return public_page(request, "portal/link_gone.html", status_code=404)
    return public_page(
        request, "portal/link.html", contact=contact, account=account,
        action=f"/portal/link/{token}",
    )  # fmt: skip


@router.post("/portal/link/{token}")
async def use_link(
    token: str, request: Request, session: Session, settings: AppSettings
) -> Response:
    try:
        contact, next_path = await portal_access.use_link(session, token)
    except portal_access.LinkNotValid:
        await session.rollback()
        return public_page(request, "portal/link_gone.html", status_code=404)
    # A new value at every sign-in: a cookie planted before cannot become a signed-in one.
    if (old := sessions.session_token(request, sessions.PORTAL)) is not None:
        await sessions.end(session, old, sessions.PORTAL)
    value = await sessions.start(
        session, contact, settings, request.headers.get("user-agent"), sessions.PORTAL
    )
    response = RedirectResponse(safe_next(next_path), status_code=303)
    sessions.set_cookie(response, value, settings, sessions.PORTAL)
    return response


@router.post("/portal/logout")
async def logout(request: Request, session: Session, settings: AppSettings) -> Response:
    if (token := sessions.session_token(request, sessions.PORTAL)) is not None:
        await sessions.end(session, token, sessions.PORTAL)
    response = RedirectResponse("/portal/login?notice=signed-out", status_code=303)
    sessions.clear_cookie(response, settings, sessions.PORTAL)
    return response
