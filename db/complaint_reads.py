"""Reads of the complaints read model: one complaint, the handler's board, the open deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Complaint, ComplaintEvent, Letter

OPEN = ("received", "acknowledged", "reopened")
EVENTS = ComplaintEvent.__table__
LETTERS = Letter.__table__


async def by_reference(session: AsyncSession, reference: str) -> Complaint | None:
    return await session.scalar(select(Complaint).where(Complaint.reference == reference))


async def events_of(session: AsyncSession, complaint_id: int) -> list[Row[Any]]:
    rows = await session.execute(
        select(EVENTS).where(EVENTS.c.complaint_id == complaint_id).order_by(EVENTS.c.seq)
    )
    return list(rows)


async def letters_of(session: AsyncSession, complaint_id: int) -> list[Row[Any]]:
    """The letters sent, without their content."""
    rows = await session.execute(
        select(
            LETTERS.c.id,
            LETTERS.c.kind,
            LETTERS.c.filename,
            LETTERS.c.created_at,
            LETTERS.c.delivery,
        )
        .where(LETTERS.c.complaint_id == complaint_id)
        .order_by(LETTERS.c.created_at)
    )
    return list(rows)


async def letter(session: AsyncSession, complaint_id: int, letter_id: str) -> Letter | None:
    found = await session.get(Letter, letter_id)
    return found if found is not None and found.complaint_id == complaint_id else None


@dataclass(frozen=True)
class BoardFilter:
    status: str | None = None
    handler: str | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    regime: str | None = None
    open_only: bool = False  # only those still owing an acknowledgement or a reply


async def board(
    session: AsyncSession, where: BoardFilter, limit: int, offset: int
) -> tuple[list[Complaint], int]:
    """Complaints matching the filter, the next deadline first; and how many match in all."""
    conditions = []
    if where.status is not None:
        conditions.append(Complaint.status == where.status)
    if where.handler is not None:
        conditions.append(Complaint.handler_name == where.handler)
    if where.due_before is not None:
        conditions.append(Complaint.next_due < where.due_before)
    if where.overdue is not None:
        conditions.append(Complaint.overdue.is_(where.overdue))
    if where.regime is not None:
        conditions.append(Complaint.regime == where.regime)
    if where.open_only:
        conditions.append(Complaint.status.in_(OPEN))
    total = await session.scalar(select(func.count()).select_from(Complaint).where(*conditions))
    rows = await session.scalars(
        select(Complaint)
        .where(*conditions)
        .order_by(Complaint.next_due.asc().nulls_last(), Complaint.received_at, Complaint.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def open_deadlines(session: AsyncSession, handler: str | None = None) -> list[Row[Any]]:
    """Every complaint that still owes an acknowledgement or a reply, for the calendar feed;
    only one handler's when named."""
    c = Complaint.__table__.c
    rows = await session.execute(
        select(
            c.reference,
            c.complainant_name,
            c.regime,
            c.handler_name,
            c.acknowledged_at,
            c.acknowledgement_due,
            c.acknowledgement_state,
            c.reply_due,
            c.reply_state,
            c.updated_at,
        )
        .where(
            c.status.in_(OPEN),
            or_(c.reply_state != "met", c.acknowledged_at.is_(None)),
            *([c.handler_name == handler] if handler is not None else []),
        )
        .order_by(c.reply_due)
    )
    return list(rows)


async def handler_names(session: AsyncSession) -> list[str]:
    """Everyone who has complaints, for the board's handler filter."""
    rows = await session.scalars(
        select(Complaint.handler_name)
        .where(Complaint.handler_name.is_not(None))
        .distinct()
        .order_by(Complaint.handler_name)
    )
    return [name for name in rows if name]
