"""The console in a real browser: Debian's Chromium driven by Playwright, against the real app
served by uvicorn on a free loopback port.

Chromium comes from apt (`make test` installs it where it is missing); Playwright's own
browser download (`playwright install`) is never used: it fails without internet, and the
Debian build is launched by path instead. A machine without /usr/bin/chromium fails these
tests with a message saying how to install it; nothing here skips.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import Error as PlaywrightError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.app import create_app
from db.busy import WRITES
from db.models import Role
from services import users
from settings import Settings
from tests.api.conftest import end_workflows_left_running
from tests.conftest import free_port
from tests.waiting import eventually
from tests.web.people import PASSWORD
from worker import build_worker

CHROMIUM = os.environ.get("PLEDGE_CHROMIUM", "/usr/bin/chromium")
# No GPU in CI; /dev/shm is small in containers; and nothing may reach Google's servers.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("PLEDGE_SCREENSHOTS", "test-results/screenshots"))


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: `make test` installs it, or run "
            "`apt-get install chromium` (never `playwright install`), or set PLEDGE_CHROMIUM",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class LiveServer:
    url: str
    settings: Settings


async def _serve(settings: Settings) -> AsyncIterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The app's own address: links in its mails lead back to it.
    settings = settings.model_copy(update={"public_url": url, "api_port": port})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        if serving.done():
            serving.result()  # a server that could not start says why
        return server.started

    await eventually(started, what="uvicorn to start")
    yield LiveServer(url, settings)
    server.should_exit = True
    await serving


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """The real app on a free loopback port, committing as in production (no worker)."""
    async for served in _serve(settings):
        yield served


@pytest.fixture
async def live_server_with_worker(
    settings: Settings, activity_deps: ActivityDeps, dev_server_env: WorkflowEnvironment
) -> AsyncIterator[LiveServer]:
    """The app and a worker on the Temporal dev server: for pages that start workflows."""
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(dev_server_env.client, activity_deps, executor):
            async for served in _serve(settings):
                yield served
    await end_workflows_left_running(dev_server_env, settings.temporal_task_queue)


@pytest.fixture
async def context(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) aimed at the live server."""
    made = await browser.new_context(base_url=live_server.url, locale="en-GB")
    yield made
    await made.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
async def worker_page(browser: Browser, live_server_with_worker: LiveServer) -> AsyncIterator[Page]:
    """A fresh browser page on the app with a worker behind it (pages that start workflows)."""
    made = await browser.new_context(base_url=live_server_with_worker.url, locale="en-GB")
    yield await made.new_page()
    await made.close()


@dataclass
class Person:
    email: str
    full_name: str
    password: str = PASSWORD


async def committed_user(engine: AsyncEngine, *roles: Role, full_name: str) -> Person:
    """A user the live server can see (committed, unlike the rolled-back test session)."""
    email = f"{full_name.split()[0].lower()}.{secrets.token_hex(3)}@example.com"
    # A writer's transaction (BEGIN IMMEDIATE on SQLite): this one reads before it writes, and
    # a deferred one fails at once with "database is locked" if the live server's workflows
    # wrote in between (db/busy.py).
    writer = engine.execution_options(**{WRITES: True})
    async with AsyncSession(writer, expire_on_commit=False) as session, session.begin():
        await users.create_user(
            session,
            email=email,
            full_name=full_name,
            job_title="Head of Support",
            roles=roles,
            password=PASSWORD,
        )
    return Person(email, full_name)


async def screenshot(page: Page, name: str) -> Path:
    """A full-page picture to look at (test-results/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    try:
        await page.screenshot(path=str(path), full_page=True)
    except PlaywrightError:
        # Chromium now and then cannot capture a full page on a loaded machine ("Unable to
        # capture screenshot"); the picture is for people to look at, so it is taken again once.
        await page.wait_for_timeout(500)
        await page.screenshot(path=str(path), full_page=True)
    return path
