"""The day's work in Chromium: an agent works a ticket from the queue to resolution, and a
success manager makes an account's report on demand and downloads it."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.keys import mint_key
from db.models import Role
from tests.web.conftest import LiveServer, committed_user, screenshot
from tests.web.people import PASSWORD

# What the queue's stylesheet paints a countdown, and its row, at the warning point and once
# breached.
AMBER, AMBER_ROW = "rgb(122, 74, 0)", "rgb(255, 244, 214)"
RED, RED_ROW = "rgb(164, 0, 15)", "rgb(253, 236, 238)"


async def _api(engine: AsyncEngine, server: LiveServer, role: Role) -> httpx.AsyncClient:
    """The JSON API as an integration would call it: the set-up, and the read-back."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        minted = await mint_key(session, name=f"{role.value} {secrets.token_hex(2)}", role=role)
    return httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {minted.secret}"}, timeout=30
    )


@pytest.fixture
async def apis(
    engine: AsyncEngine, live_server_with_worker: LiveServer
) -> AsyncIterator[dict[Role, httpx.AsyncClient]]:
    made = {
        role: await _api(engine, live_server_with_worker, role)
        for role in (Role.AGENT, Role.SUCCESS_MANAGER)
    }
    yield made
    for client in made.values():
        await client.aclose()


async def _account(manager: httpx.AsyncClient, policy: str, edition: str) -> dict:
    body = {"name": f"Hartley Foods {secrets.token_hex(3)}", "policy": policy, "edition": edition}
    made = await manager.post("/accounts", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _signed_in(browser: Browser, server: LiveServer, email: str) -> Page:
    context = await browser.new_context(base_url=server.url, locale="en-GB")
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))
    return page


def _instant(iso: str | None) -> datetime:
    assert iso, "the countdown carries no instant"
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_an_agent_works_a_ticket_from_the_queue_to_resolution(
    browser: Browser,
    engine: AsyncEngine,
    live_server_with_worker: LiveServer,
    apis: dict[Role, httpx.AsyncClient],
    database_url: str,
) -> None:
    backend = database_url.split(":")[0].split("+")[0]
    account = await _account(apis[Role.SUCCESS_MANAGER], "e-shot", "standard")
    contact = await apis[Role.AGENT].post(
        f"/accounts/{account['id']}/contacts",
        json={"name": "Rosa Diaz", "email": f"rosa.{secrets.token_hex(3)}@example.com"},
    )
    assert contact.status_code == 201, contact.text
    opened = await apis[Role.AGENT].post(
        "/tickets",
        json={
            "account_id": account["id"],
            "contact_id": contact.json()["id"],
            "priority": "p2",
            "subject": "Campaign will not send",
            "description": "Nothing happens when I press send.",
            "channel": "phone",
        },
    )
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]

    # Signed up while the ticket's workflow writes: the harness's writes wait their turn.
    sam = await committed_user(engine, Role.AGENT, full_name="Sam Patel")
    page = await _signed_in(browser, live_server_with_worker, sam.email)
    # The page's clock, to move it to the warning point and past the deadline below.
    await page.clock.install()
    await page.goto("/console")
    await page.get_by_label("Account").select_option(label=account["name"])
    await page.get_by_role("button", name="Show").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    countdown = row.locator(".countdown")
    await expect(countdown).to_have_text(re.compile(r"^in \d+"))
    await expect(row).to_have_class(re.compile(r"\btone-ok\b"))
    await expect(row).to_contain_text("First response")
    await screenshot(page, f"queue-{backend}")

    # The countdown turns amber at the warning point and red once the deadline passes.
    warn = _instant(await countdown.get_attribute("data-warn"))
    due = _instant(await countdown.get_attribute("data-due"))
    now = datetime.now(warn.tzinfo)
    await page.clock.fast_forward(int((warn - now + timedelta(seconds=2)).total_seconds() * 1000))
    await expect(row).to_have_class(re.compile(r"\btone-warning\b"))
    await expect(countdown).to_have_css("color", AMBER)
    # The cells themselves show the row's tint (no cell paints the page's white over it).
    await expect(row.locator("td").first).to_have_css("background-color", AMBER_ROW)
    await page.clock.fast_forward(int((due - warn + timedelta(seconds=2)).total_seconds() * 1000))
    await expect(row).to_have_class(re.compile(r"\btone-breached\b"))
    await expect(countdown).to_have_text(re.compile(r"^overdue by "))
    await expect(countdown).to_have_css("color", RED)
    await expect(row.locator("td").last).to_have_css("background-color", RED_ROW)
    await screenshot(page, f"queue-breached-{backend}")
    # Back to the real time for the rest of the work.
    await page.clock.set_system_time(datetime.now(warn.tzinfo))

    await row.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{reference}: Campaign will not send"
    )
    first = page.locator("article.clock", has=page.get_by_role("heading", name="First response"))
    await expect(first.locator(".countdown")).to_be_visible()
    await screenshot(page, f"ticket-open-{backend}")

    await page.get_by_label("Public reply (e-mailed to the customer)").fill(
        "We are looking at it now, Rosa."
    )
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.get_by_role("status")).to_be_visible()
    await expect(first).to_contain_text("Met")
    await expect(first).to_have_class(re.compile(r"\btone-met\b"))
    await expect(first.locator(".countdown")).to_have_count(0)
    await expect(page.locator("#history")).to_contain_text("We are looking at it now, Rosa.")

    resolve = page.locator("details", has=page.locator("summary", has_text="Resolve"))
    await resolve.locator("summary").click()
    await resolve.get_by_label("Internal note").fill("The sending limit was raised.")
    await resolve.get_by_role("button", name="Resolve", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("The ticket was resolved.")
    status = page.locator(".ticket-head dt", has_text="Status").locator(
        "xpath=following-sibling::dd[1]"
    )
    await expect(status).to_have_text("Resolved")
    await screenshot(page, f"ticket-resolved-{backend}")

    detail = await apis[Role.AGENT].get(f"/tickets/{reference}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "resolved"
    assert detail.json()["clocks"]["first_response"]["state"] == "met"
    assert detail.json()["clocks"]["resolution"]["state"] == "met"
    # Resolved tickets leave the queue's default view.
    await page.goto(f"/console?account={account['id']}")
    await expect(page.get_by_role("link", name=reference)).to_have_count(0)
    await page.context.close()


async def test_a_success_manager_makes_a_report_and_downloads_it(
    browser: Browser,
    engine: AsyncEngine,
    live_server_with_worker: LiveServer,
    apis: dict[Role, httpx.AsyncClient],
    database_url: str,
    tmp_path: Path,
) -> None:
    backend = database_url.split(":")[0].split("+")[0]
    mia = await committed_user(engine, Role.SUCCESS_MANAGER, full_name="Mia Clarke")
    # The enterprise edition of Essensys's charter includes monthly reporting.
    account = await _account(apis[Role.SUCCESS_MANAGER], "essensys", "enterprise")
    page = await _signed_in(browser, live_server_with_worker, mia.email)

    await page.goto("/console/accounts")
    await page.get_by_role("link", name=account["name"]).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(account["name"])
    reports = page.locator("#reports")
    await expect(reports).to_contain_text("No reports yet.")
    await screenshot(page, f"account-{backend}")

    form = page.locator("#form-report")
    await expect(form.get_by_label("Month")).to_have_value(datetime.now().strftime("%Y-%m"))
    await form.get_by_role("button", name="Make the report").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Report made; it is at the top of the list."
    )
    link = reports.get_by_role("link").first
    await expect(link).to_have_text(re.compile(r"^Monthly report, "))
    await screenshot(page, f"account-report-{backend}")

    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    saved = tmp_path / (download.suggested_filename or "report.pdf")
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert account["name"] in re.sub(r"\s+", " ", text)
    await page.context.close()
