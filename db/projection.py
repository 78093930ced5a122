"""Fast, idempotent writes of a workflow's read model, shared by tickets and complaints.

A workflow saves after every action, so this is the hottest path in the worker: statements
are built once per table and dialect (SQLAlchemy then reuses their compiled form), the row's
id comes back with RETURNING instead of a second query, and children go in one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


def _insert(dialect: str):  # type: ignore[no-untyped-def]
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def _versioned_upsert(table: Table, dialect: str, columns: tuple[str, ...]) -> Insert:
    """INSERT the row, or UPDATE it when this version is newer; RETURNING its id."""
    statement = _insert(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.reference],
        set_={name: statement.excluded[name] for name in columns if name != "reference"},
        where=table.c.version < statement.excluded.version,
    ).returning(table.c.id)


@cache
def _child_upsert(
    table: Table, dialect: str, key: tuple[str, ...], columns: tuple[str, ...]
) -> Insert:
    statement = _insert(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: statement.excluded[name] for name in columns if name not in key},
    )


@cache
def insert_missing_statement(table: Table, dialect: str) -> Insert:
    return _insert(dialect)(table).on_conflict_do_nothing()


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def save_versioned(
    session: AsyncSession, table: Table, values: dict[str, Any]
) -> tuple[int, bool]:
    """Write a read-model row unless a newer version is already there.

    Returns (row id, whether this version was written): a retry or an older version arriving
    late leaves the row as it is.
    """
    statement = _versioned_upsert(table, dialect_of(session), tuple(values))
    row_id = await session.scalar(statement, values)
    if row_id is not None:
        return int(row_id), True
    found = await session.scalar(select(table.c.id).where(table.c.reference == values["reference"]))
    if found is None:
        raise RuntimeError(f"{table.name} {values['reference']} neither written nor found")
    return int(found), False


async def upsert_children(
    session: AsyncSession, table: Table, key: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert or update rows keyed by `key`, in one batch."""
    if rows:
        statement = _child_upsert(table, dialect_of(session), key, tuple(rows[0]))
        await session.execute(statement, list(rows))


async def insert_missing(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows whose key is not there yet (events, links), in one batch."""
    if rows:
        await session.execute(insert_missing_statement(table, dialect_of(session)), list(rows))
