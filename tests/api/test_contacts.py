"""Contacts are people who change: corrected, made representatives, named report recipients,
and removed when they leave, with their tickets' history kept."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import Contact, Role, Ticket
from tests.api.conftest import Live
from tests.conftest import bearer


@pytest.fixture
async def manager(session: AsyncSession) -> dict[str, str]:
    return await bearer(session, Role.SUCCESS_MANAGER)


async def account_with(
    client: httpx.AsyncClient, manager: dict[str, str], agent: dict[str, str], policy: str
) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    made = await client.post(
        "/accounts", json={"name": f"{policy} Contacts Ltd", "policy": policy}, headers=manager
    )
    assert made.status_code == 201, made.text
    account = made.json()["id"]
    people = []
    for body in (
        {"name": "Rae Rep", "email": "rae@contacts.example.com", "is_representative": True},
        {"name": "Pat Plain", "email": "pat@contacts.example.com", "phone": "0100"},
    ):
        added = await client.post(f"/accounts/{account}/contacts", json=body, headers=agent)
        assert added.status_code == 201, added.text
        people.append(added.json())
    return account, people


async def test_report_recipients_default_to_representatives_and_can_be_named(
    client: httpx.AsyncClient, manager, agent_headers
) -> None:
    account, (rae, pat) = await account_with(client, manager, agent_headers, "e-shot")
    assert (rae["receives_reports"], pat["receives_reports"]) == (True, False)
    url = f"/accounts/{account}/contacts/{pat['id']}"
    changed = await client.patch(
        url, json={"receives_reports": True, "phone": "01483 911 411"}, headers=agent_headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["receives_reports"], changed.json()["phone"]) == (True, "01483 911 411")
    assert changed.json()["name"] == "Pat Plain"  # what was not given stays
    unmade = await client.patch(
        f"/accounts/{account}/contacts/{rae['id']}",
        json={"is_representative": False},
        headers=agent_headers,
    )
    assert (unmade.json()["is_representative"], unmade.json()["receives_reports"]) == (False, False)
    back = await client.patch(
        url, json={"receives_reports": None, "phone": None}, headers=agent_headers
    )
    assert (back.json()["receives_reports"], back.json()["phone"]) == (False, None)
    listed = (await client.get(f"/accounts/{account}/contacts", headers=agent_headers)).json()
    assert [(c["name"], c["is_representative"]) for c in listed] == [
        ("Pat Plain", False),
        ("Rae Rep", False),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "body.email"),
        ({"name": None}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"is_representative": None}, "body.is_representative"),
        ({"phone": "1" * 51}, "body.phone"),
        ({"nickname": "Rae"}, "body.nickname"),
    ],
)
async def test_bad_contact_changes_are_422_naming_the_field(
    client: httpx.AsyncClient, manager, agent_headers, body: dict, field: str
) -> None:
    account, (rae, _) = await account_with(client, manager, agent_headers, "spotler")
    response = await client.patch(
        f"/accounts/{account}/contacts/{rae['id']}", json=body, headers=agent_headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_unknown_foreign_and_clashing_contacts(
    client: httpx.AsyncClient, session: AsyncSession, manager, agent_headers
) -> None:
    account, (rae, pat) = await account_with(client, manager, agent_headers, "spotler")
    other, (stranger, _) = await account_with(client, manager, agent_headers, "web-agency")
    for method in ("PATCH", "DELETE"):
        for path in (
            f"/accounts/{account}/contacts/987654",
            f"/accounts/{account}/contacts/{stranger['id']}",  # another account's contact
            f"/accounts/987654/contacts/{rae['id']}",
        ):
            response = await client.request(
                method, path, json={"phone": "1"} if method == "PATCH" else None,
                headers=agent_headers,
            )  # fmt: skip
            assert response.status_code == 404, (method, path, response.text)
    clash = await client.patch(
        f"/accounts/{account}/contacts/{pat['id']}",
        json={"email": rae["email"]},
        headers=agent_headers,
    )
    assert clash.status_code == 409 and rae["email"] in clash.json()["detail"]
    # Customers, of this account or another, change no contacts.
    for customer_of in (account, other):
        customer = await bearer(session, Role.CUSTOMER, account_id=customer_of)
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method, f"/accounts/{account}/contacts/{pat['id']}",
                json={"phone": "1"} if method == "PATCH" else None, headers=customer,
            )  # fmt: skip
            assert response.status_code == 403, response.text
    unchanged = await session.get(Contact, pat["id"])
    assert unchanged is not None and unchanged.phone == "0100" and unchanged.removed_at is None


async def test_a_leaver_is_removed_but_their_tickets_keep_them(
    live: Live, engine: AsyncEngine
) -> None:
    account = (await live.account("e-shot"))["id"]
    rae = await live.contact(account, name="Rae Rep", is_representative=True)
    pat = await live.contact(account, name="Pat Plain")
    agent = live.as_("agent")
    opened = await live.open(account_id=account, contact_id=pat["id"], priority="p3")
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    url = f"/accounts/{account}/contacts/{pat['id']}"
    assert (await live.http.delete(url, headers=agent)).status_code == 204
    assert (await live.http.delete(url, headers=agent)).status_code == 204  # no change
    listed = (await live.http.get(f"/accounts/{account}/contacts", headers=agent)).json()
    assert [c["id"] for c in listed] == [rae["id"]]
    detail = (await live.http.get(f"/accounts/{account}", headers=agent)).json()
    assert [c["id"] for c in detail["contacts"]] == [rae["id"]]
    edited = await live.http.patch(url, json={"phone": "1"}, headers=agent)
    assert edited.status_code == 409 and "removed" in edited.json()["detail"]
    refused = await live.open(account_id=account, contact_id=pat["id"], priority="p3")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.contact_id"
    assert "removed" in refused.json()["detail"]
    # The ticket still names them, and their row is kept.
    shown = await live.http.get(f"/tickets/{reference}", headers=agent)
    assert shown.json()["contact_id"] == pat["id"]
    async with AsyncSession(engine) as session:
        kept = await session.get(Contact, pat["id"])
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
    assert kept is not None and kept.name == "Pat Plain" and kept.removed_at is not None
    assert ticket is not None and ticket.contact_id == pat["id"]
    # Back again with the same address: the same person, listed once more.
    back = await live.http.post(
        f"/accounts/{account}/contacts",
        json={"name": "Pat Plain", "email": pat["email"]},
        headers=agent,
    )
    assert back.status_code == 201 and back.json()["id"] == pat["id"]
    listed = (await live.http.get(f"/accounts/{account}/contacts", headers=agent)).json()
    assert sorted(c["id"] for c in listed) == sorted([rae["id"], pat["id"]])


async def test_a_policy_without_account_managers_names_none(
    client: httpx.AsyncClient, manager
) -> None:
    refused = await client.post(
        "/accounts",
        json={"name": "No AM Ltd", "policy": "e-shot", "account_manager_name": "Ana"},
        headers=manager,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.account_manager_name"
    assert "no account managers" in refused.json()["detail"]
    made = await client.post(
        "/accounts",
        json={"name": "No AM Ltd", "policy": "e-shot", "success_manager_name": "Sasha"},
        headers=manager,
    )
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["account_manager_name"] is None and not account["services"]["account_manager"]
    patched = await client.patch(
        f"/accounts/{account['id']}",
        json={"account_manager_email": "ana@example.com"},
        headers=manager,
    )
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["field"] == "body.account_manager_email"
    cleared = await client.patch(
        f"/accounts/{account['id']}", json={"account_manager_name": None}, headers=manager
    )
    assert cleared.status_code == 200, cleared.text
    spotler = await client.post(
        "/accounts",
        json={"name": "With AM Ltd", "policy": "spotler", "account_manager_name": "Ana"},
        headers=manager,
    )
    assert spotler.status_code == 201, spotler.text
