"""The console's ticket page end to end: forms -> services -> Temporal -> worker -> database.

Every change made through a form is read back through the JSON API; every refusal is compared
with the JSON API's own answer to the same request.
"""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from reports.customer_words import priority_label
from tests.api.conftest import Live, customer_key, live  # noqa: F401 (the fixture)

__all__ = ["live"]


async def _opened(live: Live, policy: str = "e-shot", **extra: Any) -> tuple[dict, dict, str]:
    account = await live.account(
        policy, edition="enterprise" if policy == "essensys" else "standard"
    )
    contact = await live.contact(account["id"], is_representative=True)
    opened = await live.open(account_id=account["id"], contact_id=contact["id"], **extra)
    assert opened.status_code == 201, opened.text
    return account, contact, opened.json()["reference"]


async def _detail(live: Live, reference: str, role: str = "agent") -> dict:
    response = await live.http.get(f"/tickets/{reference}", headers=live.as_(role))
    assert response.status_code == 200, response.text
    return response.json()


async def _post(
    live: Live, reference: str, action: str, form: dict[str, str], role: str = "agent"
) -> httpx.Response:
    return await live.http.post(
        f"/console/tickets/{reference}/{action}", data=form, headers=live.as_(role)
    )


def _done(response: httpx.Response, reference: str, action: str) -> None:
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == f"/console/tickets/{reference}?done={action}#history"


async def test_the_page_shows_the_ticket_its_clocks_and_its_history(live: Live) -> None:
    account, contact, reference = await _opened(live, priority="p2")
    before = await _detail(live, reference)
    page = await live.http.get(f"/console/tickets/{reference}", headers=live.as_("agent"))
    after = await _detail(live, reference)
    assert page.status_code == 200
    text = html.unescape(page.text)
    for words in (reference, "Campaign will not send", account["name"], contact["name"]):
        assert words in text
    assert "<dd>High</dd>" in text and "<dd>Open</dd>" in text and "Unassigned" in text
    assert "Final resolution" in text and "Waiting for a hot fix release to ship" in text
    assert (
        '<a href="/console/policies/e-shot">e-shot Customer Success</a>, version 1;'
        " counted in Customer Success standard hours (Europe/London)"
    ) in text
    first = before["clocks"]["first_response"]
    assert "First response" in text and "Resolution" in text
    assert "2 business hours" in text or "4 hours, round the clock" in text  # out of hours
    due = datetime.fromisoformat(first["due"]).astimezone(UTC).isoformat()
    assert f'<time datetime="{due}" title="{due}" data-local>' in page.text
    assert "at the account" in text and ("GMT" in text or "UK time" in text)
    # The API's own words for the time left, read just before or just after the page.
    remaining = {before["clocks"]["first_response"]["remaining"]}
    remaining.add(after["clocks"]["first_response"]["remaining"])
    assert any(f"<dd>{r}</dd>" in text for r in remaining), remaining
    assert re.search(r'class="countdown" data-due="[^"]+" data-warn="[^"]+"', page.text)
    # The history names the priority as the policy does, never by its key.
    assert "via phone, priority High" in text and "priority p2" not in text
    assert "Nothing happens when I press send." in text
    # Every field has a label.
    ids = set(re.findall(r'<(?:textarea|select|input)[^>]* id="([^"]+)"', page.text))
    labelled = set(re.findall(r'<label for="([^"]+)"', page.text))
    assert ids and ids <= labelled, ids - labelled


async def test_reply_note_wait_resume_and_resolve_through_the_forms(
    live: Live, engine: Any
) -> None:
    account, _contact, reference = await _opened(live, priority="p2")

    _done(
        await _post(live, reference, "reply", {"body": "We are looking at it now."}),
        reference,
        "reply",
    )
    detail = await _detail(live, reference)
    assert detail["events"][-1]["kind"] != "opened"
    assert any(e["data"].get("body") == "We are looking at it now." for e in detail["events"])
    assert detail["clocks"]["first_response"]["state"] == "met"

    secret = f"Internal {secrets.token_hex(4)}: customer is on a legacy plan"
    _done(await _post(live, reference, "note", {"body": secret}), reference, "note")
    detail = await _detail(live, reference)
    notes = [e for e in detail["events"] if e["kind"] == "note"]
    assert [n["data"]["note"] for n in notes] == [secret]

    ask = "Please send us the campaign's name."
    _done(
        await _post(live, reference, "wait", {"message": ask, "note": "chased twice"}),
        reference,
        "wait",
    )
    detail = await _detail(live, reference)
    assert detail["status"] == "waiting"
    assert any(e["data"].get("message") == ask for e in detail["events"])

    _done(await _post(live, reference, "resume", {"note": ""}), reference, "resume")
    assert (await _detail(live, reference))["status"] == "open"

    _done(await _post(live, reference, "resolve", {"note": "patched"}), reference, "resolve")
    detail = await _detail(live, reference)
    assert detail["status"] == "resolved"
    assert detail["clocks"]["resolution"]["state"] == "met"

    # The page shows the note as internal, the reply and the request as the customer's to see.
    page = html.unescape(
        (await live.http.get(f"/console/tickets/{reference}", headers=live.as_("agent"))).text
    )
    note_at = page.index(secret)
    assert "Internal" in page[note_at - 600 : note_at]
    reply_at = page.index("We are looking at it now.")
    assert "Customer sees this" in page[reply_at - 600 : reply_at]

    # Nowhere a customer can look shows the note: not the API with their key, not the console.
    customer = await customer_key(engine, account["id"])
    theirs = await live.http.get(f"/tickets/{reference}", headers=customer)
    assert theirs.status_code == 200 and secret not in theirs.text
    assert "note" not in {e["kind"] for e in theirs.json()["events"]}
    assert "chased twice" not in theirs.text
    for path in (f"/console/tickets/{reference}", "/console", "/console/queue/rows"):
        assert (await live.http.get(path, headers=customer)).status_code == 403
    refused = await live.http.post(
        f"/console/tickets/{reference}/note", data={"body": "x"}, headers=customer
    )
    assert refused.status_code == 403


async def test_a_refused_action_shows_the_apis_reason_and_keeps_what_was_typed(
    live: Live,
) -> None:
    _account, _contact, reference = await _opened(live, priority="p3")
    api = await live.http.post(
        f"/tickets/{reference}/resume", json={"note": "x"}, headers=live.as_("agent")
    )
    assert api.status_code == 409
    page = await _post(live, reference, "resume", {"note": "typed by hand"})
    assert page.status_code == 409
    problem = f'<p class="problem" role="alert" id="problem-resume">{api.json()["detail"]}</p>'
    assert problem in html.unescape(page.text)
    assert 'value="typed by hand"' in page.text
    assert "<details open>" in page.text

    # A form the model refuses: 422, the reason beside the field, the other fields kept.
    empty = await _post(live, reference, "reply", {"body": ""})
    assert empty.status_code == 422
    assert 'id="e-reply-body"' in empty.text and 'aria-invalid="true"' in empty.text

    # A success manager may read the ticket, not act on it: the API's words for that.
    api = await live.http.post(
        f"/tickets/{reference}/escalate", json={}, headers=live.as_("success_manager")
    )
    page = await _post(live, reference, "escalate", {"note": ""}, role="success_manager")
    assert (api.status_code, page.status_code) == (403, 403)
    assert api.json()["detail"] in html.unescape(page.text)


async def test_close_takes_a_representatives_agreement_where_the_policy_needs_it(
    live: Live,
) -> None:
    _account, contact, reference = await _opened(live, "essensys", priority="p3")
    _done(await _post(live, reference, "resolve", {}), reference, "resolve")
    api = await live.http.post(f"/tickets/{reference}/close", json={}, headers=live.as_("agent"))
    assert api.status_code == 422
    page = await _post(live, reference, "close", {"agreed_by_contact_id": "", "note": "kept"})
    assert page.status_code == 422
    message = api.json()["errors"][0]["message"]
    shown = html.unescape(page.text)
    assert f'<p class="error" id="e-close-agreed_by_contact_id">{message}</p>' in shown
    assert 'value="kept"' in page.text

    form = {"agreed_by_contact_id": str(contact["id"]), "note": ""}
    _done(await _post(live, reference, "close", form), reference, "close")
    detail = await _detail(live, reference)
    assert detail["status"] == "closed"
    assert detail["events"][-1]["summary"] == f"Closed with the agreement of {contact['name']}"

    after = await _post(live, reference, "reply", {"body": "One more thing"})
    assert after.status_code == 409
    assert f"Ticket {reference} is closed; nothing more can change" in after.text
    api = await live.http.post(
        f"/tickets/{reference}/notes", json={"body": "late"}, headers=live.as_("agent")
    )
    note = await _post(live, reference, "note", {"body": "late"})
    assert (api.status_code, note.status_code) == (409, 409)
    assert api.json()["detail"] in html.unescape(note.text)


async def test_assign_priority_escalate_link_and_reopen_through_the_forms(live: Live) -> None:
    _account, _contact, reference = await _opened(live, priority="p3")
    form = {"name": "Alex Agent", "email": "alex@pledge.example.com"}
    _done(await _post(live, reference, "assign", form), reference, "assign")
    _done(
        await _post(live, reference, "priority", {"priority": "p2", "note": ""}),
        reference,
        "priority",
    )
    _done(await _post(live, reference, "escalate", {"note": "needs dev"}), reference, "escalate")
    release = await live.http.post(
        "/releases",
        json={
            "name": f"9.{secrets.randbelow(999)}",
            "policy": "e-shot",
            "kind": "maintenance",
            "planned_for": (date.today() + timedelta(days=9)).isoformat(),
        },
        headers=live.as_("agent"),
    )
    assert release.status_code == 201, release.text
    page = await live.http.get(f"/console/tickets/{reference}", headers=live.as_("agent"))
    assert f'<option value="{release.json()["id"]}"' in page.text
    _done(
        await _post(live, reference, "link", {"release_id": release.json()["id"]}),
        reference,
        "link",
    )
    _done(await _post(live, reference, "resolve", {}), reference, "resolve")
    _done(await _post(live, reference, "reopen", {"note": "not fixed"}), reference, "reopen")

    detail = await _detail(live, reference)
    assert detail["assignee"] == {
        "name": "Alex Agent",
        "email": "alex@pledge.example.com",
        "job_title": None,
    }
    assert (detail["priority"], detail["line"], detail["status"]) == ("p2", 2, "open")
    assert detail["releases"] == [release.json()["id"]]
    page = await live.http.get(f"/console/tickets/{reference}", headers=live.as_("agent"))
    changed = f"Priority changed from {priority_label('e-shot', 'p3')} to High;"
    assert changed in html.unescape(page.text) and "from p3" not in page.text

    # Linking again is refused by the workflow, in its words, as through the API.
    again = await _post(live, reference, "link", {"release_id": release.json()["id"]})
    assert again.status_code == 409 and "already linked" in again.text
    unknown = await _post(live, reference, "link", {"release_id": "R-NOPE"})
    assert unknown.status_code == 422 and "no release with id R-NOPE" in unknown.text
