"""Monitors with a history written straight into the tables, as the probes would have: a row,
results every few minutes, outages. For the uptime reads, the roll-up and the reports."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Monitor, MonitorResult, Outage


def new_monitor(
    created_at: datetime,
    *,
    account_id: int | None = None,
    service: str | None = None,
    name: str = "www.history.invalid",
    interval_seconds: int = 300,
) -> Monitor:
    return Monitor(
        id=f"M-{secrets.token_hex(4).upper()}", name=name, url=f"https://{name}/",
        account_id=account_id, service=service if account_id is None else None,
        interval_seconds=interval_seconds, expected_status=200, keyword=None, paused=False,
        state="up", state_since=created_at, created_by="test", created_at=created_at,
        updated_at=created_at, deleted_at=None, version=1,
    )  # fmt: skip


def results(
    monitor_id: str,
    start: datetime,
    end: datetime,
    *,
    every: timedelta = timedelta(minutes=5),
    down: list[tuple[datetime, datetime]] = (),  # type: ignore[assignment]
    ms: int = 120,
) -> list[MonitorResult]:
    """Probes every `every` in [start, end): failing inside `down`, passing elsewhere with
    response times ms, ms+1, ..., ms+9 in turn."""
    found = []
    at, n = start, 0
    while at < end:
        failing = any(a <= at < b for a, b in down)
        found.append(
            MonitorResult(
                monitor_id=monitor_id, at=at, ok=not failing,
                status_code=503 if failing else 200,
                response_ms=None if failing else ms + n % 10,
                error="answered 503, expected 200" if failing else None,
            )
        )  # fmt: skip
        at += every
        n += 1
    return found


async def add_history(
    session: AsyncSession,
    monitor: Monitor,
    start: datetime,
    end: datetime,
    *,
    outages: list[tuple[datetime, datetime | None, str | None]] = (),  # type: ignore[assignment]
    gaps: list[tuple[datetime, datetime]] = (),  # type: ignore[assignment]
) -> None:
    """The monitor's row, its probes over [start, end) (none inside `gaps`; failing inside
    each outage), and its outages (start, end, ticket reference)."""
    session.add(monitor)
    await session.flush()
    down = [(a, b or end) for a, b, _ in outages]
    rows = [
        r
        for r in results(monitor.id, start, end, down=down)
        if not any(a <= r.at < b for a, b in gaps)
    ]
    session.add_all(rows)
    for a, b, reference in outages:
        session.add(
            Outage(
                monitor_id=monitor.id,
                started_at=a,
                detected_at=a + timedelta(minutes=1),
                ended_at=b,
                cause="answered 503, expected 200",
                ticket_reference=reference,
                in_maintenance=False,
            )  # fmt: skip
        )
    await session.flush()
