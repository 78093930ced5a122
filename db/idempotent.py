"""Writes that an activity may repeat safely: a retry inserts nothing twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def upsert_for(session: AsyncSession):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has ON CONFLICT on both PostgreSQL and SQLite."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def insert_once(session: AsyncSession, model: type[DeclarativeBase], **values: Any) -> bool:
    """Insert a row unless its key already exists; true when this call inserted it."""
    insert = upsert_for(session)
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)
