"""API tests that need the whole chain: the app, a worker on the dev server, committed data."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.keys import mint_key
from db.models import Role
from worker import build_monitor_worker, build_worker


@dataclass
class Live:
    """A running Pledge: HTTP client and a key per role."""

    http: httpx.AsyncClient
    keys: dict[str, dict[str, str]]

    def as_(self, role: str) -> dict[str, str]:
        return self.keys[role]

    async def account(self, policy: str, **extra) -> dict:  # type: ignore[no-untyped-def]
        body = {"name": f"{policy} {secrets.token_hex(4)}", "policy": policy, **extra}
        response = await self.http.post("/accounts", json=body, headers=self.as_("success_manager"))
        assert response.status_code == 201, response.text
        return response.json()

    async def contact(self, account_id: int, **extra) -> dict:  # type: ignore[no-untyped-def]
        body = {
            "name": "Casey Contact",
            "email": f"casey-{secrets.token_hex(3)}@customer.example.com",
            "phone": "01483 911 411",
            **extra,
        }
        response = await self.http.post(
            f"/accounts/{account_id}/contacts", json=body, headers=self.as_("agent")
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def open(self, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
        body.setdefault("subject", "Campaign will not send")
        body.setdefault("description", "Nothing happens when I press send.")
        body.setdefault("channel", "phone")
        return await self.http.post("/tickets", json=body, headers=self.as_("agent"))

    async def complain(self, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
        body.setdefault(
            "complainant",
            {
                "name": "Jane Doe",
                "email": "jane@example.com",
                "postal_address": "14 Acacia Avenue\nLeeds LS1 4AB",
            },
        )
        body.setdefault("summary", "Unsubscribed contacts still received the newsletter")
        body.setdefault("channel", "letter")
        return await self.http.post(
            "/complaints", json=body, headers=self.as_("complaints_handler")
        )


async def _key(engine: AsyncEngine, role: Role, account_id: int | None = None) -> dict[str, str]:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        minted = await mint_key(
            session, name=f"{role.value} {secrets.token_hex(2)}", role=role, account_id=account_id
        )
    return {"Authorization": f"Bearer {minted.secret}"}


@pytest.fixture
async def live(
    live_client: httpx.AsyncClient,
    engine: AsyncEngine,
    activity_deps: ActivityDeps,
    dev_server_env: WorkflowEnvironment,
) -> AsyncIterator[Live]:
    keys = {role.value: await _key(engine, role) for role in Role if role is not Role.CUSTOMER}
    client = dev_server_env.client
    with ThreadPoolExecutor(4) as executor:
        async with (
            build_worker(client, activity_deps, executor),
            build_monitor_worker(client, activity_deps),
        ):
            yield Live(http=live_client, keys=keys)
    await end_workflows_left_running(dev_server_env, activity_deps.settings.temporal_task_queue)
    await end_workflows_left_running(
        dev_server_env, activity_deps.settings.effective_monitor_task_queue
    )


async def end_workflows_left_running(env: WorkflowEnvironment, task_queue: str) -> None:
    """Workflow ids are business keys (account-<id>-onboarding), and both backends number
    their accounts from 1 on the one dev server: a run left going here, with no worker on its
    task queue any more, would answer the other backend's test in its place."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    async for execution in env.client.list_workflows(query):
        handle = env.client.get_workflow_handle(execution.id, run_id=execution.run_id)
        with contextlib.suppress(RPCError):  # it ended meanwhile
            await handle.terminate("the test is over")


async def customer_key(engine: AsyncEngine, account_id: int) -> dict[str, str]:
    return await _key(engine, Role.CUSTOMER, account_id)
