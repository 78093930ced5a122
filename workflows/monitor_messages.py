"""What the monitor workflow, its activities and the API say to each other.

A module of its own so that neither side imports the other: the API builds these, the
workflow carries them, the activities read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from sla.monitor import Machine, MonitorStatus


class MonitorConfig(BaseModel):
    """What a monitor watches and how; the API checked every field."""

    monitor_id: str
    name: str
    url: str
    account_id: int | None = None
    service: str | None = None
    interval_seconds: int = 300
    expected_status: int = 200
    keyword: str | None = None


class MonitorCarry(BaseModel):
    """The state one run hands the next (continue-as-new); versioned as a contract between
    runs that may be on different code."""

    version: int = 1
    machine: Machine
    paused: bool
    next_slot: datetime
    recheck_at: datetime | None = None
    ticket_reference: str | None = None  # of the outage under way
    record_version: int
    created_at: datetime


class MonitorStart(BaseModel):
    config: MonitorConfig
    created_by: str
    # A digest of the request that created it: a retry with the same Idempotency-Key must be
    # the same request.
    fingerprint: str = ""
    carry: MonitorCarry | None = None


class Recorded(BaseModel):
    """The answer POST /monitors waits for (and its retries, with their fingerprint)."""

    fingerprint: str = ""


class Reconfigure(BaseModel):
    """PATCH /monitors/{id}: the whole new configuration (the API merged the change)."""

    config: MonitorConfig
    actor: str


class MonitorAct(BaseModel):
    actor: str


class MonitorView(BaseModel):
    """The monitor as its workflow sees it now (the query, and every update's answer)."""

    monitor_id: str
    status: MonitorStatus
    since: datetime | None
    paused: bool
    deleted: bool
    failures: int
    next_probe_at: datetime | None
    outage_started_at: datetime | None
    ticket_reference: str | None


class MonitorRecord(BaseModel):
    """Everything the monitors table holds for one monitor."""

    id: str
    name: str
    url: str
    account_id: int | None
    service: str | None
    interval_seconds: int
    expected_status: int
    keyword: str | None
    paused: bool
    state: str
    state_since: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    version: int


class ProbeRequest(BaseModel):
    monitor_id: str
    url: str
    expected_status: int
    keyword: str | None
    due_at: datetime


@dataclass
class ProbeResult:
    """One probe as recorded: a site that is down is a result (ok False), not an error."""

    at: datetime
    ok: bool
    status_code: int | None = None
    response_ms: int | None = None
    error: str | None = None
    cert_expires_at: datetime | None = None
    # The TLS warning (21, 14 or 7 days) this certificate now owes, if not yet sent.
    tls_warning_days: int | None = None


class OutageOpening(BaseModel):
    monitor_id: str
    started_at: datetime
    detected_at: datetime
    failures: int
    cause: str | None
    # The last failed check's status, if the site answered at all (a 503, a missing keyword).
    last_status_code: int | None = None


class OutageOpened(BaseModel):
    outage_id: int
    ticket_reference: str | None
    in_maintenance: bool


class OutageClosing(BaseModel):
    monitor_id: str
    started_at: datetime  # with the monitor, names the outage
    ended_at: datetime


class TlsWarning(BaseModel):
    monitor_id: str
    cert_expires_at: datetime
    days: int
    at: datetime
