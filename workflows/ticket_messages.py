"""What the API and the ticket workflow say to each other: its input, its answers, its actions.

Kept apart from the workflow itself so it can be passed through the sandbox: the models are
built once per worker, not once per ticket, and importing them never drags a workflow along.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from sla.ticket import ClockState, TicketSla, TicketStatus, TicketType


class TicketOpening(BaseModel):
    """What the API knows when a ticket is logged."""

    reference: str
    account_id: int
    contact_id: int | None
    subject: str
    description: str
    channel: str
    type: TicketType
    policy: str
    calendar: str | None
    priority: str
    campaign_scheduled_at: datetime | None = None
    received_at: datetime
    opened_by: str
    fingerprint: str


class TicketCarry(BaseModel):
    """State handed to the next run by continue-as-new."""

    sla: TicketSla
    assignee_name: str | None
    assignee_email: str | None
    version: int
    seq: int
    opened_at: datetime


class TicketStart(BaseModel):
    opening: TicketOpening
    carry: TicketCarry | None = None


class ClockView(BaseModel):
    target: str
    due: datetime | None
    state: ClockState
    remaining_seconds: float | None
    met_at: datetime | None


class TicketView(BaseModel):
    """The ticket as the API answers it after an action."""

    reference: str
    status: TicketStatus
    priority: str
    type: TicketType
    line: int
    assignee_name: str | None
    assignee_email: str | None
    received_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    next_due: datetime | None
    breached: bool
    clocks: dict[str, ClockView]
    releases: list[str]
    version: int


class Act(BaseModel):
    actor: str
    note: str = ""


class Reply(Act):
    author: Literal["agent", "customer"]
    body: str


class Reprioritise(Act):
    priority: str


class Assign(Act):
    name: str
    email: str | None = None


class IncidentDetails(BaseModel):
    """What an incident report says beyond the ticket's own history, as the agent entered it."""

    impact: str = ""
    cause: str = ""
    actions: list[str] = []


class Resolve(Act):
    incident: IncidentDetails | None = None


class Close(Act):
    representative_agreed: bool = False
    representative: str | None = None


class Link(Act):
    release_id: str
    release_name: str


class Shipped(BaseModel):
    release_id: str
    release_name: str
    at: datetime


class Opened(BaseModel):
    fingerprint: str
