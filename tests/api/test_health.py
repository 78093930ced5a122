"""GET /health tells the truth about the database, Temporal and the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.app import create_app
from settings import Settings
from tests.conftest import free_port
from worker import build_worker


async def _get_health(app: FastAPI) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as client:
            return await client.get("/health")


@pytest.fixture
async def running_worker(
    activity_deps: ActivityDeps, dev_server_env: WorkflowEnvironment
) -> AsyncIterator[None]:
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(dev_server_env.client, activity_deps, executor):
            yield


async def test_all_up(settings: Settings, running_worker: None) -> None:
    # A new worker shows up in the task queue's pollers once its first poll arrives.
    for _ in range(50):
        response = await _get_health(create_app(settings))
        if response.json()["worker"]["status"] == "up":
            break
        await asyncio.sleep(0.2)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "up"
    assert body["temporal"]["status"] == "up"
    assert body["worker"]["status"] == "up"


async def test_no_worker_is_degraded_but_not_503(settings: Settings) -> None:
    response = await _get_health(create_app(settings))
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["worker"]["status"] == "down"


async def test_database_down_is_503(settings: Settings) -> None:
    dead = settings.model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/pledge"}
    )
    response = await _get_health(create_app(dead))
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["status"] == "down"
    assert "connection refused" in body["database"]["detail"].lower()
    assert body["temporal"]["status"] == "up"


async def test_temporal_down_is_503(settings: Settings) -> None:
    dead = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    response = await _get_health(create_app(dead))
    assert response.status_code == 503
    body = response.json()
    assert body["temporal"]["status"] == "down"
    assert "connection refused" in body["temporal"]["detail"]
    assert body["database"]["status"] == "up"


async def test_no_team_address_is_a_warning_not_a_failure(settings: Settings) -> None:
    assert settings.team_email is None
    response = await _get_health(create_app(settings))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"  # no worker here; the warning changes nothing
    [warning] = _about_settings(body["warnings"])
    assert "PLEDGE_TEAM_EMAIL" in warning and "reach nobody" in warning
    assert "e-shot" in warning and "spotler" in warning

    told = settings.model_copy(update={"team_email": "support-team@example.com"})
    response = await _get_health(create_app(told))
    assert response.status_code == 200
    assert _about_settings(response.json()["warnings"]) == []


async def test_no_complaints_manager_address_is_a_warning(settings: Settings) -> None:
    told = settings.model_copy(
        update={"team_email": "support-team@example.com", "complaints_manager_email": None}
    )
    response = await _get_health(create_app(told))
    assert response.status_code == 200
    [warning] = _about_settings(response.json()["warnings"])
    assert "PLEDGE_COMPLAINTS_MANAGER_EMAIL" in warning
    assert "to post them" in warning


def _about_settings(warnings: list[str]) -> list[str]:
    """The warnings other than unreadable mailboxes, which earlier tests in the same database
    leave behind on purpose (the route matrix's and the fuzzer's hosts answer no IMAP)."""
    return [w for w in warnings if not w.startswith("mailbox ")]
