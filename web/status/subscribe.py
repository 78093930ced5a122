"""Subscribing to the status page by e-mail, confirming, and unsubscribing.

POST /status/subscribe mails a confirmation link and answers the same "check your e-mail"
page whether or not the address is subscribed already. Its link opens a page with a button;
only pressing it (a POST) subscribes, because mail scanners open links. Requests are limited
per address (PER_ADDRESS in 15 minutes, beyond which no more mail is sent, silently) and per
client (PER_CLIENT, beyond which the page says to wait), as the portal's sign-in links are.

Every status mail carries /status/unsubscribe/<signed token>, also in its List-Unsubscribe
header with List-Unsubscribe-Post (RFC 8058): a POST there unsubscribes at once (what a mail
program's button sends), a GET shows a button.
"""

from __future__ import annotations

import logging
import math
import re
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth_failures import FailureLimiter
from api.deps import AppSettings, Session
from db.models import StatusSubscription
from outbound.status_links import subscription_of
from outbound.ticket_links import link_secret
from services import status_page, status_subscriptions, user_mail
from web.status.render import public_status_page

log = logging.getLogger("pledge.status")
router = APIRouter(include_in_schema=False)

PER_ADDRESS = 5
PER_CLIENT = 20
WINDOW_SECONDS = 15 * 60.0
# Enough to refuse what is plainly not an address; the confirmation mail proves the rest.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _limiter(request: Request, name: str, limit: int) -> FailureLimiter:
    limiter = getattr(request.app.state, name, None)
    if limiter is None:
        limiter = FailureLimiter(limit, WINDOW_SECONDS)
        setattr(request.app.state, name, limiter)
    return limiter


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/status/subscribe")
async def subscribe_form() -> RedirectResponse:
    """The form's address opened (a reload after a refused form, a bookmark): the form."""
    return RedirectResponse("/status#subscribe", status_code=303)


@router.post("/status/subscribe", response_class=HTMLResponse)
async def subscribe(request: Request, session: Session, settings: AppSettings) -> Response:
    raw = (await request.body()).decode("utf-8", errors="replace")
    pairs = parse_qsl(raw, keep_blank_values=True)
    email = next((v for k, v in reversed(pairs) if k == "email"), "").strip()[:320]
    chosen = list(dict.fromkeys(v for k, v in pairs if k == "service"))
    names = await status_page.service_names(session)
    errors = {}
    if not EMAIL.match(email):
        errors["email"] = "enter your e-mail address, such as jane@example.com"
    unknown = [s for s in chosen if s not in names]
    if unknown:
        errors["service"] = f"there is no service {', '.join(unknown)} on this page"
    elif names and not chosen:
        errors["service"] = "choose at least one service to hear about"
    if errors:
        shown = await status_page.read(session)
        return public_status_page(
            request, "status/page.html", status_code=422, s=shown, errors=errors,
            typed={"email": email, "services": chosen},
            # A visitor reads sentences, not field names (each field says its own beside it).
            problem=" ".join(f"{v[:1].upper()}{v[1:]}." for v in errors.values()),
        )  # fmt: skip
    by_client = _limiter(request, "status_subscribe_clients", PER_CLIENT)
    if (wait := by_client.retry_after(_client(request))) is not None:
        return public_status_page(
            request, "status/problem.html", status_code=429, title="Too many requests",
            detail=f"Too many subscriptions were asked for from here. Please try again in "
            f"{math.ceil(wait / 60)} minutes.",
        )  # fmt: skip
    by_client.failed(_client(request))
    # Every service chosen means every service, those added later too.
    services = None if set(chosen) >= set(names) else chosen
    by_address = _limiter(request, "status_subscribe_addresses", PER_ADDRESS)
    key = status_subscriptions.email_key(email)
    if by_address.retry_after(key) is None:
        by_address.failed(key)
        token = await status_subscriptions.ask(session, email, services)
        await session.commit()
        subject, body = status_subscriptions.confirmation_mail(settings, token, services, names)
        try:
            await user_mail.send_mail(settings, email, "", subject, body)
        except Exception:  # noqa: BLE001 - the answer must not differ; the log says why
            log.exception("the status page's confirmation mail could not be sent")
    return public_status_page(
        request, "status/check_mail.html", email=email, hours=status_subscriptions.CONFIRM_HOURS
    )


@router.get("/status/confirm/{token}", response_class=HTMLResponse)
async def confirm_page(token: str, request: Request, session: Session) -> Response:
    """What the mailed link opens: a button. Opening it changes nothing."""
    try:
        link = await status_subscriptions.pending(session, token)
    except status_subscriptions.LinkNotValid:
        return public_status_page(request, "status/link_gone.html", status_code=404)
    names = await status_page.service_names(session)
    return public_status_page(
        request, "status/confirm.html", email=link.email, services=link.services, names=names,
        action=f"/status/confirm/{token}",
    )  # fmt: skip


@router.post("/status/confirm/{token}", response_class=HTMLResponse)
async def confirm(token: str, request: Request, session: Session) -> Response:
    try:
        subscription = await status_subscriptions.confirm(session, token)
    except status_subscriptions.LinkNotValid:
        await session.rollback()
        return public_status_page(request, "status/link_gone.html", status_code=404)
    names = await status_page.service_names(session)
    return public_status_page(
        request, "status/subscribed.html", email=subscription.email,
        services=subscription.services, names=names,
    )  # fmt: skip


@router.get("/status/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(
    token: str, request: Request, session: Session, settings: AppSettings
) -> Response:
    """The link in each mail: a button (a link opened by a scanner unsubscribes nobody)."""
    subscription_id = subscription_of(link_secret(settings), token)
    found = (
        await session.get(StatusSubscription, subscription_id)
        if subscription_id is not None
        else None
    )
    if found is None:
        return public_status_page(request, "status/link_gone.html", status_code=404)
    return public_status_page(
        request, "status/unsubscribe.html", email=found.email,
        done=found.unsubscribed_at is not None, action=f"/status/unsubscribe/{token}",
    )  # fmt: skip


@router.post("/status/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(
    token: str, request: Request, session: Session, settings: AppSettings
) -> Response:
    """One click (RFC 8058): a mail program posts `List-Unsubscribe=One-Click` here."""
    subscription_id = subscription_of(link_secret(settings), token)
    found = (
        await status_subscriptions.unsubscribe(session, subscription_id)
        if subscription_id is not None
        else None
    )
    if found is None:
        return public_status_page(request, "status/link_gone.html", status_code=404)
    return public_status_page(
        request, "status/unsubscribe.html", email=found.email, done=True, action=""
    )
