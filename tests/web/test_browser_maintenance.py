"""Maintenance in Chromium, as a success manager and a visitor meet it: a window refused for its
hours with the reason beside the field, one scheduled, the banner on every console page, and the
window on the public status page."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests.web.conftest import PASSWORD, LiveServer, committed_user, screenshot


def _local_evening(days: int, hour: int) -> str:
    """`hour`:00 UK time, `days` days on, as a datetime-local field takes it."""
    day = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=days)
    return f"{day}T{hour:02d}:00"


async def _signed_in(browser: Browser, server: LiveServer, email: str) -> Page:
    context = await browser.new_context(base_url=server.url, locale="en-GB")
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))
    return page


async def test_a_window_is_refused_then_scheduled_and_announced_everywhere(
    browser: Browser, engine: AsyncEngine, live_server_with_worker: LiveServer, database_url: str
) -> None:
    mia = await committed_user(engine, Role.SUCCESS_MANAGER, full_name="Mia Clarke")
    page = await _signed_in(browser, live_server_with_worker, mia.email)
    title = f"Database upgrade {secrets.token_hex(2)}"

    await page.goto("/console/maintenance")
    form = page.locator("#form-schedule")
    await form.get_by_label("Title").fill(title)
    await form.get_by_label("The platform").check()
    await form.get_by_label("Sending").check()
    # 19:00 is before e-shot's maintenance hours (20:00 to 02:00 UK time).
    await form.get_by_label("Starts").fill(_local_evening(3, 19))
    await form.get_by_label("Ends").fill(_local_evening(3, 21))
    await form.get_by_role("button", name="Schedule and send the notice").click()
    await expect(page.locator("#form-schedule")).to_contain_text("20:00 to 02:00")
    await expect(page.locator(".maintenance-banner", has_text=title)).to_have_count(0)

    form = page.locator("#form-schedule")
    await expect(form.get_by_label("Title")).to_have_value(title)  # what was typed is kept
    await form.get_by_label("Starts").fill(_local_evening(3, 21))
    await form.get_by_label("Ends").fill(_local_evening(3, 23))
    await form.get_by_role("button", name="Schedule and send the notice").click()
    banner = page.locator(".maintenance-banner")
    await expect(banner).to_contain_text(f"Scheduled maintenance: {title}")
    await expect(banner).to_contain_text("21:00 to 23:00 UK time")
    # On every console page, not only the one it was made on.
    await page.goto("/console")
    await expect(page.locator(".maintenance-banner")).to_contain_text(title)
    if database_url.startswith("postgresql"):
        await screenshot(page, "console-maintenance-banner")

    visitor = await (
        await browser.new_context(base_url=live_server_with_worker.url, locale="en-GB")
    ).new_page()
    await visitor.goto("/status")
    planned = visitor.locator(
        "section", has=visitor.get_by_role("heading", name="Planned maintenance")
    )
    await expect(planned).to_contain_text(title)
    await visitor.context.close()
    await page.context.close()
