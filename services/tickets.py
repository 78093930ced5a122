"""Tickets: everything a person or a machine can do with one, once.

The JSON routes (api/routes/tickets.py) and the console pages (web/console/tickets.py) both
call these, so a refusal reads the same whichever door it came through. Each function takes
typed input, the principal acting and what it needs (a session, the Temporal client, the
settings), and raises the domain errors of api/errors.py. Role checks are made here too (with
the API's own words), so a page that shows a form to a role that may not use it still refuses
as the API does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowHandle

import sla
from api.auth import Principal, require
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.received import check_received_at
from api.references import fingerprint
from api.schemas import (
    ActionNote,
    Assignment,
    CloseRequest,
    NoteCreate,
    NotFixedReport,
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
from db.models import Account, Contact, Release, Role, Ticket
from outbound.ticket_links import foreign_message_id
from services import satisfaction, terms
from settings import Settings
from sla.ticket import TicketStatus, TicketType
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import (
    Act,
    Assign,
    Close,
    IncidentDetails,
    Link,
    Opened,
    Reply,
    Reprioritise,
    Resolve,
    TicketOpening,
    TicketStart,
    TicketView,
    Wait,
)

# Who may do what, checked with the API's own words (api.auth.require).
_STAFF_OR_CUSTOMER = require(Role.SUCCESS_MANAGER, Role.AGENT, Role.CUSTOMER)
_STAFF = require(Role.SUCCESS_MANAGER, Role.AGENT)
_AGENT = require(Role.AGENT)
_CUSTOMER = require(Role.CUSTOMER)


def workflow_id(reference: str) -> str:
    return f"ticket-{reference}"


# -- opening -----------------------------------------------------------------------------------


async def _account_for(session: AsyncSession, account_id: int, principal: Principal) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise InvalidInput.for_field("body.account_id", f"no account with id {account_id}")
    if not principal.can_see_account(account_id):
        raise Forbidden("A customer key can open tickets for its own account only")
    return account


async def _contact_for(
    session: AsyncSession, account: Account, contact_id: int | None
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


def priority_for(body: TicketCreate, policy: sla.Policy, received_at: datetime) -> str:
    """The priority a ticket gets: the one asked for, else the policy's triage or default."""
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


def promised(
    policy: sla.Policy,
    account: Account,
    principal: Principal,
    body: TicketCreate,
    received_at: datetime,
) -> tuple[str, sla.TicketDeadlines | None]:
    """The priority and deadlines open_ticket would give `body` arriving at `received_at`: the
    same triage, calendar and deadline maths as the ticket's workflow (None: a request type
    that carries no clock)."""
    priority = priority_for(body, policy, received_at)
    calendar = _calendar_for(body, policy, account, principal)
    if body.type is not TicketType.INCIDENT:
        return priority, None
    return priority, sla.compute_deadlines(policy, priority, received_at, calendar=calendar)


async def open_ticket(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    body: TicketCreate,
    idempotency_key: str | None = None,
    *,
    reply_to_message_id: str | None = None,
) -> TicketOut:
    """Log a ticket; its clocks start at `received_at` and its contact gets the reference
    (threaded under `reply_to_message_id`, the customer's mail, when it came from one)."""
    await _STAFF_OR_CUSTOMER(principal)
    account = await _account_for(session, body.account_id, principal)
    contact = await _contact_for(session, account, body.contact_id)
    terms_now = await terms.for_account(session, account)
    policy: sla.Policy = terms_now.model
    now = datetime.now(UTC)
    received_at = check_received_at(body.received_at, now)
    priority = priority_for(body, policy, received_at)
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
                policy_version=terms_now.version,
                reply_to_message_id=foreign_message_id(reply_to_message_id),
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


async def load(session: AsyncSession, reference: str, principal: Principal) -> Ticket:
    """The ticket, if the principal may see it; the same 404 when it may not as when there is
    none, so a customer cannot learn another account's references."""
    ticket = await ticket_reads.by_reference(session, reference)
    if ticket is None or not principal.can_see_account(ticket.account_id):
        raise NotFound(f"No ticket with reference {reference}")
    return ticket


@dataclass(frozen=True)
class TicketQuery:
    """The work queue's filters; every one optional. `mine` asks for the principal's own."""

    account_id: int | None = None
    status: TicketStatus | None = None
    statuses: tuple[str, ...] = ()
    policy: str | None = None
    priority: str | None = None
    breached: bool | None = None
    due_before: datetime | None = None
    mine: bool = False
    unassigned: bool = False
    limit: int = 50
    offset: int = 0


def _who(principal: Principal) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names and e-mail addresses a ticket's assignee may carry for this principal.

    Assignments name a person (Assignment: name, optional e-mail); a key carries its name and
    the full name of the person behind it, and a signed-in user their e-mail too.
    """
    names = tuple(dict.fromkeys(n for n in (principal.full_name, principal.name) if n))
    email = getattr(principal, "email", None)
    return names, ((email,) if email else ())


def _filter(principal: Principal, query: TicketQuery) -> ticket_reads.TicketFilter:
    account_id = query.account_id
    if principal.role is Role.CUSTOMER:
        if account_id not in (None, principal.account_id):
            raise Forbidden("A customer key sees its own account's tickets only")
        account_id = principal.account_id
    if query.due_before is not None and query.due_before.tzinfo is None:
        raise InvalidInput.for_field(
            "query.due_before", "needs a UTC offset, e.g. 2026-11-20T17:00:00Z"
        )
    names, emails = _who(principal) if query.mine else ((), ())
    return ticket_reads.TicketFilter(
        account_id=account_id,
        status=query.status.value if query.status else None,
        statuses=query.statuses,
        policy=query.policy,
        priority=query.priority,
        breached=query.breached,
        due_before=query.due_before,
        assignee_names=names,
        assignee_emails=emails,
        mine=query.mine,
        unassigned=query.unassigned,
    )


async def list_tickets(
    session: AsyncSession, principal: Principal, query: TicketQuery
) -> TicketPage:
    """The work queue: tickets ordered by their next deadline, soonest first."""
    await _STAFF_OR_CUSTOMER(principal)
    where = _filter(principal, query)
    rows, total = await ticket_reads.search(session, where, query.limit, query.offset)
    clocks = await ticket_reads.clocks_of(session, [row.id for row in rows])
    return TicketPage(
        tickets=[ticket_out(row, clocks.get(row.id, [])) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@dataclass(frozen=True)
class QueueRow:
    """One line of the console's queue: the ticket (db.ticket_reads.QUEUE_COLUMNS), its
    account's name and its clocks."""

    ticket: Any
    account_name: str
    clocks: Sequence[Any]


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    total: int
    query: TicketQuery


async def queue(session: AsyncSession, principal: Principal, query: TicketQuery) -> Queue:
    """The queue as staff see it in the console: the same search as GET /tickets, with the
    accounts' names, for the people who work it."""
    await _STAFF(principal)
    where = _filter(principal, query)
    rows, total = await ticket_reads.queue_lines(session, where, query.limit, query.offset)
    clocks = await ticket_reads.clocks_of(session, [row.id for row in rows])
    names = await account_names(session, {row.account_id for row in rows})
    return Queue(
        rows=[
            QueueRow(row, names.get(row.account_id, f"Account {row.account_id}"), clocks[row.id])
            for row in rows
        ],
        total=total,
        query=query,
    )


async def account_names(session: AsyncSession, ids: set[int] | None = None) -> dict[int, str]:
    """Accounts' names by id: those given, or all of them (for a filter's choices)."""
    statement = select(Account.id, Account.name).order_by(Account.name)
    if ids is not None:
        if not ids:
            return {}
        statement = statement.where(Account.id.in_(sorted(ids)))
    return {row.id: row.name for row in await session.execute(statement)}


async def get_ticket(session: AsyncSession, principal: Principal, reference: str) -> TicketDetail:
    """A ticket with its clocks and its history as the principal may see it (customers: the
    public conversation only, never notes)."""
    await _STAFF_OR_CUSTOMER(principal)
    ticket = await load(session, reference, principal)
    clocks = await ticket_reads.clocks_of(session, [ticket.id])
    return await _detail(session, principal, ticket, clocks.get(ticket.id, []))


async def _detail(
    session: AsyncSession, principal: Principal, ticket: Ticket, clocks: Sequence[Any]
) -> TicketDetail:
    return ticket_detail(
        ticket,
        clocks,
        events_for(
            await ticket_reads.events_of(session, ticket.id, visible_kinds(principal)), principal
        ),
        await ticket_reads.releases_of(session, ticket.id),
        await satisfaction.of_ticket(session, ticket.id),
    )


@dataclass
class TicketContext:
    """What a staff page shows around a ticket: who it is for and what an action can pick."""

    account: Account
    contact: Contact | None
    # Contacts who can agree to close it (where the policy needs one, representatives only).
    agreeing: list[Contact] = field(default_factory=list)
    # Unshipped releases of the ticket's product, for linking.
    releases: list[Release] = field(default_factory=list)
    # The clocks as stored, with the calendar and kind each counts by.
    clocks: list[Any] = field(default_factory=list)


async def staff_view(
    session: AsyncSession, principal: Principal, reference: str
) -> tuple[Ticket, TicketDetail, TicketContext]:
    """A ticket as staff work it: the row, the detail the API answers, and what is around it
    (read once each, for the console's ticket page)."""
    await _STAFF(principal)
    ticket = await load(session, reference, principal)
    clocks = (await ticket_reads.clocks_of(session, [ticket.id])).get(ticket.id, [])
    detail = await _detail(session, principal, ticket, clocks)
    account = await session.get(Account, ticket.account_id)
    assert account is not None  # a ticket's account is a foreign key
    contacts = list(
        await session.scalars(
            select(Contact).where(Contact.account_id == ticket.account_id).order_by(Contact.name)
        )
    )
    contact = next((c for c in contacts if c.id == ticket.contact_id), None)
    needed = _close_needs_representative(ticket.policy)
    releases = await session.scalars(
        select(Release)
        .where(Release.shipped_at.is_(None))
        .where((Release.policy == ticket.policy) | Release.policy.is_(None))
        .order_by(Release.planned_for)
    )
    context = TicketContext(
        account=account,
        contact=contact,
        agreeing=[
            c for c in contacts if c.removed_at is None and (c.is_representative or not needed)
        ],
        releases=list(releases),
        clocks=list(clocks),
    )
    return ticket, detail, context


def _close_needs_representative(policy: str) -> bool:
    try:
        return sla.get_policy(policy).tickets.close_requires_representative
    except sla.SlaLookupError:
        return False


# -- the customer's own view (the portal) --------------------------------------------------------

OPEN_STATUSES = ("open", "waiting", "delayed")
FINISHED_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class CustomerTickets:
    """A customer's tickets as the portal lists them: open ones, those waiting on the
    customer first; and, when asked for, the finished ones, the latest first."""

    open: list[Ticket]
    open_total: int
    finished: list[Ticket]
    finished_total: int
    paused: frozenset[int]  # ids of the tickets whose clocks are paused while they wait
    raised_by: dict[int, str]  # ticket id -> the name of the contact who raised it


async def customer_tickets(
    session: AsyncSession,
    principal: Principal,
    *,
    finished: bool,
    open_limit: int = 100,
    finished_limit: int = 20,
    finished_offset: int = 0,
) -> CustomerTickets:
    """The principal's own account's tickets (never another's: the filter takes the account
    from the principal)."""
    await _CUSTOMER(principal)
    open_rows, open_total = await ticket_reads.search(
        session,
        _filter(principal, TicketQuery(statuses=OPEN_STATUSES)),
        open_limit,
        0,
        order="waiting_first",
    )
    done_rows: list[Ticket] = []
    done_total = 0
    if finished:
        done_rows, done_total = await ticket_reads.search(
            session,
            _filter(principal, TicketQuery(statuses=FINISHED_STATUSES)),
            finished_limit,
            finished_offset,
            order="recent",
        )
    rows = [*open_rows, *done_rows]
    clocks = await ticket_reads.clocks_of(session, [row.id for row in open_rows])
    contact_ids = {row.contact_id for row in rows if row.contact_id is not None}
    found = await session.execute(
        select(Contact.id, Contact.name)
        .where(Contact.account_id == principal.account_id)
        .where(Contact.id.in_(sorted(contact_ids)))
    )
    names = {row.id: row.name for row in found}
    return CustomerTickets(
        open=open_rows,
        open_total=open_total,
        finished=done_rows,
        finished_total=done_total,
        paused=frozenset(
            ticket_id
            for ticket_id, rows_ in clocks.items()
            if any(clock.state == "paused" for clock in rows_)
        ),
        raised_by={row.id: names[row.contact_id] for row in rows if row.contact_id in names},
    )


@dataclass(frozen=True)
class Followed:
    """One ticket as its customer follows it in the portal, with the people around it."""

    ticket: Ticket
    account: Account
    viewer: Contact  # the contact signed in
    contacts: list[Contact]  # everyone at the account, leavers too (their names stay in history)
    # Where closing needs a representative's agreement: the current representatives.
    agreeing: list[Contact]
    close_needs_representative: bool

    @property
    def raised_by(self) -> Contact | None:
        return next((c for c in self.contacts if c.id == self.ticket.contact_id), None)

    @property
    def may_agree(self) -> bool:
        return self.viewer.is_representative or not self.close_needs_representative


async def _acting_contact(session: AsyncSession, principal: Principal, ticket: Ticket) -> Contact:
    """The person behind a customer principal: agreeing to closure and reopening are a
    person's acts, so a customer key (a machine, with no contact) is refused."""
    contact = await session.get(Contact, principal.contact_id) if principal.contact_id else None
    if contact is None or contact.account_id != ticket.account_id or contact.removed_at:
        raise Forbidden(
            "Only a person at the ticket's account, signed in to the portal, can do this"
        )
    return contact


async def follow(session: AsyncSession, principal: Principal, reference: str) -> Followed:
    """A ticket of the customer's own account; the same 404 for another account's as for
    none (load)."""
    await _CUSTOMER(principal)
    ticket = await load(session, reference, principal)
    viewer = await _acting_contact(session, principal, ticket)
    account = await session.get(Account, ticket.account_id)
    assert account is not None  # a ticket's account is a foreign key
    contacts = list(
        await session.scalars(
            select(Contact).where(Contact.account_id == ticket.account_id).order_by(Contact.name)
        )
    )
    return Followed(
        ticket=ticket,
        account=account,
        viewer=viewer,
        contacts=contacts,
        agreeing=[c for c in contacts if c.is_representative and c.removed_at is None],
        close_needs_representative=_close_needs_representative(ticket.policy),
    )


def _names(people: Sequence[Contact]) -> str:
    names = [person.name for person in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


async def agree_closure(
    session: AsyncSession, client: Client, principal: Principal, reference: str
) -> TicketOut:
    """The customer agrees their resolved request is fixed: it closes, recording whose
    agreement it was. Where the policy closes a case only with an authorised representative's
    agreement (essensys), only a representative's closes it; anyone else is told who can."""
    followed = await follow(session, principal, reference)
    ticket, contact = followed.ticket, followed.viewer
    _not_closed(ticket)
    if ticket.status != TicketStatus.RESOLVED:
        raise Conflict(
            f"Request {reference} is not resolved yet, so there is nothing to agree to; we "
            "will tell you when we have resolved it"
        )
    if not followed.may_agree:
        who = f": {_names(followed.agreeing)}" if followed.agreeing else ""
        raise Forbidden(
            f"Only an authorised representative of {followed.account.name} can agree that we "
            f"close this request{who}"
        )
    request = Close(
        actor=principal.name,
        note="Agreed in the customer portal that it is fixed",
        representative_agreed=contact.is_representative,
        representative=contact.name,
    )
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.close, request)
    )


async def not_fixed(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: NotFixedReport,
) -> TicketOut:
    """The customer says their resolved request is not fixed: it reopens (the resolution
    clock runs again against its due) and what they said joins the conversation. Possible
    until the request is closed; a closed one is raised again as a new request."""
    followed = await follow(session, principal, reference)
    ticket = followed.ticket
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(
            f"Request {reference} is closed, so it can no longer be reopened: please raise a "
            f"new request and mention {reference}"
        )
    if ticket.status != TicketStatus.RESOLVED:
        raise Conflict(
            f"Request {reference} is not resolved, so it is still being worked on: send us "
            "what is still wrong as a reply"
        )
    # Reopened first: should the words then fail to arrive, the ticket is open and the page
    # offers them back in its reply box; the other way round could leave them recorded on a
    # ticket still marked resolved, where nobody is looking.
    act = Act(actor=principal.name, note="The customer said in the portal that it is not fixed")
    await _update(session, client, ticket, lambda h: h.execute_update(TicketWorkflow.reopen, act))
    message = Reply(actor=principal.name, author="customer", body=body.what)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.respond, message)
    )


# -- working a ticket --------------------------------------------------------------------------


async def _update(
    session: AsyncSession,
    client: Client,
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


async def _open_for_action(session: AsyncSession, principal: Principal, reference: str) -> Ticket:
    await _AGENT(principal)
    ticket = await load(session, reference, principal)
    _not_closed(ticket)
    return ticket


async def reply(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: ResponseCreate,
) -> TicketOut:
    """A reply: the first agent reply meets the first-response clock; customers' are recorded
    too, and a customer reply to a ticket waiting on them resumes it."""
    await _STAFF_OR_CUSTOMER(principal)
    ticket = await load(session, reference, principal)
    _not_closed(ticket)
    author = "customer" if principal.role is Role.CUSTOMER else body.author
    message = Reply(actor=principal.name, author=author, body=body.body)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.respond, message)
    )


async def add_note(
    session: AsyncSession, client: Client, principal: Principal, reference: str, body: NoteCreate
) -> TicketOut:
    """An internal note in the ticket's history: staff read it, customers never do."""
    await _STAFF(principal)
    ticket = await load(session, reference, principal)
    _not_closed(ticket)
    act = Act(actor=principal.name, note=body.body)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.add_note, act)
    )


async def wait(
    session: AsyncSession, client: Client, principal: Principal, reference: str, body: WaitRequest
) -> TicketOut:
    """Waiting on the customer: the policy pauses the clocks, or re-grades the ticket and marks
    it Delayed (Spotler). The customer is e-mailed `message`, what is needed from them."""
    ticket = await _open_for_action(session, principal, reference)
    act = Wait(actor=principal.name, note=body.note, message=body.message)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.wait, act)
    )


async def _simple(
    update: Any,
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: ActionNote,
) -> TicketOut:
    ticket = await _open_for_action(session, principal, reference)
    act = Act(actor=principal.name, note=body.note)
    return await _update(session, client, ticket, lambda h: h.execute_update(update, act))


async def resume(
    session: AsyncSession, client: Client, principal: Principal, reference: str, body: ActionNote
) -> TicketOut:
    """The customer answered: the clocks run again."""
    return await _simple(TicketWorkflow.resume, session, client, principal, reference, body)


async def escalate(
    session: AsyncSession, client: Client, principal: Principal, reference: str, body: ActionNote
) -> TicketOut:
    """Move the ticket to the next support line (1st, 2nd, 3rd)."""
    return await _simple(TicketWorkflow.escalate, session, client, principal, reference, body)


async def reopen(
    session: AsyncSession, client: Client, principal: Principal, reference: str, body: ActionNote
) -> TicketOut:
    """The fix did not hold: the resolution clock runs again."""
    return await _simple(TicketWorkflow.reopen, session, client, principal, reference, body)


async def resolve(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: ResolveRequest,
) -> TicketOut:
    """The fix is delivered: meets the resolution clock. For a top-priority ticket on an
    edition with incident reporting, the impact, cause and actions given go into the incident
    report sent to the customer."""
    ticket = await _open_for_action(session, principal, reference)
    incident = (
        IncidentDetails(impact=body.impact, cause=body.cause, actions=body.actions)
        if body.impact or body.cause or body.actions
        else None
    )
    act = Resolve(actor=principal.name, note=body.note, incident=incident)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.resolve, act)
    )


async def change_priority(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: PriorityChange,
) -> TicketOut:
    """Change the priority; every deadline is recomputed as if it had applied from receipt."""
    await _AGENT(principal)
    ticket = await load(session, reference, principal)
    # The version the ticket runs under, not the newest: its rules are the ticket's.
    policy = await terms.of_case(session, "policy", ticket.policy, ticket.policy_version)
    if body.priority not in policy.priorities:
        raise InvalidInput.for_field(
            "body.priority",
            f"version {ticket.policy_version or 1} of policy {policy.key!r}, which the ticket"
            f" runs under, has no priority {body.priority!r} "
            f"(known: {', '.join(policy.priorities)})",
        )
    _not_closed(ticket)
    change = Reprioritise(actor=principal.name, priority=body.priority, note=body.note)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.change_priority, change)
    )


async def assign(
    session: AsyncSession, client: Client, principal: Principal, reference: str, body: Assignment
) -> TicketOut:
    """Give the ticket to someone; they are the first in line for its warnings."""
    ticket = await _open_for_action(session, principal, reference)
    assignment = Assign(actor=principal.name, name=body.name, email=body.email)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.assign, assignment)
    )


async def close(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: CloseRequest,
) -> TicketOut:
    """Close a resolved ticket; essensys needs an authorised representative's agreement."""
    await _AGENT(principal)
    ticket = await load(session, reference, principal)
    # The version the ticket runs under, not the newest: its rules are the ticket's.
    policy = await terms.of_case(session, "policy", ticket.policy, ticket.policy_version)
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


async def link_release(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    release_id: str,
    field_name: str = "body.release_id",
) -> TicketOut:
    """Link the ticket to a release of its product: the release's shipping meets its
    release-based targets. The same checks, in the same words, as POST
    /releases/{release_id}/tickets makes for each ticket it links."""
    await _AGENT(principal)
    ticket = await load(session, reference, principal)
    release = await session.get(Release, release_id)
    if release is None:
        raise InvalidInput.for_field(field_name, f"no release with id {release_id}")
    if release.shipped_at is not None:
        raise Conflict(f"Release {release.name} has already shipped; link tickets to a new one")
    if release.policy is not None and ticket.policy != release.policy:
        raise InvalidInput.for_field(
            field_name,
            f"ticket {ticket.reference} is under policy {ticket.policy!r}; release "
            f"{release.name} ships for {release.policy!r}, so it cannot fix that ticket",
        )
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(f"Ticket {reference} is closed")
    link = Link(actor=principal.name, release_id=release.id, release_name=release.name)
    return await _update(
        session, client, ticket, lambda h: h.execute_update(TicketWorkflow.link_release, link)
    )
