"""Signing in and out, and choosing a password through an invitation or a reset link.

Forms post ordinary form fields and are answered with a page or a 303 redirect, so they work
without JavaScript. Every answer that could tell whether an address has an account says the
same either way: a wrong address and a wrong password are one error, and asking for a reset
link gets the same page whether or not a mail was sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import AppSettings, Session
from api.errors import InvalidInput
from services import user_mail, users
from services.user_mail import send_mail
from web import login_limits, sessions
from web.pages import page

log = logging.getLogger("pledge.web")
router = APIRouter(include_in_schema=False)

HOME = "/console"
NOTICES = {
    "signed-out": "You have signed out.",
    "password-set": "Your password is set. Sign in with it now.",
    "session-ended": "Your session has ended. Please sign in again.",
}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never //evil.example or https://evil.example."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    return target


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _login_page(
    status: int = 200,
    *,
    next_path: str = HOME,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response = page(
        "signin/login.html",
        status_code=status,
        next_path=next_path,
        email=email,
        error=error,
        notice=notice,
    )
    response.headers.update(headers or {})
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, session: Session, settings: AppSettings, next: str | None = None
) -> Response:
    token = sessions.session_token(request)
    if token and await sessions.principal_for(session, token, settings) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return _login_page(next_path=safe_next(next), notice=notice)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: Session, settings: AppSettings) -> Response:
    form = await _form(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    next_path = safe_next(form.get("next"))
    if not email or not password:
        return _login_page(
            422,
            next_path=next_path,
            email=email,
            error="Enter your e-mail address and your password.",
        )
    wait = login_limits.wait_minutes(request, email)
    if wait is not None:
        return _login_page(
            429,
            next_path=next_path,
            email=email,
            error=(
                "There have been too many failed attempts to sign in. For your safety, "
                f"please wait {wait} minute{'s' if wait != 1 else ''} and try again, or "
                "reset your password."
            ),
            headers={"Retry-After": str(wait * 60)},
        )
    user = await users.find_by_email(session, email)
    # End the lookup's transaction: on SQLite a POST's holds the write lock, which the ~150 ms
    # of hashing must not keep from everyone else.
    await session.commit()
    if not await users.password_matches(user, password):
        login_limits.failed(request, email)
        return _login_page(
            401,
            next_path=next_path,
            email=email,
            error="That e-mail address and password do not match an account. Check both "
            "and try again.",
        )
    assert user is not None  # password_matches is False without one
    # A new value at every sign-in: a cookie planted before cannot become a signed-in one.
    if (old := sessions.session_token(request)) is not None:
        await sessions.end(session, old)
    token = await sessions.start(session, user, settings, request.headers.get("user-agent"))
    response = RedirectResponse(next_path, status_code=303)
    sessions.set_cookie(response, token, settings)
    return response


@router.post("/logout")
async def logout(request: Request, session: Session, settings: AppSettings) -> Response:
    if (token := sessions.session_token(request)) is not None:
        await sessions.end(session, token)
    response = RedirectResponse("/login?notice=signed-out", status_code=303)
    sessions.clear_cookie(response, settings)
    return response


# -- forgotten passwords ----------------------------------------------------------------------


@router.get("/password/forgot", response_class=HTMLResponse)
async def forgot_form() -> Response:
    return page("signin/forgot.html", email="", sent=False, error=None)


@router.post("/password/forgot", response_class=HTMLResponse)
async def forgot(request: Request, session: Session, settings: AppSettings) -> Response:
    form = await _form(request)
    email = form.get("email", "").strip()
    if not email:
        return page(
            "signin/forgot.html", status_code=422, email="", sent=False,
            error="Enter the e-mail address you sign in with.",
        )  # fmt: skip
    user = await users.find_by_email(session, email)
    # An address that has no account, or one still to accept its invitation, gets nothing:
    # the page says the same either way, so it cannot be used to find out who works here.
    if user is not None and user.password_hash is not None:
        lifetime = timedelta(minutes=settings.reset_link_minutes)
        token = await users.issue_token(session, user, users.RESET, lifetime)
        await session.commit()
        subject, body = user_mail.password_reset(settings, user, token, lifetime)
        try:
            await send_mail(settings, user.email, user.full_name, subject, body)
        except Exception:  # noqa: BLE001 - the answer must not differ; the log says why
            log.exception("the password reset mail to user %s could not be sent", user.id)
    return page("signin/forgot.html", email=email, sent=True, error=None)


# -- links that set a password: a reset, or accepting an invitation ---------------------------

LINKS: dict[str, dict[str, Any]] = {
    users.RESET: {"title": "Choose a new password", "button": "Set my new password"},
    users.INVITATION: {"title": "Welcome: choose your password", "button": "Set my password"},
}


async def _link_page(
    session: Session, token: str, purpose: str, *, error: str | None = None, status: int = 200
) -> Response:
    try:
        user = await users.token_user(session, token, purpose)
    except users.LinkNotValid:
        return page("signin/link_gone.html", status_code=404, purpose=purpose)
    return page(
        "signin/set_password.html",
        status_code=status,
        user=user,
        error=error,
        action=f"/{'invitations' if purpose == users.INVITATION else 'password/reset'}/{token}",
        **LINKS[purpose],
    )


async def _use_link(request: Request, session: Session, token: str, purpose: str) -> Response:
    form = await _form(request)
    password, again = form.get("password", ""), form.get("password_again", "")
    if password != again:
        return await _link_page(
            session, token, purpose, status=422, error="The two passwords are not the same."
        )
    try:
        await users.use_token(session, token, purpose, password)
    except users.LinkNotValid:
        return page("signin/link_gone.html", status_code=404, purpose=purpose)
    except InvalidInput as exc:
        await session.rollback()
        message = exc.errors[0].message if exc.errors else exc.detail
        return await _link_page(session, token, purpose, status=422, error=message)
    return RedirectResponse("/login?notice=password-set", status_code=303)


@router.get("/password/reset/{token}", response_class=HTMLResponse)
async def reset_form(token: str, session: Session) -> Response:
    return await _link_page(session, token, users.RESET)


@router.post("/password/reset/{token}", response_class=HTMLResponse)
async def reset(token: str, request: Request, session: Session) -> Response:
    return await _use_link(request, session, token, users.RESET)


@router.get("/invitations/{token}", response_class=HTMLResponse)
async def invitation_form(token: str, session: Session) -> Response:
    return await _link_page(session, token, users.INVITATION)


@router.post("/invitations/{token}", response_class=HTMLResponse)
async def accept_invitation(token: str, request: Request, session: Session) -> Response:
    return await _use_link(request, session, token, users.INVITATION)
