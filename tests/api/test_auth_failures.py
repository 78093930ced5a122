"""Failed authentication is limited per client address: 429 with Retry-After, bounded memory."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth_failures import LIMIT, WINDOW_SECONDS, FailureLimiter
from db.models import Role
from tests.conftest import bearer


class Clock:
    """A clock the test moves by hand (given to the limiter, as the app gives it monotonic)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://pledge.test")


async def test_a_client_that_keeps_failing_is_answered_429(
    app: FastAPI, session: AsyncSession
) -> None:
    good = await bearer(session, Role.AGENT)
    bad = {"Authorization": "Bearer pledge_guess"}
    async with client_at(app, "127.0.0.7") as guesser, client_at(app, "127.0.0.8") as other:
        for _ in range(LIMIT):
            assert (await guesser.get("/me", headers=bad)).status_code == 401
        refused = await guesser.get("/me", headers=bad)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_SECONDS
        assert "Too many failed attempts" in refused.json()["detail"]
        # Blocked whatever it sends now, a good key included; feed tokens count the same way.
        assert (await guesser.get("/me", headers=good)).status_code == 429
        assert (await guesser.get("/complaints/feed/guess.ics")).status_code == 429
        # Another client is not held up by it.
        assert (await other.get("/me", headers=good)).status_code == 200
        assert (await other.get("/me", headers=bad)).status_code == 401


async def test_failed_feed_tokens_count_as_failed_authentication(app: FastAPI) -> None:
    async with client_at(app, "127.0.0.9") as guesser:
        for _ in range(LIMIT):
            assert (await guesser.get("/complaints/feed/guess.ics")).status_code == 401
        assert (await guesser.get("/complaints/feed/guess.ics")).status_code == 429


def test_the_block_lifts_as_failures_leave_the_window() -> None:
    clock = Clock()
    limiter = FailureLimiter(limit=3, window=60, clock=clock)
    for step in range(3):
        assert limiter.retry_after("a") is None
        limiter.failed("a")
        clock.now += 10 * (step < 2)
    assert limiter.retry_after("a") == 40  # the first failure leaves the window 40 s from now
    clock.now += 39
    assert limiter.retry_after("a") == 1
    clock.now += 1
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("b") is None


def test_the_table_of_clients_is_bounded() -> None:
    clock = Clock()
    limiter = FailureLimiter(limit=2, window=60, max_clients=100, clock=clock)
    for n in range(1000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter) == 100
    limiter.failed("10.0.3.231")  # the newest stays, with both its failures
    assert limiter.retry_after("10.0.3.231") == 60
    assert limiter.retry_after("10.0.0.0") is None  # the oldest were dropped
    clock.now += 61
    limiter.failed("192.0.2.1")
    assert limiter.retry_after("10.0.3.231") is None


def _with_limit(app: FastAPI, limit: int) -> None:
    # As PLEDGE_AUTH_FAILURE_LIMIT would set it; the limiter is made on the first request.
    app.state.settings = app.state.settings.model_copy(update={"auth_failure_limit": limit})


async def test_the_limit_is_a_setting(app: FastAPI) -> None:
    _with_limit(app, 3)
    async with client_at(app, "127.0.0.10") as guesser:
        for _ in range(3):
            assert (await guesser.get("/complaints/feed/guess.ics")).status_code == 401
        assert (await guesser.get("/complaints/feed/guess.ics")).status_code == 429


async def test_a_limit_of_zero_turns_limiting_off(app: FastAPI, session: AsyncSession) -> None:
    _with_limit(app, 0)
    good = await bearer(session, Role.AGENT)
    async with client_at(app, "127.0.0.11") as guesser:
        for _ in range(3 * LIMIT):
            assert (
                await guesser.get("/me", headers={"Authorization": "Bearer x"})
            ).status_code == 401
        assert (await guesser.get("/me", headers=good)).status_code == 200
