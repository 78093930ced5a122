"""Accounts and contacts: who the promises are made to, and who may see them."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.conftest import bearer


@pytest.fixture
async def manager(session: AsyncSession) -> dict[str, str]:
    return await bearer(session, Role.SUCCESS_MANAGER)


async def create(client: httpx.AsyncClient, headers: dict, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
    body.setdefault("name", "Acme Ltd")
    body.setdefault("policy", "spotler")
    return await client.post("/accounts", json=body, headers=headers)


async def test_create_read_and_list_accounts_with_contacts(
    client: httpx.AsyncClient, manager, agent_headers
) -> None:
    created = await create(
        client,
        manager,
        name="Acme Ltd",
        policy="essensys",
        edition="enterprise",
        calendar="us-pacific",
        account_manager_name="Ana",
        account_manager_email="ana@acme.example.com",
        webhook_url="https://93.184.215.14/pledge",  # a public address: no DNS, never called
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert (account["policy"], account["edition"], account["calendar"]) == (
        "essensys",
        "enterprise",
        "us-pacific",
    )
    contact = await client.post(
        f"/accounts/{account['id']}/contacts",
        json={
            "name": "Rae Rep",
            "email": "rae@acme.example.com",
            "phone": "555",
            "is_representative": True,
        },
        headers=agent_headers,
    )
    assert contact.status_code == 201, contact.text
    detail = (await client.get(f"/accounts/{account['id']}", headers=agent_headers)).json()
    assert [(c["name"], c["is_representative"]) for c in detail["contacts"]] == [("Rae Rep", True)]
    listed = (await client.get("/accounts", headers=agent_headers)).json()
    assert account["id"] in [a["id"] for a in listed]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"policy": "zendesk"}, "body.policy", "spotler"),
        ({"policy": "essensys", "calendar": "mars"}, "body.calendar", "us-pacific"),
        ({"edition": "platinum"}, "body.edition", "enterprise"),
        # e-shot sells one subscription with every service; there is no enterprise tier.
        ({"policy": "e-shot", "edition": "enterprise"}, "body.edition", "offers: standard"),
        ({"policy": "spotler", "edition": "enterprise"}, "body.edition", "offers: standard"),
        ({"account_manager_email": "not-an-address"}, "body.account_manager_email", "email"),
        ({"webhook_url": "ftp://x"}, "body.webhook_url", "URL"),
        ({"name": ""}, "body.name", "at least 1"),
    ],
)
async def test_bad_accounts_are_422_naming_the_field(
    client: httpx.AsyncClient, manager, body: dict, field: str, words: str
) -> None:
    response = await create(client, manager, **body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert words in response.json()["detail"]


async def test_names_are_unique_and_duplicates_change_nothing(
    client: httpx.AsyncClient, manager, agent_headers
) -> None:
    first = await create(client, manager, name="Twice Ltd")
    assert first.status_code == 201
    again = await create(client, manager, name="Twice Ltd", policy="e-shot")
    assert again.status_code == 409
    assert "Twice Ltd" in again.json()["detail"]
    same = [
        a
        for a in (await client.get("/accounts", headers=agent_headers)).json()
        if a["name"] == "Twice Ltd"
    ]
    assert [a["policy"] for a in same] == ["spotler"]
    contact = {"name": "A", "email": "a@twice.example.com"}
    url = f"/accounts/{first.json()['id']}/contacts"
    assert (await client.post(url, json=contact, headers=agent_headers)).status_code == 201
    assert (await client.post(url, json=contact, headers=agent_headers)).status_code == 409


async def test_agents_cannot_create_accounts_and_customers_see_their_own(
    client: httpx.AsyncClient, session: AsyncSession, manager, agent_headers
) -> None:
    assert (await create(client, agent_headers, name="Nope Ltd")).status_code == 403
    mine = (await create(client, manager, name="Mine Ltd")).json()
    theirs = (await create(client, manager, name="Theirs Ltd")).json()
    customer = await bearer(session, Role.CUSTOMER, account_id=mine["id"])
    assert [a["id"] for a in (await client.get("/accounts", headers=customer)).json()] == [
        mine["id"]
    ]
    assert (await client.get(f"/accounts/{theirs['id']}", headers=customer)).status_code == 403
    assert (await client.get("/accounts/987654", headers=agent_headers)).status_code == 404


async def test_an_edition_the_policy_does_not_sell_cannot_be_patched_in(
    client: httpx.AsyncClient, manager
) -> None:
    account = (await create(client, manager, name="One Tier Ltd", policy="e-shot")).json()
    assert account["edition"] == "standard"
    refused = await client.patch(
        f"/accounts/{account['id']}", json={"edition": "enterprise"}, headers=manager
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.edition"
    assert (
        "policy 'e-shot' offers no enterprise edition; it offers: standard"
        in (refused.json()["detail"])
    )
    # Other changes to the account still go through.
    renamed = await client.patch(
        f"/accounts/{account['id']}", json={"account_manager_name": None}, headers=manager
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["edition"] == "standard"
