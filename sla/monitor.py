"""When a watched site is up or down: the confirmation rule, as pure data in and out.

One failed probe is not an outage (a slow answer, a dropped packet): it is re-checked after
about 20 and then 60 seconds, and only the third failure in a row makes the site DOWN, its
outage dated from the first. Coming back needs two good answers in a row, the second 20
seconds after the first, so a site that flaps is not declared up on one lucky answer. The
monitor workflow applies `step` to every probe; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

FAILURES_FOR_DOWN = 3
SUCCESSES_FOR_UP = 2
# After the first and the second failure in a row; then the normal interval.
RECHECKS = (timedelta(seconds=20), timedelta(seconds=60))
# After a first good answer while down, to confirm the site is back.
RECOVERY_RECHECK = timedelta(seconds=20)
MIN_INTERVAL_SECONDS = 30


class MonitorStatus(enum.StrEnum):
    UNKNOWN = "unknown"  # not probed yet
    UP = "up"
    PENDING = "pending"  # failing, not yet confirmed
    DOWN = "down"


class Machine(BaseModel):
    """What the rule remembers between probes; carried over continue-as-new as it is."""

    status: MonitorStatus = MonitorStatus.UNKNOWN
    # When the status last changed, as people are told it: a DOWN monitor from its outage's
    # first failure (what mails, tickets and the outage say), UP after an outage from the
    # first good answer that ended it; otherwise the probe that changed it.
    since: datetime | None = None
    failures: int = 0  # in a row
    successes: int = 0  # in a row
    first_failure_at: datetime | None = None  # of the current run of failures
    first_success_at: datetime | None = None  # of the current run of successes
    outage_started_at: datetime | None = None  # while DOWN


@dataclass(frozen=True)
class Step:
    """What one probe changed, for the workflow to act on."""

    before: MonitorStatus
    after: MonitorStatus
    # Probe again this soon instead of waiting for the next interval.
    recheck_in: timedelta | None = None
    # The outage that just began (from its first failure) or just ended (its span).
    went_down_at: datetime | None = None
    came_up: tuple[datetime, datetime] | None = None

    @property
    def changed(self) -> bool:
        return self.before is not self.after


def step(machine: Machine, ok: bool, at: datetime) -> tuple[Machine, Step]:
    """The machine after a probe at `at` that passed (`ok`) or failed, and what changed."""
    if at.tzinfo is None:
        raise ValueError("a probe's instant must be timezone-aware")
    before = machine.status
    m = machine.model_copy()
    if ok:
        m.failures, m.first_failure_at = 0, None
        m.successes += 1
        if m.successes == 1:
            m.first_success_at = at
        if before is not MonitorStatus.DOWN:
            return _moved(m, before, MonitorStatus.UP, at), Step(before, MonitorStatus.UP)
        if m.successes < SUCCESSES_FOR_UP:
            return m, Step(before, before, recheck_in=RECOVERY_RECHECK)
        assert m.outage_started_at is not None and m.first_success_at is not None
        span = (m.outage_started_at, m.first_success_at)
        m.outage_started_at = None
        return _moved(m, before, MonitorStatus.UP, m.first_success_at), Step(
            before, MonitorStatus.UP, came_up=span
        )
    m.successes, m.first_success_at = 0, None
    m.failures += 1
    if m.failures == 1:
        m.first_failure_at = at
    if before is MonitorStatus.DOWN:
        return m, Step(before, before)
    if m.failures < FAILURES_FOR_DOWN:
        recheck = RECHECKS[min(m.failures, len(RECHECKS)) - 1]
        return _moved(m, before, MonitorStatus.PENDING, at), Step(
            before, MonitorStatus.PENDING, recheck_in=recheck
        )
    m.outage_started_at = m.first_failure_at
    return _moved(m, before, MonitorStatus.DOWN, m.outage_started_at), Step(
        before, MonitorStatus.DOWN, went_down_at=m.outage_started_at
    )


def _moved(m: Machine, before: MonitorStatus, after: MonitorStatus, at: datetime) -> Machine:
    if after is not before:
        m.status, m.since = after, at
    return m


def start_offset(monitor_id: str, interval_seconds: int) -> timedelta:
    """The monitor's place in its interval, the same on every run: spreads a thousand
    monitors over the interval instead of probing them all in the same second."""
    digest = hashlib.sha256(monitor_id.encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % max(interval_seconds, 1))


def next_slot(slot: datetime, interval: timedelta, now: datetime) -> datetime:
    """The first regular probe time after `now`, keeping the monitor's phase."""
    if slot > now:
        return slot
    missed = (now - slot) // interval + 1
    return slot + missed * interval
