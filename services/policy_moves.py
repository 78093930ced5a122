"""Moving open tickets to another version of their policy: an admin's explicit act.

A ticket keeps the version it was opened under; saving a new version changes only what new
tickets are promised. An admin who wants the open ones on the new terms asks first what that
would do (`confirm: false`): each ticket's workflow computes its deadlines under the version
with the code a move uses (the `preview_move` query), so the preview is what the move then
does, for tickets nobody acts on in between. With `confirm: true` each ticket is moved by its
own workflow (`move_terms`), which recomputes from receipt and writes a line in its history.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

import sla
from api.auth import Principal
from api.errors import Conflict, InvalidInput
from api.schemas import MoveChange, MoveRequest, MoveResult, MoveTicket, NotMoved
from api.temporal_calls import call
from db.models import Ticket
from services import policies
from services.roles import allow
from services.tickets import workflow_id
from sla.ticket import ACTIVE
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import MovePreview, MoveTerms, TicketView

# Tickets asked or moved at once: each is a round trip to its workflow.
AT_ONCE = 8


@dataclass(frozen=True)
class _Outcome:
    ticket: Ticket
    preview: MovePreview


async def _candidates(session: AsyncSession, key: str, to_version: int) -> list[Ticket]:
    rows = await session.scalars(
        select(Ticket)
        .where(
            Ticket.policy == key,
            Ticket.status.in_([status.value for status in ACTIVE]),
            or_(Ticket.policy_version.is_(None), Ticket.policy_version != to_version),
        )
        .order_by(Ticket.received_at, Ticket.id)
    )
    return list(rows)


async def _each(tickets: list[Ticket], act) -> list:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(ticket: Ticket):  # type: ignore[no-untyped-def]
        async with gate:
            return await act(ticket)

    return await asyncio.gather(*(one(ticket) for ticket in tickets))


def _changes(preview: MovePreview) -> list[MoveChange]:
    changes = []
    for clock, after in preview.after.items():
        before = preview.before.get(clock)
        if before == after:
            continue
        shift = (after - before).total_seconds() if before and after else None
        changes.append(MoveChange(clock=clock, before=before, after=after, shift_seconds=shift))
    return changes


def _result(key: str, version: int, confirmed: bool, outcomes: list[_Outcome]) -> MoveResult:
    moving, refused = [], []
    for outcome in outcomes:
        ticket, preview = outcome.ticket, outcome.preview
        if preview.refused is not None:
            refused.append(NotMoved(reference=ticket.reference, reason=preview.refused))
            continue
        moving.append(
            MoveTicket(
                reference=ticket.reference,
                subject=ticket.subject,
                from_version=ticket.policy_version,
                changes=_changes(preview),
            )
        )
    shifts = [c.shift_seconds for t in moving for c in t.changes if c.shift_seconds is not None]
    return MoveResult(
        policy=key,
        to_version=version,
        confirmed=confirmed,
        tickets=len(moving),
        deadlines_moving=sum(len(t.changes) for t in moving),
        earliest_shift_seconds=min(shifts, default=None),
        latest_shift_seconds=max(shifts, default=None),
        moves=moving,
        not_moved=refused,
    )


async def move_tickets(
    session: AsyncSession, client: Client, principal: Principal, key: str, body: MoveRequest
) -> MoveResult:
    """Preview (or, confirmed, make) the move of policy `key`'s open tickets to a version."""
    allow(principal)
    found = await policies.stored(session, "policy", key, body.to_version)
    terms = sla.PolicySnapshot.of(found.model)
    message = MoveTerms(
        actor=(principal.full_name or principal.name)[:200], terms=terms, version=body.to_version
    )
    tickets = await _candidates(session, key, body.to_version)
    await session.commit()  # no connection held while the workflows answer

    async def ask(ticket: Ticket) -> _Outcome:
        handle = client.get_workflow_handle(workflow_id(ticket.reference))
        preview = await call(
            handle.query(TicketWorkflow.preview_move, message),
            finished=f"Ticket {ticket.reference} is closed",
        )
        return _Outcome(ticket, preview)

    if not body.confirm:
        return _result(key, body.to_version, False, await _each(tickets, ask))

    async def move(ticket: Ticket) -> _Outcome:
        asked = await ask(ticket)
        if asked.preview.refused is not None:
            return asked
        handle = client.get_workflow_handle(workflow_id(ticket.reference))
        try:
            view: TicketView = await call(
                handle.execute_update(TicketWorkflow.move_terms, message),
                finished=f"Ticket {ticket.reference} is closed",
            )
        except (Conflict, InvalidInput) as exc:
            # Closed or changed since it was asked: reported, and the others still move.
            return _Outcome(ticket, MovePreview(refused=exc.detail))
        after = {name: clock.due for name, clock in view.clocks.items()}
        return _Outcome(ticket, MovePreview(before=asked.preview.before, after=after))

    return _result(key, body.to_version, True, await _each(tickets, move))
