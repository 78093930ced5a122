"""The uptime roll-up's side effects: roll every monitor's completed hours and days up from
the raw results, then delete what is no longer needed.

Safe to repeat: an hour or a day rolled again is written with the same figures (upserts keyed
by monitor and hour, or monitor and day), and the marks only move forward. Raw results go only
when they are both older than PLEDGE_UPTIME_RAW_DAYS and inside hours already rolled up; hour
rows go after PLEDGE_UPTIME_HOUR_DAYS, their days having been rolled long before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from temporalio import activity

from activities.deps import ActivityDeps
from activities.monitors import monitor_zone
from db import uptime
from db.models import Account, Monitor, MonitorHour
from sla.uptime import floor_hour
from workflows.uptime_messages import RollupDone, RollupRequest

log = logging.getLogger("pledge.uptime")

# An hour is rolled up this long after it ends: a probe due at 10:59:59 may be written a few
# seconds late, an outage's start or end a minute or so after the probes that decided it.
SETTLE = timedelta(minutes=10)
# Hours one call rolls up (one transaction each); a longer backlog takes several calls, so a
# worker back after a week heartbeats and commits as it goes.
HOURS_PER_CALL = 48


class UptimeActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def roll_up(self, request: RollupRequest) -> RollupDone:
        settings = self._deps.settings
        factory = self._deps.session_factory
        limit = floor_hour(request.now - SETTLE)
        async with factory() as session:
            through = await uptime.mark(session, uptime.HOURS_MARK)
            if through is None:
                first = await uptime.first_result_at(session)
                through = floor_hour(first) if first is not None else None
        hours = hour_rows = 0
        while through is not None and through < limit and hours < HOURS_PER_CALL:
            async with factory() as session, session.begin():
                hour_rows += await uptime.roll_hour(session, through)
                through += uptime.HOUR
                await uptime.set_mark(session, uptime.HOURS_MARK, through)
            hours += 1
            activity.heartbeat(through.isoformat())
        day_rows = results_deleted = hours_deleted = 0
        if through is not None:
            day_rows = await self._roll_days(through, request.now)
            raw_before = min(floor_hour(request.now - timedelta(days=settings.uptime_raw_days)),
                             through)  # fmt: skip
            async with factory() as session, session.begin():
                results_deleted = await uptime.prune_results(session, raw_before)
                days_through = await uptime.mark(session, uptime.DAYS_MARK)
                hours_before = floor_hour(request.now - timedelta(days=settings.uptime_hour_days))
                if days_through is not None:
                    # Whatever day a zone puts them in, hours a day and more before the days
                    # rolled are in a day row.
                    hours_before = min(hours_before, days_through - timedelta(days=1))
                    hours_deleted = await uptime.prune_hours(session, hours_before)
        done = RollupDone(
            hours=hours,
            hour_rows=hour_rows,
            day_rows=day_rows,
            results_deleted=results_deleted,
            hour_rows_deleted=hours_deleted,
            through=through,
            caught_up=through is None or through >= limit,
        )
        if hours or results_deleted:
            log.info(
                "uptime: %d hours rolled up (%d rows), %d day rows, %d raw results deleted",
                hours, hour_rows, day_rows, results_deleted,
            )  # fmt: skip
        return done

    async def _roll_days(self, through: datetime, now: datetime) -> int:
        """Days (in each monitor's zone) that ended since the last call, from their hours."""
        factory = self._deps.session_factory
        async with factory() as session, session.begin():
            since = await uptime.mark(session, uptime.DAYS_MARK)
            if since is None:
                since = await session.scalar(select(func.min(MonitorHour.hour)))
                if since is None:
                    return 0
            if since >= through:
                return 0
            # Monitors with hours in the days that may end in (since, through]: a zone's day
            # begins up to 14 hours either side of the UTC one.
            ids = await uptime.monitor_ids_with_hours(session, since - timedelta(days=2), through)
            rows = await session.execute(
                select(Monitor, Account)
                .outerjoin(Account, Account.id == Monitor.account_id)
                .where(Monitor.id.in_(ids))
            )
            zones = {monitor.id: monitor_zone(account) for monitor, account in rows}
            raw_from = now - timedelta(days=self._deps.settings.uptime_raw_days) + uptime.HOUR
            written = await uptime.roll_days(session, zones, since, through, raw_from=raw_from)
            await uptime.set_mark(session, uptime.DAYS_MARK, through)
        return written
