"""Passwords: Argon2id through pwdlib, hashed and checked in a worker thread.

A hash takes about 150 ms of CPU: on the event loop it would stall every other request for
that long, so both directions run through anyio's thread pool.
"""

from __future__ import annotations

from functools import lru_cache

from anyio import to_thread
from pwdlib import PasswordHash

MIN_LENGTH = 12
MAX_LENGTH = 200


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _decoy() -> str:
    # Checked against when the address is unknown, so that a wrong address takes as long to
    # refuse as a wrong password and the timing does not tell which addresses exist.
    return _hasher().hash("not anyone's password, only spent time")


def password_problem(password: str) -> str | None:
    """Why `password` will not do, in words for the form; None when it will."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words together are easy to remember."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(_hasher().hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches; with no hash (unknown user) it spends the same time, False."""
    if password_hash is None:
        await to_thread.run_sync(_hasher().verify, password, _decoy())
        return False
    return await to_thread.run_sync(_hasher().verify, password, password_hash)
