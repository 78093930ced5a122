"""Announced maintenance as everything else reads it: the one place that says when a service is
under maintenance and which windows are announced.

Monitors ask `in_maintenance` when a site goes down (activities/monitors.py): an outage that
begins inside a window is recorded, marked `in_maintenance`, and opens no ticket. Uptime history
marks window time as maintenance (`periods_for_monitor`); the status page, the banners and the
huddle list windows announced or under way (`periods_between`). Until maintenance windows are
kept these read nothing; the maintenance work fills them in from its own tables and every caller
follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Monitor


@dataclass(frozen=True)
class MaintenancePeriod:
    """A window as readers see it. `state`: scheduled, in_progress, completed (never cancelled:
    a cancelled window is no period)."""

    window_id: str
    title: str
    description: str
    services: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    state: str


async def periods_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    services: frozenset[str] | None = None,
) -> list[MaintenancePeriod]:
    """Windows not cancelled overlapping [start, end), earliest first; only those naming one of
    `services` when given."""
    del session, start, end, services  # read once maintenance windows are kept
    return []


async def periods_for_monitor(
    session: AsyncSession, monitor: Monitor, start: datetime, end: datetime
) -> list[MaintenancePeriod]:
    """The windows that cover `monitor` (its service, or the account's site) in [start, end)."""
    del session, monitor, start, end
    return []


async def in_maintenance(session: AsyncSession, monitor: Monitor, at: datetime) -> bool:
    """Whether `monitor`'s service (or the account's site) is under maintenance at `at`."""
    return any(
        p.starts_at <= at < p.ends_at
        for p in await periods_for_monitor(session, monitor, at, at + timedelta(microseconds=1))
    )
