"""A fuzz pass over the whole OpenAPI document, on each backend: no request gets a 5xx.

The real app is served by uvicorn on loopback and backed by the Temporal dev server with
worker.py running, so requests reach workflows and activities as they do in production. The
key is an admin's, so every operation is reachable. Webhook URLs the fuzzer generates are
pointed at a loopback sink before sending (and webhooks are switched off for the worker where
the setting exists): nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from tests.api.fuzzing import Fuzz, served
from tests.conftest import Inbox
from tests.worker_process import worker_environment, worker_process
from tests.workflows.tickets import serve_webhooks

# Per operation and per mode (valid, invalid data): about 3,000 requests per backend.
EXAMPLES = 25


async def test_fuzzed_requests_never_get_a_server_error(
    dev_server_env: WorkflowEnvironment,
    settings: Settings,
    live_admin_headers: dict[str, str],
    smtp: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    environment = {
        **worker_environment(dev_server_env, settings),
        "PLEDGE_WEBHOOKS_ENABLED": "false",
    }
    with contextlib.contextmanager(serve_webhooks)() as sink:
        async with worker_process(environment, tmp_path / "worker.log"):
            app = create_app(settings)
            with served(app) as base_url:
                fuzz = Fuzz(base_url, live_admin_headers, EXAMPLES, webhook_url=sink.url)
                await asyncio.to_thread(fuzz.run, app.openapi())
    report = fuzz.report((tmp_path / "worker.log").read_text(errors="replace"))
    print(report)
    assert fuzz.operations == len([op for ops in app.openapi()["paths"].values() for op in ops])
    assert not fuzz.findings, report
