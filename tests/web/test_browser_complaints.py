# For tests/web/ once signin's browser harness is merged: `git mv` this file to
# tests/web/test_browser_complaints.py (not collected here: its fixtures live in tests/web).
"""A complaints handler works a complaint in Chromium: logs it, acknowledges it, extends it
with a holding letter and downloads that letter; the board, the releases and the dashboard
are looked at on a wide and a narrow screen."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests.web.conftest import LiveServer, committed_user, screenshot
from tests.web.people import PASSWORD


async def _signed_in(browser: Browser, server: LiveServer, email: str) -> Page:
    context = await browser.new_context(base_url=server.url, locale="en-GB")
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))
    return page


async def _both_widths(page: Page, name: str) -> None:
    await page.set_viewport_size({"width": 1440, "height": 900})
    await screenshot(page, f"{name}-1440")
    await page.set_viewport_size({"width": 375, "height": 800})
    await screenshot(page, f"{name}-375")
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_a_handler_acknowledges_and_extends_a_complaint(
    browser: Browser,
    engine: AsyncEngine,
    live_server_with_worker: LiveServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    # Two roles: complaints, and the support team's releases and figures.
    priya = await committed_user(
        engine, Role.COMPLAINTS_HANDLER, Role.AGENT, full_name="Priya Shah"
    )
    page = await _signed_in(browser, live_server_with_worker, priya.email)
    shots = database_url.startswith("postgresql")

    await page.goto("/console/complaints/new")
    await page.get_by_label("Name", exact=True).first.fill("Edith Post")
    await page.get_by_label("Postal address").fill("3 Mill Lane\nGuildford\nGU1 2AB")
    await page.get_by_label("What they complain about").fill("My letter went unanswered.")
    await page.get_by_role("button", name="Log the complaint").click()
    await expect(page.get_by_role("status")).to_contain_text("The complaint was logged")
    reference = re.search(r"/console/complaints/([^/?]+)", page.url).group(1)  # type: ignore[union-attr]
    await expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    await page.get_by_role("button", name="Send the acknowledgement").click()
    await expect(page.get_by_role("status")).to_have_text("The acknowledgement letter was sent.")
    await expect(page.locator("#clock-acknowledgement")).to_contain_text("Met")

    # A date before the one owed is refused beside the field, the reason kept.
    await page.get_by_label("Why the reply needs longer").fill("Waiting for the bank")
    await page.get_by_label("New last day for the reply").fill(date.today().isoformat())
    await page.get_by_role("button", name="Send the holding response").click()
    await expect(page.locator("#extend-new_reply_by-error")).to_be_visible()
    await expect(page.get_by_label("Why the reply needs longer")).to_have_value(
        "Waiting for the bank"
    )
    later = (date.today() + timedelta(days=60)).isoformat()
    await page.get_by_label("New last day for the reply").fill(later)
    await page.get_by_role("button", name="Send the holding response").click()
    await expect(page.get_by_role("status")).to_contain_text("holding response was sent")
    await expect(page.locator("#extensions")).to_contain_text("Waiting for the bank")

    letters = page.locator("#letters li")
    await expect(letters).to_have_count(2)  # acknowledgement and holding response, both posted
    await expect(letters.nth(1)).to_contain_text("by post")
    async with page.expect_download() as info:
        await letters.nth(1).get_by_role("link").click()
    download = await info.value
    saved = tmp_path / "letter.pdf"
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    if shots:
        await _both_widths(page, "complaint")

    await page.goto("/console/complaints?view=week")
    await expect(page.get_by_role("link", name="Due this week")).to_have_attribute(
        "aria-current", "page"
    )
    if shots:
        await _both_widths(page, "complaints-board")
    await page.goto("/console/releases")
    await page.get_by_label("Name").fill("4.12.1")
    await page.get_by_label("Planned for").fill((date.today() + timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Plan the release").click()
    await expect(page.get_by_role("status")).to_have_text("The release was planned.")
    await page.goto("/console/releases")
    if shots:
        await _both_widths(page, "releases")
    await page.goto("/console/dashboard")
    await expect(page.get_by_role("heading", name="Complaints due this week")).to_be_visible()
    goals = page.get_by_role("heading", name=re.compile("each policy's goals"))
    await expect(goals).to_be_visible()
    if shots:
        await _both_widths(page, "dashboard")


async def test_an_agent_cannot_reach_complaints(
    browser: Browser, engine: AsyncEngine, live_server: LiveServer
) -> None:
    sam = await committed_user(engine, Role.AGENT, full_name="Sam Patel")
    page = await _signed_in(browser, live_server, sam.email)
    answer = await page.goto("/console/complaints")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("banner").get_by_role("link", name="Complaints")).to_have_count(0)
