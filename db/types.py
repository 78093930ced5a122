"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The largest value an Integer column holds on PostgreSQL (int4; SQLite's are 64-bit). Anything a
# client sends for an id or a count must fit, or the database refuses the statement itself.
MAX_INTEGER = 2**31 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: stored as UTC, always read back timezone-aware.

    SQLite has no time zone type and silently drops offsets, so a naive value written there would
    come back with a different meaning than on PostgreSQL; normalising to UTC on the way in and
    tagging on the way out makes both backends agree.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant in UTC (for column defaults; workflows use workflow.now())."""
    return datetime.now(UTC)
