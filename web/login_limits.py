"""Failed sign-ins, counted per e-mail address and per client, so that guessing is slow.

Uses the same sliding-window FailureLimiter as the API keys (api/auth_failures.py), with a
longer window: PLEDGE_LOGIN_FAILURE_LIMIT failures for one address in 15 minutes, or four
times as many from one client (someone trying many addresses), and /login answers 429 with
the minutes to wait until the oldest of them leaves the window. A success does not wipe the
slate: the address is being guessed at whether or not one guess was right.
"""

from __future__ import annotations

import math

from fastapi import Request

from api.auth_failures import FailureLimiter
from services.users import email_key

WINDOW_SECONDS = 15 * 60.0
PER_CLIENT = 4


def _limiters(request: Request) -> tuple[FailureLimiter, FailureLimiter] | None:
    limit = request.app.state.settings.login_failure_limit
    if limit == 0:
        return None
    limiters = getattr(request.app.state, "login_failures", None)
    if limiters is None:
        limiters = request.app.state.login_failures = (
            FailureLimiter(limit, WINDOW_SECONDS),
            FailureLimiter(limit * PER_CLIENT, WINDOW_SECONDS),
        )
    return limiters


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def wait_minutes(request: Request, email: str) -> int | None:
    """Minutes until this address or client may try again; None when it may try now."""
    limiters = _limiters(request)
    if limiters is None:
        return None
    by_address, by_client = limiters
    waits = [
        w
        for w in (by_address.retry_after(email_key(email)), by_client.retry_after(_client(request)))
        if w is not None
    ]
    return math.ceil(max(waits) / 60) if waits else None


def failed(request: Request, email: str) -> None:
    limiters = _limiters(request)
    if limiters is None:
        return
    by_address, by_client = limiters
    by_address.failed(email_key(email))
    by_client.failed(_client(request))
