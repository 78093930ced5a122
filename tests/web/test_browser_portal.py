"""A customer's day in the portal, in Chromium against the real app and worker: a representative
asks for a link (received at a real SMTP listener), signs in, raises a ticket with a file, sees
the agent's reply, agrees the fix, rates it and downloads a report. Another account's
representative reaches none of it; a removed representative's session stops working; a link
that was opened (as a mail scanner does) but not pressed signs nobody in."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader

from db.models import Role
from tests.conftest import Inbox
from tests.files import png
from tests.waiting import eventually
from tests.web.conftest import LiveServer, screenshot
from tests.web.portal_documents_data import account_with, last_month, staff_keys
from tests.web.portal_people import link_token


async def _link(page: Page, inbox: Inbox, email: str) -> str:
    """Ask for a sign-in link on the page, as the customer does; the path it mails."""
    before = len(inbox.to(email))
    await page.goto("/portal/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_role("button", name="E-mail me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    await inbox.wait_for(lambda m: len(inbox.to(email)) > before)
    return f"/portal/link/{link_token(inbox.to(email)[-1])}"


async def _sign_in(page: Page, inbox: Inbox, email: str) -> None:
    await page.goto(await _link(page, inbox, email))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/portal$"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_representatives_day_in_the_portal(
    browser: Browser, engine, live_server_with_worker: LiveServer, inbox: Inbox
) -> None:  # type: ignore[no-untyped-def]
    server = live_server_with_worker
    keys = await staff_keys(engine)
    agent, manager = keys[Role.AGENT], keys[Role.SUCCESS_MANAGER]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as api:
        account, email = await account_with(api, keys, "essensys", "enterprise")
        other_account, other_email = await account_with(api, keys, "essensys", "enterprise")
        [me] = (await api.get(f"/accounts/{account}/contacts", headers=agent)).json()
        await api.patch(
            f"/accounts/{account}/contacts/{me['id']}",
            json={"phone": "+44 1483 000 111", "login": "robin.h"}, headers=agent,
        )  # fmt: skip
        report = await api.post(
            f"/accounts/{account}/reports", json={"period": last_month()}, headers=manager
        )
        assert report.status_code == 201, report.text

        mine = await browser.new_context(base_url=server.url, locale="en-GB")
        page = await mine.new_page()

        # A mail scanner opens the link: the page has a button, and nobody is signed in.
        scanned = await _link(page, inbox, email)
        opened = await api.get(scanned)
        assert opened.status_code == 200 and "Sign in" in opened.text
        await page.goto("/portal")
        await expect(page).to_have_url(re.compile(r"/portal/login\?next=/portal$"))

        # Pressing the button of a fresh link signs in; the scanned one still works once too.
        await _sign_in(page, inbox, email)

        # Raise a ticket with a screenshot, after checking the times it will be promised.
        await (
            page.get_by_role("navigation", name="Portal")
            .get_by_role("link", name="Raise a request")
            .click()
        )
        await page.get_by_label("Subject").fill("Door entry panel offline")
        await page.locator("#raise-description").fill("The panel at the front desk shows no power.")
        await page.get_by_label(re.compile("P2 - High")).check()
        await page.locator("#raise-files").set_input_files(
            files=[{"name": "panel.png", "mimeType": "image/png", "buffer": png(8, 8)}]
        )
        await page.get_by_role("button", name="Check the times").click()
        await expect(page.locator(".promise-lines, .promises").first).to_contain_text(
            "We will reply by"
        )
        await page.locator("#raise-files").set_input_files(
            files=[{"name": "panel.png", "mimeType": "image/png", "buffer": png(8, 8)}]
        )
        await page.get_by_role("button", name="Send").click()
        await expect(
            page.get_by_role("heading", name="Thank you: we have your request")
        ).to_be_visible()
        reference = (await page.locator(".reference strong").inner_text()).strip()
        assert re.fullmatch(r"T-[0-9A-Z]{4}-[0-9A-Z]{4}", reference), reference
        await expect(page.locator(".files")).to_contain_text("panel.png")
        await inbox.wait_for(lambda m: m["X-Pledge-Ticket"] == reference and email in m["To"])
        ticket = (await api.get(f"/tickets/{reference}", headers=agent)).json()
        assert ticket["account_id"] == account and ticket["channel"] == "web"
        assert ticket["priority"] == "p2"

        # The agent replies and resolves; the customer sees the reply and agrees the fix.
        said = "We have restarted the panel remotely; please check it now."
        replied = await api.post(
            f"/tickets/{reference}/responses", json={"body": said}, headers=agent
        )
        assert replied.status_code in (200, 201), replied.text
        resolved = await api.post(
            f"/tickets/{reference}/resolve", json={"note": "Panel restarted"}, headers=agent
        )
        assert resolved.status_code == 200, resolved.text
        await page.goto(f"/portal/tickets/{reference}")
        await expect(page.get_by_text(said)).to_be_visible()
        await expect(page.get_by_role("link", name="panel.png")).to_be_visible()
        await page.get_by_role("button", name="It is fixed, close it").click()
        await expect(page.get_by_text("with your agreement")).to_be_visible()

        async def closed() -> bool:
            answer = await api.get(f"/tickets/{reference}", headers=agent)
            return answer.json()["status"] == "closed"

        await eventually(closed, what="the ticket to close")
        await screenshot(page, "portal-ticket-closed")

        # Asked how it went at the resolution, the representative who raised it answers on
        # the ticket's page with a press (closing first does not stop a first answer).
        async def asked() -> bool:
            answer = await api.get(f"/tickets/{reference}", headers=agent)
            return answer.json()["satisfaction"] is not None

        await eventually(asked, what="the resolution's question")
        await page.goto(f"/portal/tickets/{reference}")
        await page.get_by_label("Your comment (optional)").fill("Back up within the hour")
        await page.get_by_role("button", name="Good", exact=True).click()
        await expect(page.get_by_text("Thank you for telling us how we did.")).to_be_visible()
        await expect(page.locator(".rating-answer")).to_contain_text("Good")
        rated = (await api.get(f"/tickets/{reference}", headers=agent)).json()["satisfaction"]
        assert (rated["rating"], rated["comment"], rated["rated_by"]) == (
            "good", "Back up within the hour", me["name"],
        )  # fmt: skip
        await screenshot(page, "portal-ticket-rated")

        # A report to download.
        await (
            page.get_by_role("navigation", name="Portal")
            .get_by_role("link", name="Reports and reviews")
            .click()
        )
        async with page.expect_download() as downloading:
            await page.locator(
                f'a[href="/portal/documents/reports/{report.json()["id"]}.pdf"]'
            ).click()
        download = await downloading.value
        assert download.suggested_filename.endswith(".pdf")
        pdf = PdfReader(io.BytesIO(Path(await download.path()).read_bytes()))
        assert "report" in pdf.pages[0].extract_text().lower()

        # Another account's representative reaches none of it: the same page as for nothing.
        theirs = await browser.new_context(
            base_url=server.url, locale="en-GB", viewport={"width": 375, "height": 800}
        )
        other = await theirs.new_page()
        await _sign_in(other, inbox, other_email)
        await screenshot(other, "portal-home-phone")
        await expect(other.get_by_text(reference)).to_have_count(0)
        for path in (
            f"/portal/tickets/{reference}",
            f"/portal/documents/reports/{report.json()['id']}.pdf",
            f"/portal/tickets/{reference}/raised",
        ):
            answer = await other.request.get(path)
            assert answer.status == 404, path
            assert reference not in await answer.text()
        await theirs.close()

        # Removed from the account: their session stops at once.
        removed = await api.delete(f"/accounts/{account}/contacts/{me['id']}", headers=agent)
        assert removed.status_code == 204
        await page.goto(f"/portal/tickets/{reference}")
        await expect(page).to_have_url(re.compile(r"/portal/login"))
        # And the link they had opened but never pressed signs nobody in.
        answer = await page.request.post(scanned)
        assert answer.status == 404
        await page.goto("/portal")
        await expect(page).to_have_url(re.compile(r"/portal/login"))
        await mine.close()
