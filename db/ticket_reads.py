"""Reads of the ticket read model: one ticket with its parts, and the filtered work queue.

A ticket's parts are read as plain rows (Core), not ORM objects: they are only ever turned
into API answers, and skipping the identity map roughly halves the cost of a read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ReleaseTicket, Ticket, TicketClock, TicketEvent


async def by_reference(session: AsyncSession, reference: str) -> Ticket | None:
    return await session.scalar(select(Ticket).where(Ticket.reference == reference))


CLOCKS = TicketClock.__table__
EVENTS = TicketEvent.__table__
LINKS = ReleaseTicket.__table__


async def clocks_of(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    found: dict[int, list[Row[Any]]] = defaultdict(list)
    if ticket_ids:
        rows = await session.execute(select(CLOCKS).where(CLOCKS.c.ticket_id.in_(ticket_ids)))
        for row in rows:
            found[row.ticket_id].append(row)
    return found


async def events_of(
    session: AsyncSession, ticket_id: int, kinds: Collection[str] | None = None
) -> list[Row[Any]]:
    """The ticket's history in order; only events of `kinds` when given."""
    query = select(EVENTS).where(EVENTS.c.ticket_id == ticket_id)
    if kinds is not None:
        query = query.where(EVENTS.c.kind.in_(sorted(kinds)))
    return list(await session.execute(query.order_by(EVENTS.c.seq)))


async def releases_of(session: AsyncSession, ticket_id: int) -> list[str]:
    rows = await session.execute(
        select(LINKS.c.release_id).where(LINKS.c.ticket_id == ticket_id).order_by(LINKS.c.linked_at)
    )
    return list(rows.scalars())


@dataclass(frozen=True)
class TicketFilter:
    account_id: int | None = None
    status: str | None = None
    priority: str | None = None
    breached: bool | None = None
    due_before: datetime | None = None
    # The console's views: several states at once, one policy, the viewer's own (assigned to
    # one of these names or addresses), or nobody's.
    statuses: tuple[str, ...] = ()
    policy: str | None = None
    mine: bool = False
    assignee_names: tuple[str, ...] = ()
    assignee_emails: tuple[str, ...] = ()
    unassigned: bool = False


def _conditions(where: TicketFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.account_id is not None:
        conditions.append(Ticket.account_id == where.account_id)
    if where.status is not None:
        conditions.append(Ticket.status == where.status)
    if where.priority is not None:
        conditions.append(Ticket.priority == where.priority)
    if where.breached is not None:
        conditions.append(Ticket.breached.is_(where.breached))
    if where.due_before is not None:
        conditions.append(Ticket.next_due < where.due_before)
    if where.statuses:
        conditions.append(Ticket.status.in_(where.statuses))
    if where.policy is not None:
        conditions.append(Ticket.policy == where.policy)
    if where.mine:
        # Nobody named: nothing is theirs (an empty IN would be the same, said plainly).
        mine = [Ticket.assignee_name.in_(where.assignee_names)] if where.assignee_names else []
        if where.assignee_emails:
            emails = [email.lower() for email in where.assignee_emails]
            mine.append(func.lower(Ticket.assignee_email).in_(emails))
        conditions.append(or_(*mine) if mine else Ticket.id.is_(None))
    if where.unassigned:
        conditions.append(Ticket.assignee_name.is_(None))
    return conditions


# Soonest deadline first; those without one last, oldest first.
QUEUE_ORDER = (Ticket.next_due.asc().nulls_last(), Ticket.received_at, Ticket.id)
ORDERS: dict[str, tuple[Any, ...]] = {
    "due": QUEUE_ORDER,
    # A customer's open tickets: those waiting on their answer first.
    "waiting_first": (
        case((Ticket.status.in_(("waiting", "delayed")), 0), else_=1),
        *QUEUE_ORDER,
    ),
    # Finished ones: the latest to finish first.
    "recent": (
        func.coalesce(Ticket.closed_at, Ticket.resolved_at, Ticket.updated_at).desc(),
        Ticket.id.desc(),
    ),
}


async def _total(session: AsyncSession, conditions: list[Any]) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Ticket).where(*conditions)) or 0
    )


async def search(
    session: AsyncSession, where: TicketFilter, limit: int, offset: int, order: str = "due"
) -> tuple[list[Ticket], int]:
    """Tickets matching the filter, the next deadline first (or in another of ORDERS); and
    how many match in all."""
    conditions = _conditions(where)
    total = await _total(session, conditions)
    rows = await session.scalars(
        select(Ticket).where(*conditions).order_by(*ORDERS[order]).limit(limit).offset(offset)
    )
    return list(rows), total


# What a line of the console's queue shows, read as plain rows (no identity map, no text of
# the description): the page renders them and nothing else.
QUEUE_COLUMNS = (
    Ticket.id,
    Ticket.reference,
    Ticket.account_id,
    Ticket.subject,
    Ticket.policy,
    Ticket.priority,
    Ticket.status,
    Ticket.assignee_name,
    Ticket.received_at,
    Ticket.next_due,
    Ticket.breached,
)


async def queue_lines(
    session: AsyncSession, where: TicketFilter, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """The same search as `search`, as the queue's plain rows; and how many match in all."""
    conditions = _conditions(where)
    total = await _total(session, conditions)
    rows = await session.execute(
        select(*QUEUE_COLUMNS).where(*conditions).order_by(*QUEUE_ORDER).limit(limit).offset(offset)
    )
    return list(rows), total
