"""worker.py as a process: registers everything, serves metrics, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import pkgutil
import signal
import sys
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

import activities
import workflows
from activities import ACTIVITY_CLASSES, MONITOR_ACTIVITY_CLASSES
from activities.system import SystemCheckRequest
from settings import ROOT
from tests.conftest import dev_server_address, free_port
from workflows.connection import count_pollers
from workflows.registry import MONITOR_WORKFLOWS, WORKFLOWS
from workflows.system_check import SystemCheckWorkflow


def _modules(package) -> list:  # type: ignore[no-untyped-def]
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def test_every_workflow_in_the_package_is_registered() -> None:
    defined = {
        cls
        for module in _modules(workflows)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if hasattr(cls, "__temporal_workflow_definition") and cls.__module__ == module.__name__
    }
    assert defined, "no workflows found"
    assert defined == {*WORKFLOWS, *MONITOR_WORKFLOWS}
    assert not set(WORKFLOWS) & set(MONITOR_WORKFLOWS)  # each on its own task queue


def test_every_activity_class_in_the_package_is_registered() -> None:
    defined = {
        cls
        for module in _modules(activities)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__
        and any(hasattr(member, "__temporal_activity_definition") for member in vars(cls).values())
    }
    assert defined, "no activity classes found"
    assert defined == {*ACTIVITY_CLASSES, *MONITOR_ACTIVITY_CLASSES}


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"worker exited before printing {marker!r}:\n{''.join(seen)}")
        seen.append(line)
        if marker in line:
            return


def _worker_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PLEDGE_DATA_DIR": str(data_dir), **overrides}


async def test_worker_process_runs_workflows_serves_metrics_and_stops_on_sigterm(
    dev_server_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    metrics = f"127.0.0.1:{free_port()}"
    queue = f"worker-test-{uuid.uuid4().hex[:8]}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "worker.py"),
        env=_worker_env(
            tmp_path,
            TEMPORAL_ADDRESS=dev_server_address(dev_server_env),
            TEMPORAL_TASK_QUEUE=queue,
            DATABASE_URL=database_url,
            PLEDGE_METRICS_ADDRESS=metrics,
        ),
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        await asyncio.wait_for(_read_until(process.stderr, "polling task queue", seen), 30)

        check_id = f"system-check-{uuid.uuid4()}"
        result = await dev_server_env.client.execute_workflow(
            SystemCheckWorkflow.run,
            SystemCheckRequest(check_id=check_id, requested_at=datetime.now(UTC)),
            id=check_id,
            task_queue=queue,
        )
        assert result.worker_identity.startswith("pledge-worker-")
        # The monitors' own task queue is polled by the same process.
        assert f"'{queue}-monitors' (monitors)" in "".join(seen)
        assert await count_pollers(dev_server_env.client, f"{queue}-monitors") >= 1

        body = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5).read().decode()
        )
        assert "temporal_workflow_completed" in body or "temporal_request" in body, body[:500]
        assert f'task_queue="{queue}"' in body

        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(_read_until(process.stderr, "worker stopped", seen), 30)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(
    ("overrides", "code", "expected"),
    [
        (
            {"TEMPORAL_ADDRESS": "127.0.0.1:{port}", "TEMPORAL_CONNECT_TIMEOUT": "1"},
            1,
            "cannot reach Temporal at 127.0.0.1:{port}: connection refused",
        ),
        ({"DATABASE_URL": "oracle://scott@tiger/db"}, 2, "DATABASE_URL uses 'oracle'"),
    ],
)
async def test_worker_refuses_to_start_with_one_clear_line(
    overrides: dict, code: int, expected: str, tmp_path: Path
) -> None:
    port = free_port()
    env = _worker_env(
        tmp_path, **{key: value.format(port=port) for key, value in overrides.items()}
    )
    env["PLEDGE_METRICS_ADDRESS"] = f"127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "worker.py"), env=env, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == code
    assert len(lines) == 1, lines
    assert expected.format(port=port) in lines[0]
    assert "Traceback" not in stderr.decode()
