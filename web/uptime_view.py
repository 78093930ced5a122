"""What the uptime macros (web/templates/_uptime.html) draw, prepared in Python: a bar per day
with its colour class and its words, and a response-time chart as SVG coordinates with a
summary in words. Pure: give it what db/uptime.py and the results read, get plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from db.uptime import DayUptime
from reports.dates import spelled_duration
from reports.words import uptime_percent

# Colour class, and the word that says the same for those who cannot tell the colours apart.
STATE_WORDS = {
    "up": "up",
    "partial": "partly down",
    "down": "down",
    "maintenance": "maintenance",
    "no-data": "no data",
}


percent = uptime_percent  # the same words in pages and reports


class MonitorDetailLike(Protocol):
    results: Sequence[tuple[datetime, bool, int | None]]
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Bar:
    day: str  # ISO date
    state: str  # one of STATE_WORDS: the bar's class is "bar-<state>"
    label: str  # "3 December: 99.95% up, 7 minutes down"


@dataclass(frozen=True)
class Bars:
    bars: list[Bar]
    first: str  # "90 days ago"
    last: str  # "Today"
    summary: str  # "99.98% up over 90 days; 3 days with down time; 2 days with no data"


def bars(days: Sequence[DayUptime]) -> Bars:
    """One bar per day, oldest first, each with words that say what its colour does."""
    found = []
    for d in days:
        name = f"{d.day.day} {d.day:%B}"
        if d.state == "no-data":
            label = f"{name}: no data"
        else:
            parts = [f"{percent(d.uptime)} up" if d.uptime is not None else "maintenance only"]
            if d.down_minutes:
                parts.append(f"{spelled_duration(d.down_minutes * 60)} down")
            if d.maintenance_minutes:
                parts.append(f"{spelled_duration(d.maintenance_minutes * 60)} of maintenance")
            if 0 < d.known_minutes < 23 * 60:
                parts.append(f"checked for {spelled_duration(d.known_minutes * 60)} only")
            label = f"{name}: {', '.join(parts)}"
        found.append(Bar(d.day.isoformat(), d.state, label))
    probed = [d for d in days if d.state != "no-data"]
    down = sum(1 for d in days if d.down_minutes)
    gaps = len(days) - len(probed)
    # Each day's share is exact (taken over its seconds); weigh it by the day's time counted
    # (checked, outside maintenance) rather than subtracting rounded minutes, which could
    # take more down and maintenance away than was checked.
    weighed = [
        (d.uptime, max(0, d.known_minutes - d.maintenance_minutes))
        for d in probed
        if d.uptime is not None
    ]
    counted = sum(w for _, w in weighed)
    up = sum(min(1.0, max(0.0, share)) * w for share, w in weighed)
    n = len(days)
    period = f"the last {n} days" if n > 1 else "today"
    if counted <= 0:
        words = [f"No data for {period}" if n > 1 else "No data today"]
    else:
        share = percent(up / counted)
        # With days unchecked, the share is of the time checked: said, so 100% over a week of
        # data is not read as 100% over 90 days.
        words = [
            f"{share} up {'over ' if n > 1 else ''}{period}"
            if not gaps
            else f"{share} up over the time checked in {period}"
        ]
        words.append("no day with down time" if down == 0 else _days(down, "with down time"))
        if gaps:
            words.append(_days(gaps, "with no data"))
    return Bars(
        found,
        first=f"{len(days)} days ago" if len(days) > 1 else "Today",
        last="Today",
        summary="; ".join(words),
    )


def _days(count: int, what: str) -> str:
    return f"{count} day{'s' if count != 1 else ''} {what}"


# -- response-time chart ---------------------------------------------------------------------

WIDTH, HEIGHT = 600, 160
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 8, 24


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str  # what the chart shows, in words (its <desc>, and a caption)
    width: int
    height: int
    lines: list[str]  # SVG polyline `points`, one per stretch with no gap
    failures: list[float]  # x of each failed probe (a mark on the axis)
    y_ticks: list[tuple[float, str]]  # (y, "200 ms")
    x_ticks: list[tuple[float, str]]  # (x, "10:00")
    plot: tuple[int, int, int, int]  # left, top, right, bottom of the plotting area
    empty: bool


def response_chart(
    results: Sequence[tuple[datetime, bool, int | None]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    gap: timedelta = timedelta(minutes=10),
    title: str = "Response time",
) -> Chart:
    """A line of response times over [start, end) from (instant, passed, milliseconds):
    broken where probes are more than `gap` apart (no data is not drawn as a line), failed
    probes marked on the axis."""
    span = max((end - start).total_seconds(), 1.0)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    times = [ms for _, ok, ms in results if ok and ms is not None]
    top_ms = _nice_ceiling(max(times) if times else 0)

    def x(at: datetime) -> float:
        return round(LEFT + (right - LEFT) * (at - start).total_seconds() / span, 1)

    def y(ms: float) -> float:
        return round(bottom - (bottom - TOP) * ms / top_ms, 1)

    lines: list[str] = []
    current: list[str] = []
    previous: datetime | None = None
    for at, ok, ms in results:
        if previous is not None and at - previous > gap and current:
            lines.append(" ".join(current))
            current = []
        previous = at
        if ok and ms is not None:
            current.append(f"{x(at)},{y(ms)}")
        elif current:  # a failure breaks the line: it had no response time to draw
            lines.append(" ".join(current))
            current = []
    if current:
        lines.append(" ".join(current))
    failures = [x(at) for at, ok, _ in results if not ok]
    y_ticks = [(y(v), f"{v:g} ms") for v in (0, top_ms / 2, top_ms)]
    x_ticks = _x_ticks(start, end, zone, x)
    if times:
        ordered = sorted(times)
        median = ordered[len(ordered) // 2]
        slowest = max(results, key=lambda r: r[2] if r[1] and r[2] is not None else -1)
        words = [
            f"{len(times)} checks answered; typical {median} ms, slowest {slowest[2]} ms at "
            f"{slowest[0].astimezone(zone):%H:%M on %-d %B}"
        ]
    else:
        words = ["No answers to draw"]
    failed = len(failures)
    if failed:
        words.append(f"{failed} check{'s' if failed != 1 else ''} failed")
    return Chart(
        title=title,
        summary="; ".join(words) + ".",
        width=WIDTH,
        height=HEIGHT,
        lines=[line for line in lines if line],
        failures=failures,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        plot=(LEFT, TOP, right, bottom),
        empty=not times,
    )


def _nice_ceiling(ms: float) -> float:
    """A round top for the axis above `ms` (at least 100 ms)."""
    for step in (100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 30000, 60000):
        if ms <= step:
            return step
    return ms


def _x_ticks(start: datetime, end: datetime, zone: ZoneInfo, x) -> list[tuple[float, str]]:  # type: ignore[no-untyped-def]
    span = end - start
    if span <= timedelta(days=2):
        step, fmt = timedelta(hours=6 if span > timedelta(hours=12) else 2), "%H:%M"
    else:
        step, fmt = timedelta(days=max(1, span.days // 6)), "%-d %b"
    local = start.astimezone(zone)
    if step < timedelta(days=1):
        tick = local.replace(minute=0, second=0, microsecond=0)
        while tick.hour % int(step.total_seconds() // 3600):
            tick += timedelta(hours=1)
    else:
        tick = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    found = []
    while tick < end:
        if tick >= start:
            found.append((x(tick), f"{tick:{fmt}}"))
        tick = (tick + step).astimezone(zone)
    return found


def daily_response_chart(days: Sequence[DayUptime], zone: ZoneInfo) -> Chart:
    """The mean response time of each day (for 30 or 90 days, beyond the raw results' reach);
    a day with no answers breaks the line."""
    from datetime import time

    points = [
        (datetime.combine(d.day, time(12), zone), True, round(d.response_ms))
        if d.response_ms is not None
        else (datetime.combine(d.day, time(12), zone), False, None)
        for d in days
        if d.state != "no-data" or d.response_ms is not None
    ]
    start = datetime.combine(days[0].day, time(0), zone) if days else datetime.now(zone)
    end = datetime.combine(days[-1].day, time(0), zone) + timedelta(days=1) if days else start
    return response_chart(points, start, end, zone, gap=timedelta(days=1, hours=1),
                          title=f"Response time, day by day, last {len(days)} days")  # fmt: skip


def chart_of(detail: MonitorDetailLike, zone: ZoneInfo) -> Chart:
    """The response-time chart of a monitor page (services.monitor_pages.MonitorDetail)."""
    return response_chart(detail.results, detail.since, detail.until, zone)
