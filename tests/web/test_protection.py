"""Cross-site forgery refused, and the headers every page is sent with."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.web.people import make_user, sign_in
from web.protection import CSP

VENDOR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor"


async def _admin_session(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, Role.ADMIN)
    assert (await sign_in(client, admin.email)).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example.com"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.pledge.test"},
        # An older browser, without Fetch Metadata: judged by Origin.
        {"Origin": "https://evil.example.com"},
        {"Origin": "null"},
    ],
)
async def test_a_cross_site_form_post_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    await _admin_session(client, session)
    forged = await client.post(
        "/console/admin/keys",
        data={"name": "planted", "role": "admin"},
        headers={**headers, "Accept": "text/html"},
    )
    assert forged.status_code == 403
    assert "sent from another website" in forged.text
    assert forged.headers["content-security-policy"] == CSP
    page = await client.get("/console/admin")
    assert "planted" not in page.text
    # Signing someone out from another site is refused too.
    assert (await client.post("/logout", headers=headers)).status_code == 403
    assert (await client.get("/console/admin")).status_code == 200


async def test_a_cross_site_api_call_is_refused_as_a_problem(client: httpx.AsyncClient) -> None:
    forged = await client.post("/accounts", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://pledge.test"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://pledge.test"},
        {},  # not a browser: curl, a script
    ],
)
async def test_same_origin_and_non_browser_posts_pass(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    await _admin_session(client, session)
    made = await client.post(
        "/console/admin/keys", data={"name": "from here", "role": "agent"}, headers=headers
    )
    assert made.status_code == 200, made.text
    assert 'id="new-key-secret"' in made.text


async def test_a_bearer_key_is_never_taken_for_a_forgery(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    # A browser never attaches an Authorization header by itself.
    made = await client.post(
        "/keys",
        json={"name": "scripted", "role": "agent"},
        headers={**admin_headers, "Sec-Fetch-Site": "cross-site"},
    )
    assert made.status_code == 201


async def test_pages_carry_the_security_headers_and_the_tracking_page_keeps_its_own(
    client: httpx.AsyncClient,
) -> None:
    login = await client.get("/login")
    assert login.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP
    assert login.headers["x-content-type-options"] == "nosniff"
    assert login.headers["x-frame-options"] == "DENY"
    assert login.headers["referrer-policy"] in ("same-origin", "no-referrer")
    track = await client.get("/track/T-0000-0000?token=x")
    assert track.headers["referrer-policy"] == "no-referrer"
    assert track.headers["cache-control"] == "no-store"
    assert track.headers["content-security-policy"] == CSP
    # The API docs start with inline scripts: they are left without the pages' policy.
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers


async def test_no_page_has_inline_scripts_or_styles_or_outside_assets(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/login", "/password/forgot", "/invitations/x"):
        html = (await client.get(path)).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert "https://" not in html and "http://" not in html.replace("http://www.w3.org", "")


async def test_vendored_files_are_as_recorded_and_cached_for_a_year(
    client: httpx.AsyncClient,
) -> None:
    sums = (VENDOR / "SHA256SUMS").read_text().split("\n")
    listed = [line.split("  ") for line in sums if line]
    assert len(listed) == 3
    for digest, name in listed:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        assert any((VENDOR / name).parent.glob("LICENSE*")), f"{name} has no licence"
        served = await client.get(f"/static/vendor/{name}")
        assert served.status_code == 200
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    own = await client.get("/static/console/console.js")
    assert own.status_code == 200 and own.headers["cache-control"] == "no-cache"
    assert (await client.get("/static/../settings.py")).status_code == 404
