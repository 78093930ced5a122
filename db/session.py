"""Engines and session factories for the API (async) and for migrations and tools (sync)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from db.busy import WRITES, begin_immediate, busy_timeout_ms
from db.url import async_url, parse_database_url

SessionFactory = async_sessionmaker[AsyncSession]

# How long a writer may wait for SQLite's write lock, all attempts together, by default.
BUSY_SECONDS = 10.0
# A PostgreSQL server that does not answer is an outage to report, not a request to hang on.
CONNECT_TIMEOUT_SECONDS = 5


def _prepare_sqlite(engine: Engine, url: URL, busy_seconds: float) -> None:
    """WAL so the API can read while the worker writes; real BEGINs so savepoints work; writers
    take the write lock when they begin (see db/busy.py)."""
    if url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The sqlite3 module's own transaction handling skips BEGIN before SELECT, which breaks
        # SAVEPOINT and read consistency; take control of it as SQLAlchemy documents.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms(busy_seconds)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITES):
            begin_immediate(connection)
        else:
            connection.exec_driver_sql("BEGIN")


def _postgresql_defaults(kwargs: dict[str, Any]) -> None:
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)


def make_engine(
    database_url: str, *, busy_seconds: float = BUSY_SECONDS, **kwargs: Any
) -> AsyncEngine:
    """The asyncio engine the API and the activities use."""
    url = parse_database_url(database_url)
    if url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        _postgresql_defaults(kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(async_url(url), **kwargs)
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite(engine.sync_engine, url, busy_seconds)
    return engine


def make_sync_engine(
    database_url: str, *, busy_seconds: float = BUSY_SECONDS, **kwargs: Any
) -> Engine:
    """A blocking engine for migrations and the command line."""
    url = parse_database_url(database_url)
    if url.get_backend_name() == "postgresql":
        _postgresql_defaults(kwargs)
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite(engine, url, busy_seconds)
    return engine


def make_session_factory(engine: AsyncEngine, *, writes: bool = False) -> SessionFactory:
    """Sessions on the engine; with `writes`, each transaction takes SQLite's write lock when
    it begins (the same pool: only how the transaction begins differs)."""
    if writes:
        engine = engine.execution_options(**{WRITES: True})
    # expire_on_commit=False: routes return ORM objects after committing.
    return async_sessionmaker(engine, expire_on_commit=False)


def make_sync_session_factory(engine: Engine, *, writes: bool = False) -> sessionmaker[Session]:
    if writes:
        engine = engine.execution_options(**{WRITES: True})
    return sessionmaker(engine, expire_on_commit=False)
