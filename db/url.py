"""DATABASE_URL parsing: one place that says which databases Pledge runs on."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED = "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/dbname"


class DatabaseUrlError(ValueError):
    """DATABASE_URL cannot be used; the message says why and what would work."""


def parse_database_url(raw: str) -> URL:
    """Parse and normalise a database URL to the synchronous driver Pledge installs."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        # make_url raises ValueError for a port that is not a number.
        raise DatabaseUrlError(f"DATABASE_URL is malformed ({exc}); expected {SUPPORTED}") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if not url.database:
            raise DatabaseUrlError(f"DATABASE_URL names no database; expected {SUPPORTED}")
        # psycopg 3 is the driver Pledge installs; postgres:// is what many hosts hand out.
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseUrlError(
                "DATABASE_URL must name an SQLite file: the API and the worker are separate "
                f"processes and cannot share an in-memory database; expected {SUPPORTED}"
            )
        return url.set(drivername="sqlite")
    raise DatabaseUrlError(
        f"DATABASE_URL uses {backend!r}; Pledge runs on SQLite or PostgreSQL: {SUPPORTED}"
    )


def async_url(url: URL) -> URL:
    """The same database through the asyncio driver of its backend."""
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    return url  # psycopg 3 serves both the sync and the async dialect


def describe(url: URL) -> str:
    """The URL as safe to print: no password."""
    return url.render_as_string(hide_password=True)
