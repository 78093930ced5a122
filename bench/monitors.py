"""Monitors at scale: 1,000 monitors probing every 5 minutes, beside 1,000 bare Temporal timers
on the same schedule, in one run.

Starts a private stack (Temporal dev server in memory, a throw-away PostgreSQL database, a
website on 127.0.0.1 in a process of its own, and `worker.py`), then starts N monitor
workflows (own services, so nothing opens tickets) and, in the same run, N bare timer
workflows on a worker in this process, each sleeping to the same kind of schedule (its own
offset in the interval, then every interval) and noting how late it woke. Over the window it
measures:

  lag       from when a probe was due to when its activity started (monitor_results.lag_ms),
            beside a bare timer's due -> its workflow waking, p50/p99/max
  CPU       worker.py (the monitors), this process (the bare timers' worker), Temporal and
            PostgreSQL: ms per probe (per fire) and cores busy
  history   events per probe in a monitor's history, beside events per fire of a bare timer,
            and so how long a monitor's run lasts before Temporal suggests continuing as new
  rows      database rows a day at this rate, and their size on disk

Prints a table and exits 0 whatever the figures (it measures, it does not test); 1 only when
the stack cannot be set up. Everything it starts is stopped and the database dropped, also on
Ctrl-C or an error.

    .venv/bin/python bench/monitors.py [--monitors 1000] [--interval 300] [--minutes 6]

Needs PostgreSQL (`make bench` starts it; --postgres names another server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from _support import die_with_parent, free_port, percentile, say
from sqlalchemy.engine import make_url
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from db.migrate import upgrade
from settings import ENVIRONMENT_VARIABLES, ROOT
from sla.monitor import start_offset
from workflows.connection import (
    converter_with_keys,
    count_pollers,
    exit_without_teardown,
    installed_binary,
)
from workflows.monitor import MonitorWorkflow
from workflows.monitor_messages import MonitorConfig, MonitorStart, Recorded
from workflows.payload_codec import new_key_entry, parse_keys

PAYLOAD_KEYS = new_key_entry()
CONVERTER = converter_with_keys(parse_keys(PAYLOAD_KEYS))
POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TASK_QUEUE = "pledge-bench"
MONITOR_QUEUE = f"{TASK_QUEUE}-monitors"
STARTUP_SECONDS = 60
STOP_SECONDS = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Temporal suggests continuing as new at 4 x 1024 events (limit.historyCount.suggestContinueAsNew).
SUGGEST_EVENTS = 4096


# -- the peer: a bare timer on the same schedule ------------------------------------------------


@workflow.defn(name="BenchBareTimer")
class BareTimer:
    """Sleeps to each slot of its schedule and notes how late it woke: the least a timer does."""

    @workflow.run
    async def run(self, offset_s: float, interval_s: float, until: datetime) -> list[float]:
        lags: list[float] = []
        due = workflow.now() + timedelta(seconds=offset_s)
        while due < until:
            await workflow.sleep(max(timedelta(milliseconds=1), due - workflow.now()))
            lags.append((workflow.now() - due).total_seconds() * 1000)
            due += timedelta(seconds=interval_s)
        return lags


# -- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    postgres_admin_url: str
    keep_logs: bool
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pledge-bench-")))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    database: str | None = None
    database_url: str = ""
    temporal_address: str = ""
    site_url: str = ""

    def spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the child
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip
        log.close()

    def check_children(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = (self.tmp / f"{name}.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"the {name} stopped ({process.returncode}):\n{tail}")

    def start_temporal(self) -> None:
        port = free_port()
        self.temporal_address = f"127.0.0.1:{port}"
        self.spawn(
            "temporal",
            [
                str(installed_binary("temporal")), "server", "start-dev", "--ip", "127.0.0.1",
                "--port", str(port), "--headless", "--log-level", "error",
            ],
        )  # fmt: skip

    async def connect(self) -> Client:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            self.check_children()
            try:
                return await Client.connect(self.temporal_address, data_converter=CONVERTER)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)

    def create_database(self) -> None:
        name = f"pledge_bench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(self.postgres_admin_url, autocommit=True, connect_timeout=5) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        self.database = name
        url = make_url(self.postgres_admin_url).set(drivername="postgresql+psycopg", database=name)
        self.database_url = url.render_as_string(hide_password=False)
        upgrade(self.database_url)

    @property
    def libpq_url(self) -> str:
        return make_url(self.database_url).set(drivername="postgresql").render_as_string(False)

    def start_site(self) -> None:
        """A website of its own process, so serving probes costs neither side's CPU here."""
        root = self.tmp / "site"
        root.mkdir()
        (root / "index.html").write_text("<!doctype html><title>Bench</title><h1>Bench</h1>")
        port = free_port()
        self.site_url = f"http://127.0.0.1:{port}/"
        self.spawn(
            "site",
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
             "--directory", str(root)],
        )  # fmt: skip

    def start_worker(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_VARIABLES}
        env |= {
            "DATABASE_URL": self.database_url,
            "TEMPORAL_ADDRESS": self.temporal_address,
            "TEMPORAL_TASK_QUEUE": TASK_QUEUE,
            "PLEDGE_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
            "PLEDGE_DATA_DIR": str(self.tmp / "data"),
            "PLEDGE_PAYLOAD_KEYS": PAYLOAD_KEYS,
            "PLEDGE_MONITOR_ALLOWED_HOSTS": "127.0.0.1",
            "PLEDGE_LOG_LEVEL": "warning",
        }
        self.spawn("worker", [sys.executable, str(ROOT / "worker.py")], env)

    async def wait_for_worker(self, client: Client) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while await count_pollers(client, MONITOR_QUEUE) == 0:
            self.check_children()
            if time.monotonic() > deadline:
                raise RuntimeError("worker.py did not poll the monitors' task queue within 60 s")
            await asyncio.sleep(0.3)

    def stop(self) -> None:
        for name in ("worker", "site", "temporal"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.database is not None:
            try:
                with psycopg.connect(
                    self.postgres_admin_url, autocommit=True, connect_timeout=5
                ) as db:
                    db.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                self.database = None
            except psycopg.Error as exc:
                say(f"  could not drop database {self.database}: {exc}")
        if self.keep_logs:
            say(f"  logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- measuring ---------------------------------------------------------------------------------


def _cpu_of(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    stat = (entry / "stat").read_text()
                    fields = stat[stat.rindex(")") + 2 :].split()
                    total += sum(int(f) for f in fields[11:15]) / CLOCK_TICKS
    return total


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    taken = {name: _cpu_of(p.pid) for name, p in stack.processes.items()}
    taken["postgres"] = _postgres_cpu()
    taken["bench"] = usage.ru_utime + usage.ru_stime
    return taken


async def in_lanes(n: int, lanes: int, job: Callable[[int], Awaitable[None]]) -> None:
    indexes = iter(range(n))

    async def lane() -> None:
        for i in indexes:
            await job(i)

    await asyncio.gather(*(lane() for _ in range(lanes)))


async def events_per_step(client: Client, ids: list[str], step: EventType.ValueType) -> float:
    """History events between the first and the last `step` event, per step: the steady cost
    of one probe (one timer fire), without the start of the run."""
    per: list[float] = []
    for workflow_id in ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        at = [i for i, event in enumerate(history.events) if event.event_type == step]
        if len(at) >= 2:
            per.append((at[-1] - at[0]) / (len(at) - 1))
    return sum(per) / len(per) if per else float("nan")


# -- the run -------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> int:
    stack = Stack(args.postgres, args.keep_logs)
    try:
        say(
            f"setting up: Temporal dev server, PostgreSQL database, a site, worker.py ({stack.tmp})"
        )
        stack.start_temporal()
        stack.create_database()
        stack.start_site()
        client = await stack.connect()
        stack.start_worker()
        await stack.wait_for_worker(client)
    except Exception as exc:  # noqa: BLE001 - one line, then clean up
        say(f"could not set up the stack: {exc}")
        stack.stop()
        return 1
    try:
        await measure(stack, client, args)
    finally:
        stack.stop()
    return 0


async def measure(stack: Stack, client: Client, args: argparse.Namespace) -> None:
    n, interval, window = args.monitors, args.interval, args.minutes * 60
    run = secrets.token_hex(3)
    peer_queue = f"bench-timers-{run}"
    monitor_ids = [f"M-{run.upper()}-{i:04d}" for i in range(n)]
    timer_ids = [f"timer-{run}-{i:04d}" for i in range(n)]
    # Unsandboxed: this file runs as __main__, which the sandbox cannot re-import.
    peer = Worker(
        client, task_queue=peer_queue, workflows=[BareTimer],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )  # fmt: skip
    async with peer:
        started = datetime.now(UTC)
        until = started + timedelta(seconds=window)
        timers: list[asyncio.Future[list[float]]] = []

        async def start_monitor(i: int) -> None:
            config = MonitorConfig(
                monitor_id=monitor_ids[i], name=f"Bench {i}", url=stack.site_url,
                service="platform", interval_seconds=interval,
            )  # fmt: skip
            operation = WithStartWorkflowOperation(
                MonitorWorkflow.run,
                MonitorStart(config=config, created_by="bench"),
                id=f"monitor-{monitor_ids[i]}",
                task_queue=MONITOR_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
            await client.execute_update_with_start_workflow(
                MonitorWorkflow.recorded, Recorded(), start_workflow_operation=operation
            )

        async def start_timer(i: int) -> None:
            offset = start_offset(timer_ids[i], interval).total_seconds()
            handle = await client.start_workflow(
                BareTimer.run, args=[offset, float(interval), until], id=timer_ids[i],
                task_queue=peer_queue,
            )  # fmt: skip
            timers.append(asyncio.ensure_future(handle.result()))

        say(f"starting {n} monitors and {n} bare timers, every {interval} s for {args.minutes} min")
        t0 = time.perf_counter()
        await asyncio.gather(in_lanes(n, 32, start_monitor), in_lanes(n, 32, start_timer))
        say(f"  started in {time.perf_counter() - t0:.1f} s; measuring until {until:%H:%M:%S} UTC")
        before, wall0 = cpu_snapshot(stack), time.perf_counter()
        measuring_from = datetime.now(UTC)
        remaining = (until - datetime.now(UTC)).total_seconds()
        while remaining > 0:
            stack.check_children()
            await asyncio.sleep(min(30.0, remaining))
            remaining = (until - datetime.now(UTC)).total_seconds()
            say(f"  {max(0, remaining):.0f} s to go")
        after, wall = cpu_snapshot(stack), time.perf_counter() - wall0
        timer_lags = [lag for lags in await asyncio.gather(*timers) for lag in lags]

    async with await psycopg.AsyncConnection.connect(stack.libpq_url, autocommit=True) as db:
        rows = await (
            await db.execute(
                "SELECT lag_ms, ok, at FROM monitor_results WHERE at >= %s AND at < %s",
                (started, until),
            )
        ).fetchall()
        size = (
            await (await db.execute("SELECT pg_total_relation_size('monitor_results')")).fetchone()
        )[0]
        total = (await (await db.execute("SELECT count(*) FROM monitor_results")).fetchone())[0]
        states = await (
            await db.execute("SELECT state, count(*) FROM monitors GROUP BY state ORDER BY state")
        ).fetchall()
    probe_lags = [float(lag) for lag, _, _ in rows if lag is not None]
    failed = sum(1 for _, ok, _ in rows if not ok)
    # CPU is measured once every workflow has started: the probes made meanwhile.
    probes = sum(1 for _, _, at in rows if at >= measuring_from)

    # Steady-state history cost, from monitors (and timers) that fired at least twice.
    early = sorted(range(n), key=lambda i: start_offset(monitor_ids[i], interval))[:20]
    probe_events = await events_per_step(
        client,
        [f"monitor-{monitor_ids[i]}" for i in early],
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    )
    early_timers = sorted(range(n), key=lambda i: start_offset(timer_ids[i], interval))[:20]
    timer_events = await events_per_step(
        client, [timer_ids[i] for i in early_timers], EventType.EVENT_TYPE_TIMER_STARTED
    )

    spent = {name: after[name] - before[name] for name in after}
    fires = len(timer_lags)
    per_day = len(rows) / window * 86_400 if window else 0.0
    say("")
    say(f"{'':34}{'monitors (probe)':>20}{'bare timers (fire)':>22}")
    for label, p in (("due -> ran p50", 50), ("due -> ran p99", 99)):
        say(f"{label:34}{percentile(probe_lags, p):>17.1f} ms{percentile(timer_lags, p):>19.1f} ms")
    say(
        f"{'due -> ran max':34}{max(probe_lags, default=float('nan')):>17.1f} ms"
        f"{max(timer_lags, default=float('nan')):>19.1f} ms"
    )
    say(f"{'samples':34}{len(probe_lags):>20}{fires:>22}")
    say(
        f"{'CPU of its worker, ms each':34}{1000 * spent['worker'] / max(probes, 1):>17.2f} ms"
        f"{1000 * spent['bench'] / max(fires, 1):>19.2f} ms"
    )
    say(
        f"{'  its worker, cores busy':34}{spent['worker'] / wall:>20.3f}"
        f"{spent['bench'] / wall:>22.3f}"
    )
    say(f"{'history events each (steady)':34}{probe_events:>20.1f}{timer_events:>22.1f}")
    say("")
    shared = spent["temporal"] + spent["postgres"] + spent["site"]
    busy = {name: spent[name] / wall for name in ("temporal", "postgres", "site")}
    say(
        f"shared: Temporal {busy['temporal']:.3f}, PostgreSQL {busy['postgres']:.3f}, the site "
        f"{busy['site']:.3f} cores busy ({1000 * shared / max(probes + fires, 1):.2f} ms per "
        f"probe or fire) on {os.cpu_count()} cores, over {wall:.0f} s"
    )
    say(
        f"ratios: probe lag p50 {percentile(probe_lags, 50) / percentile(timer_lags, 50):.1f}x, "
        f"p99 {percentile(probe_lags, 99) / percentile(timer_lags, 99):.1f}x a bare timer's; "
        f"{probe_events / timer_events:.1f}x its history events"
    )
    by_state = ", ".join(f"{state} {count}" for state, count in states)
    say(
        f"probes: {len(rows)} in {window / 60:.0f} min ({len(rows) / window:.2f}/s; "
        f"{failed} failed); monitors by state: {by_state}"
    )
    nominal = n * 86_400 / interval
    each = size / max(total, 1)
    say(
        f"rows: {per_day:,.0f} monitor_results a day at the rate measured ({per_day / n:.0f} per "
        f"monitor; steady, one probe every {interval} s, is {nominal:,.0f}), {each:.0f} bytes "
        f"each on disk with its key: {nominal * each / 2**20:,.0f} MiB a day, "
        f"{30 * nominal * each / 2**30:.1f} GiB for 30 days raw; no other table grows while all "
        "are up"
    )
    if probe_events == probe_events:  # not NaN
        hours = SUGGEST_EVENTS / probe_events * interval / 3600
        say(
            f"history: Temporal suggests continuing as new after about "
            f"{SUGGEST_EVENTS / probe_events:.0f} probes, every {hours:.0f} h at this interval"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=300, help="seconds between probes")
    parser.add_argument("--minutes", type=float, default=6.0, help="the measured window")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--keep-logs", action="store_true")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    exit_without_teardown(main())
