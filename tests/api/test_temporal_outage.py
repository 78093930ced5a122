"""While Temporal cannot take work, the API answers 503 with Retry-After and says truthfully
what was kept: refused before reaching Temporal is nothing; sent but unconfirmed may be either.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.app import create_app
from api.temporal_calls import WAIT_SECONDS
from db.models import Account, Ticket, TicketEvent
from settings import Settings
from tests.api.conftest import Live
from tests.conftest import free_port
from worker import build_worker


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as client:
            yield client


async def _count(engine: AsyncEngine, model: type) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _assert_503(response: httpx.Response) -> str:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable"
    return str(problem["detail"])


async def test_temporal_down_is_503_and_nothing_is_kept(
    live: Live, settings: Settings, engine: AsyncEngine
) -> None:
    account = await live.account("spotler")
    ticket = (await live.open(account_id=account["id"], priority="low")).json()
    reference = ticket["reference"]
    down = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    accounts, tickets = await _count(engine, Account), await _count(engine, Ticket)
    async for client in _client(down):
        name = f"refused {secrets.token_hex(3)}"
        refused = await client.post(
            "/accounts", json={"name": name, "policy": "spotler"}, headers=live.as_("admin")
        )
        assert "the account was not kept" in _assert_503(refused)

        opened = await client.post(
            "/tickets",
            json={
                "account_id": account["id"],
                "subject": "Cannot log in",
                "description": "Since this morning.",
                "channel": "phone",
            },
            headers=live.as_("agent"),
        )
        assert "nothing was changed" in _assert_503(opened)

        assigned = await client.post(
            f"/tickets/{reference}/assign",
            json={"name": "Alex", "email": "alex@pledge.example.com"},
            headers=live.as_("agent"),
        )
        detail = _assert_503(assigned)
        assert "nothing was changed" in detail and "will be applied" not in detail
    assert await _count(engine, Account) == accounts
    assert await _count(engine, Ticket) == tickets
    async with AsyncSession(engine) as session:
        kinds = await session.scalars(
            select(TicketEvent.kind)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.reference == reference)
        )
        assert "assigned" not in list(kinds)


async def test_an_update_no_worker_confirms_is_503_saying_it_may_not_be_made(
    live_client: httpx.AsyncClient,
    live_admin_headers: dict[str, str],
    activity_deps: ActivityDeps,
    dev_server_env: WorkflowEnvironment,
) -> None:
    http, admin = live_client, live_admin_headers
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(dev_server_env.client, activity_deps, executor):
            created = await http.post(
                "/accounts", json={"name": f"quiet {secrets.token_hex(3)}", "policy": "spotler"},
                headers=admin,
            )  # fmt: skip
            assert created.status_code == 201, created.text
            opened = await http.post(
                "/tickets",
                json={
                    "account_id": created.json()["id"],
                    "subject": "Nobody home",
                    "description": "The worker is about to stop.",
                    "channel": "phone",
                },
                headers=admin,
            )
            assert opened.status_code == 201, opened.text
    # The worker is gone: the update reaches Temporal, but no worker accepts it.
    reference = opened.json()["reference"]
    answer = await http.post(
        f"/tickets/{reference}/assign",
        json={"name": "Alex", "email": "alex@pledge.example.com"},
        headers=admin,
        timeout=WAIT_SECONDS + 30,
    )
    detail = _assert_503(answer)
    assert "may or may not have been made" in detail
    assert "queued" not in detail and "will be applied" not in detail


async def test_a_workflow_that_cannot_take_a_change_now_is_503_not_500() -> None:
    # Seen under load: the workflow's last task timed out on a busy worker, so Temporal
    # refuses the update with FAILED_PRECONDITION until it has run the task again.
    import pytest as _pytest
    from temporalio.service import RPCError, RPCStatusCode

    from api.errors import ServiceUnavailable
    from api.temporal_calls import call

    for status in (RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.RESOURCE_EXHAUSTED):

        async def refused(status: RPCStatusCode = status) -> None:
            raise RPCError("Workflow Task in failed state.", status, b"")

        with _pytest.raises(ServiceUnavailable) as raised:
            await call(refused(), finished="finished")
        assert "could not be made just now" in raised.value.detail
        assert "may or may not have been made" in raised.value.detail
