"""Failed authentication, counted per client so that guessing keys or feed tokens is slow.

In memory, per API process: a client address that fails `limit` times (PLEDGE_AUTH_FAILURE_LIMIT,
10 by default) within `window` seconds
is refused with 429 (and Retry-After) until the oldest of those failures leaves the window.
The table is bounded: past `max_clients` addresses the one that failed longest ago is dropped,
so a flood of addresses costs memory once, not without end.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import Request

from api.errors import TooManyRequests

LIMIT = 10
WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000


class FailureLimiter:
    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may try now."""
        now = self._clock()
        failures = self._recent(client, now)
        if failures is None or len(failures) < self._limit:
            return None
        return max(1, math.ceil(failures[-self._limit] + self._window - now))

    def failed(self, client: str) -> None:
        now = self._clock()
        failures = self._recent(client, now)
        if failures is None:
            failures = self._failures[client] = deque(maxlen=self._limit)
        failures.append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > self._max_clients:
            self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limiter(request: Request) -> FailureLimiter | None:
    """The app's limiter, or None where PLEDGE_AUTH_FAILURE_LIMIT is 0 (limiting is off)."""
    limit = request.app.state.settings.auth_failure_limit
    if limit == 0:
        return None
    # One per app, made on first use (no await in between, so no two are made).
    limiter = getattr(request.app.state, "auth_failures", None)
    if limiter is None:
        limiter = request.app.state.auth_failures = FailureLimiter(limit)
    return limiter


def refuse_if_throttled(request: Request) -> None:
    """429 for a client that failed too often lately, before its credentials are even read."""
    limiter = _limiter(request)
    wait = limiter.retry_after(_client(request)) if limiter is not None else None
    if wait is not None:
        raise TooManyRequests(
            f"Too many failed attempts to authenticate from {_client(request)}; "
            f"try again in {wait} s",
            retry_after=wait,
        )


def record_failure(request: Request) -> None:
    if (limiter := _limiter(request)) is not None:
        limiter.failed(_client(request))
