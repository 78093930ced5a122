"""Deadline arithmetic: Pledge against businesstimedelta and pandas CustomBusinessHour.

The same mixed computations (random starts over two years, every unit) go through Pledge and,
for the units each peer can express, through the peers, in one run. Prints the per-call time,
the ratios and every disagreement grouped by its (checked) explanation; a disagreement no
explanation accounts for is printed as UNEXPLAINED and makes the run exit with status 1.

    .venv/bin/python bench/deadlines.py [--n 100000] [--seed 1] [--btd-n 2000]

Needs the bench extra (`make bench` installs it): businesstimedelta and pandas.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import holidays

import sla
from sla import Calendar, HolidaySource, Unit

ZONE = "Europe/London"
OPEN, CLOSE = clock_time(8, 30), clock_time(18, 0)
FIRST_DAY, DAYS = datetime(2026, 1, 1, tzinfo=UTC), 2 * 365
UNITS = [
    Unit.BUSINESS_HOURS,
    Unit.BUSINESS_MINUTES,
    Unit.WORKING_DAYS,
    Unit.END_OF_WORKING_DAY,
    Unit.CALENDAR_HOURS,
]


@dataclass(frozen=True)
class Task:
    """One deadline computation: a start, an amount and a unit."""

    index: int
    unit: Unit
    start: datetime
    amount: int

    def describe(self) -> str:
        local = self.start.astimezone(_zone())
        when = f"{local:%a %Y-%m-%d %H:%M %Z} ({self.start:%Y-%m-%dT%H:%MZ})"
        return f"{self.amount} {self.unit.value} from {when}"


@dataclass
class PeerRun:
    """A peer's answers and time for the tasks it can express."""

    name: str
    results: dict[int, Any] = field(
        default_factory=dict
    )  # task index -> UTC datetime, or a failure string
    seconds: float = 0.0
    note: str = ""
    unit_seconds: dict[Unit, float] = field(default_factory=lambda: defaultdict(float))


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONE)


# ---------------------------------------------------------------------------- the workload


def make_tasks(n: int, seed: int) -> list[Task]:
    """n computations over every unit; a fifth start exactly at an opening, closing or midnight."""
    rng = random.Random(seed)
    tz = _zone()
    tasks = []
    for i in range(n):
        unit = UNITS[i % len(UNITS)]
        start = FIRST_DAY + timedelta(
            minutes=rng.randrange(DAYS * 24 * 60), seconds=rng.choice((0, 0, 0, rng.randrange(60)))
        )
        if rng.random() < 0.2:
            day = start.astimezone(tz).date()
            wall = rng.choice((OPEN, CLOSE, clock_time(0, 0), clock_time(17, 59)))
            start = datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
        amount = {
            Unit.BUSINESS_HOURS: lambda: rng.randrange(1, 41),
            Unit.BUSINESS_MINUTES: lambda: rng.randrange(1, 2401),
            Unit.WORKING_DAYS: lambda: rng.randrange(1, 21),
            Unit.END_OF_WORKING_DAY: lambda: rng.randrange(1, 21),
            Unit.CALENDAR_HOURS: lambda: rng.randrange(1, 73),
        }[unit]()
        tasks.append(Task(i, unit, start, amount))
    rng.shuffle(tasks)
    return tasks


def holiday_dates() -> list[date]:
    """England & Wales bank holidays straight from the holidays package, for the peers."""
    found: set[date] = set()
    for subdiv in ("ENG", "WLS"):
        found |= set(holidays.country_holidays("GB", subdiv=subdiv, years=range(2025, 2031)))
    return sorted(found)


# ---------------------------------------------------------------------------- Pledge


def run_pledge(
    cal: Calendar, tasks: list[Task], passes: int = 3
) -> tuple[dict[int, datetime], float]:
    """Every task through sla.due, as workflows call it: results and the best pass's seconds."""
    due = sla.due
    prepared = [(t.index, t.start, t.amount, t.unit) for t in tasks]
    best = float("inf")
    for _ in range(passes):
        out: dict[int, datetime] = {}
        began = time.perf_counter()
        for index, start, amount, unit in prepared:
            out[index] = due(cal, start, amount, unit)  # type: ignore[assignment]
        best = min(best, time.perf_counter() - began)
    return out, best


def time_pledge_direct(cal: Calendar, tasks: list[Task]) -> float:
    """Seconds for the tasks through the calendar methods, inputs prepared as for the peers."""
    calls: list[tuple[Callable[..., datetime], datetime, Any]] = []
    for t in tasks:
        if t.unit is Unit.BUSINESS_HOURS:
            calls.append((cal.add_business, t.start, timedelta(hours=t.amount)))
        elif t.unit is Unit.BUSINESS_MINUTES:
            calls.append((cal.add_business, t.start, timedelta(minutes=t.amount)))
        elif t.unit is Unit.WORKING_DAYS:
            calls.append((cal.add_working_days, t.start, t.amount))
        elif t.unit is Unit.END_OF_WORKING_DAY:
            calls.append((cal.end_of_working_day, t.start, t.amount))
        else:
            calls.append((_plus_hours, t.start, timedelta(hours=t.amount)))
    began = time.perf_counter()
    for fn, start, arg in calls:
        fn(start, arg)
    return time.perf_counter() - began


def _plus_hours(start: datetime, delta: timedelta) -> datetime:
    return start + delta


# ---------------------------------------------------------------------------- pandas


def run_pandas(tasks: list[Task], hols: list[date], cal: Calendar) -> dict[str, PeerRun]:
    """CustomBusinessHour for business hours; CustomBusinessDay for working days and end of day."""
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessDay, CustomBusinessHour

    hours_offsets = {
        n: CustomBusinessHour(n=n, start="08:30", end="18:00", holidays=hols) for n in range(1, 41)
    }
    day_offsets = {n: CustomBusinessDay(n=n, holidays=hols) for n in range(1, 21)}
    one_day = pd.Timedelta(days=1)
    runs = {
        "hours": PeerRun(
            "pandas CustomBusinessHour",
            note="whole hours only: business_minutes cannot be expressed",
        ),
        "days": PeerRun(
            "pandas CustomBusinessDay",
            note="open starts only: it cannot move a closed start to the next opening",
        ),
        "eod": PeerRun(
            "pandas CustomBusinessDay",
            note="local date + n business days, then the following midnight",
        ),
    }
    hours = [
        (t.index, pd.Timestamp(t.start).tz_convert(ZONE), hours_offsets[t.amount])
        for t in tasks
        if t.unit is Unit.BUSINESS_HOURS
    ]
    days = [
        (t.index, pd.Timestamp(t.start).tz_convert(ZONE), day_offsets[t.amount])
        for t in tasks
        if t.unit is Unit.WORKING_DAYS and cal.is_open(t.start)
    ]
    eod = [
        (
            t.index,
            pd.Timestamp(t.start).tz_convert(ZONE).tz_localize(None).normalize(),
            day_offsets[t.amount],
        )
        for t in tasks
        if t.unit is Unit.END_OF_WORKING_DAY
    ]
    raw: dict[str, list[tuple[int, Any]]] = {"hours": [], "days": [], "eod": []}
    began = time.perf_counter()
    for index, ts, offset in hours:
        raw["hours"].append((index, ts + offset))
    runs["hours"].seconds = time.perf_counter() - began
    began = time.perf_counter()
    for index, ts, offset in days:
        raw["days"].append((index, ts + offset))
    runs["days"].seconds = time.perf_counter() - began
    began = time.perf_counter()
    for index, day, offset in eod:
        raw["eod"].append((index, (day + offset + one_day).tz_localize(ZONE)))
    runs["eod"].seconds = time.perf_counter() - began
    for key, answers in raw.items():
        runs[key].results = {i: ts.tz_convert("UTC").to_pydatetime() for i, ts in answers}
    return runs


# ---------------------------------------------------------------------------- businesstimedelta


class _TimedOut(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TimedOut()


def run_btd(tasks: list[Task], hols: list[date], limit: float) -> PeerRun:
    """WorkDayRule + HolidayRule with pytz; each call is cut off after `limit` seconds."""
    import businesstimedelta as btd
    import pytz

    tz = pytz.timezone(ZONE)
    rules = btd.Rules(
        [
            btd.WorkDayRule(start_time=OPEN, end_time=CLOSE, working_days=[0, 1, 2, 3, 4], tz=tz),
            btd.HolidayRule(hols, tz=tz),
        ]
    )
    run = PeerRun(
        "businesstimedelta", note=f"random subset; each call limited to {limit:g} s (SIGALRM)"
    )
    calls = []
    for t in tasks:
        seconds = t.amount * (3600 if t.unit is Unit.BUSINESS_HOURS else 60)
        calls.append((t.index, t.unit, t.start, btd.BusinessTimeDelta(rules, seconds=seconds)))
    previous = signal.signal(signal.SIGALRM, _alarm)
    elapsed = 0.0
    try:
        for index, unit, start, delta in calls:
            signal.setitimer(signal.ITIMER_REAL, limit)
            began = time.perf_counter()
            try:
                answer: Any = (start + delta).astimezone(UTC)
            except _TimedOut:
                answer = "timed out"
            except Exception as exc:  # the peer's own bugs, reported as disagreements
                answer = f"raised {type(exc).__name__}: {exc}"
            finally:
                spent = time.perf_counter() - began
                signal.setitimer(signal.ITIMER_REAL, 0)
                elapsed += spent
                run.unit_seconds[unit] += spent
            run.results[index] = answer
    finally:
        signal.signal(signal.SIGALRM, previous)
    run.seconds = elapsed
    return run


# ---------------------------------------------------------------------------- disagreements


def _closing_time(cal: Calendar, at: datetime) -> bool:
    """`at` is the end of an open interval."""
    local = at.astimezone(_zone()).date()
    return any(
        end == at
        for day in (local - timedelta(days=1), local)
        for _, end in cal.open_intervals(day)
    )


def _crosses_dst(a: datetime, b: datetime) -> bool:
    tz = _zone()
    return a.astimezone(tz).utcoffset() != b.astimezone(tz).utcoffset()


def explain(cal: Calendar, task: Task, ours: datetime, theirs: Any, peer: str) -> str | None:
    """Why a peer's answer differs from ours, checked against the calendar; None if nothing fits."""
    if isinstance(theirs, str):
        if theirs == "timed out":
            return f"{peer} timed out (its Rules.next loop can spin without moving forward)"
        return f"{peer} {theirs.split(':')[0]} (a bug in the peer)"
    if _closing_time(cal, ours) and theirs == cal.next_open(ours):
        return (
            f"{peer} rolls a result that lands exactly at closing time to the next opening; "
            "Pledge (docs/deadlines.md, rule 1) is due at closing time"
        )
    if abs(theirs - ours) == timedelta(hours=1) and _crosses_dst(task.start, max(ours, theirs)):
        return f"{peer} counts in naive local time, so across a DST change it is an hour off"
    return None


@dataclass
class Comparison:
    """Disagreements of one peer with Pledge, grouped by explanation."""

    peer: str
    compared: int = 0
    groups: dict[str, list[tuple[Task, datetime, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def compare(
    cal: Calendar, tasks: dict[int, Task], ours: dict[int, datetime], run: PeerRun, peer: str
) -> Comparison:
    result = Comparison(peer)
    for index, theirs in run.results.items():
        result.compared += 1
        if theirs == ours[index]:
            continue
        reason = explain(cal, tasks[index], ours[index], theirs, peer) or "UNEXPLAINED"
        result.groups[reason].append((tasks[index], ours[index], theirs))
    return result


# ---------------------------------------------------------------------------- report


def _us(seconds: float, calls: int) -> float:
    return seconds / calls * 1e6 if calls else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="computations (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--btd-n",
        type=int,
        default=2000,
        help="businesstimedelta subset size (default 2000; it takes ms per call)",
    )
    parser.add_argument(
        "--btd-limit",
        type=float,
        default=2.0,
        help="seconds before a businesstimedelta call counts as hung",
    )
    parser.add_argument(
        "--examples", type=int, default=3, help="examples printed per explained group (default 3)"
    )
    parser.add_argument(
        "--all", action="store_true", help="print every disagreement, not just examples"
    )
    args = parser.parse_args(argv)

    cal = Calendar(
        ZONE,
        {"mon-fri": ["08:30-18:00"]},
        holidays=[HolidaySource("GB", ("ENG", "WLS"))],
        name="bench",
    )
    tasks = make_tasks(args.n, args.seed)
    by_index = {t.index: t for t in tasks}
    by_unit: dict[Unit, list[Task]] = defaultdict(list)
    for t in tasks:
        by_unit[t.unit].append(t)
    hols = holiday_dates()

    # Warm up: build the calendar's per-year tables before timing anything.
    for year in range(2025, 2030):
        cal.is_open(datetime(year, 6, 1, tzinfo=UTC))

    print(f"Deadline benchmark: {args.n:,} mixed computations, seed {args.seed}")
    print(
        f"  starts: {FIRST_DAY:%Y-%m-%d} + {DAYS} days (UTC), "
        "20% exactly at 08:30, 18:00, 17:59 or midnight local"
    )
    print("  calendar: Mon-Fri 08:30-18:00 Europe/London, England & Wales bank holidays")
    print(f"  units: {', '.join(u.value for u in UNITS)} (one fifth each)")
    print()

    ours, pledge_seconds = run_pledge(cal, tasks)
    print(
        f"Pledge, every unit through sla.due(): {len(tasks):,} calls in {pledge_seconds:.3f} s"
        f" = {_us(pledge_seconds, len(tasks)):.2f} us/call (best of 3 passes)"
    )
    print()

    pandas_runs = run_pandas(tasks, hols, cal)
    rng = random.Random(args.seed + 1)
    btd_pool = by_unit[Unit.BUSINESS_HOURS] + by_unit[Unit.BUSINESS_MINUTES]
    btd_tasks = rng.sample(btd_pool, min(args.btd_n, len(btd_pool)))
    btd_run = run_btd(btd_tasks, hols, args.btd_limit)

    # Pledge timed on exactly the tasks each peer ran, with inputs prepared the same way.
    def pledge_on(results: dict[int, Any]) -> tuple[float, int]:
        subset = [by_index[i] for i in results]
        return min(time_pledge_direct(cal, subset) for _ in range(3)), len(subset)

    rows = []
    header = (
        f"{'unit':<20}{'peer':<28}{'calls':>8}{'Pledge us':>11}{'peer us':>11}{'Pledge is':>12}"
    )
    for unit, key in (
        (Unit.BUSINESS_HOURS, "hours"),
        (Unit.WORKING_DAYS, "days"),
        (Unit.END_OF_WORKING_DAY, "eod"),
    ):
        run = pandas_runs[key]
        seconds, calls = pledge_on(run.results)
        rows.append((unit.value, run.name, calls, _us(seconds, calls), _us(run.seconds, calls)))
    for unit in (Unit.BUSINESS_HOURS, Unit.BUSINESS_MINUTES):
        subset = {t.index: btd_run.results[t.index] for t in btd_tasks if t.unit is unit}
        seconds, calls = pledge_on(subset)
        peer_seconds = btd_run.unit_seconds[unit]
        rows.append(
            (unit.value, "businesstimedelta", calls, _us(seconds, calls), _us(peer_seconds, calls))
        )
    print(header)
    print("-" * len(header))
    for unit_name, peer, calls, mine, theirs in rows:
        print(
            f"{unit_name:<20}{peer:<28}{calls:>8,}"
            f"{mine:>11.2f}{theirs:>11.2f}{theirs / mine:>11.1f}x"
        )
    for unit in (Unit.CALENDAR_HOURS,):
        seconds = min(time_pledge_direct(cal, by_unit[unit]) for _ in range(3))
        print(
            f"{unit.value:<20}{'(no peer: plain addition)':<28}{len(by_unit[unit]):>8,}"
            f"{_us(seconds, len(by_unit[unit])):>11.2f}"
        )
    print()

    pandas_hours = rows[0]
    btd_seconds, btd_calls = pledge_on(btd_run.results)
    btd_ratio = _us(btd_run.seconds, len(btd_tasks)) / _us(btd_seconds, btd_calls)
    pandas_ratio = pandas_hours[4] / pandas_hours[3]
    print("Targets")
    print(
        f"  >= 20x faster than businesstimedelta per call: {btd_ratio:,.0f}x"
        f" on {len(btd_tasks):,} business-hour/minute calls"
        f" ({_us(btd_seconds, btd_calls):.2f} vs {_us(btd_run.seconds, len(btd_tasks)):,.0f} us)"
        f"  {'PASS' if btd_ratio >= 20 else 'FAIL'}"
    )
    print(
        f"  faster than pandas CustomBusinessHour per call: {pandas_ratio:,.1f}x"
        f"  {'PASS' if pandas_ratio > 1 else 'FAIL'}"
    )
    print()

    comparisons = [
        (
            compare(cal, by_index, ours, pandas_runs["hours"], "pandas CustomBusinessHour"),
            pandas_runs["hours"].note,
        ),
        (
            compare(cal, by_index, ours, pandas_runs["days"], "pandas CustomBusinessDay"),
            pandas_runs["days"].note,
        ),
        (
            compare(cal, by_index, ours, pandas_runs["eod"], "pandas CustomBusinessDay"),
            pandas_runs["eod"].note,
        ),
        (compare(cal, by_index, ours, btd_run, "businesstimedelta"), btd_run.note),
    ]
    unexplained = 0
    print("Disagreements with the peers (each explanation is checked against the calendar)")
    for comp, note in comparisons:
        total = sum(len(v) for v in comp.groups.values())
        print(f"  {comp.peer}: {total:,} of {comp.compared:,} compared differ ({note})")
        for reason, cases in sorted(comp.groups.items(), key=lambda kv: -len(kv[1])):
            if reason == "UNEXPLAINED":
                unexplained += len(cases)
            print(f"    {len(cases):>6,}  {reason}")
            shown = cases if reason == "UNEXPLAINED" or args.all else cases[: args.examples]
            for task, mine, theirs in shown:
                theirs_text = (
                    theirs
                    if isinstance(theirs, str)
                    else f"{theirs.astimezone(_zone()):%a %Y-%m-%d %H:%M %Z}"
                )
                print(
                    f"            {task.describe()}: "
                    f"Pledge {mine.astimezone(_zone()):%a %Y-%m-%d %H:%M %Z}, peer {theirs_text}"
                )
            if len(cases) > len(shown):
                print(
                    f"            ... and {len(cases) - len(shown):,} more like these"
                    " (--all lists every one)"
                )
    timeouts = sum(1 for r in btd_run.results.values() if r == "timed out")
    print(f"  businesstimedelta time-outs: {timeouts}")
    print(f"  UNEXPLAINED: {unexplained}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
