"""Uptime as every page and report reads it: per day for the status page's bars, and over a
period (24 hours, 7, 30, 90 days) for monitor pages and reports; and the roll-ups it reads.

A stretch with no probe results is "no data", never up; maintenance time is its own state and
never counts as down (the arithmetic is sla/uptime.py's). Raw results are kept for 30 days;
the uptime roll-up (activities/uptime.py, hourly) keeps each monitor's UTC hours
(`monitor_hours`) and its days in its zone (`monitor_days`) beyond. A read takes each whole
hour from its roll-up where there is one and everything else (the hour under way, an hour not
rolled yet, the ragged ends of a period) from the raw results, so it gives the same answer
before and after a roll-up; a day older than the hours kept comes from its day row.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from db.idempotent import upsert_for
from db.maintenance import periods_for_monitor, periods_for_monitors
from db.models import Account, Monitor, MonitorDay, MonitorHour, MonitorResult, Outage, UptimeRollup
from db.types import utcnow
from sla import uptime as arith
from sla.uptime import Figures, Probe, Span

# How a day is shown: up (no downtime), partial (some), down (mostly down), maintenance (only
# maintenance besides up time), no-data (nothing probed that day).
DAY_STATES = ("up", "partial", "down", "maintenance", "no-data")

HOUR = timedelta(hours=1)
# The roll-up marks (uptime_rollups.name).
HOURS_MARK = "hours"
DAYS_MARK = "days"
FIGURE_COLUMNS = tuple(f.name for f in fields(Figures))


@dataclass(frozen=True)
class DayUptime:
    day: date
    state: str
    # Up time as a share of the time probed outside maintenance; None when nothing was probed.
    uptime: float | None
    down_minutes: int
    maintenance_minutes: int
    # Minutes some probe spoke for (the rest of the day is no data), and the day's response
    # times (passing probes; the 95th percentile where the raw results or the day row have it).
    known_minutes: int = 0
    response_ms: float | None = None
    response_p95_ms: int | None = None


@dataclass(frozen=True)
class PeriodUptime:
    start: datetime
    end: datetime
    uptime: float | None
    down_minutes: int
    maintenance_minutes: int
    outages: int
    known_minutes: int = 0
    response_ms: float | None = None


async def zone_of(session: AsyncSession, monitor: Monitor) -> ZoneInfo:
    """The zone a monitor's days are in: its account's calendar's, else UTC (as its outage
    mails are written: activities/monitors.monitor_zone)."""
    account = await session.get(Account, monitor.account_id) if monitor.account_id else None
    if account is None:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(sla.get_policy(account.policy).calendar(account.calendar).timezone)
    except sla.SlaLookupError:
        return ZoneInfo("UTC")


def cover(monitor: Monitor) -> timedelta:
    """How long one probe speaks for: two intervals (a monitor that misses two is stale)."""
    return 2 * timedelta(seconds=monitor.interval_seconds)


async def daily(
    session: AsyncSession, monitor_id: str, *, days: int, zone: ZoneInfo, now: datetime
) -> list[DayUptime]:
    """The last `days` days in `zone` ending with today, oldest first."""
    today = now.astimezone(zone).date()
    wanted = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    monitor = await session.get(Monitor, monitor_id)
    if monitor is None or not wanted:
        return [DayUptime(d, "no-data", None, 0, 0) for d in wanted]
    bounds = [arith.day_bounds(d, zone) for d in wanted]
    found = await figures_of(session, monitor, bounds, now=now)
    kept = {
        row.day: _figures(row)
        for row in await session.scalars(
            select(MonitorDay).where(
                MonitorDay.monitor_id == monitor_id,
                MonitorDay.day >= wanted[0],
                MonitorDay.day <= wanted[-1],
                MonitorDay.zone == zone.key,
            )
        )
    }
    result = []
    for d, (_, end), f in zip(wanted, bounds, found, strict=True):
        # A day over has its row, rolled from the same hours: it also keeps the day's 95th
        # percentile, and is all there is once the hours are gone.
        if d in kept and end <= now:
            f = kept[d]
        result.append(_day(d, f))
    return result


async def over(
    session: AsyncSession, monitor_id: str, start: datetime, end: datetime
) -> PeriodUptime:
    """Uptime over [start, end)."""
    monitor = await session.get(Monitor, monitor_id)
    if monitor is None:
        return PeriodUptime(start, end, None, 0, 0, 0)
    (f,) = await figures_of(session, monitor, [(start, end)], now=utcnow())
    outages = await session.scalar(
        select(func.count())
        .select_from(Outage)
        .where(
            Outage.monitor_id == monitor_id,
            Outage.in_maintenance.is_(False),
            Outage.started_at < end,
            (Outage.ended_at.is_(None)) | (Outage.ended_at > start),
        )
    )
    known, down, maintenance = minutes_of(f)
    return PeriodUptime(
        start,
        end,
        f.uptime,
        down,
        maintenance,
        int(outages or 0),
        known_minutes=known,
        response_ms=f.rt_mean,
    )


# The windows a monitor's JSON and pages show (GET /monitors/{id}: uptime).
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
           "90d": timedelta(days=90)}  # fmt: skip


async def windows(session: AsyncSession, monitor: Monitor, now: datetime) -> dict[str, Figures]:
    """The figures of the last 24 hours, 7, 30 and 90 days, each from the start of the hour
    that long ago (so they are whole rolled hours and the raw hours since the roll-up)."""
    return (await windows_of(session, [monitor], now))[monitor.id]


async def windows_of(
    session: AsyncSession, monitors: Sequence[Monitor], now: datetime
) -> dict[str, dict[str, Figures]]:
    """`windows` for many monitors in a few statements, whatever their number (a list of
    monitors shows them all): the rolled hours summed by the database per window, the hours
    after each monitor's last rolled one read raw (as figures_of does)."""
    if not monitors:
        return {}
    top = arith.floor_hour(now)
    starts = {name: top - span for name, span in WINDOWS.items()}
    oldest = min(starts.values())
    ids = [m.id for m in monitors]
    h = MonitorHour
    columns = ("probes", "ok_probes", "known_seconds", "down_seconds", "maintenance_seconds",
               "rt_count", "rt_sum")  # fmt: skip
    picked = (
        [func.max(h.hour)]
        + [func.sum(case((h.hour >= start, getattr(h, c)), else_=0))
           for start in starts.values() for c in columns]
        + [func.min(case((h.hour >= start, h.rt_min))) for start in starts.values()]
        + [func.max(case((h.hour >= start, h.rt_max))) for start in starts.values()]
    )  # fmt: skip
    rolled: dict[str, dict[str, Figures]] = {}
    splits: dict[str, datetime] = {}
    n, w = len(columns), len(starts)
    for row in await session.execute(
        select(h.monitor_id, *picked)
        .where(h.monitor_id.in_(ids), h.hour >= oldest)
        .group_by(h.monitor_id)
    ):
        monitor_id, last, *values = list(row)
        splits[monitor_id] = last + HOUR
        rolled[monitor_id] = {
            name: Figures(
                **dict(zip(columns, (int(v or 0) for v in values[i * n : (i + 1) * n]),
                           strict=True)),
                rt_min=values[w * n + i],
                rt_max=values[w * n + w + i],
            )
            for i, name in enumerate(starts)
        }  # fmt: skip
    # After its last rolled hour (or all 90 days, for one with none), each monitor raw: one
    # read per distinct point (normally one: the roll-up rolls every monitor's hour at once).
    by_split: dict[datetime, list[Monitor]] = defaultdict(list)
    for m in monitors:
        by_split[splits.get(m.id, oldest)].append(m)
    result: dict[str, dict[str, Figures]] = {}
    for split, group in by_split.items():
        raw = await _Raw.read_many(session, group, split, now)
        for m in group:
            probes, outages, spans = raw.get(m.id, ([], [], []))
            result[m.id] = {
                name: rolled.get(m.id, {}).get(name, arith.NOTHING)
                + (
                    arith.bucket(
                        max(start, split), now, probes, outages, spans, cover=cover(m), now=now
                    )  # fmt: skip
                    if probes
                    else arith.NOTHING
                )
                for name, start in starts.items()
            }
    return result


class OutageLine(BaseModel):
    """An outage as a report lists it."""

    started_at: datetime
    ended_at: datetime | None  # None: still down when the report was made
    minutes: int
    ticket_reference: str | None
    in_maintenance: bool


class SiteUptime(BaseModel):
    """One of an account's watched sites over a report's period (kept with the report)."""

    name: str
    url: str
    uptime: float | None
    down_minutes: int
    maintenance_minutes: int
    known_minutes: int  # checked; the rest of the period is no data
    period_minutes: int  # the period up to when the figures were read
    outages: list[OutageLine]


async def sites_of(
    session: AsyncSession, account_id: int, start: datetime, end: datetime, now: datetime
) -> list[SiteUptime]:
    """The account's monitored sites over [start, end) (those watched at some time in it), by
    name, with their outages; an account without monitors has none."""
    monitors = list(
        await session.scalars(
            select(Monitor)
            .where(
                Monitor.account_id == account_id,
                Monitor.created_at < end,
                (Monitor.deleted_at.is_(None)) | (Monitor.deleted_at > start),
            )
            .order_by(Monitor.name, Monitor.id)
        )
    )
    until = min(end, now)
    found = []
    for monitor in monitors:
        (f,) = await figures_of(session, monitor, [(start, end)], now=now)
        outages = [
            OutageLine(
                started_at=o.started_at,
                ended_at=o.ended_at,
                minutes=_minutes(int(((o.ended_at or until) - o.started_at).total_seconds())),
                ticket_reference=o.ticket_reference,
                in_maintenance=o.in_maintenance,
            )
            for o in await session.scalars(
                select(Outage)
                .where(
                    Outage.monitor_id == monitor.id,
                    Outage.started_at < end,
                    (Outage.ended_at.is_(None)) | (Outage.ended_at > start),
                )
                .order_by(Outage.started_at)
            )
        ]
        found.append(
            SiteUptime(
                name=monitor.name,
                url=monitor.url,
                uptime=f.uptime,
                down_minutes=minutes_of(f)[1],
                maintenance_minutes=minutes_of(f)[2],
                known_minutes=minutes_of(f)[0],
                period_minutes=max(0, int((until - start).total_seconds() // 60)),
                outages=outages,
            )
        )
    return found


def _day(d: date, f: Figures) -> DayUptime:
    known, down, maintenance = minutes_of(f)
    return DayUptime(
        d,
        arith.day_state(f),
        f.uptime,
        down,
        maintenance,
        known_minutes=known,
        response_ms=f.rt_mean,
        response_p95_ms=f.rt_p95,
    )


def minutes_of(f: Figures) -> tuple[int, int, int]:
    """Known, down and maintenance minutes that add up as the seconds do: each part rounded up
    (20 seconds down is not "0 minutes down"), and the known minutes at least their sum, so no
    reader ever sees more down and maintenance than time checked."""
    down, maintenance = _minutes(f.down_seconds), _minutes(f.maintenance_seconds)
    return max(_minutes(f.known_seconds), down + maintenance), down, maintenance


def _minutes(seconds: int) -> int:
    """Whole minutes, rounded up: 20 seconds down is not "0 minutes down"."""
    return -(-seconds // 60)


# -- reading figures ---------------------------------------------------------------------------


async def figures_of(
    session: AsyncSession,
    monitor: Monitor,
    bounds: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime,
) -> list[Figures]:
    """The figures of each of `bounds` (in order, not overlapping), nothing after `now`:
    whole hours from their roll-ups, the rest from raw results."""
    if not bounds:
        return []
    first, last = bounds[0][0], min(bounds[-1][1], now)
    rows: dict[datetime, Figures] = {}
    if last > first:
        for row in await session.scalars(
            select(MonitorHour).where(
                MonitorHour.monitor_id == monitor.id,
                MonitorHour.hour >= arith.floor_hour(first),
                MonitorHour.hour < last,
            )
        ):
            rows[row.hour] = _figures(row)
    # Per bound, its rolled hours and the pieces to read raw.
    plans: list[tuple[list[Figures], list[tuple[datetime, datetime]]]] = []
    raw_pieces: list[tuple[datetime, datetime]] = []
    for start, end in bounds:
        end = min(end, now)
        rolled: list[Figures] = []
        pieces: list[tuple[datetime, datetime]] = []
        at = start
        while at < end:
            hour = arith.floor_hour(at)
            step_end = min(hour + HOUR, end)
            if at == hour and step_end == hour + HOUR and hour in rows:
                rolled.append(rows[hour])
            elif pieces and pieces[-1][1] == at:
                pieces[-1] = (pieces[-1][0], step_end)
            else:
                pieces.append((at, step_end))
            at = step_end
        plans.append((rolled, pieces))
        raw_pieces.extend(pieces)
    raw = await _Raw.read(session, monitor, _merged(raw_pieces))
    return [
        arith.total(rolled) + arith.total(raw.bucket(a, b) for a, b in pieces)
        for rolled, pieces in plans
    ]


@dataclass
class _Raw:
    """Raw results, outages and maintenance windows around some pieces of time."""

    probes: list[Probe]
    times: list[datetime]
    outages: list[Span]
    maintenance: list[Span]
    cover: timedelta

    @classmethod
    async def read(
        cls, session: AsyncSession, monitor: Monitor, pieces: list[tuple[datetime, datetime]]
    ) -> _Raw:
        span = cover(monitor)
        probes: list[Probe] = []
        outages: list[Span] = []
        windows: list[Span] = []
        for start, end in pieces:
            probes += [
                Probe(r.at, r.ok, r.response_ms)
                for r in await session.execute(
                    select(MonitorResult.at, MonitorResult.ok, MonitorResult.response_ms)
                    .where(
                        MonitorResult.monitor_id == monitor.id,
                        MonitorResult.at >= start - span,
                        MonitorResult.at < end,
                    )
                    .order_by(MonitorResult.at)
                )
            ]
            outages += [
                Span(o.started_at, o.ended_at)
                for o in await session.execute(
                    select(Outage.started_at, Outage.ended_at).where(
                        Outage.monitor_id == monitor.id,
                        Outage.started_at < end,
                        (Outage.ended_at.is_(None)) | (Outage.ended_at > start),
                    )
                )
            ]
            windows += [
                Span(p.starts_at, p.ends_at)
                for p in await periods_for_monitor(session, monitor, start, end)
            ]
        probes = sorted(set(probes), key=lambda p: p.at)
        return cls(probes, [p.at for p in probes], outages, windows, span)

    @staticmethod
    async def read_many(
        session: AsyncSession, monitors: Sequence[Monitor], start: datetime, end: datetime
    ) -> dict[str, tuple[list[Probe], list[Span], list[Span]]]:
        """Each monitor's probes, outages and windows around [start, end), in four reads."""
        ids = [m.id for m in monitors]
        longest = max(cover(m) for m in monitors)
        probes: dict[str, list[Probe]] = defaultdict(list)
        mr = MonitorResult
        for r in await session.execute(
            select(mr.monitor_id, mr.at, mr.ok, mr.response_ms)
            .where(mr.monitor_id.in_(ids), mr.at >= start - longest, mr.at < end)
            .order_by(mr.monitor_id, mr.at)
        ):
            probes[r.monitor_id].append(Probe(r.at, r.ok, r.response_ms))
        outages: dict[str, list[Span]] = defaultdict(list)
        for o in await session.execute(
            select(Outage.monitor_id, Outage.started_at, Outage.ended_at).where(
                Outage.monitor_id.in_(list(probes)),
                Outage.started_at < end,
                (Outage.ended_at.is_(None)) | (Outage.ended_at > start),
            )
        ):
            outages[o.monitor_id].append(Span(o.started_at, o.ended_at))
        periods = await periods_for_monitors(session, monitors, start, end)
        found = {}
        for m in monitors:
            if m.id in probes:
                spans = [Span(p.starts_at, p.ends_at) for p in periods[m.id]]
                found[m.id] = (probes[m.id], outages.get(m.id, []), spans)
        return found

    def bucket(self, start: datetime, end: datetime) -> Figures:
        lo = bisect.bisect_left(self.times, start - self.cover)
        hi = bisect.bisect_left(self.times, end)
        return arith.bucket(
            start, end, self.probes[lo:hi], self.outages, self.maintenance, cover=self.cover
        )


def _merged(pieces: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    found: list[tuple[datetime, datetime]] = []
    for a, b in sorted(pieces):
        if found and a <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], b))
        else:
            found.append((a, b))
    return found


def _figures(row: MonitorHour | MonitorDay) -> Figures:
    return Figures(**{name: getattr(row, name) for name in FIGURE_COLUMNS})


# -- rolling up (activities/uptime.py, in its own transactions) --------------------------------


async def mark(session: AsyncSession, name: str) -> datetime | None:
    return await session.scalar(select(UptimeRollup.through).where(UptimeRollup.name == name))


async def set_mark(session: AsyncSession, name: str, through: datetime) -> None:
    insert = upsert_for(session)
    statement = insert(UptimeRollup).values(name=name, through=through)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"through": statement.excluded.through}
        )
    )


async def first_result_at(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.min(MonitorResult.at)))


async def roll_hour(session: AsyncSession, hour: datetime) -> int:
    """Write every monitor's figures for the UTC hour from `hour` (one row per monitor that
    has results around it); the same rows however often it runs. The rows written."""
    end = hour + HOUR
    longest = await session.scalar(select(func.max(Monitor.interval_seconds))) or 0
    lookback = 2 * timedelta(seconds=longest)
    by_monitor: dict[str, list[Probe]] = defaultdict(list)
    mr = MonitorResult
    for r in await session.execute(
        select(mr.monitor_id, mr.at, mr.ok, mr.response_ms)
        .where(mr.at >= hour - lookback, mr.at < end)
        .order_by(mr.monitor_id, mr.at)
    ):
        by_monitor[r.monitor_id].append(Probe(r.at, r.ok, r.response_ms))
    if not by_monitor:
        return 0
    outages: dict[str, list[Span]] = defaultdict(list)
    for o in await session.execute(
        select(Outage.monitor_id, Outage.started_at, Outage.ended_at).where(
            Outage.started_at < end, (Outage.ended_at.is_(None)) | (Outage.ended_at > hour)
        )
    ):
        outages[o.monitor_id].append(Span(o.started_at, o.ended_at))
    monitors = {
        m.id: m
        for m in await session.scalars(select(Monitor).where(Monitor.id.in_(list(by_monitor))))
    }
    periods = await periods_for_monitors(session, monitors.values(), hour, end)
    values = []
    for monitor_id, probes in by_monitor.items():
        monitor = monitors[monitor_id]
        windows = [Span(p.starts_at, p.ends_at) for p in periods[monitor_id]]
        f = arith.bucket(
            hour, end, probes, outages.get(monitor_id, []), windows, cover=cover(monitor)
        )
        if f.known_seconds or f.probes:
            values.append({"monitor_id": monitor_id, "hour": hour, **_columns(f)})
    await _upsert(session, MonitorHour, ["monitor_id", "hour"], values)
    return len(values)


async def roll_days(
    session: AsyncSession,
    zones: dict[str, str],
    since: datetime | None,
    through: datetime,
    *,
    raw_from: datetime,
) -> int:
    """Write the day rows of each monitor in `zones` (its id: its zone) for its local days
    ending in (since, through], from its hour rows; the 95th percentile from the raw results
    where they are all still kept (days starting at or after `raw_from`). The rows written."""
    by_zone: dict[str, list[str]] = defaultdict(list)
    for monitor_id, zone in zones.items():
        by_zone[zone].append(monitor_id)
    written = 0
    for zone_key, monitor_ids in by_zone.items():
        zone = ZoneInfo(zone_key)
        for day in _days_ending(zone, since, through):
            start, end = arith.day_bounds(day, zone)
            sums: dict[str, Figures] = {}
            for row in await session.scalars(
                select(MonitorHour).where(
                    MonitorHour.monitor_id.in_(monitor_ids),
                    MonitorHour.hour >= start,
                    MonitorHour.hour < end,
                )
            ):
                sums[row.monitor_id] = sums.get(row.monitor_id, arith.NOTHING) + _figures(row)
            if not sums:
                continue
            p95: dict[str, int | None] = {}
            if start >= raw_from:
                times: dict[str, list[int]] = defaultdict(list)
                for r in await session.execute(
                    select(MonitorResult.monitor_id, MonitorResult.response_ms).where(
                        MonitorResult.monitor_id.in_(list(sums)),
                        MonitorResult.at >= start,
                        MonitorResult.at < end,
                        MonitorResult.ok.is_(True),
                        MonitorResult.response_ms.is_not(None),
                    )
                ):
                    times[r.monitor_id].append(r.response_ms)
                p95 = {m: arith.percentile(sorted(ts), 95) for m, ts in times.items()}
            values = []
            for monitor_id, f in sums.items():
                columns = _columns(f)
                if monitor_id in p95:
                    columns["rt_p95"] = p95[monitor_id]
                values.append({"monitor_id": monitor_id, "day": day, "zone": zone_key, **columns})
            await _upsert(session, MonitorDay, ["monitor_id", "day"], values)
            written += len(values)
    return written


def _days_ending(zone: ZoneInfo, since: datetime | None, through: datetime) -> list[date]:
    """Local days whose end falls in (since, through]."""
    # The day `through` falls in ends after it; the one before ends at or before it.
    last = through.astimezone(zone).date() - timedelta(days=1)
    if since is None:
        return [last]
    days = []
    d = last
    while arith.day_bounds(d, zone)[1] > since:
        days.append(d)
        d -= timedelta(days=1)
    return days[::-1]


async def monitor_ids_with_hours(
    session: AsyncSession, start: datetime, end: datetime
) -> list[str]:
    return list(
        await session.scalars(
            select(MonitorHour.monitor_id)
            .where(MonitorHour.hour >= start, MonitorHour.hour < end)
            .distinct()
        )
    )


async def prune_results(session: AsyncSession, before: datetime) -> int:
    """Delete raw results of hours before `before` (the caller makes sure they are rolled up),
    keeping those that still speak for the first hour not rolled (two intervals back)."""
    # Per interval, not by the longest of all: one daily monitor must not keep a fortnight of
    # every five-minute monitor's rows. Intervals in use are few, so a statement each.
    deleted = 0
    for interval in await session.scalars(select(Monitor.interval_seconds).distinct()):
        keep_from = before - 2 * timedelta(seconds=interval)
        result = await session.execute(
            delete(MonitorResult).where(
                MonitorResult.at < keep_from,
                MonitorResult.monitor_id.in_(
                    select(Monitor.id).where(Monitor.interval_seconds == interval)
                ),
            )
        )
        deleted += int(result.rowcount or 0)
    return deleted


async def prune_hours(session: AsyncSession, before: datetime) -> int:
    """Delete hour rows before `before` (their days are rolled up long before)."""
    result = await session.execute(delete(MonitorHour).where(MonitorHour.hour < before))
    return int(result.rowcount or 0)


def _columns(f: Figures) -> dict[str, int | None]:
    return {name: getattr(f, name) for name in FIGURE_COLUMNS}


async def _upsert(session: AsyncSession, model: type, keys: list[str], values: list[dict]) -> None:
    """Insert or overwrite rows by key, as one statement executed for many rows (compiled once;
    a VALUES list of a thousand rows costs more to compile than to run)."""
    if not values:
        return
    insert = upsert_for(session)
    statement = insert(model)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in values[0] if name not in keys},
    )
    await session.execute(statement, values)
