"""Signed-in sessions: a random value in an HttpOnly cookie, its SHA-256 in a table.

Nothing about the person is in the cookie, so a session ends the moment its row says so:
signing out, a password change or the user's removal (services/users.revoke_sessions), an
idle spell longer than PLEDGE_SESSION_IDLE_HOURS, or PLEDGE_SESSION_MAX_DAYS after sign-in.
Staff (web_sessions, the console) and customers (portal_sessions, the portal) have a cookie
and a table each, so a member of staff trying the portal in the same browser stays two people.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.keys import hash_secret
from db.models import Contact, PortalSession, User, WebSession
from db.types import utcnow
from services.users import principal_of
from settings import Settings

SessionRow = WebSession | PortalSession


@dataclass(frozen=True)
class Kind:
    """Whose sessions: the table that holds them and the cookie that carries them."""

    model: type[WebSession] | type[PortalSession]
    owner: str  # the column naming whose session it is
    # __Host-: the browser keeps it only when Secure, for this host alone and path /, so no
    # sibling subdomain can plant or read it. Over plain http (make run) it cannot be Secure.
    secure_cookie: str
    plain_cookie: str


STAFF = Kind(WebSession, "user_id", "__Host-pledge_session", "pledge_session")
PORTAL = Kind(PortalSession, "contact_id", "__Host-pledge_portal", "pledge_portal")
# last_seen_at is written at most this often: not one write per page view.
TOUCH_EVERY = timedelta(minutes=1)


def cookie_name(settings: Settings, kind: Kind = STAFF) -> str:
    return kind.secure_cookie if settings.secure_cookies else kind.plain_cookie


def session_token(request: Request, kind: Kind = STAFF) -> str | None:
    settings: Settings = request.app.state.settings
    return request.cookies.get(cookie_name(settings, kind)) or None


async def start(
    session: AsyncSession,
    owner: User | Contact,
    settings: Settings,
    user_agent: str | None,
    kind: Kind = STAFF,
) -> str:
    """A new session for `owner`; the value for the cookie, which exists nowhere else."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        kind.model(
            token_hash=hash_secret(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=settings.session_max_days),
            user_agent=(user_agent or "")[:300] or None,
            **{kind.owner: owner.id},
        )
    )
    await session.flush()
    return token


def set_cookie(response: Response, token: str, settings: Settings, kind: Kind = STAFF) -> None:
    response.set_cookie(
        cookie_name(settings, kind),
        token,
        # The cookie outlives no session: the browser drops it when the row would end anyway.
        max_age=int(timedelta(days=settings.session_max_days).total_seconds()),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, settings: Settings, kind: Kind = STAFF) -> None:
    response.delete_cookie(
        cookie_name(settings, kind),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


async def _row(session: AsyncSession, token: str, kind: Kind) -> SessionRow | None:
    model = kind.model
    return await session.scalar(select(model).where(model.token_hash == hash_secret(token)))


async def current(
    session: AsyncSession, token: str, settings: Settings, kind: Kind = STAFF
) -> SessionRow | None:
    """The live session behind a cookie value, touched; None when it has ended."""
    row = await _row(session, token, kind)
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(hours=settings.session_idle_hours)
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        await _touch(session, row, now)
    return row


async def _touch(session: AsyncSession, row: SessionRow, now: datetime) -> None:
    """Best effort: a page read on SQLite may meet another writer; the session is still good
    and the next request tries again, so a refused write is not the reader's problem."""
    try:
        async with session.begin_nested():
            await session.execute(
                update(type(row)).where(type(row).id == row.id).values(last_seen_at=now)
            )
    except OperationalError:
        return


async def principal_for(session: AsyncSession, token: str, settings: Settings) -> Principal | None:
    row = await current(session, token, settings)
    if row is None:
        return None
    assert isinstance(row, WebSession)
    user = await session.get(User, row.user_id)
    if user is None or user.removed_at is not None or not user.roles:
        return None
    return principal_of(user)


async def end(session: AsyncSession, token: str, kind: Kind = STAFF) -> None:
    row = await _row(session, token, kind)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
