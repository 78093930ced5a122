"""Releases: plan one, link tickets to it, ship it; once, for the JSON routes and the console.

Each function answers as the API does and refuses with the API's domain errors, so a page
shows the very reason the API would give.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

import sla
from activities.tickets import ReleaseRecord
from api.auth import Principal
from api.errors import Conflict, InvalidInput, NotFound
from api.references import new_reference
from api.schemas import ReleaseCreate, ReleaseLink, ReleaseOut
from api.temporal_calls import call
from db import ticket_reads
from db.models import Release, ReleaseTicket, Role, Ticket
from services.roles import allow
from settings import Settings
from sla.ticket import TicketStatus
from workflows.release import ReleaseWorkflow, ShipRequest
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Link

# Who may plan, link and ship (agents), and who may read them (staff); admin always.
MAKERS = (Role.ADMIN, Role.AGENT)
READERS = (Role.ADMIN, Role.AGENT, Role.SUCCESS_MANAGER)


def workflow_id(release_id: str) -> str:
    return f"release-{release_id}"


def _check_role(principal: Principal, allowed: tuple[Role, ...]) -> None:
    """The JSON routes check this first, with the same words; the pages rely on it here."""
    allow(principal, *allowed)


async def _release_out(session: AsyncSession, release: Release) -> ReleaseOut:
    tickets = await session.scalars(
        select(Ticket.reference)
        .join(ReleaseTicket, ReleaseTicket.ticket_id == Ticket.id)
        .where(ReleaseTicket.release_id == release.id)
        .order_by(Ticket.reference)
    )
    return ReleaseOut(
        id=release.id,
        name=release.name,
        policy=release.policy,
        kind=release.kind,
        planned_for=release.planned_for,
        notes=release.notes,
        shipped_at=release.shipped_at,
        tickets=list(tickets),
    )


async def _load(session: AsyncSession, release_id: str) -> Release:
    release = await session.get(Release, release_id)
    if release is None:
        raise NotFound(f"No release with id {release_id}")
    return release


def _policy_for(key: str) -> sla.Policy:
    try:
        return sla.get_policy(key)
    except sla.UnknownPolicy:
        known = ", ".join(sla.policy_keys())
        raise InvalidInput.for_field(
            "body.policy", f"no policy {key!r}; a release ships for one of: {known}"
        ) from None


def _check_planned_for(policy: sla.Policy, planned_for: date, now: datetime) -> None:
    """A plan is for today or later, today being the product's own (its calendar's) day."""
    zone = policy.calendar(policy.default_calendar).timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    if planned_for < today:
        raise InvalidInput.for_field(
            "body.planned_for",
            f"{planned_for:%d %B %Y} is in the past; it is already {today:%d %B %Y} in {zone}",
        )


def _check_product(release: Release, ticket: Ticket, field: str) -> None:
    """Only the release's own product's tickets: their customers are the ones told."""
    if release.policy is not None and ticket.policy != release.policy:
        raise InvalidInput.for_field(
            field,
            f"ticket {ticket.reference} is under policy {ticket.policy!r}; release "
            f"{release.name} ships for {release.policy!r}, so it cannot fix that ticket",
        )


async def create(
    client: Client, settings: Settings, principal: Principal, body: ReleaseCreate
) -> ReleaseOut:
    """Plan a hot fix or maintenance release of one product."""
    _check_role(principal, MAKERS)
    policy = _policy_for(body.policy)
    _check_planned_for(policy, body.planned_for, datetime.now(UTC))
    record = ReleaseRecord(
        id=new_reference("R"),
        name=body.name,
        policy=policy.key,
        kind=body.kind,
        planned_for=body.planned_for,
        notes=body.notes,
        shipped_at=None,
        created_by=principal.name,
        created_at=datetime.now(UTC),
    )
    start = WithStartWorkflowOperation(
        ReleaseWorkflow.run,
        record,
        id=workflow_id(record.id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    await call(
        client.execute_update_with_start_workflow(
            ReleaseWorkflow.recorded, start_workflow_operation=start
        ),
        finished="The release could not be created",
    )
    return ReleaseOut(
        **record.model_dump(exclude={"linked", "created_by", "created_at"}), tickets=[]
    )


async def listing(
    session: AsyncSession, principal: Principal, policy: str | None = None
) -> list[ReleaseOut]:
    """Every release, the latest planned first; only one policy's when named."""
    _check_role(principal, READERS)
    query = select(Release).order_by(Release.planned_for.desc())
    if policy is not None:
        query = query.where(Release.policy == policy)
    releases = await session.scalars(query)
    return [await _release_out(session, release) for release in releases]


async def get(session: AsyncSession, principal: Principal, release_id: str) -> ReleaseOut:
    _check_role(principal, READERS)
    return await _release_out(session, await _load(session, release_id))


async def link_tickets(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    release_id: str,
    body: ReleaseLink,
) -> ReleaseOut:
    """Link tickets to the release: its shipping meets their release-based targets."""
    _check_role(principal, MAKERS)
    release = await _load(session, release_id)
    if release.shipped_at is not None:
        raise Conflict(f"Release {release.name} has already shipped; link tickets to a new one")
    already = set((await _release_out(session, release)).tickets)
    tickets = []
    for index, reference in enumerate(body.references):
        ticket = await ticket_reads.by_reference(session, reference)
        if ticket is None:
            raise InvalidInput.for_field(f"body.references.{index}", f"no ticket {reference}")
        _check_product(release, ticket, f"body.references.{index}")
        if ticket.status == TicketStatus.CLOSED:
            raise Conflict(f"Ticket {reference} is closed")
        if reference not in already:  # linking again is a no-op, so a retry is safe
            tickets.append(ticket)
    for ticket in tickets:
        handle = client.get_workflow_handle(f"ticket-{ticket.reference}")
        link = Link(actor=principal.name, release_id=release.id, release_name=release.name)
        await call(
            handle.execute_update(TicketWorkflow.link_release, link),
            finished=f"Ticket {ticket.reference} is closed",
            session=session,
        )
    return await _release_out(session, release)


async def ship(
    session: AsyncSession, client: Client, principal: Principal, release_id: str
) -> ReleaseOut:
    """The release is out: every linked ticket's release-based targets are met, contacts told."""
    _check_role(principal, MAKERS)
    release = await _load(session, release_id)
    handle = client.get_workflow_handle(workflow_id(release_id))
    result = await call(
        handle.execute_update(ReleaseWorkflow.ship, ShipRequest(actor=principal.name)),
        finished=f"Release {release.name} has already shipped",
        session=session,
    )
    out = await _release_out(session, release)
    return out.model_copy(update={"shipped_at": result.shipped_at})


async def linkable_tickets(
    session: AsyncSession, principal: Principal, release_id: str, limit: int = 50
) -> list[Ticket]:
    """The release's product's tickets still open and not yet linked to it, newest first:
    the only ones linking would accept."""
    _check_role(principal, READERS)
    release = await _load(session, release_id)
    linked = select(ReleaseTicket.ticket_id).where(ReleaseTicket.release_id == release.id)
    query = select(Ticket).where(
        Ticket.status != TicketStatus.CLOSED.value, Ticket.id.not_in(linked)
    )
    if release.policy is not None:
        query = query.where(Ticket.policy == release.policy)
    rows = await session.scalars(query.order_by(Ticket.received_at.desc()).limit(limit))
    return list(rows)
