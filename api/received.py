"""When something was received: given by the client for things logged after the fact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sla
from api.errors import InvalidInput

# A client's clock a little ahead of ours is not a time in the future.
CLOCK_SKEW = timedelta(seconds=60)


def check_received_at(given: datetime | None, now: datetime) -> datetime:
    """`given` (default now) as UTC: never in the future, never before deadlines count."""
    if given is None:
        return now
    if given > now + CLOCK_SKEW:
        raise InvalidInput.for_field(
            "body.received_at", f"{given.isoformat()} is in the future; it is now {now.isoformat()}"
        )
    if given < sla.EARLIEST_START:
        raise InvalidInput.for_field(
            "body.received_at",
            f"{given.isoformat()} is before {sla.EARLIEST_START:%Y-%m-%d}, the "
            "earliest date Pledge counts deadlines from",
        )
    return min(given, now).astimezone(UTC)
