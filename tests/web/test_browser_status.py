"""The public status page in Chromium: a published incident with its update, read without
signing in, and the subscription form sent, as a visitor does."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.keys import mint_key
from db.models import MaintenanceWindow, Role
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
    # Partial at least (other tests' incidents in this database may make it major).
    await expect(page.get_by_role("status").first).to_have_text(
        re.compile(r"^\s*(Partial|Major) outage\s*$")
    )
    if database_url.startswith("postgresql"):
        await screenshot(page, "status-page")

    email = f"visitor-{secrets.token_hex(3)}@example.com"
    await page.get_by_label("Your e-mail address").fill(email)
    await page.get_by_role("button", name="Subscribe").click()
    await expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text(email)
    [mail] = await inbox.wait_for(lambda m: email in m["X-Envelope-To"])
    assert "/status/confirm/" in mail.get_content()


async def _markers(page: Page, selector: str) -> list[str]:
    """The list-style-type Chromium draws for each element `selector` finds."""
    return await page.eval_on_selector_all(
        selector, "items => items.map(i => getComputedStyle(i).listStyleType)"
    )


async def test_no_list_markers_over_the_bars_or_beside_maintenance(
    page: Page, engine: AsyncEngine, live_server: LiveServer, database_url: str
) -> None:
    """Pico gives every `ul li` a square marker: none may reach the 90 uptime bars inside the
    services list, nor hang left of a planned maintenance window (at 1280 and 375 px)."""
    now = datetime.now(UTC)
    title = f"Database upgrade {secrets.token_hex(2)}"
    async with AsyncSession(engine, expire_on_commit=False) as session:
        await _add(
            session,
            _monitor("platform", "The platform", "up"),
            MaintenanceWindow(
                id=f"W-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
                title=title, description="Saving may pause for a minute.",
                services=["platform"], policy="standard", account_ids=[],
                starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=2),
                timezone="Europe/London", state="scheduled", sequence=0, announced_at=now,
                created_by="Mia Clarke", signed_by="Mia Clarke", created_at=now,
                updated_at=now, version=1,
            ),
        )  # fmt: skip
    for width in (1280, 375):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto("/status")
        await expect(page.get_by_role("heading", name=title)).to_have_count(0)
        ours = page.locator("ul.maintenance li", has_text=title)
        await expect(ours).to_contain_text(title)
        # Mid-sentence, a service's article is lower case.
        await expect(ours).to_contain_text("Affects the platform.")
        bars = await _markers(page, "ul.services .uptime-bars li")
        # 90 bars a service (other tests may have added services to this database).
        assert bars and len(bars) % 90 == 0 and set(bars) == {"none"}, set(bars)
        assert set(await _markers(page, "ul.maintenance > li")) == {"none"}
        assert set(await _markers(page, "ul.services > li")) == {"none"}
        if database_url.startswith("postgresql"):
            await screenshot(page, f"status-page-lists-{width}")
