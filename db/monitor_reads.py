"""Reading monitors as their workflows recorded them: the rows, each one's latest probe and the
outage under way. What uptime history, the status page and the huddle build on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Monitor, MonitorResult, Outage


@dataclass(frozen=True)
class MonitorFilter:
    account_id: int | None = None
    service: str | None = None
    state: str | None = None
    # Own services only (the status page), or customers' sites only.
    own_services: bool | None = None


async def live(session: AsyncSession, monitor_id: str) -> Monitor | None:
    """The monitor unless it was deleted."""
    monitor = await session.get(Monitor, monitor_id, populate_existing=True)
    return monitor if monitor is not None and monitor.deleted_at is None else None


async def search(session: AsyncSession, where: MonitorFilter) -> list[Monitor]:
    """Monitors not deleted, by account (own services first) and name."""
    query = select(Monitor).where(Monitor.deleted_at.is_(None))
    if where.account_id is not None:
        query = query.where(Monitor.account_id == where.account_id)
    if where.service is not None:
        query = query.where(Monitor.service == where.service)
    if where.state is not None:
        query = query.where(Monitor.state == where.state)
    if where.own_services is True:
        query = query.where(Monitor.account_id.is_(None))
    elif where.own_services is False:
        query = query.where(Monitor.account_id.is_not(None))
    query = query.order_by(Monitor.account_id.is_not(None), Monitor.account_id, Monitor.name)
    return list(await session.scalars(query))


async def latest_results(
    session: AsyncSession, monitor_ids: Sequence[str]
) -> dict[str, MonitorResult]:
    """Each monitor's most recent probe (read through the (monitor_id, at) key)."""
    if not monitor_ids:
        return {}
    newest = (
        select(MonitorResult.monitor_id, func.max(MonitorResult.at).label("at"))
        .where(MonitorResult.monitor_id.in_(monitor_ids))
        .group_by(MonitorResult.monitor_id)
        .subquery()
    )
    rows = await session.scalars(
        select(MonitorResult).join(
            newest,
            (MonitorResult.monitor_id == newest.c.monitor_id) & (MonitorResult.at == newest.c.at),
        )
    )
    return {row.monitor_id: row for row in rows}


async def open_outages(session: AsyncSession, monitor_ids: Sequence[str]) -> dict[str, Outage]:
    """The outage under way of each monitor that has one."""
    if not monitor_ids:
        return {}
    rows = await session.scalars(
        select(Outage)
        .where(Outage.monitor_id.in_(monitor_ids), Outage.ended_at.is_(None))
        .order_by(Outage.started_at)
    )
    return {row.monitor_id: row for row in rows}


async def results_between(
    session: AsyncSession, monitor_id: str, start: datetime, end: datetime
) -> list[MonitorResult]:
    """Raw probes in [start, end), oldest first: what roll-ups and charts are made from."""
    return list(
        await session.scalars(
            select(MonitorResult)
            .where(
                MonitorResult.monitor_id == monitor_id,
                MonitorResult.at >= start,
                MonitorResult.at < end,
            )
            .order_by(MonitorResult.at)
        )
    )


async def outages_between(
    session: AsyncSession, monitor_id: str, start: datetime, end: datetime
) -> list[Outage]:
    """Outages overlapping [start, end) (one still under way has no end), oldest first."""
    return list(
        await session.scalars(
            select(Outage)
            .where(
                Outage.monitor_id == monitor_id,
                Outage.started_at < end,
                (Outage.ended_at.is_(None)) | (Outage.ended_at > start),
            )
            .order_by(Outage.started_at)
        )
    )
