"""Calls to workflows, with Temporal's failures turned into the API's errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import Conflict, InvalidInput, ServiceUnavailable
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


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
