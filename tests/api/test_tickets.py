"""The ticket API end to end: HTTP -> Temporal dev server -> worker -> database -> HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import Ticket
from tests.api.conftest import Live, customer_key
from tests.conftest import Inbox

REFERENCE = re.compile(r"^T-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


async def ticket_count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def test_opening_a_ticket_answers_its_clocks_and_confirms_by_mail(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("spotler")
    contact = await live.contact(account["id"])
    response = await live.open(account_id=account["id"], contact_id=contact["id"], priority="high")
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert REFERENCE.match(ticket["reference"])
    assert (ticket["status"], ticket["priority"], ticket["line"]) == ("open", "high", 1)
    assert set(ticket["clocks"]) == {"first_response", "resolution"}
    first = ticket["clocks"]["first_response"]
    assert first["state"] == "running" and first["target"] == "1 business_hours"
    assert first["due"] == ticket["first_response_due"]
    assert first["due"].endswith("+00:00")
    assert first["remaining_seconds"] <= 3600
    mail = await inbox.wait_for(lambda m: m["To"] == contact["email"])
    assert ticket["reference"] in mail[0]["Subject"]

    detail = (
        await live.http.get(f"/tickets/{ticket['reference']}", headers=live.as_("agent"))
    ).json()
    assert detail["events"][0]["kind"] == "opened"
    assert detail["events"][0]["actor"].startswith("agent")
    assert detail["first_response_due"] == ticket["first_response_due"]


async def test_spotler_triages_by_campaign_date(live: Live) -> None:
    account = await live.account("spotler")
    soon = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
    response = await live.open(account_id=account["id"], campaign_scheduled_at=soon)
    assert response.json()["priority"] == "high"


async def test_a_ticket_received_long_ago_is_breached_on_arrival(live: Live) -> None:
    account = await live.account("electric-putty")
    received = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    response = await live.open(account_id=account["id"], priority="critical", received_at=received)
    ticket = response.json()
    assert ticket["breached"] is True
    assert ticket["clocks"]["first_response"]["state"] == "breached"
    assert ticket["line"] == 2  # a breach escalates a line


async def test_idempotency_key_returns_the_same_ticket(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("web-agency")
    body = {
        "account_id": account["id"],
        "priority": "bug-fix",
        "subject": "500 on save",
        "description": "x",
        "channel": "web",
    }
    headers = {**live.as_("agent"), "Idempotency-Key": "retry-me-1"}
    first = await live.http.post("/tickets", json=body, headers=headers)
    before = await ticket_count(engine)
    again = await live.http.post("/tickets", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["reference"] == first.json()["reference"]
    assert await ticket_count(engine) == before
    reused = await live.http.post("/tickets", json={**body, "subject": "other"}, headers=headers)
    assert reused.status_code == 409
    assert "different request" in reused.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"account_id": 987654}, "body.account_id", "no account with id 987654"),
        ({"priority": "p1"}, "body.priority", "(known: high, medium, low)"),
        ({"received_at": "2070-01-01T00:00:00Z"}, "body.received_at", "in the future"),
        ({"received_at": "last tuesday"}, "body.received_at", "datetime"),
        ({"received_at": "1999-12-31T09:00:00Z"}, "body.received_at", "earliest date"),
        ({"channel": "pigeon"}, "body.channel", "chat"),
        ({"contact_id": 987654}, "body.contact_id", "no contact with id 987654"),
        ({"type": "rant"}, "body.type", "incident"),
    ],
)
async def test_bad_tickets_are_refused_naming_the_problem_and_nothing_is_stored(
    live: Live, engine: AsyncEngine, change: dict, field: str, words: str
) -> None:
    account = await live.account("spotler")
    before = await ticket_count(engine)
    response = await live.open(**{"account_id": account["id"], "priority": "high", **change})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert words in response.json()["detail"]
    assert await ticket_count(engine) == before


async def test_a_contact_of_another_account_is_refused(live: Live) -> None:
    mine, theirs = await live.account("spotler"), await live.account("spotler")
    stranger = await live.contact(theirs["id"])
    response = await live.open(account_id=mine["id"], priority="low", contact_id=stranger["id"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.contact_id"


async def test_essensys_tickets_come_from_a_representative(live: Live) -> None:
    account = await live.account("essensys", calendar="uk-eu")
    plain = await live.contact(account["id"])
    refused = await live.open(account_id=account["id"], priority="p2", contact_id=plain["id"])
    assert refused.status_code == 422
    assert "not an authorised representative" in refused.json()["detail"]
    missing = await live.open(account_id=account["id"], priority="p2")
    assert "authorised representative" in missing.json()["detail"]
    rep = await live.contact(account["id"], is_representative=True)
    assert (
        await live.open(account_id=account["id"], priority="p2", contact_id=rep["id"])
    ).status_code == 201


async def test_working_a_ticket_through_its_whole_life(live: Live) -> None:
    account = await live.account("essensys", calendar="us-pacific")
    rep = await live.contact(account["id"], is_representative=True)
    plain = await live.contact(account["id"])
    ticket = (await live.open(account_id=account["id"], priority="p3", contact_id=rep["id"])).json()
    ref, agent = ticket["reference"], live.as_("agent")

    async def act(action: str, body: dict | None = None, status: int = 200) -> dict:
        response = await live.http.post(f"/tickets/{ref}/{action}", json=body, headers=agent)
        assert response.status_code == status, response.text
        return response.json()

    assert (await act("assign", {"name": "Alex", "email": "alex@pledge.example.com"}))["assignee"][
        "name"
    ] == "Alex"
    answered = await act("responses", {"body": "On it"})
    assert answered["clocks"]["first_response"]["state"] == "met"
    waiting = await act("wait", {"note": "need the router's serial"})
    assert (waiting["status"], waiting["clocks"]["resolution"]["state"]) == ("waiting", "paused")
    assert (await act("wait", status=409))[
        "detail"
    ] == "The ticket is already waiting on the customer"
    resumed = await act("responses", {"author": "customer", "body": "Serial is 123"})
    assert resumed["status"] == "open"
    assert (await act("priority", {"priority": "p1"}))["priority"] == "p1"
    bad = await act("priority", {"priority": "urgent"}, status=422)
    assert "p1, p2, p3, p4" in bad["detail"]
    assert (await act("escalate"))["line"] == 2
    assert (await act("close", {"agreed_by_contact_id": rep["id"]}, status=409))["detail"].endswith(
        "resolve it first"
    )
    assert (await act("resolve", {"note": "replaced the router"}))["status"] == "resolved"
    no_rep = await act("close", {}, status=422)
    assert no_rep["errors"][0]["field"] == "body.agreed_by_contact_id"
    not_rep = await act("close", {"agreed_by_contact_id": plain["id"]}, status=422)
    assert "not an authorised representative" in not_rep["detail"]
    assert (await act("close", {"agreed_by_contact_id": rep["id"]}))["status"] == "closed"
    closed = await act("reopen", status=409)
    assert "closed" in closed["detail"]

    detail = (await live.http.get(f"/tickets/{ref}", headers=agent)).json()
    assert [e["kind"] for e in detail["events"]] == [
        "opened", "assigned", "response", "clock_met", "waiting", "response", "resumed",
        "priority_changed", "escalated", "resolved", "clock_met", "closed",
    ]  # fmt: skip
    assert detail["events"][-1]["summary"] == f"Closed with the agreement of {rep['name']}"
    assert detail["status"] == "closed" and detail["closed_at"] is not None


async def test_unknown_tickets_are_404(live: Live) -> None:
    for response in (
        await live.http.get("/tickets/T-0000-0000", headers=live.as_("agent")),
        await live.http.post("/tickets/T-0000-0000/resolve", headers=live.as_("agent")),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "No ticket with reference T-0000-0000"


async def test_the_work_queue_filters_and_orders_by_next_deadline(live: Live) -> None:
    account = await live.account("spotler")
    low = (await live.open(account_id=account["id"], priority="low")).json()
    high = (await live.open(account_id=account["id"], priority="high")).json()
    old = (
        await live.open(
            account_id=account["id"], priority="medium",
            received_at=(datetime.now(UTC) - timedelta(days=10)).isoformat(),
        )
    ).json()  # fmt: skip
    agent = live.as_("agent")
    queue = (await live.http.get(f"/tickets?account_id={account['id']}", headers=agent)).json()
    assert queue["total"] == 3
    dues = [t["next_due"] for t in queue["tickets"]]
    assert dues == sorted(dues, key=lambda due: (due is None, due))
    breached = (
        await live.http.get(f"/tickets?account_id={account['id']}&breached=true", headers=agent)
    ).json()
    assert [t["reference"] for t in breached["tickets"]] == [old["reference"]]
    highs = (
        await live.http.get(f"/tickets?account_id={account['id']}&priority=high", headers=agent)
    ).json()
    assert [t["reference"] for t in highs["tickets"]] == [high["reference"]]
    # e-shot: a P1 must be answered within a business hour, a P4 within a working day.
    eshot = await live.account("e-shot")
    urgent = (await live.open(account_id=eshot["id"], priority="p1")).json()
    later = (await live.open(account_id=eshot["id"], priority="p4")).json()
    cutoff = datetime.fromisoformat(urgent["next_due"]) + timedelta(minutes=1)
    assert datetime.fromisoformat(later["next_due"]) > cutoff
    soon = (
        await live.http.get(
            "/tickets",
            params={"account_id": eshot["id"], "due_before": cutoff.isoformat()},
            headers=agent,
        )
    ).json()
    assert [t["reference"] for t in soon["tickets"]] == [urgent["reference"]]
    naive = await live.http.get(
        "/tickets", params={"due_before": "2026-11-20T17:00:00"}, headers=agent
    )
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "query.due_before")
    assert low["status"] == "open"


async def test_customers_see_and_raise_their_own_tickets_only(
    live: Live, engine: AsyncEngine
) -> None:
    mine, theirs = await live.account("spotler"), await live.account("spotler")
    customer = await customer_key(engine, mine["id"])
    own = await live.http.post(
        "/tickets",
        json={
            "account_id": mine["id"],
            "priority": "low",
            "subject": "s",
            "description": "d",
            "channel": "web",
        },
        headers=customer,
    )
    assert own.status_code == 201
    other = await live.http.post(
        "/tickets",
        json={
            "account_id": theirs["id"],
            "priority": "low",
            "subject": "s",
            "description": "d",
            "channel": "web",
        },
        headers=customer,
    )
    assert other.status_code == 403
    foreign = (await live.open(account_id=theirs["id"], priority="low")).json()
    assert (
        await live.http.get(f"/tickets/{foreign['reference']}", headers=customer)
    ).status_code == 404
    listing = (await live.http.get("/tickets", headers=customer)).json()
    assert {t["account_id"] for t in listing["tickets"]} == {mine["id"]}
    ref = own.json()["reference"]
    assert (await live.http.post(f"/tickets/{ref}/resolve", headers=customer)).status_code == 403
    reply = await live.http.post(
        f"/tickets/{ref}/responses",
        json={"author": "agent", "body": "I am the agent now"},
        headers=customer,
    )
    assert reply.json()["clocks"]["first_response"]["state"] == "running"  # recorded as a customer


async def test_releases_meet_release_promises_through_the_api(live: Live, inbox: Inbox) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    ticket = (
        await live.open(account_id=account["id"], priority="p1", contact_id=contact["id"])
    ).json()
    assert ticket["clocks"]["final_resolution"]["due"] is None
    agent = live.as_("agent")
    release = await live.http.post(
        "/releases",
        json={
            "name": "5.2.1",
            "policy": "e-shot",
            "kind": "hotfix",
            "planned_for": (datetime.now(UTC) + timedelta(days=1)).date().isoformat(),
        },
        headers=agent,
    )
    assert release.status_code == 201, release.text
    rid = release.json()["id"]
    linked = await live.http.post(
        f"/releases/{rid}/tickets", json={"references": [ticket["reference"]]}, headers=agent
    )
    assert linked.json()["tickets"] == [ticket["reference"]]
    unknown = await live.http.post(
        f"/releases/{rid}/tickets", json={"references": ["T-NOPE-NOPE"]}, headers=agent
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "body.references.0")
    shipped = await live.http.post(f"/releases/{rid}/ship", headers=agent)
    assert shipped.status_code == 200 and shipped.json()["shipped_at"] is not None
    again = await live.http.post(f"/releases/{rid}/ship", headers=agent)
    assert again.status_code == 409
    [told] = await inbox.wait_for(
        lambda m: m["X-Pledge-Notice"] == "release_shipped" and ticket["reference"] in m["Subject"]
    )
    [confirmation] = inbox.about(ticket["reference"])[:1]
    assert told["In-Reply-To"] == told["References"] == confirmation["Message-ID"]
    assert "release 5.2.1 went out at " in " ".join(told.get_content().split())
    detail = (await live.http.get(f"/tickets/{ticket['reference']}", headers=agent)).json()
    assert detail["clocks"]["final_resolution"]["state"] == "met"
    assert detail["releases"] == [rid]
    late = await live.http.post(
        f"/releases/{rid}/tickets", json={"references": [ticket["reference"]]}, headers=agent
    )
    assert late.status_code == 409
    assert (await live.http.get("/releases/R-NONE-NONE", headers=agent)).status_code == 404


async def test_sla_metrics_count_met_and_breached_against_the_goals(live: Live) -> None:
    account = await live.account("spotler")
    agent = live.as_("agent")
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    breached = (await live.open(account_id=account["id"], priority="high", received_at=old)).json()
    fresh = (await live.open(account_id=account["id"], priority="high")).json()
    await live.http.post(
        f"/tickets/{fresh['reference']}/responses", json={"body": "hi"}, headers=agent
    )
    period = datetime.now(UTC).strftime("%Y-%m")
    figures = await live.http.get(
        "/metrics/sla",
        params={
            "account_id": account["id"],
            "from": (datetime.now(UTC) - timedelta(days=5)).date().isoformat(),
            "to": (datetime.now(UTC) + timedelta(days=1)).date().isoformat(),
        },
        headers=agent,
    )
    assert figures.status_code == 200, figures.text
    body = figures.json()
    high = next(row for row in body["by_priority"] if row["priority"] == "high")
    assert high["tickets"] == 2
    assert high["first_response"] | {"met": 1, "breached": 1} == high["first_response"]
    assert high["first_response"]["attainment"] == 0.5
    assert high["first_response"]["goal"] == 0.85 and high["first_response"]["meets_goal"] is False
    assert high["resolution"]["goal"] == 0.95
    assert body["overall"]["first_response"]["goal"] == 0.85
    assert high["median_first_response_seconds"] is not None
    assert breached["breached"] is True
    bad = await live.http.get("/metrics/sla", params={"period": "2026-13"}, headers=agent)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "query.period")
    assert (
        await live.http.get("/metrics/sla", params={"period": period}, headers=agent)
    ).status_code == 200
