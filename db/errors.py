"""Database failures turned into one line a person can act on."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from db.url import DatabaseUrlError, describe, parse_database_url


def explain(exc: BaseException, database_url: str) -> str:
    """Say which database failed and why, without a traceback."""
    if isinstance(exc, DatabaseUrlError):
        return str(exc)
    try:
        where = describe(parse_database_url(database_url))
    except DatabaseUrlError as url_error:
        return str(url_error)
    if isinstance(exc, OperationalError | DBAPIError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"cannot use the database {where}: {reason}"
    return f"cannot use the database {where}: {type(exc).__name__}: {exc}"
