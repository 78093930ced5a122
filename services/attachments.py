"""Attachments: add files to a ticket, list a ticket's files, fetch one to download.

Everything goes through `services.tickets.load`, so a customer reaches their own account's
tickets only, and gets the same 404 for another account's ticket as for none. Customers add
files that staff and they see; staff choose, per upload, whether the customer sees theirs,
and a customer never lists or fetches one that is internal (the same 404 as for no file).

One writer per record: the bytes (attachment_contents) are this module's own, stored first;
the ticket's workflow then records the attaching as an event, and its record activity keeps
ticket_attachments from those events. When the workflow refuses (a closed ticket) or Temporal
cannot be reached, the bytes are deleted again and nothing is listed; bytes without their
record are never listed or served. The rules a file must pass are services.attachment_rules,
shared with mail read in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal, require
from api.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from api.schemas import AttachmentOut
from api.temporal_calls import TemporalUnreachable, call
from db.models import AttachmentContent, Role, Ticket, TicketAttachment
from db.types import utcnow
from services import attachment_rules as rules
from services import tickets
from settings import Settings
from sla.ticket import TicketStatus
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Attach, AttachedFile

_STAFF_OR_CUSTOMER = require(Role.SUCCESS_MANAGER, Role.AGENT, Role.CUSTOMER)
# Who a customer is told added a file that staff added: the team, not a person or a key.
SUPPORT_TEAM = "Support team"


@dataclass(frozen=True)
class NewFile:
    """A file as it arrived: the name its sender gave it, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes
    sha256: str


def max_size(settings: Settings) -> int:
    """The most one file may be, in bytes (PLEDGE_ATTACHMENT_MAX_MB)."""
    return rules.max_bytes(settings.attachment_max_mb)


def check(
    filename: str, data: bytes, *, max_size: int, field: str = "body.file"
) -> rules.Inspected:
    """The rules (services.attachment_rules.inspect), refusing in the API's words: 413 for a
    file too large, 422 for any other, each naming `field` and the file."""
    try:
        return rules.inspect(filename, data, max_size=max_size)
    except rules.AttachmentRefused as refused:
        message = f"{rules.clean_name(filename)} {refused.message}"
        if refused.too_large:
            raise PayloadTooLarge.for_field(field, message) from None
        raise InvalidInput.for_field(field, message) from None


def _customer(principal: Principal) -> bool:
    return principal.role is Role.CUSTOMER


def _closed(ticket: Ticket) -> Conflict:
    return Conflict(f"Ticket {ticket.reference} is closed; files can no longer be attached")


async def may_attach(session: AsyncSession, principal: Principal, reference: str) -> Ticket:
    """The ticket, if the principal may attach files to it now; asked before an upload is read,
    so a refused request is answered without taking in its files."""
    await _STAFF_OR_CUSTOMER(principal)
    ticket = await tickets.load(session, reference, principal)
    if ticket.status == TicketStatus.CLOSED:
        raise _closed(ticket)
    return ticket


def _out(row: TicketAttachment, reference: str, principal: Principal) -> AttachmentOut:
    added_by = row.added_by
    if _customer(principal) and not row.added_by_customer:
        added_by = SUPPORT_TEAM
    return AttachmentOut(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        added_by=added_by,
        added_by_customer=row.added_by_customer,
        public=row.public,
        added_at=row.added_at,
        url=f"/tickets/{reference}/attachments/{row.id}",
    )


async def add_attachments(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    reference: str,
    files: Sequence[NewFile],
    *,
    public: bool = False,
    field: str = "body.file",
) -> list[AttachmentOut]:
    """Attach files to a ticket, each recorded in its history ("Ann Agent attached
    report.pdf"). A customer's are always public; staff's are internal unless `public`.

    Every file is checked before any is stored, so a refusal (naming `field`) keeps none.
    """
    ticket = await may_attach(session, principal, reference)
    if not files:
        raise InvalidInput.for_field(field, "is required: choose one or more files to attach")
    limit = max_size(settings)
    checked = [check(f.filename, f.data, max_size=limit, field=field) for f in files]
    customer = _customer(principal)
    shown = customer or public
    ids = [uuid.uuid4().hex for _ in files]
    now = utcnow()
    session.add_all(
        AttachmentContent(id=i, ticket_id=ticket.id, content=f.data, stored_at=now)
        for i, f in zip(ids, files, strict=True)
    )
    await session.flush()
    message = Attach(
        actor=principal.name,
        by=principal.full_name or principal.name,
        author="customer" if customer else "agent",
        files=[
            AttachedFile(
                attachment_id=i,
                filename=c.filename,
                content_type=c.content_type,
                size=c.size,
                sha256=c.sha256,
                public=shown,
            )
            for i, c in zip(ids, checked, strict=True)
        ],
    )
    handle = client.get_workflow_handle(tickets.workflow_id(ticket.reference))
    try:
        # Commits the bytes first (call ends the request's transaction before it waits).
        await call(
            handle.execute_update(TicketWorkflow.attach, message),
            finished=_closed(ticket).detail,
            session=session,
        )
    except (Conflict, InvalidInput, TemporalUnreachable):
        # Refused, or never sent: nothing recorded them, so the bytes go again. (Sent but not
        # confirmed, they stay: the record may yet be written.)
        await session.execute(delete(AttachmentContent).where(AttachmentContent.id.in_(ids)))
        await session.commit()
        raise
    rows = {
        row.id: row
        for row in await session.scalars(
            select(TicketAttachment).where(TicketAttachment.id.in_(ids))
        )
    }
    added = []
    for i, c in zip(ids, checked, strict=True):
        # Not yet readable only while the database is away (the workflow saves it again).
        row = rows.get(i) or TicketAttachment(
            id=i,
            ticket_id=ticket.id,
            filename=c.filename,
            content_type=c.content_type,
            size=c.size,
            sha256=c.sha256,
            seq=0,
            added_by=message.by,
            added_by_customer=customer,
            public=shown,
            added_at=now,
        )
        added.append(_out(row, ticket.reference, principal))
    return added


async def list_attachments(
    session: AsyncSession, principal: Principal, reference: str
) -> list[AttachmentOut]:
    """A ticket's files, oldest first: to a customer, the public ones only. Reads none of
    their bytes."""
    await _STAFF_OR_CUSTOMER(principal)
    ticket = await tickets.load(session, reference, principal)
    query = select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
    if _customer(principal):
        query = query.where(TicketAttachment.public.is_(True))
    rows = await session.scalars(query.order_by(TicketAttachment.seq))
    return [_out(row, ticket.reference, principal) for row in rows]


async def fetch_attachment(
    session: AsyncSession, principal: Principal, reference: str, attachment_id: str
) -> Download:
    """One file with its bytes, for download; the same 404 for a file of another ticket, an
    internal one asked for by a customer, or none."""
    await _STAFF_OR_CUSTOMER(principal)
    ticket = await tickets.load(session, reference, principal)
    row = await session.scalar(
        select(TicketAttachment)
        .where(TicketAttachment.id == attachment_id)
        .where(TicketAttachment.ticket_id == ticket.id)
    )
    content = None
    if row is not None and (row.public or not _customer(principal)):
        content = await session.scalar(
            select(AttachmentContent.content)
            .where(AttachmentContent.id == row.id)
            .where(AttachmentContent.ticket_id == ticket.id)
        )
    if row is None or content is None:
        raise NotFound(f"No attachment {attachment_id} on ticket {reference}")
    return Download(row.filename, row.content_type, content, row.sha256)
