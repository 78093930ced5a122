"""Tickets: open them, work them through their workflow, read them from the read model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status
from temporalio.client import WorkflowHandle

import sla
from api.auth import Agent, Principal, StaffOrCustomer
from api.deps import AppSettings, Session, Temporal
from api.errors import Conflict, Forbidden, InvalidInput, NotFound, responses
from api.received import check_received_at
from api.references import fingerprint
from api.schemas import (
    ActionNote,
    Assignment,
    CloseRequest,
    PriorityChange,
    ResolveRequest,
    ResponseCreate,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    WaitRequest,
)
from api.temporal_calls import call, open_workflow
from api.ticket_history import events_for, visible_kinds
from api.ticket_views import ticket_detail, ticket_from_view, ticket_out
from db import ticket_reads
from db.models import Account, Contact, Role, Ticket
from sla.ticket import TicketStatus, TicketType
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import (
    Act,
    Assign,
    Close,
    IncidentDetails,
    Opened,
    Reply,
    Reprioritise,
    Resolve,
    TicketOpening,
    TicketStart,
    TicketView,
    Wait,
)

router = APIRouter(tags=["tickets"])

# A received_at this little ahead of our clock is the caller's clock drifting, not the future.


def workflow_id(reference: str) -> str:
    return f"ticket-{reference}"


# -- opening -----------------------------------------------------------------------------------


async def _account_for(session: Session, account_id: int, principal: Principal) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise InvalidInput.for_field("body.account_id", f"no account with id {account_id}")
    if not principal.can_see_account(account_id):
        raise Forbidden("A customer key can open tickets for its own account only")
    return account


async def _contact_for(
    session: Session, account: Account, contact_id: int | None
) -> Contact | None:
    if contact_id is None:
        return None
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.account_id != account.id:
        raise InvalidInput.for_field(
            "body.contact_id", f"no contact with id {contact_id} at account {account.name!r}"
        )
    if contact.removed_at is not None:
        raise InvalidInput.for_field(
            "body.contact_id", f"{contact.name} was removed from account {account.name!r}"
        )
    return contact


def _priority_for(body: TicketCreate, policy: sla.Policy, received_at: datetime) -> str:
    known = ", ".join(policy.priorities)
    if body.priority is not None:
        if body.priority not in policy.priorities:
            raise InvalidInput.for_field(
                "body.priority",
                f"policy {policy.key!r} has no priority {body.priority!r} (known: {known})",
            )
        return body.priority
    if body.type is not TicketType.INCIDENT:
        return policy.default_priority or next(iter(policy.priorities))
    triaged = sla.triage(policy, received_at, {"campaign_scheduled_at": body.campaign_scheduled_at})
    if triaged is None:
        raise InvalidInput.for_field("body.priority", f"is required; one of {known}")
    return triaged


def _check_raised_by(policy: sla.Policy, contact: Contact | None) -> None:
    """essensys: cases come from an authorised representative who gave name and phone."""
    if policy.tickets.raised_by != "authorised_representative":
        return
    if contact is None:
        raise InvalidInput.for_field(
            "body.contact_id",
            f"is required: under policy {policy.key!r} tickets are raised by an authorised "
            "representative",
        )
    if not contact.is_representative:
        raise InvalidInput.for_field(
            "body.contact_id", f"{contact.name} is not an authorised representative"
        )
    if not contact.phone:
        raise InvalidInput.for_field(
            "body.contact_id",
            f"{contact.name} has no contact telephone number, which policy {policy.key!r} needs",
        )


def _calendar_for(
    body: TicketCreate, policy: sla.Policy, account: Account, principal: Principal
) -> str | None:
    """The agent's choice, the emergency line's calendar, or the account's."""
    if body.calendar is not None and principal.role is Role.CUSTOMER:
        raise Forbidden("The calendar a ticket counts on is chosen by an agent, not a customer")
    if body.channel == "emergency" and (
        policy.emergency_support is None or "emergency" not in policy.emergency_support.channels
    ):
        raise InvalidInput.for_field(
            "body.channel",
            f"policy {policy.key!r} has no emergency line; use chat, email, phone or web",
        )
    try:
        return policy.opening_calendar(body.channel, account.calendar, body.calendar)
    except sla.UnknownCalendar as exc:
        raise InvalidInput.for_field("body.calendar", str(exc)) from None


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
    account = await _account_for(session, body.account_id, principal)
    contact = await _contact_for(session, account, body.contact_id)
    policy = sla.get_policy(account.policy)
    now = datetime.now(UTC)
    received_at = check_received_at(body.received_at, now)
    priority = _priority_for(body, policy, received_at)
    _check_raised_by(policy, contact)
    calendar = _calendar_for(body, policy, account, principal)

    request_digest = fingerprint(body.model_dump(mode="json") | {"by": principal.key_id})

    def opening(reference: str) -> TicketStart:
        return TicketStart(
            opening=TicketOpening(
                reference=reference,
                account_id=account.id,
                contact_id=contact.id if contact else None,
                subject=body.subject,
                description=body.description,
                channel=body.channel,
                type=body.type,
                policy=policy.key,
                calendar=calendar,
                priority=priority,
                campaign_scheduled_at=body.campaign_scheduled_at,
                received_at=received_at,
                opened_by=principal.name,
                fingerprint=request_digest,
                terms=sla.PolicySnapshot.of(policy),
            )
        )

    view: TicketView = await open_workflow(
        client,
        session,
        noun="ticket",
        prefix="T",
        task_queue=settings.temporal_task_queue,
        key_prefix=principal.key_prefix,
        idempotency_key=idempotency_key,
        run=TicketWorkflow.run,
        start=opening,
        opened=TicketWorkflow.opened,
        opened_request=Opened(fingerprint=request_digest),
    )
    return ticket_from_view(
        view,
        account_id=account.id,
        contact_id=contact.id if contact else None,
        subject=body.subject,
        channel=body.channel,
        policy=policy.key,
        calendar=calendar,
    )


# -- reading -----------------------------------------------------------------------------------


async def _load(session: Session, reference: str, principal: Principal) -> Ticket:
    ticket = await ticket_reads.by_reference(session, reference)
    if ticket is None or not principal.can_see_account(ticket.account_id):
        raise NotFound(f"No ticket with reference {reference}")
    return ticket


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
    if principal.role is Role.CUSTOMER:
        if account_id not in (None, principal.account_id):
            raise Forbidden("A customer key sees its own account's tickets only")
        account_id = principal.account_id
    if due_before is not None and due_before.tzinfo is None:
        raise InvalidInput.for_field(
            "query.due_before", "needs a UTC offset, e.g. 2026-11-20T17:00:00Z"
        )
    where = ticket_reads.TicketFilter(
        account_id=account_id,
        status=status.value if status else None,
        priority=priority,
        breached=breached,
        due_before=due_before,
    )
    rows, total = await ticket_reads.search(session, where, limit, offset)
    clocks = await ticket_reads.clocks_of(session, [row.id for row in rows])
    return TicketPage(
        tickets=[ticket_out(row, clocks.get(row.id, [])) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/tickets/{reference}", response_model=TicketDetail, responses=responses(403, 404))
async def get_ticket(reference: str, session: Session, principal: StaffOrCustomer) -> TicketDetail:
    """A ticket with its clocks and its full history: who did what, when."""
    ticket = await _load(session, reference, principal)
    clocks = await ticket_reads.clocks_of(session, [ticket.id])
    return ticket_detail(
        ticket,
        clocks.get(ticket.id, []),
        events_for(
            await ticket_reads.events_of(session, ticket.id, visible_kinds(principal)), principal
        ),
        await ticket_reads.releases_of(session, ticket.id),
    )


# -- working a ticket --------------------------------------------------------------------------


async def _update(
    session: Session,
    client: Temporal,
    ticket: Ticket,
    send: Callable[[WorkflowHandle[Any, Any]], Awaitable[TicketView]],
) -> TicketOut:
    handle = client.get_workflow_handle(workflow_id(ticket.reference))
    view = await call(
        send(handle),
        finished=f"Ticket {ticket.reference} is closed; nothing more can change",
        session=session,
    )
    return ticket_from_view(
        view,
        account_id=ticket.account_id,
        contact_id=ticket.contact_id,
        subject=ticket.subject,
        channel=ticket.channel,
        policy=ticket.policy,
        calendar=ticket.calendar,
    )


def _not_closed(ticket: Ticket) -> None:
    # The workflow decides; this only spares a round trip for the commonest refusal.
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(f"Ticket {ticket.reference} is closed; nothing more can change")


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
    ticket = await _load(session, reference, principal)
    _not_closed(ticket)
    author = "customer" if principal.role is Role.CUSTOMER else body.author
    reply = Reply(actor=principal.name, author=author, body=body.body)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.respond, reply)
    )


def _action(name: str, summary: str, update: Any) -> None:
    """Register POST /tickets/{reference}/<name>, an agent's action carrying an optional note."""

    async def endpoint(
        reference: str,
        session: Session,
        client: Temporal,
        principal: Agent,
        body: ActionNote | None = None,
    ) -> TicketOut:
        ticket = await _load(session, reference, principal)
        _not_closed(ticket)
        act = Act(actor=principal.name, note=body.note if body else "")
        return await _update(session, client, ticket, lambda h: h.execute_update(update, act))

    endpoint.__doc__ = summary
    endpoint.__name__ = f"ticket_{name}"
    router.post(
        f"/tickets/{{reference}}/{name}", response_model=TicketOut, responses=ACTION_RESPONSES
    )(endpoint)


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
    ticket = await _load(session, reference, principal)
    _not_closed(ticket)
    body = body or WaitRequest()
    act = Wait(actor=principal.name, note=body.note, message=body.message)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.wait, act)
    )


_action("resume", "The customer answered: the clocks run again.", TicketWorkflow.resume)
_action(
    "escalate", "Move the ticket to the next support line (1st, 2nd, 3rd).", TicketWorkflow.escalate
)


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
    ticket = await _load(session, reference, principal)
    _not_closed(ticket)
    body = body or ResolveRequest()
    incident = (
        IncidentDetails(impact=body.impact, cause=body.cause, actions=body.actions)
        if body.impact or body.cause or body.actions
        else None
    )
    act = Resolve(actor=principal.name, note=body.note, incident=incident)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.resolve, act)
    )


_action("reopen", "The fix did not hold: the resolution clock runs again.", TicketWorkflow.reopen)


@router.post("/tickets/{reference}/priority", response_model=TicketOut, responses=ACTION_RESPONSES)
async def change_priority(
    reference: str, body: PriorityChange, session: Session, client: Temporal, principal: Agent
) -> TicketOut:
    """Change the priority; every deadline is recomputed as if it had applied from receipt."""
    ticket = await _load(session, reference, principal)
    policy = sla.get_policy(ticket.policy)
    if body.priority not in policy.priorities:
        raise InvalidInput.for_field(
            "body.priority",
            f"policy {policy.key!r} has no priority {body.priority!r} "
            f"(known: {', '.join(policy.priorities)})",
        )
    _not_closed(ticket)
    change = Reprioritise(actor=principal.name, priority=body.priority, note=body.note)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.change_priority, change)
    )


@router.post("/tickets/{reference}/assign", response_model=TicketOut, responses=ACTION_RESPONSES)
async def assign(
    reference: str, body: Assignment, session: Session, client: Temporal, principal: Agent
) -> TicketOut:
    """Give the ticket to someone; they are the first in line for its warnings."""
    ticket = await _load(session, reference, principal)
    _not_closed(ticket)
    assignment = Assign(actor=principal.name, name=body.name, email=body.email)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.assign, assignment)
    )


@router.post("/tickets/{reference}/close", response_model=TicketOut, responses=ACTION_RESPONSES)
async def close(
    reference: str, body: CloseRequest, session: Session, client: Temporal, principal: Agent
) -> TicketOut:
    """Close a resolved ticket; essensys needs an authorised representative's agreement."""
    ticket = await _load(session, reference, principal)
    policy = sla.get_policy(ticket.policy)
    needed = policy.tickets.close_requires_representative
    representative: Contact | None = None
    if body.agreed_by_contact_id is not None:
        representative = await session.get(Contact, body.agreed_by_contact_id)
        if representative is None or representative.account_id != ticket.account_id:
            raise InvalidInput.for_field(
                "body.agreed_by_contact_id",
                f"no contact with id {body.agreed_by_contact_id} at this ticket's account",
            )
        if representative.removed_at is not None:
            raise InvalidInput.for_field(
                "body.agreed_by_contact_id",
                f"{representative.name} was removed from this ticket's account",
            )
        if needed and not representative.is_representative:
            raise InvalidInput.for_field(
                "body.agreed_by_contact_id",
                f"{representative.name} is not an authorised representative",
            )
    elif needed:
        raise InvalidInput.for_field(
            "body.agreed_by_contact_id",
            f"is required: policy {policy.key!r} closes a case only with an authorised "
            "representative's agreement",
        )
    _not_closed(ticket)
    request = Close(
        actor=principal.name,
        note=body.note,
        representative_agreed=representative is not None and representative.is_representative,
        representative=representative.name if representative else None,
    )
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.close, request)
    )
