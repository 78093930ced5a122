"""Signed-in sessions: a random value in an HttpOnly cookie, its SHA-256 in web_sessions.

Nothing about the person is in the cookie, so a session ends the moment its row says so:
signing out, a password change or the user's removal (services/users.revoke_sessions), an
idle spell longer than PLEDGE_SESSION_IDLE_HOURS, or PLEDGE_SESSION_MAX_DAYS after sign-in.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.keys import hash_secret
from db.models import User, WebSession
from db.types import utcnow
from services.users import principal_of
from settings import Settings

# __Host-: the browser keeps it only when Secure, for this host alone and path /, so no
# sibling subdomain can plant or read it. Over plain http (make run) it cannot be Secure.
SECURE_COOKIE = "__Host-pledge_session"
PLAIN_COOKIE = "pledge_session"
# last_seen_at is written at most this often: not one write per page view.
TOUCH_EVERY = timedelta(minutes=1)


def cookie_name(settings: Settings) -> str:
    return SECURE_COOKIE if settings.secure_cookies else PLAIN_COOKIE


def session_token(request: Request) -> str | None:
    settings: Settings = request.app.state.settings
    return request.cookies.get(cookie_name(settings)) or None


async def start(
    session: AsyncSession, user: User, settings: Settings, user_agent: str | None
) -> str:
    """A new session for `user`; the value for the cookie, which exists nowhere else."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=hash_secret(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=settings.session_max_days),
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await session.flush()
    return token


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        # The cookie outlives no session: the browser drops it when the row would end anyway.
        max_age=int(timedelta(days=settings.session_max_days).total_seconds()),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


async def current(session: AsyncSession, token: str, settings: Settings) -> WebSession | None:
    """The live session behind a cookie value, touched; None when it has ended."""
    row = await session.scalar(
        select(WebSession).where(WebSession.token_hash == hash_secret(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(hours=settings.session_idle_hours)
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        await _touch(session, row, now)
    return row


async def _touch(session: AsyncSession, row: WebSession, now: datetime) -> None:
    """Best effort: a page read on SQLite may meet another writer; the session is still good
    and the next request tries again, so a refused write is not the reader's problem."""
    try:
        async with session.begin_nested():
            await session.execute(
                update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
            )
    except OperationalError:
        return


async def principal_for(session: AsyncSession, token: str, settings: Settings) -> Principal | None:
    row = await current(session, token, settings)
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.removed_at is not None or not user.roles:
        return None
    return principal_of(user)


async def end(session: AsyncSession, token: str) -> None:
    row = await session.scalar(
        select(WebSession).where(WebSession.token_hash == hash_secret(token))
    )
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
