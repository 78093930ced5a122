"""Every console and portal page, and the customer's tracking and rating pages, with real data
on them, checked by axe-core against WCAG 2 A and AA (and axe's best practices for landmarks
and headings), on a wide screen and a phone's; on both the page must not scroll sideways (wide
tables scroll inside their own box).

axe is injected with `page.evaluate` of its source: the pages' Content-Security-Policy allows
scripts from the app's origin only, which refuses a `<script>` tag added to the page but not
what the browser's DevTools protocol evaluates, so the pages are checked under their real CSP.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import sla
from api.keys import mint_key
from db.models import Role
from outbound.ticket_links import link_secret, rate_url, track_url
from sla.maintenance_rules import night_of
from tests import files
from tests.api.conftest import Live
from tests.conftest import Inbox
from tests.waiting import eventually
from tests.web.conftest import LiveServer, committed_user, screenshot
from tests.web.people import PASSWORD
from tests.web.portal_documents_data import make_documents, make_objectives, staff_keys
from tests.web.portal_people import ask_for_link
from tests.web.test_status_page import _add, _monitor

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and the best practices that cover what the issue
# names beside them: landmarks (region, landmark-*) and headings in order (heading-order).
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = ({"width": 1440, "height": 900}, {"width": 375, "height": 800})

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return {
    passes: result.passes.length,
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    })),
  };
}"""

# The outermost elements reaching past the right edge: where a sideways scroll comes from.
TOO_WIDE = """() => {
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + [...e.classList].map((c) => "." + c).join("");
  const over = [...document.body.querySelectorAll("*")].filter(
    (e) => e.getBoundingClientRect().right > innerWidth + 0.5);
  return over.filter((e) => !over.includes(e.parentElement)).slice(0, 5).map(
    (e) => name(e.parentElement) + " > " + name(e));
}"""


async def _data(server: LiveServer, engine: AsyncEngine) -> dict[str, str]:
    """A ticket (linked to a release, with files), a complaint, an account with a contact:
    each page shows real rows, not its empty state."""
    keys: dict[str, dict[str, str]] = {}
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        for role in set(Role) - {Role.CUSTOMER}:
            minted = await mint_key(session, name=f"a11y {role.value}", role=role)
            keys[role.value] = {"Authorization": f"Bearer {minted.secret}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        live = Live(http=http, keys=keys)
        account = await live.account("e-shot")
        contact = await live.contact(account["id"], is_representative=True)
        opened = await live.open(account_id=account["id"], contact_id=contact["id"], priority="p2")
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        complained = await live.complain()
        assert complained.status_code == 201, complained.text
        release = await http.post(
            "/releases",
            json={
                "name": f"4.12.{secrets.randbelow(90) + 10}",
                "policy": "e-shot",
                "kind": "hotfix",
                "planned_for": (date.today() + timedelta(days=2)).isoformat(),
            },
            headers=live.as_("agent"),
        )
        assert release.status_code == 201, release.text
        linked = await http.post(
            f"/releases/{release.json()['id']}/tickets",
            json={"references": [reference]},
            headers=live.as_("agent"),
        )
        assert linked.status_code == 200, linked.text
        # A maintenance window: its banner tops every console page, and its page lists it.
        night = night_of(sla.get_policy("e-shot"), date.today() + timedelta(days=3))
        assert night is not None
        window = await http.post(
            "/maintenance",
            json={
                "title": "Database upgrade with a long title that must wrap on a phone",
                "services": ["platform", "sending"], "policy": "e-shot",
                "starts_at": (night.opens + timedelta(hours=1)).isoformat(),
                "ends_at": (night.opens + timedelta(hours=3)).isoformat(),
                "account_ids": [account["id"]],
            },
            headers=live.as_("success_manager"),
        )  # fmt: skip
        assert window.status_code == 201, window.text
        # And one called off: the page's table of completed and cancelled windows.
        off = await http.post(
            "/maintenance",
            json={
                "title": "Switch replacement", "services": ["platform"], "policy": "e-shot",
                "starts_at": (night.opens + timedelta(days=1)).isoformat(),
                "ends_at": (night.opens + timedelta(days=1, hours=1)).isoformat(),
            },
            headers=live.as_("success_manager"),
        )  # fmt: skip
        assert off.status_code == 201, off.text
        cancelled = await http.post(
            f"/maintenance/{off.json()['id']}/cancel", headers=live.as_("success_manager")
        )
        assert cancelled.status_code == 200, cancelled.text
        # Files on the ticket, one the customer sees and one internal, with a long name that
        # must wrap on a phone rather than widen the page.
        for public, name in (
            ("true", "Screenshot of the campaign editor.png"),
            ("false", "x" * 120 + ".txt"),
        ):
            attached = await http.post(
                f"/tickets/{reference}/attachments",
                files=[("file", (name, files.png() if public == "true" else b"log line\n"))],
                data={"public": public},
                headers=live.as_("agent"),
            )
            assert attached.status_code == 201, attached.text
        # A resolved ticket, whose contact is asked how it went on the rating page.
        done = await live.open(account_id=account["id"], contact_id=contact["id"], priority="p3")
        assert done.status_code == 201, done.text
        resolved = done.json()["reference"]
        answer = await http.post(f"/tickets/{resolved}/resolve", json={}, headers=live.as_("agent"))
        assert answer.status_code == 200, answer.text
        rate = rate_url(server.settings, link_secret(server.settings), resolved)

        async def asked() -> bool:
            return 'name="rating"' in (await http.get(rate)).text

        await eventually(asked, 30, what="the rating page's question")
        # An own service with its bars, and an incident on the status page with two updates.
        async with AsyncSession(engine) as session:
            await _add(session, _monitor("sending", "Sending", "up"))
        incident = await http.post(
            "/incidents",
            json={
                "title": "Campaigns are being sent late", "services": ["sending"],
                "impact": "partial", "message": "Some campaigns are late.", "publish": True,
                "ticket_references": [reference],
            },
            headers=live.as_("agent"),
        )  # fmt: skip
        assert incident.status_code == 201, incident.text
        updated = await http.post(
            f"/incidents/{incident.json()['id']}/updates",
            json={"status": "identified", "message": "A mail server ran out of disk space."},
            headers=live.as_("agent"),
        )
        assert updated.status_code == 201, updated.text
        # A policy of the test's own with a ticket on version 1 and a version 2 to move it to:
        # the move page then lists a ticket and its deadlines.
        agency = (await http.get("/policies/web-agency", headers=live.as_("admin"))).json()
        terms = f"a11y-agency-{secrets.token_hex(3)}"
        saved = await http.post(
            "/policies", json={**agency, "key": terms}, headers=live.as_("admin")
        )
        assert saved.status_code == 201, saved.text
        on_terms = await live.account(terms)
        moving = await live.open(account_id=on_terms["id"], priority="mission-critical")
        assert moving.status_code == 201, moving.text
        agency["priorities"]["mission-critical"]["targets"]["resolution"]["amount"] = 6
        saved = await http.put(
            f"/policies/{terms}", json={**agency, "key": terms}, headers=live.as_("admin")
        )
        assert saved.status_code == 200, saved.text
    # A customer's website, down, as its monitor's workflow records it (this server runs no
    # monitor worker; the pages read the row).
    from db.models import Account
    from tests.web.test_team_pages import monitor_row

    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        site = monitor_row(await session.get(Account, account["id"]), "Harbour shop")
        session.add(site)
        # Mail waiting in the inbox, one of each kind (as a mailbox's workflow records it).
        from tests.web.inbox_data import mailbox_row, waiting_mail

        box = mailbox_row()
        session.add(box)
        await session.flush()
        session.add(waiting_mail(box, "unmatched", "Newsletter late", "sam@elsewhere.example"))
        session.add(waiting_mail(box, "held", "Again", "flood@elsewhere.example"))
    return {
        "incident": incident.json()["id"],
        "monitor": site.id,
        "rate": rate,
        "account": str(account["id"]),
        "ticket": reference,
        "complaint": complained.json()["reference"],
        "release": release.json()["id"],
        "track": track_url(server.settings, link_secret(server.settings), reference),
        "terms": terms,
    }


def _pages(made: dict[str, str]) -> list[str]:
    return [
        "/console",
        f"/console/tickets/{made['ticket']}",
        "/console/complaints",
        f"/console/complaints/{made['complaint']}",
        "/console/complaints/new",
        "/console/accounts",
        f"/console/accounts/{made['account']}",
        "/console/accounts/new",
        "/console/releases",
        f"/console/releases/{made['release']}",
        "/console/dashboard",
        "/console/maintenance",
        "/console/admin",
        "/console/incidents",
        "/console/incidents/new",
        f"/console/incidents/{made['incident']}",
        "/status",
        "/console/monitors",
        "/console/monitors/new",
        f"/console/monitors/{made['monitor']}",
        f"/console/monitors/{made['monitor']}/edit",
        "/console/huddle",
        "/console/on-call",
        "/console/policies",
        "/console/policies/spotler",
        "/console/policies/e-shot/edit",
        "/console/policies/essensys/copy",
        f"/console/policies/{made['terms']}/versions/2/move",
        "/console/calendars/electric-putty-support",
        "/console/calendars/essensys-us-eastern/edit",
        "/console/regimes/standard",
        "/console/regimes/standard/edit",
        "/console/inbox",
        made["track"],
        made["rate"],
    ]


async def _check(page: Page, axe: str, where: str, width: int) -> list[str]:
    """What axe and the width check find wrong with the page shown, one line each."""
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(axe)
    found: dict[str, Any] = await page.evaluate(RUN_AXE, RULES)
    assert found["passes"] > 0  # axe ran and looked at something
    problems = [
        f"{where} at {width} px: {v['id']} ({v['impact']}: {v['help']}) at "
        + ", ".join(v["targets"])
        for v in found["violations"]
    ]
    scrolled = await page.evaluate("document.scrollingElement.scrollWidth")
    inner = await page.evaluate("innerWidth")
    if scrolled > inner:
        wide = ", ".join(await page.evaluate(TOO_WIDE))
        problems.append(f"{where} at {width} px: scrolls sideways ({scrolled} px wide: {wide})")
    return problems


async def _tones(page: Page, axe: str, ticket: str) -> list[str]:
    """The queue and the ticket page once their countdowns turn amber and then red: the
    browser's clock is moved past the warning and past the due instant the page carries."""
    await page.goto(f"/console/tickets/{ticket}")
    countdown = page.locator(".countdown[data-warn]").first
    warn = datetime.fromisoformat(str(await countdown.get_attribute("data-warn")))
    due = datetime.fromisoformat(str(await countdown.get_attribute("data-due")))
    problems = []
    for tone, at in (("warning", warn + (due - warn) / 2), ("breached", due + timedelta(days=9))):
        await page.clock.set_fixed_time(at)
        for path in ("/console", f"/console/tickets/{ticket}"):
            await page.goto(path)
            await expect(page.locator(f".tone-{tone}").first).to_be_visible()
            problems += await _check(page, axe, f"{path} ({tone})", 1440)
    return problems


# One database suffices: the markup and styles checked here are the same on both.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_every_console_page_passes_axe_and_fits_a_phone_and_a_wide_screen(
    browser: Browser, engine: AsyncEngine, live_server_with_worker: LiveServer
) -> None:
    server = live_server_with_worker
    made = await _data(server, engine)
    # An admin sees every section, so every page and every action on it is checked.
    ada = await committed_user(engine, Role.ADMIN, full_name="Ada Lovelace")
    axe = AXE.read_text()
    problems: list[str] = []
    for viewport in WIDTHS:
        context = await browser.new_context(base_url=server.url, locale="en-GB", viewport=viewport)
        page = await context.new_page()
        for path in ("/password/forgot", "/login"):
            await page.goto(path)
            problems += await _check(page, axe, path, viewport["width"])
        await page.get_by_label("E-mail address").fill(ada.email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).not_to_have_url(re.compile(r"/login"))
        for path in _pages(made):
            answer = await page.goto(path)
            assert answer is not None and answer.status == 200, path
            where = path.split("?")[0].replace(server.url, "") if path.startswith("http") else path
            problems += await _check(page, axe, where, viewport["width"])
            if where in ("/console/inbox", f"/console/complaints/{made['complaint']}"):
                # For people to look at: the inbox's forms and a complaint's history.
                await screenshot(page, f"console-{where.split('/')[2]}-{viewport['width']}")
            if "/versions/2/move" in where or where.startswith("/console/calendars/"):
                # For people to look at: the move's preview and a calendar, as the checks saw them.
                name = "move" if "/move" in where else where.rsplit("/", 1)[-1]
                await screenshot(page, f"console-policies-{name}-{viewport['width']}")
            if where.startswith("/rate/") and viewport["width"] == 1440:
                # Answered: the phone's pass sees the thanks, and the form to change it.
                await page.get_by_label("Your comment (optional)").fill("Quick, thank you")
                await page.get_by_role("button", name="Good").click()
                await expect(page.get_by_role("status")).to_contain_text("Thank you")
                problems += await _check(page, axe, f"{where} (answered)", 1440)
        if viewport["width"] == 1440:
            problems += await _tones(page, axe, made["ticket"])
        await context.close()
    assert not problems, "\n".join(problems)


async def _customer(server: LiveServer, engine: AsyncEngine) -> dict[str, str]:
    """An e-shot account whose contact has the portal, a sign-in link for them per width, and a
    request in each state the portal words apart: waiting on them (with what we asked), open
    with our reply and a file (raised by a colleague), resolved, and closed."""
    from datetime import timedelta as lifetime

    from db.models import Account, Contact, Edition
    from services import portal_access

    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        account = Account(
            name=f"Portal a11y {secrets.token_hex(3)}", policy="e-shot", edition=Edition.STANDARD
        )
        session.add(account)
        await session.flush()
        contact = Contact(
            account_id=account.id,
            name="Robin Hart",
            email=f"robin.{secrets.token_hex(3)}@customer.example.com",
            portal_access=True,
        )
        colleague = Contact(
            account_id=account.id,
            name="Sam Colleague",
            email=f"sam.{secrets.token_hex(3)}@customer.example.com",
        )
        session.add_all([contact, colleague])
        await session.flush()
        from tests.web.test_team_pages import monitor_row

        site = monitor_row(account, "Robin's shop")
        session.add(site)
        minted = await mint_key(session, name="a11y portal agent", role=Role.AGENT)
        tokens = [
            await portal_access.issue_link(session, contact, lifetime(minutes=15), None)
            for _ in WIDTHS
        ]
    agent = {"Authorization": f"Bearer {minted.secret}"}
    steps = {
        "waiting": [("responses", {"body": "Thank you, we are looking."}),
                    ("wait", {"message": "Which campaign is it, and when was it sent?"})],
        "open": [("responses", {"body": "We have found the cause and are fixing it."})],
        "resolved": [("resolve", {})],
        "closed": [("resolve", {}), ("close", {})],
    }  # fmt: skip
    made = {f"link{i}": t for i, t in enumerate(tokens)}
    made["monitor"] = site.id
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for state, actions in steps.items():
            opened = await http.post(
                "/tickets",
                json={
                    "account_id": account.id,
                    "contact_id": (colleague if state == "open" else contact).id,
                    "subject": f"Images missing ({state})",
                    "description": "The images in our last campaign did not load.",
                    "channel": "email", "priority": "p3",
                },
                headers=agent,
            )  # fmt: skip
            assert opened.status_code == 201, opened.text
            made[state] = opened.json()["reference"]
            for action, payload in actions:
                done = await http.post(
                    f"/tickets/{made[state]}/{action}", json=payload, headers=agent
                )
                assert done.status_code == 200, done.text
        # A file the customer sees, so the list of files is checked too.
        attached = await http.post(
            f"/tickets/{made['open']}/attachments",
            files=[("file", ("fix-steps.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))],
            data={"public": "true"},
            headers=agent,
        )
        assert attached.status_code == 201, attached.text

        async def asked() -> bool:  # the resolved ticket's contact is asked how it went
            detail = (await http.get(f"/tickets/{made['resolved']}", headers=agent)).json()
            return detail["satisfaction"] is not None

        await eventually(asked, 30, what="the resolution's question")
    made["ticket"] = made["open"]  # any of the account's: the raised-confirmation page
    return made


STATES = ("waiting", "open", "resolved", "closed")


def _portal_pages(made: dict[str, str]) -> list[str]:
    return [
        "/portal",
        "/portal?show=open",
        *(f"/portal/tickets/{made[state]}" for state in STATES),
        "/portal/support",
        "/portal/documents",
        "/portal/tickets/new",
        f"/portal/tickets/{made['ticket']}/raised",
        "/portal/monitors",
        f"/portal/monitors/{made['monitor']}",
    ]


async def _raise_form_states(page: Page, axe: str, width: int) -> list[str]:
    """The raise form as it comes back: with the promises checked, and refused."""
    await page.goto("/portal/tickets/new")
    await page.get_by_label("High").check()
    # htmx brings the promises for the new choice; "Check the times" is the way without it.
    await expect(page.locator("#promises")).to_contain_text("it will be High priority")
    await page.get_by_label("Urgent").check()
    await page.get_by_role("button", name="Check the times").click()
    await expect(page.locator("#promises")).to_contain_text("it will be Urgent priority")
    problems = await _check(page, axe, "/portal/tickets/new (checked)", width)
    # The browser's own check of required fields is set aside, so the server's answers.
    await page.evaluate("document.querySelector('form.raise-form').noValidate = true")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator(".field-error").first).to_be_visible()
    return problems + await _check(page, axe, "/portal/tickets/new (refused)", width)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_every_portal_page_passes_axe_and_fits_a_phone_and_a_wide_screen(
    browser: Browser, engine: AsyncEngine, live_server_with_worker: LiveServer
) -> None:
    server = live_server_with_worker
    made = await _customer(server, engine)
    axe = AXE.read_text()
    problems: list[str] = []
    for i, viewport in enumerate(WIDTHS):
        width = viewport["width"]
        context = await browser.new_context(base_url=server.url, locale="en-GB", viewport=viewport)
        page = await context.new_page()
        link = f"/portal/link/{made[f'link{i}']}"
        for path in ("/portal/login", link):
            await page.goto(path)
            problems += await _check(page, axe, path.split("/link/")[0] + "/link", width)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(re.compile(r"/portal$"))
        for path in _portal_pages(made):
            answer = await page.goto(path)
            assert answer is not None and answer.status == 200, path
            problems += await _check(page, axe, path, width)
            # For people to look at (test-results/screenshots/portal-*.png).
            state = next((s for s in STATES if path.endswith(made.get(s, "-"))), "")
            name = f"portal-{state}" if state else re.sub(r"[^a-z]+", "-", path).strip("-")
            await screenshot(page, f"{name}-{width}")
        answer = await page.goto("/portal/tickets/T-0000-0000")
        assert answer is not None and answer.status == 404
        problems += await _check(page, axe, "the portal's not-found page", width)
        # A refusal shown beside its form: an empty "not fixed" box.
        await page.goto(f"/portal/tickets/{made['resolved']}")
        await page.get_by_label("It is not fixed: what is still wrong?").fill(" ")
        await page.get_by_role("button", name="It is not fixed").click()
        await expect(page.get_by_role("alert")).to_contain_text("what is still wrong")
        problems += await _check(page, axe, "a refused 'not fixed'", width)
        await screenshot(page, f"portal-refused-{width}")
        problems += await _raise_form_states(page, axe, width)
        await context.close()
    assert not problems, "\n".join(problems)


async def _portal_sign_in(page: Page, http: httpx.AsyncClient, inbox: Inbox, email: str) -> None:
    """Through the mailed link, pressing its button, as a customer does."""
    token = await ask_for_link(http, inbox, email)
    await page.goto(f"/portal/link/{token}")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/portal$"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_portals_support_and_documents_pages_pass_axe_and_fit_a_phone(
    browser: Browser, engine: AsyncEngine, live_server_with_worker: LiveServer, inbox: Inbox
) -> None:
    server = live_server_with_worker
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        keys = await staff_keys(engine)
        documents = await make_documents(http, keys)
        objectives = await make_objectives(http, keys)
        axe = AXE.read_text()
        problems: list[str] = []
        for viewport in WIDTHS:
            width = viewport["width"]
            for who, email, paths in (
                ("essensys", documents.email, ["/portal/support", "/portal/documents"]),
                (
                    "e-shot",
                    objectives,
                    ["/portal/support", "/portal/documents", "/portal/documents/reports/x.pdf"],
                ),
            ):
                context = await browser.new_context(
                    base_url=server.url, locale="en-GB", viewport=viewport
                )
                page = await context.new_page()
                await _portal_sign_in(page, http, inbox, email)
                for path in paths:
                    answer = await page.goto(path)
                    assert answer is not None
                    assert answer.status == (404 if path.endswith("x.pdf") else 200), path
                    problems += await _check(page, axe, f"{path} ({who})", width)
                    name = f"portal-{who}-{path.strip('/').replace('/', '-')}-{width}"
                    await screenshot(page, name)
                await context.close()
    assert not problems, "\n".join(problems)
