"""What the incident workflow, its activities and the API say to each other: a module of its
own so that neither side imports the other."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

# The words of Atlassian Statuspage, which people reading status pages know.
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("degraded", "partial", "major")


class UpdatePosted(BaseModel):
    number: int
    status: str
    message: str
    at: datetime
    posted_by: str


class IncidentStart(BaseModel):
    incident_id: str
    title: str
    impact: str
    services: list[str]
    status: str
    message: str
    created_by: str
    publish: bool = False
    monitor_ids: list[str] = []
    ticket_references: list[str] = []
    # A digest of the request that opened it: a retry with the same Idempotency-Key (or the
    # same outage) must be the same request.
    fingerprint: str = ""


class Opened(BaseModel):
    """The answer POST /incidents waits for, and its retries."""

    fingerprint: str = ""


class PostUpdate(BaseModel):
    status: str
    message: str
    actor: str


class Publish(BaseModel):
    actor: str


class Revise(BaseModel):
    """New words for the incident (None: unchanged); `message` rewords the first update, and
    only while the incident is a draft (once published, subscribers have read it)."""

    title: str | None = None
    impact: str | None = None
    services: list[str] | None = None
    message: str | None = None
    actor: str


class Discard(BaseModel):
    """Drop a draft: its rows go, the workflow ends. Never once published."""

    actor: str


class Links(BaseModel):
    monitor_ids: list[str] = []
    ticket_references: list[str] = []
    actor: str


class IncidentRecord(BaseModel):
    """Everything the incidents tables hold for one incident, as of `version`."""

    id: str
    title: str
    impact: str
    services: list[str]
    status: str
    created_by: str
    created_at: datetime
    published_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    version: int
    updates: list[UpdatePosted]
    monitor_ids: list[str]
    ticket_references: list[str]


class IncidentNotice(BaseModel):
    """Tell the subscribers: the incident was published (its updates so far), or update
    `number` was posted on a published incident."""

    incident_id: str
    number: int
    kind: str  # published, updated, resolved


class IncidentView(BaseModel):
    incident_id: str
    published: bool
    status: str
    updates: int
