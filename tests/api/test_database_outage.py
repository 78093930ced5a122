"""With the database out of reach every route answers 503 with Retry-After and a problem
document, a request refused so stores nothing, and service resumes when the database is back.

PostgreSQL is cut through a loopback proxy the test controls (the shared server keeps
running). SQLite has no server to lose; its outage is a write lock held elsewhere for longer
than a request may wait.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.keys import mint_key
from db.models import Account, Role
from db.session import make_engine
from settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, dev_server_address
from tests.tcp_proxy import TcpProxy


def _settings(tmp_path: Path, database_url: str, env: WorkflowEnvironment, **extra) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        temporal_address=dev_server_address(env),
        temporal_task_queue=f"pledge-outage-{secrets.token_hex(4)}",
        **extra,
    )


async def _admin(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            minted = await mint_key(session, name=f"outage {secrets.token_hex(3)}", role=Role.ADMIN)
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {minted.secret}"}


async def _names(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            return set(await session.scalars(select(Account.name)))
    finally:
        await engine.dispose()


async def _serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as client:
            yield client


def _is_503_problem(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and int(response.headers.get("Retry-After", "0")) > 0
        and response.headers["content-type"] == "application/problem+json"
        and response.json()["status"] == 503
        and bool(response.json()["detail"])
    )


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented API operation, with its path parameters filled in."""
    return sorted(
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, item in app.openapi()["paths"].items()
        for method in item
    )


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    port = make_url(POSTGRES_ADMIN_URL).port or 5432
    proxy = TcpProxy(port)
    await proxy.restore()
    yield proxy
    if proxy._server is not None:
        await proxy.cut()


async def test_postgresql_cut_is_503_on_every_route_and_nothing_is_half_written(
    tmp_path: Path, postgresql_url: str, dev_server_env: WorkflowEnvironment, proxy: TcpProxy
) -> None:
    proxied = make_url(postgresql_url).set(port=proxy.port).render_as_string(hide_password=False)
    admin = await _admin(postgresql_url)
    app = create_app(_settings(tmp_path, proxied, dev_server_env))
    async for http in _serve(app):
        kept = f"kept {secrets.token_hex(3)}"
        before = await http.post(
            "/accounts", json={"name": kept, "policy": "spotler"}, headers=admin
        )
        assert before.status_code == 201, before.text
        assert proxy.connections > 0, "the app reaches the database through the proxy"

        await proxy.cut()
        refused = f"refused {secrets.token_hex(3)}"
        during = await http.post(
            "/accounts", json={"name": refused, "policy": "spotler"}, headers=admin
        )
        assert _is_503_problem(during), during.text
        assert "nothing was changed" in during.json()["detail"]

        answers = {}
        for method, path in _operations(app):
            answers[method, path] = await http.request(method, path, headers=admin)
        # The UI's codec routes are authorised by a token in settings, not by a key in the
        # database: they need no database, and answer (401 to this wrong token) regardless.
        for operation in [op for op in answers if op[1].startswith("/codec/ui/")]:
            assert answers.pop(operation).status_code == 401, operation
        health = answers.pop(("GET", "/health"))
        assert health.status_code == 503 and health.json()["database"]["status"] == "down"
        assert int(health.headers["Retry-After"]) > 0
        wrong = {op: (a.status_code, a.text[:120]) for op, a in answers.items()
                 if not _is_503_problem(a)}  # fmt: skip
        assert wrong == {}
        print(f"\n{len(answers) + 1} operations answered 503 while PostgreSQL was cut")

        await proxy.restore()
        after = await http.get("/accounts", headers=admin)
        assert after.status_code == 200, after.text
        assert [a["name"] for a in after.json()].count(kept) == 1
        assert refused not in await _names(postgresql_url)
        again = await http.post(
            "/accounts", json={"name": refused, "policy": "spotler"}, headers=admin
        )
        assert again.status_code == 201, again.text
    names = await _names(postgresql_url)
    assert kept in names and refused in names


async def test_sqlite_locked_past_the_wait_is_503_and_stores_nothing(
    tmp_path: Path, sqlite_url: str, dev_server_env: WorkflowEnvironment
) -> None:
    admin = await _admin(sqlite_url)
    settings = _settings(tmp_path, sqlite_url, dev_server_env, database_busy_seconds=1.5)
    path = make_url(sqlite_url).database
    assert path is not None
    async for http in _serve(create_app(settings)):
        holder = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process writing, and writing, ...
            refused = f"locked out {secrets.token_hex(3)}"
            answer = await http.post(
                "/accounts", json={"name": refused, "policy": "spotler"}, headers=admin
            )
            assert _is_503_problem(answer), answer.text
            assert answer.json()["detail"].startswith("The database is busy")
            # Readers are not held up by a writer.
            assert (await http.get("/accounts", headers=admin)).status_code == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert refused not in await _names(sqlite_url)
        answer = await http.post(
            "/accounts", json={"name": refused, "policy": "spotler"}, headers=admin
        )
        assert answer.status_code == 201, answer.text


async def test_sqlite_locked_for_less_than_the_wait_is_served_by_a_retry(
    tmp_path: Path, sqlite_url: str, dev_server_env: WorkflowEnvironment
) -> None:
    admin = await _admin(sqlite_url)
    # Three attempts of one second each; the lock is let go during the second.
    settings = _settings(tmp_path, sqlite_url, dev_server_env, database_busy_seconds=3)
    path = make_url(sqlite_url).database
    assert path is not None
    async for http in _serve(create_app(settings)):
        holder = sqlite3.connect(path, isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")
        asyncio.get_running_loop().call_later(1.5, holder.execute, "ROLLBACK")
        try:
            started = time.monotonic()
            name = f"patient {secrets.token_hex(3)}"
            answer = await http.post(
                "/accounts", json={"name": name, "policy": "spotler"}, headers=admin
            )
            waited = time.monotonic() - started
        finally:
            holder.close()
        assert answer.status_code == 201, answer.text
        assert waited >= 1.4, "the request waited for the lock rather than being refused"
        assert [a for a in await _names(sqlite_url) if a == name] == [name]
