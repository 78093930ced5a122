"""What every benchmark in bench/ needs: output, ports, percentiles, children that die with it.

Not a benchmark itself (`make bench` runs the scripts not starting with an underscore); the
scripts import it as a sibling module.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import sys
from pathlib import Path

# `python bench/<script>.py` puts bench/ first on sys.path, where bench/reports.py would shadow
# the project's reports package; the project root goes first (the scripts import this module
# before any of the project's).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: p99 of 300 samples is the 297th smallest, a real sample."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def die_with_parent() -> None:
    """For a child's preexec_fn: a bench killed with SIGKILL must not leave servers holding
    ports."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
