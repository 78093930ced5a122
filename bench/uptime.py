"""Uptime history at scale: rolling up a day of 1,000 monitors' results (288,000 rows) and
reading one monitor's 90 days, each beside a ceiling measured in the same run on the same rows.

A throw-away PostgreSQL database is filled with one UTC day of probes, every 5 minutes, for N
monitors (some outages among them), plus, for one monitor, 90 days of hour rows and 30 days of
raw results (what the roll-up leaves). Then:

  roll-up      the uptime activity rolling the day's 24 hours and its day rows
               (activities/uptime.py, run as Temporal runs it), beside one plain GROUP BY
               monitor and hour over the same rows: the database reading them once
  windows      every monitor's 24h/7d/30d/90d at once (db.uptime.windows_of: GET /monitors)
  90-day read  db.uptime.daily (90 bars) and db.uptime.windows (24h/7d/30d/90d, the monitor
               JSON's uptime) for one monitor with 90 days of history as the roll-up leaves
               it, beside a plain COUNT of the rows there are

Prints a table and exits 0 whatever the figures (it measures, it does not test); 1 only when
the database cannot be set up. The database is dropped at the end, also on an error.

    .venv/bin/python bench/uptime.py [--monitors 1000] [--repeat 5]

Needs PostgreSQL (`make bench` starts it; --postgres names another server).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from _support import say
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from temporalio.testing import ActivityEnvironment

from activities.deps import ActivityDeps
from activities.uptime import UptimeActivities
from db import uptime
from db.migrate import upgrade
from db.models import Monitor
from db.session import make_engine, make_session_factory, make_sync_engine
from settings import Settings
from workflows.uptime_messages import RollupRequest

POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DAY = datetime(2026, 11, 2, tzinfo=UTC)
EVERY = timedelta(minutes=5)


def fill(libpq: str, monitors: int) -> list[str]:
    """N monitors and a day of their probes (COPY: the filling is not what is measured)."""
    ids = [f"M-B{n:07d}" for n in range(monitors)]
    with psycopg.connect(libpq) as db, db.cursor() as cur:
        with cur.copy(
            "COPY monitors (id, name, url, interval_seconds, expected_status, paused, state, "
            "created_by, created_at, updated_at, version, service) FROM STDIN"
        ) as copy:
            for i in ids:
                copy.write_row((i, i, f"https://{i.lower()}.invalid/", 300, 200, False, "up",
                                "bench", DAY - timedelta(days=90), DAY, 1, "platform"))  # fmt: skip
        with cur.copy(
            "COPY monitor_results (monitor_id, at, ok, status_code, response_ms) FROM STDIN"
        ) as copy:
            for n, i in enumerate(ids):
                down = n % 50 == 0  # one monitor in 50 down from 10:00 to 10:30
                for k in range(288):
                    at = DAY + k * EVERY
                    failing = down and 120 <= k < 126
                    copy.write_row((i, at, not failing, 503 if failing else 200,
                                    None if failing else 80 + (n + k) % 90))  # fmt: skip
        buf = io.StringIO()
        for n, i in enumerate(ids):
            if n % 50 == 0:
                down = DAY + timedelta(hours=10)
                buf.write(f"{i}\t{down}\t{down + timedelta(minutes=1)}"
                          f"\t{down + timedelta(minutes=30)}\tf\n")  # fmt: skip
        buf.seek(0)
        with cur.copy(
            "COPY outages (monitor_id, started_at, detected_at, ended_at, in_maintenance) "
            "FROM STDIN"
        ) as copy:
            copy.write(buf.read())
        db.commit()
    return ids


def one_monitors_history(libpq: str, monitor_id: str, now: datetime) -> int:
    """90 days of one monitor as the roll-up leaves them: hour rows for every completed hour
    but the last (not rolled yet), raw results for the last 30 days."""
    start = now - timedelta(days=90)
    raw_from = now - timedelta(days=30)
    last_rolled = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    rows = 0
    with psycopg.connect(libpq) as db, db.cursor() as cur:
        cur.execute("DELETE FROM monitor_results WHERE monitor_id = %s", (monitor_id,))
        cur.execute("DELETE FROM monitor_hours WHERE monitor_id = %s", (monitor_id,))
        cur.execute("DELETE FROM monitor_days WHERE monitor_id = %s", (monitor_id,))
        with cur.copy(
            "COPY monitor_hours (monitor_id, hour, probes, ok_probes, known_seconds, "
            "down_seconds, maintenance_seconds, rt_count, rt_sum, rt_min, rt_max, rt_p95) "
            "FROM STDIN"
        ) as copy:
            hour = start.replace(minute=0, second=0, microsecond=0)
            while hour < last_rolled:
                copy.write_row((monitor_id, hour, 12, 12, 3600, 0, 0, 12, 1200, 90, 110, 108))
                hour += timedelta(hours=1)
                rows += 1
        with cur.copy("COPY monitor_results (monitor_id, at, ok, response_ms) FROM STDIN") as copy:
            at = raw_from
            while at < now:
                copy.write_row((monitor_id, at, True, 100))
                at += EVERY
                rows += 1
        db.commit()
    return rows


async def bench(args: argparse.Namespace) -> int:
    name = f"pledge_bench_uptime_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        say(f"bench/uptime.py: PostgreSQL is not reachable at {args.postgres}: {exc}")
        return 1
    url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=name)
    database_url = url.render_as_string(hide_password=False)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    engine = make_engine(database_url)
    sync_engine = make_sync_engine(database_url)
    try:
        upgrade(database_url)
        started = time.perf_counter()
        ids = fill(libpq, args.monitors)
        say(f"filled {len(ids)} monitors x 288 probes = {len(ids) * 288:,} rows "
            f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        with psycopg.connect(libpq, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        settings = Settings(database_url=database_url, data_dir=os.environ.get("TMPDIR", "/tmp"))
        deps = ActivityDeps.create(settings, "bench", engine, sync_engine)
        activities = UptimeActivities(deps)
        now = DAY + timedelta(days=1, minutes=15)

        # -- the roll-up, once (it is idempotent: again would redo the same), and its ceiling
        async with make_session_factory(engine)() as session, session.begin():
            await uptime.set_mark(session, uptime.HOURS_MARK, DAY)
            await uptime.set_mark(session, uptime.DAYS_MARK, DAY)
        started = time.perf_counter()
        done = await ActivityEnvironment().run(activities.roll_up, RollupRequest(now=now))
        rollup = time.perf_counter() - started
        started = time.perf_counter()
        again = await ActivityEnvironment().run(
            uptime_again,
            activities,
            now,
            DAY,  # type: ignore[arg-type]
        )
        rerun = time.perf_counter() - started
        ceiling = []
        async with engine.connect() as conn:
            for _ in range(args.repeat):
                started = time.perf_counter()
                await conn.execute(text(
                    "SELECT monitor_id, date_trunc('hour', at), count(*), "
                    "sum(CASE WHEN ok THEN 1 ELSE 0 END), sum(response_ms), min(response_ms), "
                    "max(response_ms) FROM monitor_results WHERE at >= :a AND at < :b "
                    "GROUP BY 1, 2"), {"a": DAY, "b": DAY + timedelta(days=1)})  # fmt: skip
                ceiling.append(time.perf_counter() - started)

        # -- every monitor's 24h/7d/30d/90d at once (GET /monitors lists them all)
        lists = []
        async with make_session_factory(engine)() as session:
            fleet = list(await session.scalars(select(Monitor)))
            for _ in range(args.repeat):
                started = time.perf_counter()
                every = await uptime.windows_of(session, fleet, now)
                lists.append(time.perf_counter() - started)
        assert len(every) == len(ids)

        # -- one monitor's 90 days
        reader = ids[1]
        rows = one_monitors_history(libpq, reader, now)
        with psycopg.connect(libpq, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        zone = ZoneInfo("Europe/London")
        reads, window_reads, counts = [], [], []
        factory = make_session_factory(engine)
        for _ in range(args.repeat):
            async with factory() as session:
                started = time.perf_counter()
                days = await uptime.daily(session, reader, days=90, zone=zone, now=now)
                reads.append(time.perf_counter() - started)
                monitor = await session.get(Monitor, reader)
                started = time.perf_counter()
                shares = await uptime.windows(session, monitor, now)  # type: ignore[arg-type]
                window_reads.append(time.perf_counter() - started)
                started = time.perf_counter()
                await session.execute(text(
                    "SELECT (SELECT count(*) FROM monitor_results WHERE monitor_id = :m "
                    "AND at >= :a), (SELECT count(*) FROM monitor_hours WHERE monitor_id = :m "
                    "AND hour >= :a)"), {"m": reader, "a": now - timedelta(days=91)})  # fmt: skip
                counts.append(time.perf_counter() - started)
        assert len(days) == 90 and shares["90d"].known_seconds > 0

        rows_rolled = len(ids) * 288
        best = min(ceiling)
        say("")
        say(f"{'what':<44}{'seconds':>10}{'vs ceiling':>12}")
        say(f"{'roll up 24 hours + day rows (activity)':<44}{rollup:>10.2f}{rollup / best:>11.1f}x")
        say(f"{'  again (idempotent: same rows)':<44}{rerun:>10.2f}{rerun / best:>11.1f}x")
        say(f"{'ceiling: GROUP BY monitor, hour (best of ' + str(args.repeat) + ')':<44}"
            f"{best:>10.3f}")  # fmt: skip
        say(f"  {done.hour_rows:,} hour rows, {done.day_rows:,} day rows from {rows_rolled:,} "
            f"results: {rows_rolled / rollup:,.0f} results/s; "
            f"again wrote {again} hour rows")  # fmt: skip
        lmed = sorted(lists)[len(lists) // 2]
        say(f"{'windows_of(): all ' + str(len(ids)) + ' monitors at once':<44}{lmed:>10.2f}"
            f"{lmed / best:>11.1f}x")  # fmt: skip
        say("")
        c = min(counts)
        say(f"{'90-day read, one monitor':<44}{'median s':>10}{'vs COUNT':>12}")
        med = sorted(reads)[len(reads) // 2]
        wmed = sorted(window_reads)[len(window_reads) // 2]
        say(f"{'daily(): 90 bars':<44}{med:>10.4f}{med / c:>11.1f}x")
        say(f"{'windows(): 24h/7d/30d/90d':<44}{wmed:>10.4f}{wmed / c:>11.1f}x")
        say(f"{'ceiling: COUNT of the same rows':<44}{c:>10.4f}")
        say(
            f"  over {rows:,} rows (hour rows for 90 days but the last hour, "
            "30 days of raw results)"
        )
        return 0
    finally:
        await engine.dispose()
        sync_engine.dispose()
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def uptime_again(activities: UptimeActivities, now: datetime, day: datetime) -> int:
    """The same day rolled again from the start: what a retry after a crash redoes."""
    async with activities._deps.session_factory() as session, session.begin():
        await uptime.set_mark(session, uptime.HOURS_MARK, day)
    done = await activities.roll_up(RollupRequest(now=now))
    return done.hour_rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL)
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
