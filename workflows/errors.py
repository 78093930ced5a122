"""ApplicationError types workflows raise and the API turns into HTTP statuses."""

REFUSED = "Refused"  # the state does not allow the action: 409
IDEMPOTENCY_MISMATCH = "IdempotencyMismatch"  # an Idempotency-Key reused differently: 409
INVALID = "InvalidInput"  # the request, not the state, is wrong: 422
