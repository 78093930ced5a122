"""Side effects of ticket workflows: the read model in the database, e-mail and webhooks."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from temporalio import activity

from activities import recipients, ticket_emails
from activities.deps import ActivityDeps
from activities.failures import refused_data_is_final
from activities.history import EventRow
from activities.webhooks import post_event
from db import contacts, satisfaction
from db.idempotent import insert_once, upsert_for
from db.models import (
    Account,
    Contact,
    Notification,
    Release,
    ReleaseTicket,
    Ticket,
    TicketAttachment,
    TicketClock,
    TicketEvent,
)
from db.projection import insert_missing, save_versioned, upsert_children
from db.types import utcnow
from workflows.ticket_messages import ATTACHED, ATTACHMENT_EVENTS


class ClockRow(BaseModel):
    name: str
    kind: str
    clock: str
    calendar: str
    target: str
    due: datetime | None
    state: str
    met_at: datetime | None
    breached_due: datetime | None
    paused_remaining_seconds: float | None


class TicketRecord(BaseModel):
    """Everything the tickets table holds for one ticket, plus its clocks and new events."""

    reference: str
    account_id: int
    contact_id: int | None
    subject: str
    description: str
    channel: str
    type: str
    policy: str
    # None from a run opened before versions were recorded: the row keeps what it has.
    policy_version: int | None = None
    calendar: str | None
    priority: str
    status: str
    line: int
    assignee_name: str | None
    assignee_email: str | None
    routed_to: str | None
    campaign_scheduled_at: datetime | None
    received_at: datetime
    opened_at: datetime
    opened_by: str
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    next_due: datetime | None
    breached: bool
    version: int
    updated_at: datetime
    releases: list[str] = []
    clocks: list[ClockRow] = []
    events: list[EventRow] = []


Role = Literal[
    "contact",
    "representatives",
    "assignee",
    "account_manager",
    "success_manager",
    "customer_services_manager",
    "development",
    "team",
]


class TicketNotice(BaseModel):
    """Tell people about an event on a ticket; the activity finds their addresses."""

    event_id: str
    reference: str
    kind: Literal[
        "confirmation",
        "warning",
        "breach",
        "routed",
        "release_shipped",
        "reply",
        "waiting",
        "resolved",
        "closed",
    ]
    # Who was assigned when it happened: a later assignment must not redirect this notice.
    assignee_email: str | None = None
    roles: list[Role]
    first_only: bool = False  # only the first role that has someone to tell
    webhook: bool = False
    clock: str | None = None
    due: datetime | None = None
    at: datetime
    line: int | None = None
    release_name: str | None = None
    # For the customer's mails: an agent's reply, what is asked of them while waiting, how
    # waiting went (paused, regraded, running), who agreed to a closure.
    body: str | None = None
    message: str | None = None
    outcome: str | None = None
    delayed: bool = False
    representative: str | None = None
    # The customer's own Message-ID when the ticket came from their mail: the contact's
    # confirmation answers it and their later mails name it first in References.
    reply_to_message_id: str | None = None


class ReleaseRecord(BaseModel):
    id: str
    name: str
    kind: str
    policy: str | None = None  # None only for releases planned before they named a product
    planned_for: date
    notes: str
    shipped_at: datetime | None
    created_by: str
    created_at: datetime
    linked: list[str] = []  # ticket references


def attachment_row(ticket_id: int, event: EventRow) -> dict[str, Any]:
    """The ticket_attachments row an attaching event records (written with the event, so a
    file is listed exactly when its line in the history is)."""
    data = event.data
    return {
        "id": data["attachment_id"],
        "ticket_id": ticket_id,
        "event_id": event.id,
        "seq": event.seq,
        "filename": data["filename"],
        "content_type": data["content_type"],
        "size": data["size"],
        "sha256": data["sha256"],
        "added_by": data.get("by") or event.actor,
        "added_by_customer": data.get("author") == "customer",
        "public": event.kind == ATTACHED,
        "added_at": event.at,
    }


class TicketActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_ticket(self, record: TicketRecord) -> int:
        """Bring the ticket's row and clocks to this version and append its new events.

        Idempotent and order-proof: a retry or an older version arriving late changes nothing,
        because the row only moves forward in version and events are keyed by their id.
        """
        values = record.model_dump(exclude={"clocks", "events", "releases"})
        if values["policy_version"] is None:
            del values["policy_version"]
        with refused_data_is_final(f"ticket {record.reference}"):
            return await self._record(record, values)

    async def _record(self, record: TicketRecord, values: dict[str, Any]) -> int:
        async with self._deps.session_factory() as session, session.begin():
            ticket_id, written = await save_versioned(session, Ticket.__table__, values)
            if written:
                await upsert_children(
                    session,
                    TicketClock.__table__,
                    ("ticket_id", "name"),
                    [{"ticket_id": ticket_id, **clock.model_dump()} for clock in record.clocks],
                )
            await insert_missing(
                session,
                TicketEvent.__table__,
                [{"ticket_id": ticket_id, **event.model_dump()} for event in record.events],
            )
            await insert_missing(
                session,
                TicketAttachment.__table__,
                [
                    attachment_row(ticket_id, event)
                    for event in record.events
                    if event.kind in ATTACHMENT_EVENTS
                ],
            )
            await insert_missing(
                session,
                ReleaseTicket.__table__,
                [
                    {"release_id": release, "ticket_id": ticket_id, "linked_at": record.updated_at}
                    for release in record.releases
                ],
            )
            return ticket_id

    @activity.defn
    async def notify_ticket(self, notice: TicketNotice) -> list[str]:
        """E-mail the people `notice.roles` names (and call the account's webhook); returns
        the addresses told.

        A retry skips every recipient already recorded as told. A crash between sending and
        recording can still send one message twice (SMTP cannot be made exactly-once); the
        Message-ID is derived from the event and recipient, so mail clients fold such a
        duplicate into one.
        """
        async with self._deps.session_factory() as session:
            ticket = await session.scalar(
                select(Ticket).where(Ticket.reference == notice.reference)
            )
            if ticket is None:
                raise RuntimeError(f"ticket {notice.reference} is not recorded yet")
            account = await session.get(Account, ticket.account_id)
            contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
            representatives = (
                list(
                    await session.scalars(
                        select(Contact)
                        .where(Contact.account_id == ticket.account_id)
                        .where(Contact.is_representative.is_(True), contacts.current())
                        .order_by(Contact.id)
                    )
                )
                if "representatives" in notice.roles
                else []
            )
            already = set(
                await session.scalars(
                    select(Notification.id).where(Notification.event_id == notice.event_id)
                )
            )
        assert account is not None
        asking = False
        if notice.kind == "resolved" and ticket.contact_id is not None:
            # Asked once per ticket: the first resolution's mail asks (on every retry of it),
            # a resolution after a reopening does not.
            async with self._deps.session_factory() as session, session.begin():
                asking = await satisfaction.ask_once(session, ticket.id, notice.event_id, notice.at)
        recipients = self._recipients(notice, ticket, account, contact, representatives)
        people = [*representatives, *([contact] if contact else [])]
        names = {c.email: c.name for c in people}
        # Those who may sign in to the portal are sent to the ticket's page there.
        portal = {c.email for c in people if c.may_use_portal}
        told: list[str] = []
        for role, address in recipients:
            key = f"{notice.event_id}:email:{address}"
            if key not in already:
                message = ticket_emails.compose(
                    self._deps,
                    notice,
                    ticket,
                    account,
                    contact,
                    address,
                    message_key=key,
                    to_name=names.get(address),
                    portal=address in portal,
                    ask_rating=asking,
                )
                await asyncio.to_thread(self._deps.mailer.send, message)
                await self._remember(key, notice, "email", address, role)
            activity.heartbeat(address)
            told.append(address)
        if notice.webhook and account.webhook_url:
            key = f"{notice.event_id}:webhook:{account.webhook_url}"
            # Not recorded when webhooks are off: nothing was sent.
            if key not in already and await post_event(
                self._deps.settings,
                account.webhook_url,
                account.webhook_secret,
                notice.event_id,
                ticket_emails.webhook_payload(notice, ticket),
            ):
                await self._remember(key, notice, "webhook", account.webhook_url, "webhook")
        return told

    def _recipients(
        self,
        notice: TicketNotice,
        ticket: Ticket,
        account: Account,
        contact: Contact | None,
        representatives: list[Contact] = [],  # noqa: B006 - never mutated
    ) -> list[tuple[str, str]]:
        settings = self._deps.settings
        policy = recipients.policy_or_none(ticket.policy)
        roles = recipients.escalation_roles(
            notice.kind,
            list(notice.roles),
            policy,
            escalation_contact=account.escalation_email is not None,
        )
        addresses: dict[str, str | None] = {
            # A leaver is never mailed again, even about a ticket they raised.
            "contact": contact.email if contact and contact.removed_at is None else None,
            "assignee": notice.assignee_email,
            "account_manager": account.account_manager_email,
            "success_manager": account.success_manager_email,
            "escalation_contact": account.escalation_email,
            "customer_services_manager": settings.customer_services_email,
            "development": settings.development_email,
        }
        if recipients.team_is_needed(addresses, roles):
            addresses["team"] = recipients.team_address(policy, settings.team_email)
        found = [(role, addresses[role]) for role in roles if addresses.get(role)]
        if "representatives" in roles:
            found += [("representatives", c.email) for c in representatives]
        unique: list[tuple[str, str]] = []
        for role, address in found:
            if address and address not in [a for _, a in unique]:
                unique.append((role, address))
        return unique[:1] if notice.first_only else unique

    async def _remember(
        self, key: str, notice: TicketNotice, channel: str, recipient: str, role: str
    ) -> None:
        async with self._deps.session_factory() as session, session.begin():
            await insert_once(
                session,
                Notification,
                id=key,
                event_id=notice.event_id,
                channel=channel,
                recipient=recipient,
                role=role,
                kind=notice.kind,
                sent_at=utcnow(),
            )

    @activity.defn
    async def record_release(self, record: ReleaseRecord) -> None:
        """Bring the release's row up to date (created, linked, shipped)."""
        values = record.model_dump(exclude={"linked"})
        async with self._deps.session_factory() as session, session.begin():
            insert = upsert_for(session)
            statement = insert(Release).values(**values)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Release.id],
                    set_={"shipped_at": statement.excluded.shipped_at},
                )
            )

    @activity.defn
    async def linked_tickets(self, release_id: str) -> list[str]:
        """References of the tickets linked to a release, as their workflows recorded them."""
        async with self._deps.session_factory() as session:
            rows = await session.scalars(
                select(Ticket.reference)
                .join(ReleaseTicket, ReleaseTicket.ticket_id == Ticket.id)
                .where(ReleaseTicket.release_id == release_id)
                .order_by(Ticket.reference)
            )
            return list(rows)
