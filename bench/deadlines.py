"""Deadline arithmetic: Pledge against businesstimedelta and pandas CustomBusinessHour, and a
policy kept in the database against the same policy as a preset file.

The same mixed computations (random starts over two years, every unit) go through Pledge and,
for the units each peer can express, through the peers, in one run. Prints the per-call time,
the ratios and every disagreement grouped by its (checked) explanation; a disagreement no
explanation accounts for is printed as UNEXPLAINED and makes the run exit with status 1.

Then the e-shot preset is saved as a policy of its own (`POST /policies` does the same) in a
SQLite file built by the migrations, by another process, and read back by this one as a ticket
is: the newest version read from the database (services.terms.current), carried by the ticket as
its PolicySnapshot and revived once per digest where its workflow runs. Every deadline of a
random priority for the same random receipts is computed through that and through
sla.get_policy("e-shot"), and the two must agree (exit status 1 otherwise); the ceiling is
1.2x the preset path's time (docs/policies.md). The once-per-version costs are printed apart.

    .venv/bin/python bench/deadlines.py [--n 100000] [--seed 1] [--btd-n 2000] [--stored-n 10000]

Needs the bench extra (`make bench` installs it): businesstimedelta and pandas.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import _support  # noqa: F401 - first: puts the project root before bench/ on sys.path
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


# ---------------------------------------------------------------------------- a stored policy

PRESET = "e-shot"
STORED_KEY = "bench-e-shot"  # the preset's JSON saved as a policy of its own
STORED_CEILING = 1.2
CHUNK = 250  # receipts timed at a stretch


def save_copy(database_url: str) -> None:
    """In a process of its own (as the API is): the preset's JSON as GET /policies/e-shot
    returns it, saved as a new policy under STORED_KEY, as POST /policies saves it."""
    asyncio.run(_save_copy(database_url))


async def _save_copy(database_url: str) -> None:
    from api.auth import Principal
    from db.models import Role
    from db.session import make_engine, make_session_factory
    from services import policies

    admin = Principal(key_id=None, name="bench", role=Role.ADMIN, account_id=None)
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine, writes=True)() as session, session.begin():
            body = await policies.read(session, admin, "policy", PRESET)
            await policies.create(session, admin, "policy", {**body, "key": STORED_KEY})
    finally:
        await engine.dispose()


@dataclass
class StoredRun:
    """The database-backed path beside the preset path, on the same receipts."""

    calls: int
    preset_seconds: float
    stored_seconds: float
    api_first_read: float  # services.terms.current, nothing cached: read and validate
    api_read: float  # the same once cached: the read a ticket's opening makes
    worker_revival: float  # the ticket's snapshot decoded and revived, nothing cached
    first_deadline: float  # the revived policy's first deadline: its calendars' years built
    preset_first_deadline: float  # the same for the preset file's policy


async def _read_back(database_url: str) -> tuple[Any, Any, float, float, float]:
    """What a ticket opened now keeps (terms.current), read cold then warm; and the snapshot
    it carries, as the worker's payload converter hands it over (JSON)."""
    from db import policy_versions
    from db.session import make_engine, make_session_factory
    from services import terms
    from services.policies import model_of  # noqa: F401 - imported now: the first read times no imports

    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            row = await policy_versions.latest(session, "policy", STORED_KEY)
            assert row is not None and row.version == 1, "the copy was not saved"
            payload = sla.PolicySnapshot(key=row.key, digest=row.digest, data=row.body)
            payload_json = payload.model_dump_json()
            began = time.perf_counter()
            current = await terms.current(session, "policy", STORED_KEY)
            first_read = time.perf_counter() - began
            reads = []
            for _ in range(50):
                began = time.perf_counter()
                await terms.current(session, "policy", STORED_KEY)
                reads.append(time.perf_counter() - began)
    finally:
        await engine.dispose()
    # A worker revives the snapshot the ticket carries, once per digest.
    began = time.perf_counter()
    snapshot = sla.PolicySnapshot.model_validate_json(payload_json)
    snapshot.policy()
    revival = time.perf_counter() - began
    # The ticket's snapshot is of the model the API read: the same version, the same digest.
    assert sla.PolicySnapshot.of(current.model).digest == snapshot.digest == row.digest
    return current, snapshot, first_read, sorted(reads)[len(reads) // 2], revival


def run_stored(tasks: list[Task], n: int, seed: int, passes: int) -> StoredRun:
    """Every deadline of a random priority for the first n receipts, through the stored
    policy's snapshot and through the preset; raises if any answer differs."""
    from db.migrate import upgrade  # here: alembic is slow to import

    tmp = Path(tempfile.mkdtemp(prefix="pledge-bench-"))
    try:
        database_url = f"sqlite:///{tmp / 'pledge.db'}"
        upgrade(database_url)
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as api:
            api.submit(save_copy, database_url).result()
        current, snapshot, first_read, read, revival = asyncio.run(_read_back(database_url))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    preset = sla.get_policy(PRESET)
    rng = random.Random(seed + 2)
    levels = list(preset.priorities)
    work = [(t.start, rng.choice(levels)) for t in tasks[:n]]
    compute, get_policy = sla.compute_deadlines, sla.get_policy

    # The preset first: the first deadline in a process reads the holidays package, once for
    # every calendar with the same holidays; what is left is the revived policy's own cost.
    began = time.perf_counter()
    compute(preset, work[0][1], work[0][0])
    preset_first_deadline = time.perf_counter() - began
    began = time.perf_counter()
    compute(snapshot.policy(), work[0][1], work[0][0])
    first_deadline = time.perf_counter() - began

    def preset_path(chunk: list[tuple[datetime, str]]) -> list[Any]:
        return [compute(get_policy(PRESET), level, at) for at, level in chunk]

    def stored_path(chunk: list[tuple[datetime, str]]) -> list[Any]:
        return [compute(snapshot.policy(), level, at) for at, level in chunk]

    # Both answer alike on every receipt (and build their years) before anything is timed.
    for (at, level), mine, theirs, api_side in zip(
        work,
        preset_path(work),
        stored_path(work),
        [compute(current.model, level, at) for at, level in work],
        strict=True,
    ):
        expected = {**mine.to_json(), "policy": STORED_KEY}
        if theirs.to_json() != expected or api_side.to_json() != expected:
            raise AssertionError(
                f"the stored policy disagrees with the preset for {level} received"
                f" {at:%Y-%m-%dT%H:%MZ}: {theirs.to_json()} != {expected}"
            )
    # Short runs, the two paths side by side, each chunk's best pass kept: on a busy machine a
    # whole pass is often interrupted, a 20 ms chunk seldom in every pass.
    chunks = [work[i : i + CHUNK] for i in range(0, len(work), CHUNK)]
    best = {name: [float("inf")] * len(chunks) for name in ("preset", "stored")}
    paths = [("preset", preset_path), ("stored", stored_path)]
    for done in range(passes):
        for i, chunk in enumerate(chunks):
            # Alternate which goes first, so neither always runs on a warmer cache.
            for name, path in paths if (i + done) % 2 == 0 else paths[::-1]:
                began = time.perf_counter()
                path(chunk)
                best[name][i] = min(best[name][i], time.perf_counter() - began)
    return StoredRun(
        calls=len(work),
        preset_seconds=sum(best["preset"]),
        stored_seconds=sum(best["stored"]),
        api_first_read=first_read,
        api_read=read,
        worker_revival=revival,
        first_deadline=first_deadline,
        preset_first_deadline=preset_first_deadline,
    )


def print_stored(run: StoredRun, passes: int) -> float:
    """The stored path's table; its ratio to the preset path."""
    ratio = run.stored_seconds / run.preset_seconds
    print(
        f"A policy kept in the database: the {PRESET} preset saved as {STORED_KEY!r}"
        " (SQLite, built by the migrations)"
    )
    print(
        f"  {run.calls:,} tickets' deadlines (every target of a random priority); each run of"
        f" {CHUNK} timed in turn both ways, its best of {passes} passes kept"
    )
    rows = [
        (f"preset file: sla.get_policy({PRESET!r}), compute_deadlines", run.preset_seconds),
        ("database: the ticket's snapshot.policy(), compute_deadlines", run.stored_seconds),
    ]
    for label, seconds in rows:
        print(f"    {label:<68}{_us(seconds, run.calls):>9.2f} us/ticket")
    print("  once per version, or per ticket opened (not in the ratio)")
    once = [
        (
            "the API's first read of the version (terms.current: select, validate)",
            run.api_first_read,
        ),
        ("each later read: what opening a ticket reads (median of 50)", run.api_read),
        (
            "a worker's first revival of a ticket's snapshot (JSON, digest, model)",
            run.worker_revival,
        ),
        (
            "the preset's first deadline in this process (the holidays package read)",
            run.preset_first_deadline,
        ),
        ("then the revived policy's first (its own calendars' years built)", run.first_deadline),
    ]
    for label, seconds in once:
        print(f"    {label:<72}{seconds * 1e3:>8.2f} ms")
    print()
    return ratio


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
    parser.add_argument(
        "--stored-n",
        type=int,
        default=10_000,
        help="tickets computed through the stored policy and the preset (default 10000)",
    )
    parser.add_argument(
        "--stored-passes", type=int, default=5, help="timed passes of each (default 5)"
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

    stored_run = run_stored(tasks, args.stored_n, args.seed, args.stored_passes)
    stored_ratio = print_stored(stored_run, args.stored_passes)

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
    print(
        f"  a policy kept in the database within {STORED_CEILING}x of the preset file:"
        f" {stored_ratio:.2f}x ({_us(stored_run.stored_seconds, stored_run.calls):.2f}"
        f" vs {_us(stored_run.preset_seconds, stored_run.calls):.2f} us)"
        f"  {'PASS' if stored_ratio <= STORED_CEILING else 'FAIL'}"
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
