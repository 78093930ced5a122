"""/monitors: what is refused (and that nothing is half-written then), who sees what, and the
life of one monitor through the API and its workflow on the dev server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from db.models import Monitor
from settings import Settings
from tests.api.conftest import Live, customer_key
from workflows.monitor import MonitorWorkflow

SITE = "https://www.harbourcafe.invalid/"


async def _count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(Monitor)) or 0)


async def _made(live: Live, **body: Any) -> dict[str, Any]:
    response = await live.http.post("/monitors", json=body, headers=live.as_("agent"))
    assert response.status_code == 201, response.text
    return response.json()


REFUSALS = [
    ({"url": "ftp://www.harbourcafe.invalid/"}, "body.url", "must be an http or https URL"),
    ({"url": "harbourcafe"}, "body.url", "must be an http or https URL"),
    ({"url": "http://127.0.0.1:8000/"}, "body.url", "127.0.0.1 is a loopback address"),
    (
        {"url": "http://localhost/"},
        "body.url",
        "localhost resolves to 127.0.0.1, which is a loopback",
    ),
    ({"url": "http://db.localhost:5432/"}, "body.url", "is a loopback address"),
    ({"url": "https://10.20.30.40/"}, "body.url", "is a private address"),
    ({"url": "http://169.254.169.254/latest"}, "body.url", "cloud metadata address"),
    ({"url": "http://metadata.google.internal/"}, "body.url", "cloud metadata service"),
    ({"url": "https://[::1]/"}, "body.url", "loopback"),
    ({"url": "https://sam:secret@www.harbourcafe.invalid/"}, "body.url", "user name or password"),
    ({"interval_seconds": 29}, "body.interval_seconds", None),
    ({"interval_seconds": 10**9}, "body.interval_seconds", None),
    ({"expected_status": 700}, "body.expected_status", None),
    ({"account_id": 2**31 - 1}, "body.account_id", "no account with id"),
    ({"account_id": None}, "body.account_id", "is required"),
    ({"service": "api"}, "body.service", "not both"),
    ({"keyword": ""}, "body.keyword", None),
    ({"colour": "blue"}, "body.colour", None),
]


@pytest.mark.parametrize(("change", "field", "words"), REFUSALS)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_made(
    live: Live, engine: AsyncEngine, change: dict[str, Any], field: str, words: str | None
) -> None:
    account = await live.account("web-agency")
    before = await _count(engine)
    body = {"url": SITE, "account_id": account["id"], **change}
    response = await live.http.post("/monitors", json=body, headers=live.as_("agent"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    if words:
        assert words in problem["detail"]
    assert await _count(engine) == before


async def test_a_name_is_not_looked_up_when_the_monitor_is_made(live: Live) -> None:
    # Nothing leaves the machine when a monitor is made: literal addresses (and localhost) are
    # refused as written; a name is resolved, and refused if inside, at every probe.
    account = await live.account("web-agency")
    made = await _made(live, url="http://intranet.example.invalid/", account_id=account["id"])
    assert made["state"] == "unknown"


async def test_a_monitor_is_made_read_changed_paused_resumed_and_deleted(
    live: Live, engine: AsyncEngine, dev_server_env: WorkflowEnvironment, settings: Settings
) -> None:
    account = await live.account("web-agency")
    made = await _made(live, url=SITE, account_id=account["id"], keyword="Welcome")
    assert made["id"].startswith("M-")
    assert made["name"] == "www.harbourcafe.invalid"  # the host, unless named
    assert (made["interval_seconds"], made["expected_status"]) == (300, 200)
    assert (made["state"], made["paused"], made["last_result"], made["outage"]) == (
        "unknown",
        False,
        None,
        None,
    )
    handle = dev_server_env.client.get_workflow_handle_for(
        MonitorWorkflow.run, f"monitor-{made['id']}"
    )
    described = await handle.describe()
    assert described.task_queue == settings.effective_monitor_task_queue
    view = await handle.query(MonitorWorkflow.state)
    assert view.next_probe_at is not None  # within one interval, at its own offset

    agent, path = live.as_("agent"), f"/monitors/{made['id']}"
    changed = await live.http.patch(
        path, json={"interval_seconds": 60, "keyword": None, "name": "Harbour Cafe"}, headers=agent
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["interval_seconds"], changed.json()["keyword"]) == (60, None)
    assert changed.json()["name"] == "Harbour Cafe"
    refused = await live.http.patch(path, json={"url": "http://192.168.0.1/"}, headers=agent)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.url"
    emptied = await live.http.patch(path, json={"interval_seconds": None}, headers=agent)
    assert emptied.status_code == 422
    assert emptied.json()["errors"][0]["field"] == "body.interval_seconds"

    paused = await live.http.post(f"{path}/pause", headers=agent)
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert (await handle.query(MonitorWorkflow.state)).next_probe_at is None
    resumed = await live.http.post(f"{path}/resume", headers=agent)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False

    listed = await live.http.get("/monitors", params={"account_id": account["id"]}, headers=agent)
    assert [m["id"] for m in listed.json()] == [made["id"]]

    gone = await live.http.delete(path, headers=agent)
    assert gone.status_code == 204
    assert (await live.http.delete(path, headers=agent)).status_code == 204  # no change
    assert (await live.http.delete("/monitors/M-0000-0000", headers=agent)).status_code == 404
    assert (await live.http.get(path, headers=agent)).status_code == 404
    assert (await live.http.post(f"{path}/pause", headers=agent)).status_code == 404
    listed = await live.http.get("/monitors", params={"account_id": account["id"]}, headers=agent)
    assert listed.json() == []
    assert (await handle.result()).deleted  # the workflow ended
    async with AsyncSession(engine) as session:
        kept = await session.get(Monitor, made["id"])
    assert kept is not None and kept.deleted_at is not None  # its history is kept


async def test_own_services_are_named_and_customers_see_only_their_own_sites(
    live: Live, engine: AsyncEngine
) -> None:
    account = await live.account("electric-putty")
    other = await live.account("electric-putty")
    theirs = await _made(live, url=SITE, account_id=account["id"])
    elsewhere = await _made(live, url="https://shop.example.invalid/", account_id=other["id"])
    service = await _made(live, url="https://api.pledge.invalid/health", service="api")
    assert service["name"] == "The API" and service["account_id"] is None
    named = await _made(live, url="https://status.pledge.invalid/", service="mail-relay")
    assert named["name"] == "mail-relay"

    customer = await customer_key(engine, account["id"])
    seen = await live.http.get("/monitors", headers=customer)
    assert [m["id"] for m in seen.json()] == [theirs["id"]]
    asked = await live.http.get("/monitors", params={"service": "api"}, headers=customer)
    assert asked.json() == []
    for hidden in (elsewhere, service):
        response = await live.http.get(f"/monitors/{hidden['id']}", headers=customer)
        assert response.status_code == 404
        assert response.json()["detail"] == f"No monitor with id {hidden['id']}"
    assert (await live.http.get(f"/monitors/{theirs['id']}", headers=customer)).status_code == 200
    for write in (
        live.http.post(
            "/monitors", json={"url": SITE, "account_id": account["id"]}, headers=customer
        ),
        live.http.patch(f"/monitors/{theirs['id']}", json={"name": "Mine"}, headers=customer),
        live.http.post(f"/monitors/{theirs['id']}/pause", headers=customer),
        live.http.delete(f"/monitors/{theirs['id']}", headers=customer),
    ):
        assert (await write).status_code == 403
    services = await live.http.get(
        "/monitors", params={"service": "api"}, headers=live.as_("success_manager")
    )
    assert service["id"] in [m["id"] for m in services.json()]


async def test_an_idempotency_key_makes_one_monitor(live: Live) -> None:
    account = await live.account("spotler")
    body = {"url": SITE, "account_id": account["id"]}
    headers = {**live.as_("agent"), "Idempotency-Key": "monitor-harbour-1"}
    first = await live.http.post("/monitors", json=body, headers=headers)
    again = await live.http.post("/monitors", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await live.http.post(
        "/monitors", json={**body, "interval_seconds": 60}, headers=headers
    )
    assert other.status_code == 409, other.text
