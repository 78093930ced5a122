"""What the console's and the portal's monitor pages show beyond the monitor itself: uptime over
24 hours to 90 days (db/uptime.py: "no data" until the history is kept), the days' bars, the
last day's response times and the outages. Reading only; who may see a monitor is
services/monitors.py's rule (a customer: its own account's sites)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.schemas import MonitorOut
from db import monitor_reads, uptime
from db.models import Outage
from services import monitors

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
           "90d": timedelta(days=90)}  # fmt: skip
BAR_DAYS = 90
CHART_HOURS = 24


@dataclass(frozen=True)
class MonitorDetail:
    monitor: MonitorOut
    uptime: dict[str, uptime.PeriodUptime]
    days: list[uptime.DayUptime]
    # The last CHART_HOURS of probes for the response-time chart: (instant, passed, ms).
    results: list[tuple[datetime, bool, int | None]]
    since: datetime
    until: datetime
    outages: list[Outage]  # the last 90 days', newest first


async def listing_uptime(
    session: AsyncSession, monitor_ids: list[str], now: datetime | None = None
) -> dict[str, dict[str, uptime.PeriodUptime]]:
    """24-hour and 30-day uptime of each monitor, for the lists."""
    now = now or datetime.now(UTC)
    return {
        m: {w: await uptime.over(session, m, now - WINDOWS[w], now) for w in ("24h", "30d")}
        for m in monitor_ids
    }


async def detail(
    session: AsyncSession,
    principal: Principal,
    monitor_id: str,
    zone: str,
    now: datetime | None = None,
) -> MonitorDetail:
    """One monitor with its history; NotFound as services.monitors.get for one not visible."""
    monitor = await monitors.get(session, principal, monitor_id)
    now = now or datetime.now(UTC)
    windows = {w: await uptime.over(session, monitor_id, now - d, now) for w, d in WINDOWS.items()}
    days = await uptime.daily(session, monitor_id, days=BAR_DAYS, zone=ZoneInfo(zone), now=now)
    results = await monitor_reads.results_between(
        session, monitor_id, now - timedelta(hours=CHART_HOURS), now
    )
    outages = await monitor_reads.outages_between(
        session, monitor_id, now - timedelta(days=BAR_DAYS), now
    )
    return MonitorDetail(
        monitor=monitor,
        uptime=windows,
        days=days,
        results=[(r.at, r.ok, r.response_ms) for r in results],
        since=now - timedelta(hours=CHART_HOURS),
        until=now,
        outages=list(reversed(outages)),
    )


def share(value: float | None) -> str:
    """0.99951 -> '99.95%'; None -> 'no data'."""
    if value is None:
        return "no data"
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
