"""A database that is busy or out of reach: the write lock taken with bounded retries, and the
failures a client should retry told apart from the ones that are bugs.

SQLite lets one connection write at a time. A transaction that reads first and writes later
(BEGIN DEFERRED) fails at once with "database is locked" when another connection wrote in
between: SQLite's busy timeout cannot help, because waiting would not make its snapshot fresh.
A transaction that means to write therefore takes the write lock at its start (BEGIN
IMMEDIATE), where waiting does help, and nothing has been done yet, so trying again is safe.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc as sa_exc

# Execution option marking an engine (and the sessions bound to it) as one that writes.
WRITES = "pledge_writes"

# Each attempt waits up to a share of the busy budget inside SQLite's own busy handler (which
# sleeps off the event loop, in the driver's thread); between attempts nothing was done.
BUSY_ATTEMPTS = 3

# What a client told "try again" is asked to wait, in seconds.
RETRY_AFTER_BUSY = 1
RETRY_AFTER_UNREACHABLE = 5


class DatabaseBusy(Exception):
    """The write lock could not be had within the busy budget; nothing was written."""


def busy_timeout_ms(busy_seconds: float) -> int:
    """SQLite's busy_timeout for one attempt of BEGIN IMMEDIATE."""
    return max(1, round(busy_seconds * 1000 / BUSY_ATTEMPTS))


def is_busy(error: BaseException) -> bool:
    """A lock another transaction holds: the same request can succeed in a moment."""
    if isinstance(error, DatabaseBusy):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    message = str(error.orig).lower()
    if "database is locked" in message or "database table is locked" in message:
        return True
    # PostgreSQL: lock_not_available, serialization_failure, deadlock_detected.
    return getattr(error.orig, "sqlstate", None) in ("55P03", "40001", "40P01")


def is_unreachable(error: BaseException) -> bool:
    """The database cannot be used right now: down, unreachable, out of connections."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        # OperationalError: connection refused or lost, server shutting down, file unopenable.
        # InterfaceError: a connection that is already closed.
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return False


def begin_immediate(connection: Any) -> None:
    """BEGIN IMMEDIATE, tried BUSY_ATTEMPTS times; DatabaseBusy when the lock never came."""
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa_exc.OperationalError as error:
            if not is_busy(error):
                raise
            if attempt == BUSY_ATTEMPTS:
                raise DatabaseBusy(
                    f"the database stayed locked by other writers through {attempt} attempts"
                ) from error
