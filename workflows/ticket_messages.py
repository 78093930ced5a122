"""What the API and the ticket workflow say to each other: its input, its answers, its actions.

Kept apart from the workflow itself so it can be passed through the sandbox: the models are
built once per worker, not once per ticket, and importing them never drags a workflow along.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, model_validator

from sla.snapshot import PolicySnapshot
from sla.ticket import ClockRecord, ClockState, TicketSla, TicketStatus, TicketType
from sla.units import Clock


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
    # The policy as it stands when the ticket is logged, kept for the ticket's whole life
    # (sla.snapshot). None only in runs started before snapshots: they look it up by key.
    terms: PolicySnapshot | None = None
    # Which version of the policy `terms` is (policy_versions); None in runs opened before
    # versions were numbered (version 1, the preset files).
    policy_version: int | None = None
    # The Message-ID of the customer's mail the ticket was opened from (<…>, checked by
    # outbound.ticket_links.foreign_message_id): their mails about it thread under it.
    reply_to_message_id: str | None = None

    @model_validator(mode="after")
    def _terms_match(self) -> TicketOpening:
        if self.terms is not None and self.terms.key != self.policy:
            raise ValueError(f"the terms are policy {self.terms.key!r}, not {self.policy!r}")
        return self


# -- continue-as-new ------------------------------------------------------------------------
# The carry is a contract between two runs that may be on different code (a deploy can fall
# between them), so it has a shape of its own, mapped field by field to and from TicketSla and
# numbered: a new shape gets a new version and an upgrade of the old ones (docs/workflow-
# changes.md). Version 1 embedded TicketSla itself and is still read.

TICKET_CARRY_VERSION = 2


class ClockCarry(BaseModel):
    """One clock as carried: its due, its warnings, and what happened to it."""

    name: str
    kind: Literal["clock", "release"]
    clock: Clock
    calendar: str
    target: str
    due: datetime | None = None
    warnings: list[datetime] = []
    warned: list[datetime] = []
    met_at: datetime | None = None
    breached_due: datetime | None = None
    paused_remaining: timedelta | None = None


class TicketClocksCarry(BaseModel):
    """A ticket's SLA state as carried (everything TicketSla holds but its terms)."""

    policy: str
    calendar: str | None = None
    type: TicketType = TicketType.INCIDENT
    priority: str
    received_at: datetime
    status: TicketStatus = TicketStatus.OPEN
    line: int = 1
    pauses: list[tuple[datetime, datetime | None]] = []
    clocks: dict[str, ClockCarry] = {}
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    releases: list[str] = []
    shipped_releases: list[str] = []


class TicketCarry(BaseModel):
    """State handed to the next run by continue-as-new."""

    version: Literal[2] = TICKET_CARRY_VERSION
    terms: PolicySnapshot | None  # None: a ticket opened before snapshots (looked up by key)
    ticket: TicketClocksCarry
    assignee_name: str | None
    assignee_email: str | None
    record_version: int  # the read model's version counter, not the carry's
    seq: int
    opened_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        # Version 1: {"sla": <TicketSla>, "version": <record version>, ...}, no terms.
        if isinstance(data, dict) and "sla" in data:
            old = dict(data)
            sla = old.pop("sla")
            if isinstance(sla, BaseModel):
                sla = sla.model_dump()
            return {
                **old,
                "version": TICKET_CARRY_VERSION,
                "terms": None,
                "ticket": sla,
                "record_version": old.get("version"),
            }
        return data

    @classmethod
    def of(
        cls,
        sla: TicketSla,
        *,
        assignee: tuple[str | None, str | None],
        record_version: int,
        seq: int,
        opened_at: datetime,
    ) -> TicketCarry:
        return cls(
            terms=sla.terms,
            ticket=TicketClocksCarry(
                policy=sla.policy,
                calendar=sla.calendar,
                type=sla.type,
                priority=sla.priority,
                received_at=sla.received_at,
                status=sla.status,
                line=sla.line,
                pauses=list(sla.pauses),
                clocks={
                    name: ClockCarry(
                        name=c.name,
                        kind=c.kind,
                        clock=c.clock,
                        calendar=c.calendar,
                        target=c.target,
                        due=c.due,
                        warnings=list(c.warnings),
                        warned=list(c.warned),
                        met_at=c.met_at,
                        breached_due=c.breached_due,
                        paused_remaining=c.paused_remaining,
                    )
                    for name, c in sla.clocks.items()
                },
                first_response_at=sla.first_response_at,
                resolved_at=sla.resolved_at,
                closed_at=sla.closed_at,
                releases=list(sla.releases),
                shipped_releases=list(sla.shipped_releases),
            ),
            assignee_name=assignee[0],
            assignee_email=assignee[1],
            record_version=record_version,
            seq=seq,
            opened_at=opened_at,
        )

    def restore(self) -> TicketSla:
        """The ticket's SLA state as the previous run left it."""
        t = self.ticket
        return TicketSla(
            policy=t.policy,
            terms=self.terms,
            calendar=t.calendar,
            type=t.type,
            priority=t.priority,
            received_at=t.received_at,
            status=t.status,
            line=t.line,
            pauses=list(t.pauses),
            clocks={
                name: ClockRecord(
                    name=c.name,
                    kind=c.kind,
                    clock=c.clock,
                    calendar=c.calendar,
                    target=c.target,
                    due=c.due,
                    warnings=list(c.warnings),
                    warned=list(c.warned),
                    met_at=c.met_at,
                    breached_due=c.breached_due,
                    paused_remaining=c.paused_remaining,
                )
                for name, c in t.clocks.items()
            },
            first_response_at=t.first_response_at,
            resolved_at=t.resolved_at,
            closed_at=t.closed_at,
            releases=list(t.releases),
            shipped_releases=list(t.shipped_releases),
        )


class TicketStart(BaseModel):
    opening: TicketOpening
    carry: TicketCarry | None = None


class ClockView(BaseModel):
    target: str
    due: datetime | None
    state: ClockState
    remaining_seconds: float | None
    met_at: datetime | None
    calendar: str | None = None  # the policy calendar it counts on, to word the time left


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
    policy_version: int | None = None  # of the policy it runs under (see TicketOpening)


class Act(BaseModel):
    actor: str
    note: str = ""


class Wait(Act):
    # What the customer is asked for; it goes into their mail and onto their tracking page
    # (the note stays with the support team).
    message: str = ""


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


# The history events that record a file attached to a ticket: the public kind customers see
# (what they added, and what staff chose to show them), the internal one staff only. Their
# data is an AttachedFile's fields; the record activity keeps ticket_attachments from them.
ATTACHED = "attached"
ATTACHED_INTERNAL = "attached_internal"
ATTACHMENT_EVENTS = (ATTACHED, ATTACHED_INTERNAL)


class AttachedFile(BaseModel):
    """One file whose bytes the API has stored (attachment_contents) under `attachment_id`."""

    attachment_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    public: bool


class Attach(Act):
    """Files added to a ticket; `by` is the person's name, `author` which side they are on."""

    by: str
    author: Literal["agent", "customer"]
    files: list[AttachedFile]


class Shipped(BaseModel):
    release_id: str
    release_name: str
    at: datetime
    # hotfix or maintenance: which release targets it meets. None from a release workflow
    # that predates it, which met them all.
    kind: str | None = None


class Opened(BaseModel):
    fingerprint: str


class MoveTerms(BaseModel):
    """An admin moves the ticket to another version of its policy (services/policy_moves.py)."""

    actor: str
    terms: PolicySnapshot
    version: int


class MovePreview(BaseModel):
    """The ticket's deadlines by clock, as they are and as a move would make them; or why it
    cannot move."""

    before: dict[str, datetime | None] = {}
    after: dict[str, datetime | None] = {}
    refused: str | None = None
