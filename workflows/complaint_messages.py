"""What the API and the complaint workflow say to each other (passed through the sandbox)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from sla.complaint import ClockState, ComplaintSla, ComplaintStatus


class ComplaintOpening(BaseModel):
    reference: str
    account_id: int | None
    complainant_name: str
    complainant_email: str
    complainant_address: str | None
    summary: str
    channel: str
    jurisdiction: str
    regime: str
    received_at: datetime
    opened_by: str
    handler_name: str | None = None
    handler_email: str | None = None
    fingerprint: str


class LetterView(BaseModel):
    id: str
    kind: str
    sent_at: datetime


class ComplaintCarry(BaseModel):
    sla: ComplaintSla
    handler_name: str | None
    handler_email: str | None
    version: int
    seq: int
    opened_at: datetime
    letters: list[LetterView]


class ComplaintStart(BaseModel):
    opening: ComplaintOpening
    carry: ComplaintCarry | None = None


class ComplaintClockView(BaseModel):
    due: datetime
    state: ClockState
    met_at: datetime | None


class ExtensionView(BaseModel):
    at: datetime
    reason: str
    previous_due: datetime
    new_due: datetime
    in_time: bool


class ComplaintView(BaseModel):
    reference: str
    status: ComplaintStatus
    regime: str
    jurisdiction: str
    received_at: datetime
    acknowledgement_due: datetime | None
    reply_due: datetime
    original_reply_due: datetime
    next_due: datetime | None
    overdue: bool
    handler_name: str | None
    handler_email: str | None
    clocks: dict[str, ComplaintClockView]
    extensions: list[ExtensionView]
    letters: list[LetterView]
    version: int


class Act(BaseModel):
    actor: str
    note: str = ""


class Extend(Act):
    reason: str
    new_due: datetime


class Reply(Act):
    body: str


class AssignHandler(Act):
    name: str
    email: str | None = None


class Opened(BaseModel):
    fingerprint: str
