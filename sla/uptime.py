"""Uptime as arithmetic: from probes, outages and maintenance windows to the figures of one
period (an hour, a day), with no clock and no I/O.

What counts:

- **Known time.** A probe at `t` speaks for the time until the next probe, but for no longer
  than `cover` (the monitor's interval twice over: a monitor that stops probing is stale after
  two missed intervals). Time no probe speaks for is *no data*, never up: a monitor that was
  paused, or a worker that was down, shows a gap, not a perfect record.
  A failed probe speaks only for time inside a confirmed outage: one the re-checks have not
  (yet) confirmed, or did not, says neither up nor down ("checking"), so a site that has never
  answered is never shown up, and a single failure re-checked good is not down time either.
- **Down time** is the monitors' confirmed outages (from the first of the failures that
  confirmed it to the first of the answers that ended it; sla/monitor.py), within known time.
- **Maintenance time** is known time inside an announced window: it is neither up nor down and
  is left out of the share, so work announced in advance never counts against uptime (down
  time inside a window is maintenance, not down).
- **Uptime** is up time as a share of the known time outside maintenance; None when there is
  none (no data, or maintenance throughout). It is never below 0 or above 1.

Response times are those of passing probes: their count, sum, least, greatest and 95th
percentile (nearest rank, exact for the probes of the period). Figures of several periods add
up exactly, except the percentile, which cannot be added: a sum of periods has none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

# Below this share of up time a day is shown as down rather than partly down.
MOSTLY_DOWN = 0.5


@dataclass(frozen=True)
class Probe:
    at: datetime
    ok: bool
    response_ms: int | None = None


@dataclass(frozen=True)
class Span:
    """An outage or a maintenance window; `end` None while an outage lasts."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Figures:
    """One period's figures, as kept per hour and per day and as added up over longer ones."""

    probes: int = 0
    ok_probes: int = 0
    known_seconds: int = 0
    down_seconds: int = 0
    maintenance_seconds: int = 0
    rt_count: int = 0
    rt_sum: int = 0
    rt_min: int | None = None
    rt_max: int | None = None
    rt_p95: int | None = None

    @property
    def counted_seconds(self) -> int:
        """The time the share is taken over: known, outside maintenance."""
        return max(0, self.known_seconds - self.maintenance_seconds)

    @property
    def up_seconds(self) -> int:
        # Down and maintenance time are disjoint parts of the known time, but each is rounded
        # to the second on its own (and summed over hours): never let that make up time < 0.
        return min(self.counted_seconds, max(0, self.counted_seconds - self.down_seconds))

    @property
    def uptime(self) -> float | None:
        counted = self.counted_seconds
        return None if counted <= 0 else self.up_seconds / counted

    @property
    def rt_mean(self) -> float | None:
        return None if self.rt_count == 0 else self.rt_sum / self.rt_count

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            probes=self.probes + other.probes,
            ok_probes=self.ok_probes + other.ok_probes,
            known_seconds=self.known_seconds + other.known_seconds,
            down_seconds=self.down_seconds + other.down_seconds,
            maintenance_seconds=self.maintenance_seconds + other.maintenance_seconds,
            rt_count=self.rt_count + other.rt_count,
            rt_sum=self.rt_sum + other.rt_sum,
            rt_min=_least(self.rt_min, other.rt_min),
            rt_max=_most(self.rt_max, other.rt_max),
            # A percentile of two periods is not a function of theirs: none, rather than a
            # made-up one.
            rt_p95=(
                self.rt_p95 if not other.rt_count else other.rt_p95 if not self.rt_count else None
            ),
        )


NOTHING = Figures()


def total(figures: Iterable[Figures]) -> Figures:
    result = NOTHING
    for f in figures:
        result = result + f
    return result


def bucket(
    start: datetime,
    end: datetime,
    probes: Sequence[Probe],
    outages: Iterable[Span],
    maintenance: Iterable[Span],
    *,
    cover: timedelta,
    now: datetime | None = None,
) -> Figures:
    """The figures of [start, end).

    `probes` are the monitor's probes around the period, in any order; give the last one before
    `start` too (within `cover`), or the period's first minutes are no data. `now` cuts a period
    still under way (nothing after it is known); an outage without an end lasts until then.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a period's bounds must be timezone-aware")
    if end <= start:
        return NOTHING
    stop = min(end, now) if now is not None else end
    ordered = sorted(probes, key=lambda p: p.at)
    passed: list[Interval] = []
    failed: list[Interval] = []
    for i, p in enumerate(ordered):
        until = p.at + cover
        if i + 1 < len(ordered):
            until = min(until, ordered[i + 1].at)
        (passed if p.ok else failed).append((p.at, until))
    open_end = stop
    down = _merge((o.start, o.end if o.end is not None else open_end) for o in outages)
    windows = _merge((m.start, m.end if m.end is not None else open_end) for m in maintenance)
    # A failure speaks only inside a confirmed outage; unconfirmed, it is "checking", not up.
    known = _clip(_merge(passed + _intersect(_merge(failed), down)), start, stop)
    in_maintenance = _intersect(known, windows)
    down_known = _subtract(_intersect(known, down), windows)
    inside = [p for p in ordered if start <= p.at < end]
    times = sorted(p.response_ms for p in inside if p.ok and p.response_ms is not None)
    return Figures(
        probes=len(inside),
        ok_probes=sum(1 for p in inside if p.ok),
        known_seconds=_seconds(known),
        down_seconds=_seconds(down_known),
        maintenance_seconds=_seconds(in_maintenance),
        rt_count=len(times),
        rt_sum=sum(times),
        rt_min=times[0] if times else None,
        rt_max=times[-1] if times else None,
        rt_p95=percentile(times, 95),
    )


def percentile(ordered: Sequence[int], pct: int) -> int | None:
    """The nearest-rank percentile of values already sorted; None for none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# -- days and hours ----------------------------------------------------------------------------


def day_bounds(day: date, zone: ZoneInfo) -> Interval:
    """A local day as UTC instants: 23 or 25 hours long on the days the clocks change."""
    # In UTC: two instants in the same zone subtract as wall-clock times (always 24 hours).
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def hours(start: datetime, end: datetime) -> list[datetime]:
    """The starts of the whole UTC hours inside [start, end)."""
    first = floor_hour(start)
    if first < start:
        first += timedelta(hours=1)
    found = []
    while first + timedelta(hours=1) <= end:
        found.append(first)
        first += timedelta(hours=1)
    return found


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def day_state(f: Figures) -> str:
    """How a day is shown (db.uptime.DAY_STATES)."""
    if f.known_seconds <= 0:
        return "no-data"
    if f.down_seconds > 0:
        share = f.uptime
        return "down" if share is not None and share < MOSTLY_DOWN else "partial"
    if f.maintenance_seconds > 0:
        return "maintenance"
    return "up"


# -- intervals ---------------------------------------------------------------------------------


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start)]


def _intersect(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    found: list[Interval] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if b > a:
            found.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return found


def _subtract(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    found: list[Interval] = []
    for a, b in xs:
        pieces = [(a, b)]
        for c, d in ys:
            pieces = [
                piece
                for x, y in pieces
                for piece in ((x, min(y, c)), (max(x, d), y))
                if piece[1] > piece[0]
            ]
        found.extend(pieces)
    return found


def _seconds(intervals: list[Interval]) -> int:
    return round(sum((b - a).total_seconds() for a, b in intervals))


def _least(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _most(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
