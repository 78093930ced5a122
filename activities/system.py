"""Side effects of the system check: one idempotent row per check."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from activities.deps import ActivityDeps
from db.idempotent import insert_once
from db.models import SystemCheck


class SystemCheckRequest(BaseModel):
    check_id: str
    requested_at: datetime


class SystemCheckResult(BaseModel):
    check_id: str
    worker_identity: str
    recorded_at: datetime


class SystemActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_system_check(self, request: SystemCheckRequest) -> SystemCheckResult:
        """Record that a worker ran this check; a retried attempt finds the row already there."""
        async with self._deps.session_factory() as session, session.begin():
            await insert_once(
                session,
                SystemCheck,
                id=request.check_id,
                requested_at=request.requested_at,
                worker_identity=self._deps.worker_identity,
            )
            row = await session.get(SystemCheck, request.check_id)
        if row is None:  # only possible if the row was deleted between the two statements
            raise RuntimeError(f"system check {request.check_id} vanished after insert")
        return SystemCheckResult(
            check_id=row.id, worker_identity=row.worker_identity, recorded_at=row.recorded_at
        )
