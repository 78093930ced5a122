"""Waiting for something the system does in the background, for a bounded time.

A wait that runs out raises: a test must never read "it did not happen" as a result it can go
on with (it used to return the falsy value, and a test that did not assert it could not fail).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class TimedOut(AssertionError):
    """What was waited for did not happen in time."""


def describe(probe: Callable[..., object]) -> str:
    """The probe's own source line (a lambda says most), else its name."""
    try:
        return " ".join(inspect.getsource(probe).split())
    except (OSError, TypeError):
        return getattr(probe, "__qualname__", repr(probe))


async def eventually(
    probe: Callable[[], Awaitable[T]], timeout: float = 15.0, *, what: str | None = None
) -> T:
    """Poll `probe` until it returns something truthy, and return that; raise on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise TimedOut(
                f"waited {timeout:g} s for {what or describe(probe)}; the last answer was {value!r}"
            )
        await asyncio.sleep(0.05)
