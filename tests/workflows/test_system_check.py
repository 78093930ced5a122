"""The system check runs through a real worker and leaves exactly one row, whatever retries."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.deps import ActivityDeps
from activities.system import SystemActivities, SystemCheckRequest
from db.models import SystemCheck
from db.session import make_session_factory
from settings import Settings
from worker import build_worker
from workflows.system_check import SystemCheckWorkflow


async def _count(engine: AsyncEngine, check_id: str) -> int:
    async with make_session_factory(engine)() as session:
        return int(
            await session.scalar(select(func.count()).where(SystemCheck.id == check_id)) or 0
        )


async def test_workflow_records_the_check(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    settings: Settings,
    activity_deps: ActivityDeps,
) -> None:
    check_id = f"system-check-{uuid.uuid4()}"
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            result = await time_skipping_env.client.execute_workflow(
                SystemCheckWorkflow.run,
                SystemCheckRequest(check_id=check_id, requested_at=datetime.now(UTC)),
                id=check_id,
                task_queue=settings.temporal_task_queue,
            )
    assert result.check_id == check_id
    assert result.worker_identity == "test-worker"
    assert await _count(engine, check_id) == 1


async def test_a_retried_activity_writes_once(
    engine: AsyncEngine, activity_deps: ActivityDeps
) -> None:
    activities = SystemActivities(activity_deps)
    request = SystemCheckRequest(check_id=f"retry-{uuid.uuid4()}", requested_at=datetime.now(UTC))
    environment = ActivityEnvironment()
    first = await environment.run(activities.record_system_check, request)
    second = await environment.run(activities.record_system_check, request)
    assert first == second
    assert await _count(engine, request.check_id) == 1


async def test_api_round_trip_on_the_dev_server(
    live_client: httpx.AsyncClient,
    live_admin_headers: dict[str, str],
    engine: AsyncEngine,
    activity_deps: ActivityDeps,
    dev_server_env: WorkflowEnvironment,
) -> None:
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(dev_server_env.client, activity_deps, executor):
            response = await live_client.post("/system/checks", headers=live_admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["worker_identity"] == "test-worker"
    assert body["round_trip_ms"] > 0
    assert await _count(engine, body["check_id"]) == 1
