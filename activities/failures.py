"""Recording work that could not be done: one row per failure, and a line in the worker log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.exc import DataError
from temporalio import activity
from temporalio.exceptions import ApplicationError

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


DATA_REFUSED = "DataRefused"
MAX_TEXT = 4000


@contextmanager
def refused_data_is_final(what: str) -> Iterator[None]:
    """A write the database refuses for its data (a NUL byte, a number out of range) fails for
    good at once: no retry can mend it, and the workflow then records the failure and goes on."""
    try:
        yield
    except DataError as exc:
        # Not chained: the database's error quotes the refused values, and those must not
        # travel on into Temporal's history and the failures table.
        raise ApplicationError(
            f"the database refused {what}: {exc.orig}", type=DATA_REFUSED, non_retryable=True
        ) from None


class FailureActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_failure(self, note: FailureNote) -> bool:
        """Keep the failure (once) and say so in the worker's log; true when this call kept it."""
        values = note.model_dump()
        # Keeping the failure must not fail on the data that caused it (PostgreSQL refuses NUL).
        for field in ("subject", "what", "error"):
            values[field] = values[field].replace("\x00", "\\x00")[:MAX_TEXT]
        async with self._deps.session_factory() as session, session.begin():
            new = await insert_once(session, Failure, **values)
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
