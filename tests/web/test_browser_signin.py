"""Signing in, out, and accepting an invitation in Chromium, as a person does."""

from __future__ import annotations

import re
import secrets

from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests.conftest import Inbox
from tests.waiting import eventually
from tests.web.conftest import LiveServer, committed_user, screenshot
from tests.web.people import PASSWORD

LINK = re.compile(r"http://127\.0\.0\.1:\d+/invitations/\S+")


async def _sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_a_person_signs_in_and_out(
    page: Page, engine: AsyncEngine, live_server: LiveServer, database_url: str
) -> None:
    ada = await committed_user(engine, Role.ADMIN, full_name="Ada Lovelace")
    await page.goto("/console/admin")
    await expect(page).to_have_url(re.compile(r"/login\?next=/console/admin$"))
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    if database_url.startswith("postgresql"):
        await screenshot(page, "login")
    await _sign_in(page, ada.email, "not my password at all")
    await expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    # The address is kept; only the password is typed again.
    await expect(page.get_by_label("E-mail address")).to_have_value(ada.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await expect(page).to_have_url(re.compile(r"/console/admin$"))
    await expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    banner = page.get_by_role("banner")
    await expect(banner).to_contain_text("Ada Lovelace")
    await expect(banner.get_by_role("link", name="Admin")).to_have_attribute("aria-current", "page")
    # Every request the page made stayed on the app's origin, and none was refused.
    cookies = await page.context.cookies()
    [session_cookie] = [c for c in cookies if c["name"] == "pledge_session"]
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"
    if database_url.startswith("postgresql"):
        await page.set_viewport_size({"width": 1440, "height": 900})
        await screenshot(page, "admin-1440")
        await page.set_viewport_size({"width": 375, "height": 800})
        await screenshot(page, "admin-375")
    # On a phone the page never scrolls sideways: wide tables scroll in their own box.
    await page.set_viewport_size({"width": 375, "height": 800})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375

    await banner.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/login\?notice=signed-out$"))
    await expect(page.get_by_role("status")).to_have_text("You have signed out.")
    # The old cookie, put back, opens nothing: the session ended on the server.
    await page.context.add_cookies([session_cookie])
    await page.goto("/console/admin")
    await expect(page).to_have_url(re.compile(r"/login\?next="))


async def test_an_invited_person_chooses_a_password_and_signs_in(
    browser: Browser,
    page: Page,
    engine: AsyncEngine,
    live_server: LiveServer,
    inbox: Inbox,
    database_url: str,
) -> None:
    ada = await committed_user(engine, Role.ADMIN, full_name="Ada Lovelace")
    await page.goto("/login?next=/console/admin")
    await _sign_in(page, ada.email)
    address = f"grace.{secrets.token_hex(3)}@example.com"
    await page.get_by_label("E-mail address").fill(address)
    await page.get_by_label("Full name").fill("Grace Hopper")
    await page.get_by_label("Job title").fill("Complaints Officer")
    invite = page.locator("form", has=page.get_by_role("button", name="Send the invitation"))
    await invite.get_by_label("Admin").check()
    await invite.get_by_label("Complaints handler").check()
    await page.get_by_role("button", name="Send the invitation").click()
    await expect(page.get_by_role("status")).to_have_text("The invitation is on its way.")
    people = page.get_by_role("region", name="People")
    await expect(people).to_contain_text("invited, not yet signed in")

    [mail] = await inbox.wait_for(lambda m: address in m["X-Envelope-To"])
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    # The invitee, in a browser of their own.
    theirs = await browser.new_context(base_url=live_server.url)
    grace = await theirs.new_page()
    await grace.goto(found.group(0))
    await expect(grace.get_by_role("heading")).to_have_text("Welcome: choose your password")
    await screenshot(grace, f"invitation-{database_url.split(':')[0]}")
    await grace.get_by_label("New password", exact=True).fill("a long and private phrase")
    await grace.get_by_label("The same password again").fill("a long and private phrase")
    await grace.get_by_role("button", name="Set my password").click()
    await expect(grace.get_by_role("status")).to_have_text(
        "Your password is set. Sign in with it now."
    )
    await grace.goto("/login?next=/console/admin")
    await _sign_in(grace, address, "a long and private phrase")
    await expect(grace.get_by_role("banner")).to_contain_text("Grace Hopper")
    # The link was single use.
    await grace.goto(found.group(0))
    await expect(grace.get_by_role("heading")).to_have_text("This link no longer works")
    await theirs.close()


async def test_a_form_posted_from_another_site_is_refused(
    page: Page, engine: AsyncEngine, live_server: LiveServer
) -> None:
    ada = await committed_user(engine, Role.ADMIN, full_name="Ada Lovelace")
    await page.goto("/login?next=/console/admin")
    await _sign_in(page, ada.email)
    await expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    # A page on another site (served by the browser itself: nothing leaves the machine) that
    # posts a form to Pledge, as a forger's page would.
    forger = "http://forger.invalid/"
    await page.route(
        forger,
        lambda route: route.fulfill(
            content_type="text/html",
            body=f"""<form method="post" action="{live_server.url}/console/admin/keys">
              <input name="name" value="planted"><input name="role" value="admin">
              <button>Win a prize</button></form>""",
        ),
    )
    await page.goto(forger)
    await page.get_by_role("button", name="Win a prize").click()
    await expect(page.get_by_role("heading")).to_have_text("Sent from another website")
    await screenshot(page, "refused")
    await page.goto(f"{live_server.url}/console/admin")
    await expect(page.locator("body")).not_to_contain_text("planted")


async def test_the_harness_serves_the_app_with_a_worker_behind_it(worker_page: Page) -> None:
    # What pages that start workflows rely on: /health sees the worker polling.
    async def worker_up() -> bool:
        answer = await worker_page.goto("/health")
        assert answer is not None and answer.ok
        return bool((await answer.json())["worker"]["status"] == "up")

    assert await eventually(worker_up, what="the worker to poll")
