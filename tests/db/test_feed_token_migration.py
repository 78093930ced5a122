"""Migration 0008 hashes the feed tokens already handed out, so subscribed feeds keep working."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text

from db.migrate import alembic_config
from db.session import make_sync_engine
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL, _admin_connection


@pytest.fixture(params=BACKENDS)
def private_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: this test moves the schema down and up again."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name = f"pledge_migrate_{os.getpid()}_{secrets.token_hex(3)}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_plaintext_feed_tokens_are_hashed_in_place(private_url: str) -> None:
    command.upgrade(alembic_config(private_url), "0007")
    token = secrets.token_urlsafe(32)
    engine = make_sync_engine(private_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO api_keys (name, role, prefix, secret_hash, feed_token, created_at)"
                    " VALUES ('handler', 'complaints_handler', 'p', :hash, :token, :now),"
                    " ('agent', 'agent', 'q', :other, NULL, :now)"
                ),
                {"hash": "a" * 64, "other": "b" * 64, "token": token, "now": "2026-11-30 06:00:00"},
            )
        command.upgrade(alembic_config(private_url), "0008")
        with engine.connect() as connection:
            result = connection.execute(text("SELECT name, feed_token_hash FROM api_keys"))
            rows = {row.name: row.feed_token_hash for row in result}
        columns = [column["name"] for column in inspect(engine).get_columns("api_keys")]
    finally:
        engine.dispose()
    assert rows == {"handler": hashlib.sha256(token.encode()).hexdigest(), "agent": None}
    assert "feed_token" not in columns
