"""Calls to workflows, with Temporal's failures turned into the API's errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import Conflict, InvalidInput, ServiceUnavailable
from api.references import new_reference, reference_for_key
from workflows.errors import IDEMPOTENCY_MISMATCH, INVALID, REFUSED

T = TypeVar("T")

# Past this, no worker is taking the work: the client is told so rather than left hanging.
WAIT_SECONDS = 30


async def call(
    operation: Awaitable[T],
    *,
    finished: str,
    session: AsyncSession | None = None,
    invalid_field: str = "body",
) -> T:
    """Await a workflow update; a refusal is 409, a finished workflow is 409 with `finished`.

    With the request's `session`, its database transaction ends first: waiting on Temporal
    (up to WAIT_SECONDS) must not hold a pooled connection that other requests need.
    """
    if session is not None:
        await session.commit()
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            return await operation
    except TimeoutError:
        raise ServiceUnavailable(
            f"No worker answered within {WAIT_SECONDS} s; the request is queued in Temporal and "
            "will be applied when a worker is back"
        ) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise ServiceUnavailable(
            "No worker took the request in time; it is queued in Temporal and will be applied "
            "when a worker is back"
        ) from None
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in (REFUSED, IDEMPOTENCY_MISMATCH):
            raise Conflict(_sentence(cause.message)) from None
        if isinstance(cause, ApplicationError) and cause.type == INVALID:
            raise InvalidInput.for_field(invalid_field, cause.message) from None
        raise
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(finished) from None
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise ServiceUnavailable(f"Temporal is not answering: {exc.message}") from None
        raise


async def open_workflow(
    client: Client,
    session: AsyncSession,
    *,
    noun: str,
    prefix: str,
    task_queue: str,
    key_prefix: str,
    idempotency_key: str | None,
    run: Any,
    start: Callable[[str], Any],
    opened: Any,
    opened_request: Any,
) -> Any:
    """Start `<noun>-<reference>` and answer its `opened` update, in one round trip.

    The reference is random, drawn again should two draws meet; with an Idempotency-Key it is
    derived from the key, so a retry reaches the same workflow (and 409 once it has finished:
    a finished workflow's id is never reused, so a key names one thing for good).
    """
    for _ in range(5):
        reference = (
            reference_for_key(prefix, key_prefix, idempotency_key)
            if idempotency_key
            else new_reference(prefix)
        )
        operation = WithStartWorkflowOperation(
            run,
            start(reference),
            id=f"{noun}-{reference}",
            task_queue=task_queue,
            id_conflict_policy=(
                WorkflowIDConflictPolicy.USE_EXISTING
                if idempotency_key
                else WorkflowIDConflictPolicy.FAIL
            ),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        try:
            return await call(
                client.execute_update_with_start_workflow(
                    opened, opened_request, start_workflow_operation=operation
                ),
                finished=f"{noun.capitalize()} {reference} no longer exists",
                session=session,
            )
        except (WorkflowAlreadyStartedError, RPCError) as exc:
            if isinstance(exc, RPCError) and exc.status != RPCStatusCode.ALREADY_EXISTS:
                raise ServiceUnavailable(
                    f"Temporal did not accept the {noun}: {exc.message}"
                ) from None
            if idempotency_key:
                raise Conflict(
                    f"The Idempotency-Key was used for {noun} {reference}, which is now closed"
                ) from None
    raise ServiceUnavailable(f"Could not find a free {noun} reference; try again")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


async def signal_if_running(client: Client, workflow_id: str, signal: Any, arg: Any) -> bool:
    """Signal a workflow that may have finished (an onboarding that ended, actions all done):
    false when there is none to tell; Temporal being down is a 503."""
    try:
        await client.get_workflow_handle(workflow_id).signal(signal, arg)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise ServiceUnavailable(f"Temporal is not answering: {exc.message}") from None
    return True
