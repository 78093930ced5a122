"""What the public status page, its feed and its subscription form read: the organisation's
own services (never a customer's site), their state and 90 days of uptime, published incidents
and announced maintenance. No principal: nothing here is about a customer or a ticket.

A service's state is the worst of its monitors' (paused and deleted ones aside): down, then
degraded (a failure being re-checked, or an active incident naming it), maintenance (a window
under way), unknown (not probed yet), up. Days are the team's (reports.status_words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import maintenance, uptime
from db.models import Incident, IncidentUpdate, Monitor
from reports.status_words import SERVICE_NAMES, STATUS_ZONE, service_name

PAST_PER_PAGE = 10
UPTIME_DAYS = 90
# How far ahead announced maintenance is listed.
MAINTENANCE_AHEAD = timedelta(days=60)

# Worst last: a service shows the worst of its monitors' states.
STATE_ORDER = ("up", "unknown", "maintenance", "degraded", "down")
MONITOR_STATES = {"up": "up", "unknown": "unknown", "pending": "degraded", "down": "down"}
# What an active incident's impact makes of the services it names, at the least.
IMPACT_STATES = {"degraded": "degraded", "partial": "degraded", "major": "down"}
DAY_ORDER = ("no-data", "up", "maintenance", "partial", "down")


def worst(states: list[str], order: tuple[str, ...] = STATE_ORDER) -> str:
    return max(states, key=order.index) if states else order[0]


@dataclass
class ServiceStatus:
    key: str
    name: str
    state: str
    days: list[uptime.DayUptime]


@dataclass
class PublicIncident:
    id: str
    title: str
    impact: str
    services: list[str]
    status: str
    published_at: datetime
    resolved_at: datetime | None
    updated_at: datetime
    updates: list[IncidentUpdate] = field(default_factory=list)  # newest first


@dataclass
class StatusPage:
    now: datetime
    services: list[ServiceStatus]
    names: dict[str, str]
    active: list[PublicIncident]
    maintenance: list[maintenance.MaintenancePeriod]
    past: list[PublicIncident]
    page: int
    pages: int
    overall: str  # a key of reports.status_words' OVERALL_WORDS


async def own_monitors(session: AsyncSession) -> list[Monitor]:
    """Monitors of own services: account_id null, a service named, not deleted."""
    return list(
        await session.scalars(
            select(Monitor)
            .where(
                Monitor.account_id.is_(None),
                Monitor.service.is_not(None),
                Monitor.deleted_at.is_(None),
            )
            .order_by(Monitor.created_at, Monitor.id)
        )
    )


async def service_names(session: AsyncSession) -> dict[str, str]:
    """Each own service's key and name: the usual three by their names, any other a monitor
    watches by its first monitor's name."""
    names: dict[str, str] = {}
    for monitor in await own_monitors(session):
        assert monitor.service is not None
        names.setdefault(monitor.service, SERVICE_NAMES.get(monitor.service) or monitor.name)
    return names


async def _incidents(
    session: AsyncSession, *where: object, offset: int = 0, limit: int | None = None
) -> list[PublicIncident]:
    statement = (
        select(Incident)
        .where(Incident.published_at.is_not(None), *where)  # type: ignore[arg-type]
        .order_by(func.coalesce(Incident.resolved_at, Incident.published_at).desc(), Incident.id)
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = list(await session.scalars(statement.execution_options(populate_existing=True)))
    found = [
        PublicIncident(
            id=i.id, title=i.title, impact=i.impact, services=list(i.services), status=i.status,
            published_at=i.published_at, resolved_at=i.resolved_at,  # type: ignore[arg-type]
            updated_at=i.updated_at,
        )
        for i in rows
    ]  # fmt: skip
    by_id = {i.id: i for i in found}
    if by_id:
        for update in await session.scalars(
            select(IncidentUpdate)
            .where(IncidentUpdate.incident_id.in_(by_id))
            .order_by(IncidentUpdate.number.desc())
        ):
            by_id[update.incident_id].updates.append(update)
    return found


async def published_incidents(session: AsyncSession, limit: int = 50) -> list[PublicIncident]:
    """The latest published incidents, for the feed: the most recently changed first."""
    found = await _incidents(session, limit=limit)
    return sorted(found, key=lambda i: i.updated_at, reverse=True)


async def read(session: AsyncSession, page: int = 1, now: datetime | None = None) -> StatusPage:
    now = now or datetime.now(UTC)
    zone = ZoneInfo(STATUS_ZONE)
    monitors = [m for m in await own_monitors(session) if not m.paused]
    names = await service_names(session)
    active = await _incidents(session, Incident.resolved_at.is_(None))
    ongoing = await maintenance.public_periods_between(
        session, now, now + timedelta(microseconds=1)
    )
    # A service no monitor watches still has a row while an incident or maintenance names it:
    # a reader told "Partial outage · Sending" looks for Sending among the services.
    for key in [s for i in active for s in i.services] + [s for p in ongoing for s in p.services]:
        names.setdefault(key, service_name(key))
    in_maintenance = {s for p in ongoing if p.state != "completed" for s in p.services}
    services = []
    for key, name in names.items():
        watching = [m for m in monitors if m.service == key]
        states = [MONITOR_STATES.get(m.state, "unknown") for m in watching]
        states += [IMPACT_STATES[i.impact] for i in active if key in i.services]
        if key in in_maintenance:
            states.append("maintenance")
        daily = [
            await uptime.daily(session, m.id, days=UPTIME_DAYS, zone=zone, now=now)
            for m in watching
        ]
        services.append(
            ServiceStatus(
                key=key, name=name, state=worst(states or ["unknown"]), days=_merged(daily, now)
            )
        )
    upcoming = [
        p
        for p in await maintenance.public_periods_between(session, now, now + MAINTENANCE_AHEAD)
        if p.state != "completed" and p.ends_at > now
    ]
    resolved = Incident.resolved_at.is_not(None)
    total = int(
        await session.scalar(
            select(func.count())
            .select_from(Incident)
            .where(Incident.published_at.is_not(None), resolved)
        )
        or 0
    )
    pages = max(1, -(-total // PAST_PER_PAGE))
    past = await _incidents(
        session, resolved, offset=(page - 1) * PAST_PER_PAGE, limit=PAST_PER_PAGE
    )
    return StatusPage(
        now=now, services=services, names=names, active=active, maintenance=upcoming, past=past,
        page=page, pages=pages, overall=overall(services, active),
    )  # fmt: skip


def _merged(per_monitor: list[list[uptime.DayUptime]], now: datetime) -> list[uptime.DayUptime]:
    """One row of days for a service: each day the worst of its monitors' (no data only where
    none of them has any); 90 days of no data when nothing watches it."""
    if not per_monitor:
        today = now.astimezone(ZoneInfo(STATUS_ZONE)).date()
        return [
            uptime.DayUptime(today - timedelta(days=n), "no-data", None, 0, 0)
            for n in range(UPTIME_DAYS - 1, -1, -1)
        ]
    merged = []
    for days in zip(*per_monitor, strict=False):
        state = worst([d.state for d in days], DAY_ORDER)
        known = [d.uptime for d in days if d.uptime is not None]
        merged.append(
            uptime.DayUptime(
                day=days[0].day,
                state=state,
                uptime=min(known) if known else None,
                down_minutes=max(d.down_minutes for d in days),
                maintenance_minutes=max(d.maintenance_minutes for d in days),
                known_minutes=max(d.known_minutes for d in days),
            )
        )
    return merged


def overall(services: list[ServiceStatus], active: list[PublicIncident]) -> str:
    """The banner: major, partial, degraded, maintenance, operational, or unknown."""
    states = [s.state for s in services]
    impacts = {i.impact for i in active}
    if "major" in impacts or (states and all(s == "down" for s in states)):
        return "major"
    if "down" in states or "partial" in impacts:
        return "partial"
    if "degraded" in states or "degraded" in impacts:
        return "degraded"
    if "maintenance" in states:
        return "maintenance"
    if not states or all(s == "unknown" for s in states):
        return "unknown"
    return "operational"


__all__ = ["PAST_PER_PAGE", "StatusPage", "read", "service_name"]
