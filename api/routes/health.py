"""GET /health: is the database up, is Temporal up, is a worker polling."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.deps import AppSettings, DatabaseEngine, Temporal
from api.schemas import ComponentHealth, Health
from db.errors import explain
from db.models import Mailbox
from workflows.connection import TemporalUnavailable, check_health, count_pollers

router = APIRouter(tags=["health"])

TIMEOUT_SECONDS = 3.0


async def _database(engine: AsyncEngine, database_url: str) -> ComponentHealth:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return ComponentHealth(status="down", detail="the database did not answer within 3 s")
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported with its reason
        return ComponentHealth(status="down", detail=explain(exc, database_url))
    return ComponentHealth(status="up", detail=engine.dialect.name)


async def _temporal(client: Client) -> ComponentHealth:
    try:
        await check_health(client)
    except TemporalUnavailable as exc:
        return ComponentHealth(status="down", detail=str(exc))
    return ComponentHealth(
        status="up", detail=f"{client.service_client.config.target_host} / {client.namespace}"
    )


async def _worker(client: Client, task_queue: str) -> ComponentHealth:
    try:
        pollers = await count_pollers(client, task_queue)
    except TemporalUnavailable as exc:
        return ComponentHealth(status="down", detail=str(exc))
    return ComponentHealth(
        status="up" if pollers else "down",
        detail=f"{pollers} worker(s) polling task queue {task_queue!r}",
    )


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or Temporal is down"}},
)
async def health(
    settings: AppSettings, engine: DatabaseEngine, client: Temporal, response: Response
) -> Health:
    """Whether Pledge can keep promises now: 503 when the database or Temporal is down.

    No worker polling is reported but is not a 503: the API still accepts work, and timers
    wait durably in Temporal until a worker comes back. `warnings` lists what works but goes
    unheard (no team address for unassigned breaches); it leaves `status` as it is, since
    deadlines are still kept and a monitor should not page for configuration.
    """
    database, temporal = await asyncio.gather(
        _database(engine, settings.effective_database_url), _temporal(client)
    )
    if temporal.status == "up":
        worker = await _worker(client, settings.temporal_task_queue)
    else:
        worker = ComponentHealth(status="down", detail="unknown while Temporal is down")
    if "down" in (database.status, temporal.status):
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        overall = "down"
    else:
        overall = "ok" if worker.status == "up" else "degraded"
    mail = await _mailbox_warnings(engine) if database.status == "up" else []
    return Health(
        status=overall,
        database=database,
        temporal=temporal,
        worker=worker,
        warnings=[*settings.configuration_warnings(), *mail],
    )


async def _mailbox_warnings(engine: AsyncEngine) -> list[str]:
    """A mailbox that cannot be read turns no mail into tickets, and nobody would notice:
    each one whose last reading failed is named, with why."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), engine.connect() as connection:
            rows = await connection.execute(
                select(Mailbox.id, Mailbox.name, Mailbox.last_error).where(
                    Mailbox.last_error.is_not(None), Mailbox.paused.is_(False)
                )
            )
            return [
                f"mailbox {name or number} cannot be read, so its mail waits: {error}"
                for number, name, error in rows
            ]
    except Exception:  # noqa: BLE001 - health answers whatever else is wrong
        return []
