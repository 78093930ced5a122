"""Writes the API asks a workflow to make: one update, starting the workflow if need be.

The API stores nothing itself: the workflow's activities write the row and the update answers
once it is written. Temporal unreachable is a 503 with nothing stored anywhere; a retry with
the same Idempotency-Key reaches the same workflow and the same row.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.errors import Conflict, ServiceUnavailable
from api.temporal_calls import call, temporal_unreachable


def request_key(kind: str, scope: str, idempotency_key: str | None) -> str:
    """The key a request's row is written under: from its Idempotency-Key (scoped to the API
    key that sent it, so two clients' keys never meet), or random when it has none."""
    if idempotency_key is None:
        return f"{kind}-{secrets.token_hex(16)}"
    digest = hashlib.sha256(f"{scope}\x00{idempotency_key}".encode()).hexdigest()
    return f"{kind}-{digest[:40]}"


def one_off(fingerprint: str, idempotency_key: str | None) -> str:
    """A request without an Idempotency-Key is never taken for a retry of another."""
    return fingerprint if idempotency_key else f"{fingerprint}:{secrets.token_hex(8)}"


async def update_with_start(
    client: Client,
    session: AsyncSession,
    *,
    workflow_id: str,
    run: Any,
    start: Any,
    update: Any,
    request: Any,
    task_queue: str,
    noun: str,
    finished: str,
    reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.REJECT_DUPLICATE,
) -> Any:
    """Send `update` to `workflow_id`, starting it with `start` when none runs."""
    operation = WithStartWorkflowOperation(
        run,
        start,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=reuse,
    )
    try:
        return await call(
            client.execute_update_with_start_workflow(
                update, request, start_workflow_operation=operation
            ),
            finished=finished,
            session=session,
        )
    except WorkflowAlreadyStartedError:
        raise Conflict(finished) from None
    except (RPCError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and temporal_unreachable(exc) is None:
            raise
        raise ServiceUnavailable(
            f"Temporal did not take the {noun}, so nothing was stored; try again ({_why(exc)})"
        ) from None


async def update_running(
    client: Client, session: AsyncSession, *, workflow_id: str, update: Any, request: Any,
    finished: str, noun: str,
) -> Any:  # fmt: skip
    """Send `update` to a workflow that should be running; finished is 409."""
    try:
        return await call(
            client.get_workflow_handle(workflow_id).execute_update(update, request),
            finished=finished,
            session=session,
        )
    except (RPCError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and temporal_unreachable(exc) is None:
            raise
        raise ServiceUnavailable(
            f"Temporal did not take the {noun}, so nothing was changed; try again ({_why(exc)})"
        ) from None


def _why(exc: Exception) -> str:
    if isinstance(exc, RPCError):
        return exc.message
    return "connection refused" if "refused" in str(exc).lower() else "cannot connect"
