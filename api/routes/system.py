"""POST /system/checks: an end-to-end round trip through Temporal, a worker and the database."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from temporalio.common import WorkflowIDReusePolicy

from activities.system import SystemCheckRequest
from api.auth import AdminPrincipal
from api.deps import AppSettings, Temporal
from api.errors import ServiceUnavailable, responses
from api.schemas import SystemCheckOut
from workflows.system_check import SystemCheckWorkflow

router = APIRouter(tags=["health"])

WAIT_SECONDS = 10


@router.post("/system/checks", response_model=SystemCheckOut, responses=responses(403, 503))
async def run_system_check(
    _: AdminPrincipal, client: Temporal, settings: AppSettings
) -> SystemCheckOut:
    """Start a workflow that a worker must run and record in the database; wait for it."""
    check_id = f"system-check-{uuid.uuid4()}"
    requested_at = datetime.now(UTC)
    started = time.perf_counter()
    try:
        handle = await client.start_workflow(
            SystemCheckWorkflow.run,
            SystemCheckRequest(check_id=check_id, requested_at=requested_at),
            id=check_id,
            task_queue=settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # A check nobody runs should not linger in Temporal forever.
            execution_timeout=timedelta(minutes=1),
        )
    except Exception as exc:  # noqa: BLE001 - Temporal being down is a 503, not a 500
        raise ServiceUnavailable(f"Temporal did not accept the check: {exc}") from exc
    try:
        result = await asyncio.wait_for(handle.result(), WAIT_SECONDS)
    except TimeoutError:
        raise ServiceUnavailable(
            f"No worker ran the check within {WAIT_SECONDS} s: is `python worker.py` running "
            f"on task queue {settings.temporal_task_queue!r}?"
        ) from None
    return SystemCheckOut(
        check_id=result.check_id,
        worker_identity=result.worker_identity,
        requested_at=requested_at,
        recorded_at=result.recorded_at,
        round_trip_ms=round((time.perf_counter() - started) * 1000, 1),
    )
