"""Raising a ticket in the portal: the form speaks each policy's language, shows the times
Pledge will promise before sending, and opens the ticket as the signed-in customer.

The customers sign in through the real mailed link; tickets open through the real chain (the
page, the service, Temporal's dev server, a worker, the database) and are read back through
the JSON API with a staff key.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from api.app import create_app
from api.auth import Principal
from db.models import Contact
from reports.customer_words import promise_lines
from services import portal_access, raising
from settings import Settings
from tests import files
from tests.api.conftest import Live, live  # noqa: F401 (the fixture)
from tests.conftest import Inbox, free_port
from tests.web.portal_people import make_customer, portal_sign_in

__all__ = ["live"]

NEW = "/portal/tickets/new"
RAISED = re.compile(r"^/portal/tickets/(T-[0-9A-Z]{4}-[0-9A-Z]{4})/raised$")


def _text(response: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.text))


def _words(response: httpx.Response) -> str:
    """The page's text as read, without its markup."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def _nonce(response: httpx.Response) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', response.text)
    assert found, "the form carries no nonce"
    return found.group(1)


def _error(response: httpx.Response, field: str) -> str:
    """The refusal shown beside a field, which the field names as its description."""
    error_id = f"raise-{field}-error"
    found = re.search(rf'<p class="field-error" id="{error_id}">([^<]+)</p>', response.text)
    assert found, f"no error beside {field}"
    assert re.search(rf'aria-describedby="[^"]*{error_id}"', response.text), field
    return html.unescape(found.group(1))


def _dues(response: httpx.Response) -> list[datetime]:
    return [datetime.fromisoformat(d) for d in re.findall(r'data-due="([^"]+)"', response.text)]


async def _signed_in(live: Live, inbox: Inbox, policy: str, **contact: Any) -> tuple[dict, dict]:
    """A committed account under `policy` and a contact of it, signed in to the portal."""
    account = await live.account(policy)
    person = await live.contact(account["id"], **{"portal_access": True, **contact})
    assert (await portal_sign_in(live.http, inbox, person["email"])).status_code == 303
    return account, person


async def _form(live: Live) -> tuple[httpx.Response, str]:
    page = await live.http.get(NEW)
    assert page.status_code == 200, page.text
    return page, _nonce(page)


async def _raise(live: Live, **fields: str) -> httpx.Response:
    return await live.http.post(NEW, data={"action": "send", **fields})


async def _ticket(live: Live, reference: str) -> dict:
    answer = await live.http.get(f"/tickets/{reference}", headers=live.as_("agent"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _tickets_of(live: Live, account_id: int) -> list[dict]:
    answer = await live.http.get(
        "/tickets", params={"account_id": account_id}, headers=live.as_("agent")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["tickets"]


async def test_each_policy_offers_its_priorities_in_its_own_words(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    expected = {
        "e-shot": [
            "Urgent", "High", "Medium", "Low", "Reply within 1 business hour",
            "Reply within 2 business hours (4 hours when we are closed)",
            "First fix within 1 working day", "Final fix in a hot fix release",
            "First fix in our next maintenance release",
        ],
        "spotler": [
            "When is the campaign this affects due to go out?", "High", "Medium", "Low",
            "due out in the next 24 hours", "scheduled to go out in the next 3 days",
            "no campaign set for the next 10 days", "Fix within 8 business hours",
            "Request for product enhancement", "Advice", "Support request",
        ],
        "web-agency": [
            "User support", "Bug fix", "Mission critical",
            "The server or the website is down completely.",
            "Reply within 1 hour, day or night", "Reply within 3 working days",
        ],
        "electric-putty": [
            "Critical", "Normal", "Low",
            "The website is offline or severely impaired, i.e. unusable.",
            "The site is usable but there is a problem.", "The site needs a slight tweak.",
        ],
        "essensys": [
            "P1 - Critical", "P4 - Low",
            "A service is down for a premises, or security is at risk.",
            "Reply within 15 business minutes", "Your details", "Contact telephone number",
            "Management System login", "Description of the problem or required assistance",
        ],
    }  # fmt: skip
    for policy, words in expected.items():
        _, contact = await make_customer(session, policy, representative=True)
        assert (await portal_sign_in(client, inbox, contact.email)).status_code == 303
        page = await client.get(NEW)
        assert page.status_code == 200, page.text
        text = _text(page)
        missing = [w for w in words if w not in text]
        assert not missing, f"{policy}: {missing}"
        # Customers read the terms, never the preset's notes to its authors or its keys.
        assert "Chosen" not in text and "business_hours" not in text, policy
        triaged = policy == "spotler"
        assert ('name="priority"' in page.text) is not triaged, policy
        assert ('name="campaign_scheduled_at"' in page.text) is triaged, policy
        assert 'enctype="multipart/form-data"' in page.text
        # The promises for the preselected level (or the triage's default) are on the form.
        assert "If you send it now, it will be" in text and "by " in text, policy
        assert _dues(page), policy
        # Every field has a label.
        ids = set(re.findall(r'<(?:textarea|select|input)[^>]* id="([^"]+)"', page.text))
        labelled = set(re.findall(r'<label for="([^"]+)"', page.text))
        assert ids and ids <= labelled, (policy, ids - labelled)
        await client.post("/portal/logout")


async def test_essensys_asks_for_what_it_lacks_and_refuses_without_it(
    live: Live, inbox: Inbox
) -> None:
    account, person = await _signed_in(
        live, inbox, "essensys", name="Rosa Rep", is_representative=True, phone=None
    )
    page, nonce = await _form(live)
    text = _text(page)
    # The name is known: shown, not asked. The telephone and the login are asked.
    assert "<dt>Name</dt><dd>Rosa Rep</dd>" in text
    assert 'name="representative_name"' not in page.text
    assert 'name="contact_phone"' in page.text and 'name="management_system_login"' in page.text

    typed = {
        "nonce": nonce,
        "subject": "Door entry down at Level 3",
        "description": "",
        "priority": "p2",
        "contact_phone": "",
        "management_system_login": "rosa.rep",
    }
    refused = await _raise(live, **typed)
    assert refused.status_code == 422, refused.text[:500]
    assert _error(refused, "contact_phone") == "Please fill this in."
    assert _error(refused, "description") == "Please fill this in."
    assert "has not been sent yet" in _text(refused)
    assert 'value="Door entry down at Level 3"' in refused.text  # what was typed is kept
    assert 'value="rosa.rep"' in refused.text
    assert re.search(r'value="p2"\s+checked', refused.text)
    assert _nonce(refused) == nonce
    assert await _tickets_of(live, account["id"]) == []
    contacts = await live.http.get(f"/accounts/{account['id']}/contacts", headers=live.as_("agent"))
    [kept] = [c for c in contacts.json() if c["id"] == person["id"]]
    assert kept["phone"] is None and kept["login"] is None  # nothing of a refused form kept

    sent = await _raise(
        live, **typed | {"description": "The readers show red.", "contact_phone": "0161 555 0101"}
    )
    assert sent.status_code == 303, sent.text[:500]
    reference = RAISED.match(sent.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = await _ticket(live, reference)
    assert ticket["priority"] == "p2" and ticket["contact_id"] == person["id"]
    contacts = await live.http.get(f"/accounts/{account['id']}/contacts", headers=live.as_("agent"))
    [kept] = [c for c in contacts.json() if c["id"] == person["id"]]
    assert (kept["phone"], kept["login"]) == ("0161 555 0101", "rosa.rep")

    # Known now, so asked no more.
    again, _ = await _form(live)
    assert 'name="contact_phone"' not in again.text and "0161 555 0101" in again.text


async def test_only_representatives_raise_essensys_cases(live: Live, inbox: Inbox) -> None:
    account, _ = await _signed_in(
        live, inbox, "essensys", is_representative=False, portal_access=True
    )
    page = await live.http.get(NEW)
    assert page.status_code == 200
    assert "Only" in page.text and "authorised representatives" in page.text
    assert 'name="subject"' not in page.text
    refused = await _raise(live, subject="Help", description="Please", priority="p3")
    assert refused.status_code == 403 and "authorised representatives" in refused.text
    assert await _tickets_of(live, account["id"]) == []


async def test_spotler_asks_for_the_campaign_date_and_its_triage_sets_the_priority(
    live: Live, inbox: Inbox
) -> None:
    account, _ = await _signed_in(live, inbox, "spotler")
    page, nonce = await _form(live)
    london = ZoneInfo("Europe/London")

    def local(hours: float) -> str:
        return (
            (datetime.now(UTC) + timedelta(hours=hours))
            .astimezone(london)
            .strftime("%Y-%m-%dT%H:%M")
        )

    assert "it will be <strong>Low</strong> priority" in page.text  # no campaign given yet
    # Without JavaScript: "Check the times" sends the form back with the promises.
    checked = await live.http.post(
        NEW,
        data={"action": "check", "nonce": nonce, "subject": "Test sends fail",
              "type": "incident", "campaign_scheduled_at": local(5)},
    )  # fmt: skip
    assert checked.status_code == 200
    assert "it will be <strong>High</strong> priority" in checked.text
    assert "due out in the next 24 hours" in _text(checked)
    assert 'value="Test sends fail"' in checked.text and _nonce(checked) == nonce
    # With htmx: the panel alone, as the date changes.
    panel = await live.http.post(
        "/portal/tickets/new/promises",
        data={"type": "incident", "campaign_scheduled_at": local(48)},
        headers={"HX-Request": "true"},
    )
    assert panel.status_code == 200 and "What we will promise" in panel.text
    assert "<strong>Medium</strong>" in panel.text and "<html" not in panel.text
    routed = await live.http.post(
        "/portal/tickets/new/promises", data={"type": "enhancement"}, headers={"HX-Request": "1"}
    )
    assert "Development Team" in routed.text and "No response or fix times" in routed.text

    bad = await live.http.post(
        NEW, data={"action": "check", "nonce": nonce, "campaign_scheduled_at": "soon"}
    )
    assert bad.status_code == 422 and "not a date and time" in _error(bad, "campaign_scheduled_at")

    sent = await _raise(
        live, nonce=nonce, subject="Test sends fail", description="Nothing arrives.",
        type="incident", campaign_scheduled_at=local(5),
        priority="low",  # a level sent along is not how Spotler decides
    )  # fmt: skip
    assert sent.status_code == 303, sent.text[:500]
    reference = RAISED.match(sent.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = await _ticket(live, reference)
    assert ticket["priority"] == "high" and ticket["type"] == "incident"

    page, nonce = await _form(live)
    advice = await _raise(
        live, nonce=nonce, subject="Segments", description="How best to segment?", type="advice"
    )
    assert advice.status_code == 303
    reference = RAISED.match(advice.headers["location"]).group(1)  # type: ignore[union-attr]
    assert (await _ticket(live, reference))["type"] == "advice"
    raised = await live.http.get(advice.headers["location"])
    assert "Account Manager" in raised.text and "data-due" not in raised.text
    assert len(await _tickets_of(live, account["id"])) == 2


async def test_the_promises_are_those_of_the_ticket_opened_after(
    live: Live, inbox: Inbox, engine: Any
) -> None:
    account, person = await _signed_in(live, inbox, "web-agency")
    # At a fixed, known instant (Thursday 19 November 2026, 10:15 in London), in words.
    async with AsyncSession(engine) as session:
        contact = await session.get(Contact, person["id"])
        assert contact is not None
        viewer: Principal = portal_access.principal_of(contact)
        form = await raising.form_for(session, viewer)
    at = datetime(2026, 11, 19, 10, 15, tzinfo=UTC)
    promise = raising.promise(form, viewer, raising.Answers(priority="bug-fix"), at)
    assert promise.deadlines is not None
    dues = {n: d.due for n, d in promise.deadlines.deadlines.items()}
    words = [str(line) for line in promise_lines(form.policy, "bug-fix", dues, form.zone, at)]
    assert words == [
        "We will reply by 10:15 tomorrow.",
        "We aim to fix it by 10:15 on Tuesday 24 November.",
    ]
    night = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # Friday night: round the clock
    critical = raising.promise(form, viewer, raising.Answers(priority="mission-critical"), night)
    assert critical.deadlines is not None
    assert [str(x) for x in promise_lines(
        form.policy, "mission-critical",
        {n: d.due for n, d in critical.deadlines.deadlines.items()}, form.zone, night,
    )] == ["We will reply by 00:00 tomorrow.", "We aim to fix it by 03:00 tomorrow."]  # fmt: skip

    # The page, then the ticket: what the page promised is what the ticket got, to the
    # seconds that passed between showing the promises and sending.
    before = datetime.now(UTC)
    page, nonce = await _form(live)
    checked = await live.http.post(
        NEW, data={"action": "check", "nonce": nonce, "priority": "bug-fix"}
    )
    shown = _dues(checked)
    assert len(shown) == 2 and "Bug fix" in checked.text
    sent = await _raise(
        live, nonce=nonce, subject="500 on save", description="The CMS errors.", priority="bug-fix"
    )
    after = datetime.now(UTC)
    assert sent.status_code == 303, sent.text[:500]
    reference = RAISED.match(sent.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = await _ticket(live, reference)
    got = [
        datetime.fromisoformat(ticket["first_response_due"]),
        datetime.fromisoformat(ticket["resolution_due"]),
    ]
    for promised, due in zip(shown, got, strict=True):
        assert timedelta(0) <= due - promised <= after - before, (promised, due)
    # Exactly, for the instant the ticket was received, as the page computes it.
    received = datetime.fromisoformat(ticket["received_at"])
    exact = raising.promise(form, viewer, raising.Answers(priority="bug-fix"), received)
    assert exact.deadlines is not None
    assert [exact.deadlines.first_response_due, exact.deadlines.resolution_due] == got
    # The page after sending promises the ticket's own dues.
    raised = await live.http.get(sent.headers["location"])
    assert _dues(raised) == got
    policy = sla.get_policy("web-agency")
    assert policy.priority(ticket["priority"]).name in raised.text


async def test_a_raised_ticket_is_the_customers_own_on_the_web_and_confirmed_by_mail(
    live: Live, inbox: Inbox
) -> None:
    account, person = await _signed_in(live, inbox, "electric-putty", name="Pat Putty")
    other = await live.account("electric-putty")
    page, nonce = await _form(live)
    sent = await _raise(
        live, nonce=nonce, subject="Menu overlaps the logo", description="On phones only.",
        priority="normal",
        # Ids a browser might send are not read: the session's account and contact are used.
        account_id=str(other["id"]), contact_id="1", channel="phone",
    )  # fmt: skip
    assert sent.status_code == 303, sent.text[:500]
    reference = RAISED.match(sent.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = await _ticket(live, reference)
    assert (ticket["account_id"], ticket["contact_id"], ticket["channel"]) == (
        account["id"], person["id"], "web",
    )  # fmt: skip
    assert ticket["priority"] == "normal"
    assert ticket["events"][0]["actor"] == "Pat Putty"

    raised = await live.http.get(sent.headers["location"])
    assert raised.status_code == 200
    text = _text(raised)
    assert reference in text and "Menu overlaps the logo" in text and "Normal" in text
    assert f"on its way by e-mail to you at <strong>{person['email']}</strong>" in text
    assert "We will reply by" in text and "There is no set time for a fix" in text
    assert f'href="/portal/tickets/{reference}"' in raised.text
    home = await live.http.get("/portal")
    assert reference in home.text and "Menu overlaps the logo" in home.text

    [mail] = await inbox.wait_for(
        lambda m: m["X-Pledge-Ticket"] == reference and person["email"] in m["X-Envelope-To"]
    )
    body = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert reference in mail["Subject"] and "Thank you for contacting us" in body

    # Another account's customer: the same 404 for this ticket as for one that does not exist.
    await live.http.post("/portal/logout")
    await _signed_in(live, inbox, "electric-putty")
    theirs = await live.http.get(f"/portal/tickets/{reference}/raised")
    unknown = await live.http.get("/portal/tickets/T-0000-0000/raised")
    assert theirs.status_code == unknown.status_code == 404
    assert reference not in theirs.text and "Menu overlaps" not in theirs.text
    assert theirs.text.replace(reference, "REF") == unknown.text.replace("T-0000-0000", "REF")


async def test_sending_the_same_form_again_opens_no_second_ticket(live: Live, inbox: Inbox) -> None:
    account, _ = await _signed_in(live, inbox, "e-shot")
    page, nonce = await _form(live)
    form = {"nonce": nonce, "subject": "Bounce report empty", "description": "Since Monday.",
            "priority": "p3"}  # fmt: skip
    first = await _raise(live, **form)
    again = await _raise(live, **form)  # a double click, or the back button and Send
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert len(await _tickets_of(live, account["id"])) == 1

    # The same form sent back changed: said so, with a new form to send it as a new ticket.
    changed = await _raise(live, **form | {"subject": "Bounce report still empty"})
    assert changed.status_code == 409, changed.text[:500]
    assert "already" in _text(changed) and 'value="Bounce report still empty"' in changed.text
    assert _nonce(changed) != nonce
    assert len(await _tickets_of(live, account["id"])) == 1
    resent = await _raise(
        live, **form | {"nonce": _nonce(changed), "subject": "Bounce report still empty"}
    )
    assert resent.status_code == 303 and resent.headers["location"] != first.headers["location"]
    assert len(await _tickets_of(live, account["id"])) == 2

    # The back button shows the form again with a new nonce: the same words sent again are
    # the request already sent, said so, not a third ticket.
    _, fresh = await _form(live)
    back = await _raise(live, **form | {"nonce": fresh})
    assert back.status_code == 303
    assert back.headers["location"] == first.headers["location"] + "?again=1"
    assert len(await _tickets_of(live, account["id"])) == 2
    shown = await live.http.get(back.headers["location"])
    assert "You had already sent us this request" in _text(shown)


async def test_the_form_needs_a_signed_in_customer(client: httpx.AsyncClient) -> None:
    answer = await client.get(NEW)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/login?next=/portal/tickets/new"
    # A form sent without a session comes back to the page it was sent from.
    for path in (NEW, "/portal/tickets/new/promises"):
        answer = await client.post(path, headers={"Referer": f"http://pledge.test{NEW}"})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/portal/login?next=/portal/tickets/new"


async def test_while_tickets_cannot_be_opened_the_form_says_so_and_keeps_everything(
    live: Live, inbox: Inbox, settings: Settings, engine: Any
) -> None:
    account = await live.account("essensys")
    person = await live.contact(account["id"], is_representative=True, phone=None)
    down = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(down)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as http:
            assert (await portal_sign_in(http, inbox, person["email"])).status_code == 303
            page = await http.get(NEW)
            form = {"action": "send", "nonce": _nonce(page), "subject": "Wi-fi down",
                    "description": "Level 2 has no wi-fi.", "priority": "p1",
                    "contact_phone": "0161 555 0199"}  # fmt: skip
            refused = await http.post(NEW, data=form)
    assert refused.status_code == 503
    text = _text(refused)
    assert "We could not send your request just now" in text and "Temporal" not in text
    assert 'value="Wi-fi down"' in refused.text and _nonce(refused) == form["nonce"]
    assert await _tickets_of(live, account["id"]) == []
    async with AsyncSession(engine) as session:
        contact = await session.get(Contact, person["id"])
        assert contact is not None and contact.phone is None

    # Sent again once it can be: the same form opens the ticket.
    assert (await portal_sign_in(live.http, inbox, person["email"])).status_code == 303
    sent = await live.http.post(NEW, data=form)
    assert sent.status_code == 303, sent.text[:500]
    assert len(await _tickets_of(live, account["id"])) == 1


async def _attachments(live: Live, reference: str) -> list[dict]:
    answer = await live.http.get(f"/tickets/{reference}/attachments", headers=live.as_("agent"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_files_sent_with_the_form_are_stored_with_the_ticket(
    live: Live, inbox: Inbox
) -> None:
    account, person = await _signed_in(live, inbox, "e-shot", name="Fay Files")
    page, nonce = await _form(live)
    assert 'type="file" id="raise-files" name="files" multiple' in page.text
    form = {"action": "send", "nonce": nonce, "subject": "Images broken",
            "description": "See the screenshot.", "priority": "p2"}  # fmt: skip
    upload = [
        ("files", ("screenshot.png", files.png(), "image/png")),
        ("files", ("export.pdf", files.pdf("campaign export"), "application/pdf")),
    ]
    sent = await live.http.post(NEW, data=form, files=upload)
    assert sent.status_code == 303, sent.text[:500]
    location = sent.headers["location"]
    reference = RAISED.match(location).group(1)  # type: ignore[union-attr]
    stored = await _attachments(live, reference)
    assert sorted(a["filename"] for a in stored) == ["export.pdf", "screenshot.png"]
    assert all(a["public"] and a["added_by"] == "Fay Files" for a in stored)
    raised = _words(await live.http.get(location))
    assert "screenshot.png (PNG image" in raised and "export.pdf (PDF" in raised
    assert "could not attach" not in raised

    # Sent again (a double click): the one ticket, its files once.
    again = await live.http.post(NEW, data=form, files=upload)
    assert again.status_code == 303 and again.headers["location"] == location
    assert len(await _attachments(live, reference)) == 2
    assert len(await _tickets_of(live, account["id"])) == 1


async def test_a_file_the_rules_refuse_refuses_the_form_and_opens_nothing(
    live: Live, inbox: Inbox
) -> None:
    account, _ = await _signed_in(live, inbox, "e-shot")
    page, nonce = await _form(live)
    form = {"action": "send", "nonce": nonce, "subject": "Odd program",
            "description": "It came by mail.", "priority": "p3"}  # fmt: skip
    refused = await live.http.post(
        NEW, data=form,
        files=[("files", ("tool.exe", files.exe(), "application/octet-stream")),
               ("files", ("fine.png", files.png(), "image/png"))],
    )  # fmt: skip
    assert refused.status_code == 422, refused.text[:500]
    found = re.search(r'<p class="error" id="raise-files-error">([^<]+)</p>', refused.text)
    assert found and "tool.exe" in html.unescape(found.group(1))
    assert 'aria-describedby="raise-files-hint raise-files-error"' in refused.text
    assert 'value="Odd program"' in refused.text and "please choose them again" in refused.text
    assert await _tickets_of(live, account["id"]) == []

    # Past the size limit: refused as it arrives, what was typed before the files kept.
    large = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1)
    too_large = await live.http.post(
        NEW, data=form, files=[("files", ("huge.pdf", large, "application/pdf"))]
    )
    assert too_large.status_code == 413, too_large.text[:500]
    found = re.search(r'<p class="error" id="raise-files-error">([^<]+)</p>', too_large.text)
    assert found and "10 MB" in html.unescape(found.group(1))
    assert 'value="Odd program"' in too_large.text and _nonce(too_large) == nonce
    assert await _tickets_of(live, account["id"]) == []
