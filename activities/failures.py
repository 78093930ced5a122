"""Recording work that could not be done: one row per failure, and a line in the worker log."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from activities.deps import ActivityDeps
from db.idempotent import insert_once
from db.models import Failure

log = logging.getLogger("pledge.failures")


class FailureNote(BaseModel):
    """What failed, for whom, and why; `id` is unique per failure, so recording it is safe to
    repeat."""

    id: str
    at: datetime
    workflow_id: str
    kind: str  # letter | report | notice | data
    subject: str
    what: str
    error: str
    attempts: int | None = None


class FailureActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_failure(self, note: FailureNote) -> bool:
        """Keep the failure (once) and say so in the worker's log; true when this call kept it."""
        async with self._deps.session_factory() as session, session.begin():
            new = await insert_once(session, Failure, **note.model_dump())
        if new:
            tries = f" after {note.attempts} attempts" if note.attempts else ""
            log.error(
                "failure recorded for %s (%s): %s%s: %s",
                note.subject,
                note.workflow_id,
                note.what,
                tries,
                note.error,
            )
        return new
