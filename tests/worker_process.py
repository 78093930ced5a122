"""worker.py as a real process on the test dev server: started, waited for, killed with -9."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from settings import ROOT, Settings
from tests.conftest import dev_server_address, free_port


def worker_environment(dev_server_env: WorkflowEnvironment, settings: Settings) -> dict[str, str]:
    """The environment worker.py reads, pointing at the test's servers and database."""
    assert settings.database_url and settings.customer_services_email
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "TEMPORAL_ADDRESS": dev_server_address(dev_server_env),
        "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "DATABASE_URL": settings.database_url,
        "PLEDGE_DATA_DIR": str(settings.data_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(settings.smtp_port),
        "PLEDGE_CUSTOMER_SERVICES_EMAIL": settings.customer_services_email,
    }


@contextlib.asynccontextmanager
async def worker_process(
    environment: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """worker.py running and polling; killed on the way out whatever happened."""
    # A fresh metrics port each time: the killed worker's may not be free again yet.
    environment = {**environment, "PLEDGE_METRICS_ADDRESS": f"127.0.0.1:{free_port()}"}
    # Output goes to a file, not a pipe nobody reads once started: a full pipe would stall
    # the worker mid-test.
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "worker.py"), env=environment, stdout=sink, stderr=sink
        )
        try:
            await _until_polling(process, log)
            yield process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _until_polling(process: asyncio.subprocess.Process, log: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while "polling task queue" not in log.read_text(errors="replace"):
        if process.returncode is not None or loop.time() > deadline:
            raise AssertionError(f"worker did not start:\n{log.read_text(errors='replace')}")
        await asyncio.sleep(0.05)


async def sigkill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(process.wait(), 10) == -signal.SIGKILL
