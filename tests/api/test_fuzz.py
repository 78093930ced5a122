"""A fuzz pass over the whole OpenAPI document, on each backend: no request gets a 5xx.

The real app is served by uvicorn on loopback and backed by a Temporal dev server with
worker.py running, so requests reach workflows and activities as they do in production. The
key is an admin's, so every operation is reachable. Webhook and monitor URLs the fuzzer
generates are pointed at a loopback sink before sending, and webhooks are switched off for the
API and the worker, so no name is even looked up: nothing leaves the machine.

The fuzz gets a database and a Temporal server of its own: what it creates (releases named in
any script, accounts whose workflow ids are business keys) must not reach other tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.keys import mint_key
from db.migrate import upgrade
from db.models import Role
from db.session import make_engine
from settings import Settings
from tests.api.fuzzing import Fuzz, served
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    TEST_CONVERTER,
    _admin_connection,
    dev_server_address,
)
from tests.worker_process import worker_environment, worker_process
from tests.workflows.tickets import serve_webhooks
from workflows.connection import installed_binary

# Per operation and per mode (valid, invalid data), then half that again on records that
# exist: about 3,800 requests per backend.
EXAMPLES = 25


@pytest.fixture
def fuzz_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the backend under test, built by the migrations."""
    if make_url(database_url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path / 'fuzz.db'}"
        upgrade(url)
        yield url
        return
    name = f"pledge_fuzz_{os.getpid()}_{secrets.token_hex(3)}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered)
    yield rendered
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def fuzz_temporal() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=TEST_CONVERTER,
        dev_server_log_level="error",
        ui=False,
    )
    yield env
    await env.shutdown()


async def admin_key(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            minted = await mint_key(session, name="fuzz admin", role=Role.ADMIN)
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {minted.secret}"}


async def test_fuzzed_requests_never_get_a_server_error(
    settings: Settings,
    fuzz_database: str,
    fuzz_temporal: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    settings = settings.model_copy(
        update={
            "database_url": fuzz_database,
            "temporal_address": dev_server_address(fuzz_temporal),
            "webhooks_enabled": False,
            # Monitor URLs are pointed at the loopback sink (tests/api/fuzzing.py).
            "monitor_allowed_hosts": "127.0.0.1",
            "mailbox_allowed_hosts": "127.0.0.1",
            # The fuzzer sends bad keys from the one loopback address; throttled, every
            # later request would be a 429 that never reaches its route.
            "auth_failure_limit": 0,
        }
    )
    headers = await admin_key(fuzz_database)
    environment = {
        **worker_environment(fuzz_temporal, settings),
        "PLEDGE_WEBHOOKS_ENABLED": "false",
        "PLEDGE_MONITOR_ALLOWED_HOSTS": "127.0.0.1",
        "PLEDGE_MAILBOX_ALLOWED_HOSTS": "127.0.0.1",
    }
    with contextlib.contextmanager(serve_webhooks)() as sink:
        async with worker_process(environment, tmp_path / "worker.log"):
            app = create_app(settings)
            with served(app) as base_url:
                fuzz = Fuzz(base_url, headers, EXAMPLES, webhook_url=sink.url)
                await asyncio.to_thread(fuzz.run, app.openapi())
    report = fuzz.report((tmp_path / "worker.log").read_text(errors="replace"))
    print(report)
    assert fuzz.operations == len([op for ops in app.openapi()["paths"].values() for op in ops])
    assert not fuzz.findings, report
