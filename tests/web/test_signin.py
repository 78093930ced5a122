"""Signing in and out over HTTP: the cookie, the session behind it, and what ends it."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, User, WebSession
from db.types import utcnow
from services import users
from tests.web.people import PASSWORD, make_user, sign_in
from web import sessions


def _cookie(response: httpx.Response) -> str:
    return response.headers["set-cookie"]


async def test_signing_in_sets_an_opaque_http_only_cookie_and_redirects_to_next(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.AGENT)
    form = await client.get("/login?next=/console/tickets/T-1")
    assert form.status_code == 200
    assert 'name="email"' in form.text and 'name="password"' in form.text
    assert 'value="/console/tickets/T-1"' in form.text

    answer = await sign_in(client, user.email.upper(), next="/console/tickets/T-1")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/tickets/T-1"
    cookie = _cookie(answer)
    assert cookie.startswith(f"{sessions.STAFF.plain_cookie}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    # Over http (make run), Secure would make browsers drop it.
    assert "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    # 256 random bits and nothing else: no id, no address, no signature to forge.
    assert len(value) == 43 and user.email.split("@")[0] not in value
    stored = await session.scalar(select(WebSession).where(WebSession.user_id == user.id))
    assert stored is not None and stored.token_hash != value


async def test_a_session_resolves_to_the_users_principal(session: AsyncSession, settings) -> None:  # type: ignore[no-untyped-def]
    user = await make_user(
        session, Role.AGENT, Role.COMPLAINTS_HANDLER, full_name="Sam Lee", job_title="Agent"
    )
    token = await sessions.start(session, user, settings, "test")
    principal = await sessions.principal_for(session, token, settings)
    assert principal is not None
    assert principal.user_id == user.id and principal.key_id is None
    assert principal.name == "Sam Lee" and principal.full_name == "Sam Lee"
    assert principal.job_title == "Agent"
    assert principal.roles == {Role.AGENT, Role.COMPLAINTS_HANDLER}
    assert principal.role is Role.COMPLAINTS_HANDLER
    assert principal.has_role(Role.AGENT) and principal.has_role(Role.COMPLAINTS_HANDLER)
    assert not principal.has_role(Role.SUCCESS_MANAGER)
    assert principal.key_prefix == user.prefix and len(user.prefix) == 16


async def test_wrong_password_and_unknown_address_get_the_same_answer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    wrong = await sign_in(client, user.email, "not the password at all")
    unknown = await sign_in(client, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "set-cookie" not in wrong.headers
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", wrong.text) == strip.sub("", unknown.text)
    assert "do not match an account" in wrong.text


async def test_missing_fields_are_named_and_the_address_kept(client: httpx.AsyncClient) -> None:
    answer = await client.post("/login", data={"email": "jo@example.com"})
    assert answer.status_code == 422
    assert "Enter your e-mail address and your password" in answer.text
    assert 'value="jo@example.com"' in answer.text


async def test_next_never_leads_off_the_site(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    for target in ("https://evil.example.com/", "//evil.example.com", "/\\evil.example.com"):
        answer = await sign_in(client, user.email, next=target)
        assert answer.headers["location"] == "/console", target


async def test_a_page_needing_a_session_redirects_to_login(client: httpx.AsyncClient) -> None:
    answer = await client.get("/console/admin?tab=keys")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/console/admin%3Ftab%3Dkeys"


async def test_an_htmx_request_without_a_session_loads_the_sign_in_page_whole(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/console/admin", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and answer.text == ""
    assert answer.headers["hx-redirect"] == "/login?next=/console/admin"


async def test_signing_out_ends_the_session_for_good(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.ADMIN)
    await sign_in(client, user.email)
    assert (await client.get("/console/admin")).status_code == 200
    stolen = dict(client.cookies)
    out = await client.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login?notice=signed-out"
    assert 'pledge_session=""' in _cookie(out) or "Max-Age=0" in _cookie(out)
    # The same cookie value, replayed, opens nothing: the row is revoked.
    client.cookies.clear()
    client.cookies.update(stolen)
    replay = await client.get("/console/admin")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


async def test_revoked_idle_and_expired_sessions_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings
) -> None:  # type: ignore[no-untyped-def]
    user_id = (await make_user(session, Role.ADMIN)).id
    for change in (
        {"revoked_at": utcnow()},
        {"last_seen_at": utcnow() - timedelta(hours=settings.session_idle_hours, seconds=1)},
        {"expires_at": utcnow() - timedelta(seconds=1)},
    ):
        # A refused page rolls the shared test session back, which expires what it loaded.
        user = await session.get(User, user_id)
        assert user is not None
        token = await sessions.start(session, user, settings, "test")
        await session.commit()
        client.cookies.set(sessions.STAFF.plain_cookie, token)
        assert (await client.get("/console/admin")).status_code == 200
        await session.execute(
            update(WebSession).where(WebSession.user_id == user_id).values(**change)
        )
        await session.commit()
        answer = await client.get("/console/admin")
        assert answer.status_code == 303, change
        client.cookies.clear()


async def test_changing_the_password_or_removing_the_user_ends_their_sessions(
    client: httpx.AsyncClient, session: AsyncSession, settings
) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(session, Role.ADMIN, full_name="Ada Admin")
    user = await make_user(session, Role.ADMIN)
    token = await sessions.start(session, user, settings, "test")
    await users.set_password(session, user, "a brand new password")
    await session.commit()
    assert await sessions.principal_for(session, token, settings) is None

    token = await sessions.start(session, user, settings, "test")
    await users.remove_user(session, users.principal_of(admin), user.id)
    await session.commit()
    assert await sessions.principal_for(session, token, settings) is None
    assert await users.check_sign_in(session, user.email, "a brand new password") is None


async def test_signing_in_again_replaces_the_old_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await sign_in(client, user.email)
    first = client.cookies[sessions.STAFF.plain_cookie]
    await sign_in(client, user.email)
    second = client.cookies[sessions.STAFF.plain_cookie]
    assert first != second
    rows = list(await session.scalars(select(WebSession).where(WebSession.user_id == user.id)))
    assert sorted(row.revoked_at is None for row in rows) == [False, True]


async def test_many_wrong_passwords_are_slowed_for_the_address(
    client: httpx.AsyncClient, session: AsyncSession, settings
) -> None:  # type: ignore[no-untyped-def]
    user = await make_user(session)
    for _ in range(settings.login_failure_limit):
        assert (await sign_in(client, user.email, "guess guess guess")).status_code == 401
    # Even the right password now waits: the address is being guessed at.
    slowed = await sign_in(client, user.email.upper())
    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) > 0
    assert "too many failed attempts" in slowed.text
    assert "set-cookie" not in slowed.headers
    # Another address from the same client is not yet held back.
    other = await make_user(session)
    assert (await sign_in(client, other.email)).status_code == 303


async def test_many_addresses_from_one_client_are_slowed(
    client: httpx.AsyncClient, session: AsyncSession, settings
) -> None:  # type: ignore[no-untyped-def]
    from web.login_limits import PER_CLIENT

    for n in range(settings.login_failure_limit * PER_CLIENT):
        await sign_in(client, f"guess{n}@example.com", "guess guess guess")
    user = await make_user(session)
    assert (await sign_in(client, user.email)).status_code == 429


async def test_a_user_not_yet_past_the_invitation_cannot_sign_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, Role.ADMIN)
    invited = await users.invite_user(
        session,
        users.principal_of(admin),
        email="new.starter@example.com",
        full_name="New Starter",
        job_title=None,
        roles=[Role.AGENT],
        lifetime=timedelta(days=1),
    )
    await session.commit()
    assert invited.user.password_hash is None
    assert (await sign_in(client, "new.starter@example.com", "")).status_code == 422
    assert (await sign_in(client, "new.starter@example.com", PASSWORD)).status_code == 401
    stored = await session.scalar(select(User).where(User.email_key == "new.starter@example.com"))
    assert stored is not None


def test_over_https_the_cookie_is_secure_and_host_only() -> None:
    from fastapi.responses import Response

    from settings import Settings

    settings = Settings(public_url="https://pledge.example.com")
    response = Response()
    sessions.set_cookie(response, "value", settings)
    cookie = response.headers["set-cookie"]
    # __Host-: Secure, path /, no Domain, so no other host under example.com can set or read it.
    assert cookie.startswith("__Host-pledge_session=value;")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Domain" not in cookie
