"""POST /system/checks: an end-to-end round trip through Temporal, a worker and the database;
GET /system/failures: the work that could not be done after its retries."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from temporalio.common import WorkflowIDReusePolicy

from activities.system import SystemCheckRequest
from api.auth import AdminPrincipal
from api.deps import AppSettings, Session, Temporal
from api.errors import ServiceUnavailable, responses
from api.schemas import FailureOut, SystemCheckOut
from db.models import Failure
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


@router.get("/system/failures", response_model=list[FailureOut], responses=responses(403))
async def list_failures(
    _: AdminPrincipal,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[FailureOut]:
    """Letters and reports that could not be made and notices that could not be delivered,
    after their retries; newest first."""
    rows = await session.scalars(
        select(Failure).order_by(Failure.at.desc(), Failure.id.desc()).limit(limit).offset(offset)
    )
    return [FailureOut.model_validate(row, from_attributes=True) for row in rows]
