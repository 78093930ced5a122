"""Tickets: open them, work them through their workflow, read them from the read model.

Each route is a thin door onto services.tickets, which the console's pages call too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.auth import Agent, Staff, StaffOrCustomer
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import (
    ActionNote,
    Assignment,
    CloseRequest,
    NoteCreate,
    PriorityChange,
    ResolveRequest,
    ResponseCreate,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    WaitRequest,
)
from services import tickets
from sla.ticket import TicketStatus

router = APIRouter(tags=["tickets"])

workflow_id = tickets.workflow_id


@router.post(
    "/tickets",
    response_model=TicketOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def open_ticket(
    body: TicketCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: StaffOrCustomer,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Retrying with the same key returns the same ticket instead of a new one",
        ),
    ] = None,
) -> TicketOut:
    """Log a ticket; its clocks start at `received_at` and its contact gets the reference."""
    return await tickets.open_ticket(session, client, settings, principal, body, idempotency_key)


@router.get("/tickets", response_model=TicketPage, responses=responses(403))
async def list_tickets(
    session: Session,
    principal: StaffOrCustomer,
    account_id: int | None = None,
    status: TicketStatus | None = None,
    priority: str | None = None,
    breached: bool | None = None,
    due_before: Annotated[
        datetime | None, Query(description="Only tickets with a deadline before this instant")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TicketPage:
    """The work queue: tickets ordered by their next deadline, soonest first."""
    query = tickets.TicketQuery(
        account_id=account_id,
        status=status,
        priority=priority,
        breached=breached,
        due_before=due_before,
        limit=limit,
        offset=offset,
    )
    return await tickets.list_tickets(session, principal, query)


@router.get("/tickets/{reference}", response_model=TicketDetail, responses=responses(403, 404))
async def get_ticket(reference: str, session: Session, principal: StaffOrCustomer) -> TicketDetail:
    """A ticket with its clocks and its full history: who did what, when."""
    return await tickets.get_ticket(session, principal, reference)


ACTION_RESPONSES = responses(403, 404, 409, 503)


@router.post("/tickets/{reference}/responses", response_model=TicketOut, responses=ACTION_RESPONSES)
async def add_response(
    reference: str,
    body: ResponseCreate,
    session: Session,
    client: Temporal,
    principal: StaffOrCustomer,
) -> TicketOut:
    """A reply: the first agent reply meets the first-response clock; customers' are recorded
    too, and a customer reply to a ticket waiting on them resumes it."""
    return await tickets.reply(session, client, principal, reference, body)


@router.post("/tickets/{reference}/notes", response_model=TicketOut, responses=ACTION_RESPONSES)
async def add_note(
    reference: str, body: NoteCreate, session: Session, client: Temporal, principal: Staff
) -> TicketOut:
    """An internal note in the ticket's history, for the support team: customers never see it
    (not in GET /tickets/{reference} with their key, nor on their tracking page)."""
    return await tickets.add_note(session, client, principal, reference, body)


@router.post("/tickets/{reference}/wait", response_model=TicketOut, responses=ACTION_RESPONSES)
async def ticket_wait(
    reference: str,
    session: Session,
    client: Temporal,
    principal: Agent,
    body: WaitRequest | None = None,
) -> TicketOut:
    """Waiting on the customer: the policy pauses the clocks, or re-grades the ticket and marks
    it Delayed (Spotler). The customer is e-mailed `message`, what is needed from them."""
    return await tickets.wait(session, client, principal, reference, body or WaitRequest())


@router.post("/tickets/{reference}/resume", response_model=TicketOut, responses=ACTION_RESPONSES)
async def ticket_resume(
    reference: str,
    session: Session,
    client: Temporal,
    principal: Agent,
    body: ActionNote | None = None,
) -> TicketOut:
    """The customer answered: the clocks run again."""
    return await tickets.resume(session, client, principal, reference, body or ActionNote())


@router.post("/tickets/{reference}/escalate", response_model=TicketOut, responses=ACTION_RESPONSES)
async def ticket_escalate(
    reference: str,
    session: Session,
    client: Temporal,
    principal: Agent,
    body: ActionNote | None = None,
) -> TicketOut:
    """Move the ticket to the next support line (1st, 2nd, 3rd)."""
    return await tickets.escalate(session, client, principal, reference, body or ActionNote())


@router.post("/tickets/{reference}/resolve", response_model=TicketOut, responses=ACTION_RESPONSES)
async def ticket_resolve(
    reference: str,
    session: Session,
    client: Temporal,
    principal: Agent,
    body: ResolveRequest | None = None,
) -> TicketOut:
    """The fix is delivered: meets the resolution clock. For a top-priority ticket on an
    edition with incident reporting, the impact, cause and actions given here go into the
    incident report sent to the customer."""
    return await tickets.resolve(session, client, principal, reference, body or ResolveRequest())


@router.post("/tickets/{reference}/reopen", response_model=TicketOut, responses=ACTION_RESPONSES)
async def ticket_reopen(
    reference: str,
    session: Session,
    client: Temporal,
    principal: Agent,
    body: ActionNote | None = None,
) -> TicketOut:
    """The fix did not hold: the resolution clock runs again."""
    return await tickets.reopen(session, client, principal, reference, body or ActionNote())


@router.post("/tickets/{reference}/priority", response_model=TicketOut, responses=ACTION_RESPONSES)
async def change_priority(
    reference: str, body: PriorityChange, session: Session, client: Temporal, principal: Agent
) -> TicketOut:
    """Change the priority; every deadline is recomputed as if it had applied from receipt."""
    return await tickets.change_priority(session, client, principal, reference, body)


@router.post("/tickets/{reference}/assign", response_model=TicketOut, responses=ACTION_RESPONSES)
async def assign(
    reference: str, body: Assignment, session: Session, client: Temporal, principal: Agent
) -> TicketOut:
    """Give the ticket to someone; they are the first in line for its warnings."""
    return await tickets.assign(session, client, principal, reference, body)


@router.post("/tickets/{reference}/close", response_model=TicketOut, responses=ACTION_RESPONSES)
async def close(
    reference: str, body: CloseRequest, session: Session, client: Temporal, principal: Agent
) -> TicketOut:
    """Close a resolved ticket; essensys needs an authorised representative's agreement."""
    return await tickets.close(session, client, principal, reference, body)
