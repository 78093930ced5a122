"""What the maintenance workflow, its activities and the API say to each other.

A module of its own so that neither side imports the other: the API builds these, the
workflow carries them, the activities read them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

State = Literal["scheduled", "in_progress", "completed", "cancelled"]
NoticeKind = Literal["notice", "moved", "reminder", "cancelled"]


class WindowConfig(BaseModel):
    """What the window is; the API checked every field against the policy's rule."""

    window_id: str
    title: str
    description: str = ""
    services: list[str]
    policy: str
    account_ids: list[int] = []
    starts_at: datetime
    ends_at: datetime
    timezone: str


class MaintenanceStart(BaseModel):
    config: WindowConfig
    created_by: str
    signed_by: str  # the person whose name the notices carry
    # A digest of the request that created it: a retry with the same Idempotency-Key must be
    # the same request.
    fingerprint: str = ""


class Recorded(BaseModel):
    """The answer POST /maintenance waits for (and its retries, with their fingerprint)."""

    fingerprint: str = ""


class Change(BaseModel):
    """PATCH /maintenance/{id}: the whole new window (the API merged and checked the change)."""

    config: WindowConfig
    actor: str
    signed_by: str


class MaintenanceAct(BaseModel):
    actor: str
    signed_by: str


class MaintenanceView(BaseModel):
    window_id: str
    state: State
    sequence: int
    starts_at: datetime
    ends_at: datetime
    remind_at: datetime | None  # None once reminded, or when there was no time to


class WindowRecord(BaseModel):
    """The row as the workflow last decided it; written by version."""

    id: str
    title: str
    description: str
    services: list[str]
    policy: str
    account_ids: list[int]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    state: State
    sequence: int
    announced_at: datetime
    created_by: str
    signed_by: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    version: int


class Notice(BaseModel):
    """Tell everyone the window affects: of it, of a change, before it, or that it is off."""

    window_id: str
    sequence: int
    kind: NoticeKind
