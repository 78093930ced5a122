"""Who may open which page: complaints are the complaints department's, releases and ticket
figures the support team's; nobody signed in is sent to sign in."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.api.test_access import an_account
from tests.conftest import bearer

PAGES = {
    "/console/complaints": {Role.ADMIN, Role.COMPLAINTS_HANDLER},
    "/console/complaints?view=overdue": {Role.ADMIN, Role.COMPLAINTS_HANDLER},
    "/console/complaints/new": {Role.ADMIN, Role.COMPLAINTS_HANDLER},
    "/console/releases": {Role.ADMIN, Role.AGENT, Role.SUCCESS_MANAGER},
    "/console/dashboard": {Role.ADMIN, Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER},
}


async def test_each_role_reaches_only_its_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = {
        role: await bearer(session, role, account_id=None)
        for role in Role
        if role is not Role.CUSTOMER
    }
    keys[Role.CUSTOMER] = await bearer(session, Role.CUSTOMER, await an_account(session))
    for path, allowed in PAGES.items():
        for role, headers in keys.items():
            response = await client.get(path, headers=headers)
            expected = 200 if role in allowed else 403
            assert response.status_code == expected, (path, role, response.text[:200])
            if expected == 200:
                assert response.headers["content-type"].startswith("text/html")


async def test_an_agent_cannot_open_a_complaint_or_act_on_one(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    for method, path in (
        ("GET", "/console/complaints/C-ANY"),
        ("GET", "/console/complaints/C-ANY/letters/1"),
        ("POST", "/console/complaints/C-ANY/acknowledge"),
        ("POST", "/console/complaints/new"),
    ):
        response = await client.request(method, path, headers=agent_headers)
        assert response.status_code == 403, (method, path, response.text)


async def test_the_dashboard_shows_complaints_only_to_their_department(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent = await client.get("/console/dashboard", headers=await bearer(session, Role.AGENT))
    assert "Median" in agent.text or "median" in agent.text
    assert "Complaints due this week" not in agent.text
    handler = await client.get(
        "/console/dashboard", headers=await bearer(session, Role.COMPLAINTS_HANDLER)
    )
    assert "Complaints due this week" in handler.text
    assert "median first response" not in handler.text  # /metrics/sla is not theirs either
    admin = await client.get("/console/dashboard", headers=await bearer(session, Role.ADMIN))
    assert "Complaints due this week" in admin.text and "median first response" in admin.text


@pytest.mark.parametrize("path", ["/console/complaints", "/console/releases", "/console/dashboard"])
async def test_nobody_signed_in_is_sent_to_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"
