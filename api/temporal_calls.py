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


# An update is kept by Temporal only once a worker accepts it (its first history event is
# UpdateAccepted); until then a server restart or the client giving up loses it. So the 503s
# below say what is known: refused before reaching Temporal means nothing changed; not
# confirmed in time means it may or may not have been applied.
# Refusals that say "not now", not "no": answered 503, to be tried again.
BUSY = (RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.RESOURCE_EXHAUSTED)
NOT_CONFIRMED = (
    "so it may or may not have been made (Temporal keeps a change only once a worker has "
    "accepted it); check the current state before trying again"
)


def temporal_unreachable(exc: BaseException) -> str | None:
    """Why Temporal could not be reached at all (so nothing reached it), or None."""
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE:
        return exc.message
    # The API's client connects lazily; a first call to a server that is down fails so.
    if isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect"):
        return "cannot connect"
    return None


class TemporalUnreachable(ServiceUnavailable):
    """Temporal could not be reached at all: nothing reached it, so nothing was changed."""


def unreachable_error(reason: str) -> ServiceUnavailable:
    return TemporalUnreachable(
        f"Temporal cannot be reached ({reason}); nothing was changed. Try again shortly."
    )


async def call(
    operation: Awaitable[T],
    *,
    finished: str,
    session: AsyncSession | None = None,
    invalid_field: str = "body",
    unconfirmed: str | None = None,
) -> T:
    """Await a workflow update; a refusal is 409, a finished workflow is 409 with `finished`.

    With the request's `session`, its database transaction ends first: waiting on Temporal
    (up to WAIT_SECONDS) must not hold a pooled connection, or SQLite's write lock, that
    other requests and the worker need. `unconfirmed` replaces the 503's sentence for an
    update that was sent but not confirmed in time.
    """
    if session is not None:
        await session.commit()
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            return await operation
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ServiceUnavailable(
            unconfirmed
            or f"No worker confirmed the change within {WAIT_SECONDS} s, {NOT_CONFIRMED}",
            retry_after=WAIT_SECONDS,
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
        if exc.status == RPCStatusCode.UNAVAILABLE:
            raise unreachable_error(exc.message) from None
        if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise ServiceUnavailable(
                f"Temporal did not answer in time ({exc.message}), {NOT_CONFIRMED}"
            ) from None
        if exc.status in BUSY:
            # The workflow could not take the change now: its last task timed out on a worker
            # too busy to finish it (Temporal retries it), or the server is short of capacity.
            raise ServiceUnavailable(
                f"The change could not be made just now ({exc.message}), {NOT_CONFIRMED}",
                retry_after=WAIT_SECONDS,
            ) from None
        raise
    except RuntimeError as exc:
        if (reason := temporal_unreachable(exc)) is not None:
            raise unreachable_error(reason) from None
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
                unconfirmed=_unconfirmed_opening(noun, reference, idempotency_key),
            )
        except (WorkflowAlreadyStartedError, RPCError) as exc:
            if isinstance(exc, RPCError) and exc.status != RPCStatusCode.ALREADY_EXISTS:
                if exc.status == RPCStatusCode.UNAVAILABLE:
                    raise unreachable_error(exc.message) from None
                raise ServiceUnavailable(
                    _unconfirmed_opening(noun, reference, idempotency_key, exc.message)
                ) from None
            if idempotency_key:
                raise Conflict(
                    f"The Idempotency-Key was used for {noun} {reference}, which is now closed"
                ) from None
    raise ServiceUnavailable(f"Could not find a free {noun} reference; try again")


def _unconfirmed_opening(
    noun: str, reference: str, idempotency_key: str | None, reason: str | None = None
) -> str:
    """Update-with-start: the start may be kept even though the opening was not confirmed."""
    why = (
        f"Temporal did not confirm it ({reason})"
        if reason
        else (f"no worker confirmed it within {WAIT_SECONDS} s")
    )
    retry = (
        "Retry with the same Idempotency-Key: it reaches the same one."
        if idempotency_key
        else f"Look for {reference} before opening it again, or retry with an Idempotency-Key."
    )
    return (
        f"The {noun} {reference} may have been started but is not confirmed as opened: {why}. "
        f"{retry}"
    )


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
