"""ApplicationError types workflows raise and the API turns into HTTP statuses."""

from temporalio.exceptions import ApplicationError

REFUSED = "Refused"  # the state does not allow the action: 409
IDEMPOTENCY_MISMATCH = "IdempotencyMismatch"  # an Idempotency-Key reused differently: 409
INVALID = "InvalidInput"  # the request, not the state, is wrong: 422


def key_reused(what: str) -> ApplicationError:
    """The refusal of a request whose Idempotency-Key already opened `what` with another body."""
    return ApplicationError(
        f"the Idempotency-Key was already used for {what} with a different request",
        type=IDEMPOTENCY_MISMATCH,
        non_retryable=True,
    )
