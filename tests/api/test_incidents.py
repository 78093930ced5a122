"""/incidents: what is refused (and that nothing is half-written then), who may write, and
an incident's life through the API and its workflow on the dev server: a draft, published,
updated and resolved, with its links."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.keys import mint_key
from db.models import Incident, IncidentUpdate, Role
from tests.api.conftest import Live, customer_key

GOOD = {
    "title": "E-mails are being sent late",
    "services": ["sending"],
    "impact": "partial",
    "message": "Some campaigns are leaving our servers late. We are looking into it.",
}


async def _count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(Incident)) or 0)


async def _opened(live: Live, **body: Any) -> dict[str, Any]:
    response = await live.http.post("/incidents", json=GOOD | body, headers=live.as_("agent"))
    assert response.status_code == 201, response.text
    return response.json()


REFUSALS = [
    ({"title": ""}, "body.title", None),
    ({"title": "x" * 201}, "body.title", None),
    ({"services": []}, "body.services", None),
    ({"services": ["Sending!"]}, "body.services.0", None),
    ({"services": ["billing"]}, "body.services", "no own service 'billing'; name one of:"),
    ({"impact": "catastrophic"}, "body.impact", None),
    ({"status": "fixed"}, "body.status", None),
    ({"message": ""}, "body.message", None),
    ({"message": "x" * 5001}, "body.message", None),
    ({"monitor_ids": ["M-0000-0000"]}, "body.monitor_ids", "no monitor with id M-0000-0000"),
    ({"ticket_references": ["T-0000-0000"]}, "body.ticket_references", "no ticket"),
    ({"colour": "red"}, "body.colour", None),
]


@pytest.mark.parametrize(("change", "field", "words"), REFUSALS)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_made(
    live: Live, engine: AsyncEngine, change: dict[str, Any], field: str, words: str | None
) -> None:
    before = await _count(engine)
    response = await live.http.post("/incidents", json=GOOD | change, headers=live.as_("agent"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    if words:
        assert words in problem["detail"]
    assert await _count(engine) == before


async def test_a_customers_site_monitor_cannot_be_linked(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("web-agency")
    site = await live.http.post(
        "/monitors",
        json={"url": "https://www.harbourcafe.invalid/", "account_id": account["id"]},
        headers=live.as_("agent"),
    )
    assert site.status_code == 201, site.text
    before = await _count(engine)
    response = await live.http.post(
        "/incidents", json=GOOD | {"monitor_ids": [site.json()["id"]]}, headers=live.as_("agent")
    )
    assert response.status_code == 422
    assert "watches a customer's website" in response.json()["detail"]
    assert await _count(engine) == before


async def test_only_staff_write_and_read(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("e-shot")
    customer = await customer_key(engine, account["id"])
    for headers in (customer, live.as_("complaints_handler")):
        assert (await live.http.post("/incidents", json=GOOD, headers=headers)).status_code == 403
        assert (await live.http.get("/incidents", headers=headers)).status_code == 403
    assert (await live.http.post("/incidents", json=GOOD)).status_code == 401
    made = await _opened(live)
    for headers in (customer, live.as_("complaints_handler")):
        for path in (f"/incidents/{made['id']}/publish", f"/incidents/{made['id']}/updates"):
            body = {"status": "identified", "message": "x"}
            assert (await live.http.post(path, json=body, headers=headers)).status_code == 403
    manager = await live.http.get(f"/incidents/{made['id']}", headers=live.as_("success_manager"))
    assert manager.status_code == 200


async def test_a_draft_published_updated_resolved_and_linked(live: Live) -> None:
    account = await live.account("e-shot")
    ticket = await live.open(account_id=account["id"], priority="p2")
    assert ticket.status_code == 201, ticket.text
    reference = ticket.json()["reference"]
    service = await live.http.post(
        "/monitors",
        json={"url": "https://send.pledge.invalid/", "service": "sending"},
        headers=live.as_("agent"),
    )
    assert service.status_code == 201, service.text
    monitor_id = service.json()["id"]

    draft = await _opened(live)
    assert draft["published"] is False and draft["published_at"] is None
    assert draft["status"] == "investigating"
    assert [u["message"] for u in draft["updates"]] == [GOOD["message"]]
    assert draft["id"].startswith("I-")
    drafts = await live.http.get("/incidents?state=draft", headers=live.as_("agent"))
    assert draft["id"] in [i["id"] for i in drafts.json()]
    active = await live.http.get("/incidents?state=active", headers=live.as_("agent"))
    assert draft["id"] not in [i["id"] for i in active.json()]
    bad = await live.http.get("/incidents?state=open", headers=live.as_("agent"))
    assert bad.status_code == 422

    incident_id = draft["id"]
    published = await live.http.post(f"/incidents/{incident_id}/publish", headers=live.as_("agent"))
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    again = await live.http.post(f"/incidents/{incident_id}/publish", headers=live.as_("agent"))
    assert again.status_code == 409
    assert "already published" in again.json()["detail"]

    update = await live.http.post(
        f"/incidents/{incident_id}/updates",
        json={"status": "identified", "message": "A mail server ran out of disk."},
        headers=live.as_("agent"),
    )
    assert update.status_code == 201, update.text
    assert update.json()["status"] == "identified"
    assert [u["number"] for u in update.json()["updates"]] == [2, 1]  # newest first
    refused = await live.http.post(
        f"/incidents/{incident_id}/updates",
        json={"status": "sorted", "message": ""},
        headers=live.as_("agent"),
    )
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"body.status", "body.message"}

    linked = await live.http.post(
        f"/incidents/{incident_id}/links",
        json={"monitor_ids": [monitor_id], "ticket_references": [reference]},
        headers=live.as_("agent"),
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["monitor_ids"] == [monitor_id]
    assert linked.json()["ticket_references"] == [reference]
    nothing = await live.http.post(
        f"/incidents/{incident_id}/links", json={}, headers=live.as_("agent")
    )
    assert nothing.status_code == 422
    unknown = await live.http.post(
        "/incidents/I-0000-0000/links",
        json={"ticket_references": [reference]},
        headers=live.as_("agent"),
    )
    assert unknown.status_code == 404

    resolved = await live.http.post(
        f"/incidents/{incident_id}/updates",
        json={"status": "resolved", "message": "Mail is flowing again."},
        headers=live.as_("agent"),
    )
    assert resolved.status_code == 201, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"] is not None
    listed = await live.http.get("/incidents?state=resolved", headers=live.as_("agent"))
    assert incident_id in [i["id"] for i in listed.json()]


async def test_published_at_once_and_the_same_idempotency_key_answers_the_same(
    live: Live,
) -> None:
    headers = live.as_("agent") | {"Idempotency-Key": "incident-once"}
    first = await live.http.post("/incidents", json=GOOD | {"publish": True}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["published"] is True
    second = await live.http.post("/incidents", json=GOOD | {"publish": True}, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    other = await live.http.post("/incidents", json=GOOD | {"title": "Other"}, headers=headers)
    assert other.status_code == 409


async def test_a_draft_is_reworded_then_discarded(live: Live, engine: AsyncEngine) -> None:
    """The Down mail's draft: staff word it (title, impact, services, first message) through
    its workflow, or discard it; nothing of a discarded draft is left."""
    agent = live.as_("agent")
    draft = await _opened(live, title="Sending is not working", impact="major")
    path = f"/incidents/{draft['id']}"
    changed = await live.http.patch(
        path,
        json={"title": "Campaigns are late", "impact": "degraded", "services": ["sending", "api"],
              "message": "Campaigns leave up to ten minutes late."},
        headers=agent,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["title"], body["impact"], body["services"]) == (
        "Campaigns are late", "degraded", ["sending", "api"],
    )  # fmt: skip
    assert [u["message"] for u in body["updates"]] == ["Campaigns leave up to ten minutes late."]
    assert (await live.http.get(path, headers=agent)).json() == body  # as recorded
    only_title = await live.http.patch(
        path, json={"title": "Campaigns are late again"}, headers=agent
    )
    assert only_title.status_code == 200 and only_title.json()["impact"] == "degraded"

    for change, field in (
        ({}, "body"),
        ({"title": ""}, "body.title"),
        ({"title": None}, "body.title"),
        ({"services": ["billing"]}, "body.services"),
        ({"impact": "catastrophic"}, "body.impact"),
        ({"colour": "red"}, "body.colour"),
    ):
        refused = await live.http.patch(path, json=change, headers=agent)
        assert refused.status_code == 422, (change, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field], change
    assert (await live.http.get(path, headers=agent)).json()["title"] == "Campaigns are late again"
    assert (
        await live.http.patch("/incidents/I-0000-0000", json={"title": "x"}, headers=agent)
    ).status_code == 404

    gone = await live.http.delete(path, headers=agent)
    assert gone.status_code == 204, gone.text
    assert (await live.http.get(path, headers=agent)).status_code == 404
    async with AsyncSession(engine) as session:
        assert await session.get(Incident, draft["id"]) is None
        left = await session.scalar(
            select(func.count()).select_from(IncidentUpdate)
            .where(IncidentUpdate.incident_id == draft["id"])
        )  # fmt: skip
        assert left == 0
    assert (await live.http.delete(path, headers=agent)).status_code == 404
    assert (await live.http.patch(path, json={"title": "x"}, headers=agent)).status_code == 404


async def test_a_published_incident_keeps_its_first_words_and_cannot_be_discarded(
    live: Live, engine: AsyncEngine
) -> None:
    agent = live.as_("agent")
    incident = await _opened(live, publish=True)
    path = f"/incidents/{incident['id']}"
    reworded = await live.http.patch(path, json={"message": "Other words."}, headers=agent)
    assert reworded.status_code == 409
    assert "post a new update instead" in reworded.json()["detail"]
    retitled = await live.http.patch(path, json={"title": "Campaigns are late"}, headers=agent)
    assert retitled.status_code == 200 and retitled.json()["title"] == "Campaigns are late"
    assert [u["message"] for u in retitled.json()["updates"]] == [GOOD["message"]]
    refused = await live.http.delete(path, headers=agent)
    assert refused.status_code == 409 and "cannot be discarded" in refused.json()["detail"]
    assert (await live.http.get(path, headers=agent)).status_code == 200
    customer = await customer_key(engine, (await live.account("e-shot"))["id"])
    assert (await live.http.patch(path, json={"title": "x"}, headers=customer)).status_code == 403
    assert (await live.http.delete(path, headers=customer)).status_code == 403


async def test_the_console_words_and_discards_a_draft(live: Live) -> None:
    agent = live.as_("agent")
    draft = await _opened(live, title="Sending is not working")
    page = await live.http.get(f"/console/incidents/{draft['id']}", headers=agent)
    assert 'id="form-edit"' in page.text and 'id="form-discard"' in page.text
    assert 'value="Sending is not working"' in page.text and GOOD["message"] in page.text

    form = {"title": "Campaigns are late", "services": "sending", "impact": "degraded",
            "message": "Campaigns leave late."}  # fmt: skip
    saved = await live.http.post(f"/console/incidents/{draft['id']}/edit", data=form, headers=agent)
    assert saved.status_code == 303, saved.text
    shown = await live.http.get(saved.headers["location"], headers=agent)
    assert "The wording was saved." in shown.text and "Campaigns leave late." in shown.text
    assert "<h1>Campaigns are late</h1>" in shown.text

    emptied = await live.http.post(
        f"/console/incidents/{draft['id']}/edit", data=form | {"title": ""}, headers=agent
    )
    assert emptied.status_code == 422 and 'id="edit-title-error"' in emptied.text

    dropped = await live.http.post(f"/console/incidents/{draft['id']}/discard", headers=agent)
    assert dropped.status_code == 303 and dropped.headers["location"].startswith(
        "/console/incidents?done=discarded"
    )
    listed = await live.http.get(dropped.headers["location"], headers=agent)
    assert "The draft was discarded." in listed.text and draft["id"] not in listed.text

    published = await _opened(live, publish=True)
    page = await live.http.get(f"/console/incidents/{published['id']}", headers=agent)
    assert 'id="form-edit"' in page.text and 'id="form-discard"' not in page.text
    assert 'id="edit-message"' not in page.text  # its first words were mailed as written
    refused = await live.http.post(f"/console/incidents/{published['id']}/discard", headers=agent)
    assert refused.status_code == 409 and "cannot be discarded" in refused.text


async def test_staff_see_the_persons_name_and_the_public_no_name_at_all(
    live: Live, engine: AsyncEngine
) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        named = await mint_key(
            session, name="ops laptop key", role=Role.AGENT, full_name="Sam Smith"
        )
        bare = await mint_key(session, name="generated admin", role=Role.ADMIN)
    sam = {"Authorization": f"Bearer {named.secret}"}
    opened = await live.http.post("/incidents", json=GOOD | {"publish": True}, headers=sam)
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    assert incident["created_by"] == "Sam Smith"
    assert [u["posted_by"] for u in incident["updates"]] == ["Sam Smith"]
    by_key = await live.http.post(
        f"/incidents/{incident['id']}/updates",
        json={"status": "identified", "message": "A disk filled."},
        headers={"Authorization": f"Bearer {bare.secret}"},
    )
    # A key that names no one: staff see it is a key, not mistake it for a person.
    assert by_key.json()["updates"][0]["posted_by"] == "API key “generated admin”"
    listing = await live.http.get("/console/incidents", headers=sam)
    assert "by Sam Smith" in listing.text and "ops laptop key" not in listing.text

    public = (await live.http.get("/status")).text + (await live.http.get("/status/feed.atom")).text
    assert incident["title"] in public
    for name in ("Sam Smith", "ops laptop key", "generated admin"):
        assert name not in public
