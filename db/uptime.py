"""Uptime as every page and report reads it: per day for the status page's bars, and over a
period (24 hours, 7, 30, 90 days) for monitor pages and reports.

A stretch with no probe results is "no data", never up; maintenance time is its own state.
Until the roll-ups are kept this reads nothing and every day is "no data"; the uptime history
work fills it in (raw results for 30 days, hourly and daily roll-ups beyond) and callers follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

# How a day is shown: up (no downtime), partial (some), down (mostly down), maintenance (only
# maintenance besides up time), no-data (nothing probed that day).
DAY_STATES = ("up", "partial", "down", "maintenance", "no-data")


@dataclass(frozen=True)
class DayUptime:
    day: date
    state: str
    # Up time as a share of the time probed outside maintenance; None when nothing was probed.
    uptime: float | None
    down_minutes: int
    maintenance_minutes: int


@dataclass(frozen=True)
class PeriodUptime:
    start: datetime
    end: datetime
    uptime: float | None
    down_minutes: int
    maintenance_minutes: int
    outages: int


async def daily(
    session: AsyncSession, monitor_id: str, *, days: int, zone: ZoneInfo, now: datetime
) -> list[DayUptime]:
    """The last `days` days in `zone` ending with today, oldest first."""
    del session, monitor_id
    today = now.astimezone(zone).date()
    return [
        DayUptime(today - timedelta(days=n), "no-data", None, 0, 0) for n in range(days - 1, -1, -1)
    ]


async def over(
    session: AsyncSession, monitor_id: str, start: datetime, end: datetime
) -> PeriodUptime:
    """Uptime over [start, end)."""
    del session, monitor_id
    return PeriodUptime(start, end, None, 0, 0, 0)
