"""python worker.py: runs every Pledge workflow and activity until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import compileall
import logging
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import sla
import sla.closed_days
from activities import MONITOR_ACTIVITY_CLASSES, build_activities
from activities.deps import ActivityDeps
from activities.fresh_terms import FreshTerms
from db.errors import explain
from db.session import (
    make_engine,
    make_sync_engine,
)
from db.url import DatabaseUrlError
from settings import ROOT, Settings, get_settings
from workflows.connection import (
    DATA_CONVERTER,
    TemporalUnavailable,
    connect,
    exit_without_teardown,
)
from workflows.registry import MONITOR_WORKFLOWS, WORKFLOWS
from workflows.uptime_messages import RollupStart
from workflows.uptime_rollup import WORKFLOW_ID as ROLLUP_ID
from workflows.uptime_rollup import UptimeRollupWorkflow

log = logging.getLogger("pledge.worker")

# sla is pure and deterministic, so workflows use the real module; the holiday data it loads
# lazily (the holidays package, and dateutil under it) must come from outside the sandbox too,
# or its first use inside a workflow trips the sandbox's clock guard.
# A calendar no preset uses reads the holidays package's translations on first use, inside the
# workflow that counts in it: sla.closed_days runs the package unrestricted (its dates depend on
# the country, subdivision and year alone).
sla.closed_days.unrestricted = workflow.unsafe.sandbox_unrestricted

SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "sla", "holidays", "dateutil", "pydantic"
    )
)


def build_worker(client, deps: ActivityDeps, executor: ThreadPoolExecutor) -> Worker:  # type: ignore[no-untyped-def]
    """The worker with every workflow and activity registered; tests build it the same way."""
    # Presets, calendars and holidays now: inside workflows the deadline maths is then pure.
    sla.use_data_dirs(deps.settings.presets_dir, deps.settings.regimes_dir)
    sla.preload()
    # The sandbox imports a workflow's module afresh for every workflow it starts; without
    # bytecode on disk (PYTHONDONTWRITEBYTECODE, a read-only image) each import recompiles
    # the source, which cost about a tenth of the worker's time.
    compileall.compile_dir(str(ROOT / "workflows"), quiet=2)
    return Worker(
        client,
        task_queue=deps.settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(deps),
        workflow_runner=SANDBOX,
        interceptors=[FreshTerms(deps.session_factory)],
        # Synchronous activities (PDF rendering) run here; async ones ignore it.
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=15),
    )


def build_monitor_worker(client, deps: ActivityDeps, *, activities: list | None = None) -> Worker:  # type: ignore[no-untyped-def]
    """The worker of the monitors' own task queue: monitor workflows and their probes.

    Apart from the SLA work so that a thousand probes (each up to ten seconds against a slow
    site) never queue ahead of a deadline; its activities are bounded so that a burst of slow
    sites cannot take the process's sockets and threads. `activities` replaces the monitor
    activities (tests give a test site's certificate authority).
    """
    return Worker(
        client,
        task_queue=deps.settings.effective_monitor_task_queue,
        workflows=MONITOR_WORKFLOWS,
        activities=activities or build_activities(deps, MONITOR_ACTIVITY_CLASSES),
        workflow_runner=SANDBOX,
        interceptors=[FreshTerms(deps.session_factory)],
        max_concurrent_activities=deps.settings.monitor_concurrency,
        graceful_shutdown_timeout=timedelta(seconds=15),
    )


def build_replayer(data_converter: DataConverter = DATA_CONVERTER) -> Replayer:
    """A replayer that runs saved histories exactly as the worker runs live ones.

    The default reads histories recorded without encryption; pass `data_converter(settings)`
    for encrypted ones (it reads unencrypted payloads too).
    """
    sla.preload()
    return Replayer(
        workflows=[*WORKFLOWS, *MONITOR_WORKFLOWS],
        data_converter=data_converter,
        workflow_runner=SANDBOX,
    )


async def start_rollup(client: Client, settings: Settings) -> None:
    """Start the uptime roll-up (uptime-rollup) unless it is running: every worker asks, one
    runs. It is the fleet's one long-running workflow that no request starts."""
    await client.start_workflow(
        UptimeRollupWorkflow.run,
        RollupStart(),
        id=ROLLUP_ID,
        task_queue=settings.effective_monitor_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def run(settings: Settings) -> int:
    identity = f"pledge-worker-{os.getpid()}@{socket.gethostname()}"
    try:
        engine = make_engine(settings.effective_database_url)
    except DatabaseUrlError as exc:
        print(f"pledge worker: {exc}", file=sys.stderr)
        return 2
    try:
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=settings.metrics_address)
            )
        )
    except Exception as exc:  # noqa: BLE001 - the SDK raises a bare error for a taken port
        print(
            f"pledge worker: cannot serve metrics on {settings.metrics_address}: {exc} "
            "(set PLEDGE_METRICS_ADDRESS)",
            file=sys.stderr,
        )
        return 2
    try:
        client = await connect(
            settings,
            runtime=runtime,
            identity=identity,
            wait=timedelta(seconds=settings.temporal_connect_timeout),
        )
    except TemporalUnavailable as exc:
        print(f"pledge worker: {exc}", file=sys.stderr)
        return 1
    try:
        async with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - one line for a person
        print(f"pledge worker: {explain(exc, settings.effective_database_url)}", file=sys.stderr)
        return 1

    sync_engine = make_sync_engine(settings.effective_database_url)
    deps = ActivityDeps.create(settings, identity, engine, sync_engine)
    await adopt_terms(deps)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    # The synchronous activities are PDF renders. WeasyPrint holds the GIL for most of its work
    # and cffi hands it over at each of its many C calls, so renders on several threads cost
    # each other 2-3 times the CPU (bench/reports.py): one thread renders more per second.
    # Run more worker processes to use more cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="render") as executor:
        worker = build_worker(client, deps, executor)
        monitors = build_monitor_worker(client, deps)
        async with worker, monitors:
            await start_long_running(client, settings)
            log.info(
                "worker %s polling task queues %r and %r (monitors) on %s; metrics on "
                "http://%s/metrics",
                identity,
                settings.temporal_task_queue,
                settings.effective_monitor_task_queue,
                settings.effective_temporal_address,
                settings.metrics_address,
            )
            await stop.wait()
            log.info("shutting down: finishing running activities")
    await engine.dispose()
    sync_engine.dispose()
    log.info("worker stopped")
    return 0


async def adopt_terms(deps: ActivityDeps) -> None:
    """Edited preset files become versions (services.policies.adopt_files); then the saved
    terms are read, so the first activity finds them."""
    sla.use_data_dirs(deps.settings.presets_dir, deps.settings.regimes_dir)
    from services import policies, terms  # the service module imports the API's auth types

    async with deps.session_factory() as session:
        for what in await policies.adopt_files(session):
            log.info("the preset files changed: saved as %s", what)
        await session.commit()
        await terms.load(session)


async def start_long_running(client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """The workflows that run for as long as Pledge does, not per record: the daily huddle and
    the uptime roll-up. Starting one that runs already changes nothing, so every worker may try
    at start-up."""
    from services import huddle  # the service module imports the API's auth types

    try:
        await huddle.start_schedule(client, settings)
    except Exception as exc:  # noqa: BLE001 - the SLA work goes on; the log says why
        log.error("the daily huddle could not be started: %s", exc)
    try:
        await start_rollup(client, settings)
    except Exception as exc:  # noqa: BLE001 - the probes go on; the history waits
        log.error("the uptime roll-up did not start (%s): the next worker starts it", exc)


def main() -> int:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # WeasyPrint logs every rendering step at INFO; only its warnings (a missing font, an
    # unreadable image) are worth a line in the worker's log.
    logging.getLogger("weasyprint").setLevel(max(logging.WARNING, logging.root.level))
    # httpx logs every request at INFO: a line per probe, every minute per monitor. Probe
    # results are in the database and outages in the log already.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.root.level))
    return asyncio.run(run(settings))


if __name__ == "__main__":
    exit_without_teardown(main())
