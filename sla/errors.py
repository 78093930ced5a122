"""Domain errors of the SLA engine."""

from __future__ import annotations


class FieldError(ValueError):
    """Raised inside validators: a reason, and where below the validated object it applies."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class PolicyError(ValueError):
    """A policy that cannot be used: which file, which field, and why."""

    def __init__(
        self, file: str, field: str, reason: str, others: list[tuple[str, str]] | None = None
    ) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        self.others = others or []  # further (field, reason) pairs found in the same file
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {reason}")


class SlaLookupError(LookupError):
    """Something named by a caller does not exist; the message says what and what does."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnknownPolicy(SlaLookupError):
    """No policy has that key."""


class UnknownPriority(SlaLookupError):
    """The policy has no priority with that key."""


class UnknownCalendar(SlaLookupError):
    """The policy has no calendar with that key."""


class UnknownRequestType(SlaLookupError):
    """The policy has no request type with that key."""
