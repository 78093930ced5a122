"""The public status page in Chromium: a published incident with its update, read without
signing in, and the subscription form sent, as a visitor does."""

from __future__ import annotations

import secrets

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.keys import mint_key
from db.models import Role
from tests.conftest import Inbox
from tests.web.conftest import LiveServer, screenshot
from tests.web.test_status_page import _add, _monitor


async def test_a_visitor_reads_an_incident_and_subscribes(
    page: Page, engine: AsyncEngine, live_server_with_worker: LiveServer, inbox: Inbox,
    database_url: str,
) -> None:  # fmt: skip
    server = live_server_with_worker
    async with AsyncSession(engine, expire_on_commit=False) as session:
        minted = await mint_key(session, name="status agent", role=Role.AGENT)
        await session.commit()
        await _add(session, _monitor("sending", "Sending", "up"))
    agent = {"Authorization": f"Bearer {minted.secret}"}
    title = f"Campaigns are being sent late {secrets.token_hex(2)}"
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        opened = await http.post(
            "/incidents",
            json={"title": title, "services": ["sending"], "impact": "partial",
                  "message": "Some campaigns are leaving our servers late.", "publish": True},
            headers=agent,
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        update = await http.post(
            f"/incidents/{opened.json()['id']}/updates",
            json={"status": "identified", "message": "A mail server ran out of disk space."},
            headers=agent,
        )
        assert update.status_code == 201, update.text

    await page.goto("/status")
    incident = page.locator(f"#incident-{opened.json()['id']}")
    await expect(incident.get_by_role("heading", name=title)).to_be_visible()
    await expect(incident).to_contain_text("Identified")
    await expect(incident).to_contain_text("A mail server ran out of disk space.")
    await expect(page.get_by_role("status").first).to_have_text("Partial outage")
    if database_url.startswith("postgresql"):
        await screenshot(page, "status-page")

    email = f"visitor-{secrets.token_hex(3)}@example.com"
    await page.get_by_label("Your e-mail address").fill(email)
    await page.get_by_role("button", name="Subscribe").click()
    await expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text(email)
    [mail] = await inbox.wait_for(lambda m: email in m["X-Envelope-To"])
    assert "/status/confirm/" in mail.get_content()
