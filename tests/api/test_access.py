"""Every route but /health and the docs needs a key; roles decide the rest."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.keys import hash_secret, mint_key
from db.models import Account, ApiKey, Edition, Role
from tests.conftest import bearer

# The public maintenance calendar is meant for calendar apps, which send no key.
PUBLIC = {
    "/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
    "/status/maintenance.ics",
}  # fmt: skip


async def an_account(session: AsyncSession) -> int:
    account = Account(
        name=f"Bound {secrets.token_hex(3)}", policy="e-shot", edition=Edition.STANDARD
    )
    session.add(account)
    await session.flush()
    return account.id


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_non_public_route_refuses_a_request_without_a_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        if path in PUBLIC:
            continue
        for method in operations:
            response = await client.request(method.upper(), _concrete(path))
            assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
            assert response.headers["www-authenticate"] == "Bearer"
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json"])
async def test_public_routes_need_no_key(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code in (200, 503)


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Bearer pledge_nope"})
    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is not recognised"


async def test_other_schemes_are_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401


async def test_revoked_key_is_401(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers
) -> None:
    minted = await mint_key(session, name="leaving", role=Role.AGENT)
    await session.commit()
    headers = {"Authorization": f"Bearer {minted.secret}"}
    assert (await client.get("/me", headers=headers)).status_code == 200
    revoked = await client.post(f"/keys/{minted.key.id}/revoke", headers=admin_headers)
    assert revoked.status_code == 200
    response = await client.get("/me", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER, Role.CUSTOMER]
)
async def test_key_management_is_for_admins_only(
    client: httpx.AsyncClient, session: AsyncSession, role: Role
) -> None:
    account_id = await an_account(session) if role is Role.CUSTOMER else None
    headers = await bearer(session, role, account_id=account_id)
    response = await client.get("/keys", headers=headers)
    assert response.status_code == 403
    assert f"your key has the role {role.value}" in response.json()["detail"]
    created = await client.post("/keys", json={"name": "x", "role": "admin"}, headers=headers)
    assert created.status_code == 403


async def test_me_shows_role_and_account_binding(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account_id = await an_account(session)
    headers = await bearer(session, Role.CUSTOMER, account_id=account_id)
    body = (await client.get("/me", headers=headers)).json()
    assert body["role"] == "customer"
    assert body["account_id"] == account_id


async def test_created_key_works_and_only_its_hash_is_stored(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers
) -> None:
    response = await client.post(
        "/keys", json={"name": "Sam", "role": "agent"}, headers=admin_headers
    )
    assert response.status_code == 201
    created = response.json()
    secret = created["secret"]
    # Keys are told apart by the start of their hash, never by the start of the secret.
    assert "prefix" not in created
    assert created["fingerprint"] == hash_secret(secret)[:8]
    assert datetime.fromisoformat(created["created_at"]).utcoffset() is not None

    row = await session.scalar(select(ApiKey).where(ApiKey.id == created["id"]))
    assert row is not None
    stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
    assert secret not in stored
    assert row.secret_hash == hash_secret(secret)

    me = await client.get("/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["name"] == "Sam"
    listing = await client.get("/keys", headers=admin_headers)
    assert secret not in listing.text and secret[:10] not in listing.text
    assert created["fingerprint"] in [key["fingerprint"] for key in listing.json()]
    assert created["id"] in [key["id"] for key in listing.json()]


async def test_customer_keys_must_be_bound_and_others_must_not(
    client: httpx.AsyncClient, admin_headers
) -> None:
    unbound = await client.post(
        "/keys", json={"name": "c", "role": "customer"}, headers=admin_headers
    )
    assert unbound.status_code == 422
    assert unbound.json()["errors"][0]["field"] == "account_id"
    bound_agent = await client.post(
        "/keys", json={"name": "a", "role": "agent", "account_id": 3}, headers=admin_headers
    )
    assert bound_agent.status_code == 422


async def test_revoking_an_unknown_key_is_404(client: httpx.AsyncClient, admin_headers) -> None:
    response = await client.post("/keys/999999/revoke", headers=admin_headers)
    assert response.status_code == 404
    assert "999999" in response.json()["detail"]


async def test_an_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    minted = await mint_key(session, name="me", role=Role.ADMIN)
    await session.commit()
    response = await client.post(
        f"/keys/{minted.key.id}/revoke", headers={"Authorization": f"Bearer {minted.secret}"}
    )
    assert response.status_code == 409


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_work_without_internet(client: httpx.AsyncClient, page: str) -> None:
    html = (await client.get(page)).text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        response = await client.get(asset)
        assert response.status_code == 200 and len(response.content) > 10_000, asset


async def test_a_customer_key_binds_only_to_an_account_that_exists(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers
) -> None:
    before = await session.scalar(select(func.count()).select_from(ApiKey))
    for account_id in (987654, 2**31 - 1):
        response = await client.post(
            "/keys",
            json={"name": "early", "role": "customer", "account_id": account_id},
            headers=admin_headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [
            {"field": "account_id", "message": f"there is no account with id {account_id}"}
        ]
    assert await session.scalar(select(func.count()).select_from(ApiKey)) == before
    account_id = await an_account(session)
    bound = await client.post(
        "/keys",
        json={"name": "portal", "role": "customer", "account_id": account_id},
        headers=admin_headers,
    )
    assert bound.status_code == 201, bound.text
    assert bound.json()["account_id"] == account_id
