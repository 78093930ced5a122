"""A policy edited in Chromium: the preview beside the form follows each change before anything
is saved (htmx posts the form to the preview as it is typed), and the saved version reads back
on the policy's page. On a copy under a key of the test's own."""

from __future__ import annotations

import re
import secrets

from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests.web.conftest import LiveServer, committed_user, screenshot
from tests.web.test_browser_maintenance import _signed_in


async def test_the_preview_follows_the_form_as_it_is_typed(
    browser: Browser, engine: AsyncEngine, live_server: LiveServer, database_url: str
) -> None:
    ada = await committed_user(engine, Role.ADMIN, full_name="Ada Lovelace")
    page = await _signed_in(browser, live_server, ada.email)
    key = f"spotler-{secrets.token_hex(3)}"

    await page.goto("/console/policies")
    await (
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Policies").click()
    )
    await page.locator('a[href="/console/policies/spotler"]').click()
    await page.get_by_role("button", name="Copy to a new policy").click()
    await page.get_by_label("Key", exact=True).fill(key)
    await page.get_by_role("button", name="Save the new policy").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved as version 1")
    await expect(page).to_have_url(re.compile(rf"/console/policies/{key}\?"))

    await page.get_by_role("button", name="Edit: save a new version").click()
    result = page.locator("#preview-result")
    await page.get_by_label("Received at").fill("2026-11-19T17:00")
    await page.get_by_label("Priority", exact=True).select_option("high")
    # 8 working hours from Thursday 17:00: Friday 15:30 on the calendar's clock (UK time).
    await expect(result).to_contain_text("within 8 working hours")
    await expect(result).to_contain_text("Fri 20 Nov 2026, 15:30")
    amount = page.get_by_label("Resolution: amount").nth(0)  # High is listed first
    await amount.fill("9")
    await expect(result).to_contain_text("within 9 working hours")
    await expect(result).to_contain_text("Fri 20 Nov 2026, 16:30")
    if database_url.startswith("postgresql"):
        await screenshot(page, "console-policy-edit-preview")

    # A Monday that ends before it starts is refused beside the field, and nothing is saved.
    monday = page.get_by_label("Monday")
    await monday.fill("18:00-09:00")
    await page.get_by_role("button", name="Save as version 2").click()
    await expect(page.locator("#problems")).to_contain_text("Monday hours")
    await expect(page.locator("#f-calendars-support-line-hours-mon-error")).to_contain_text(
        "ends before it starts"
    )
    if database_url.startswith("postgresql"):
        await screenshot(page, "console-policy-edit-refused")
    await page.get_by_label("Monday").fill("08:30-18:00")
    await expect(page.get_by_label("Resolution: amount").nth(0)).to_have_value("9")
    await page.get_by_role("button", name="Save as version 2").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved as version 2")
    await expect(page.locator("main")).to_contain_text("within 9 working hours")
    if database_url.startswith("postgresql"):
        await screenshot(page, "console-policy-page")
    await page.context.close()
