"""Helpers for ticket workflow tests: committed accounts, opening tickets, reading results."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from api.auth import Principal
from api.references import new_reference
from db.models import (
    Account,
    Contact,
    Edition,
    Notification,
    Role,
    Ticket,
    TicketClock,
    TicketEvent,
)
from db.session import make_session_factory
from outbound.signing import new_secret
from sla import PolicySnapshot, get_policy
from sla.ticket import TicketType
from tests.waiting import eventually  # noqa: F401 - the tests import it from here
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Opened, TicketOpening, TicketStart, TicketView

LONDON = ZoneInfo("Europe/London")


async def make_account(
    engine: AsyncEngine,
    policy: str,
    *,
    calendar: str | None = None,
    webhook_url: str | None = None,
    representative: bool = False,
    account_manager: bool | None = None,
    success_manager_email: str | None = None,
) -> tuple[Account, Contact]:
    """A committed account with one contact (the activities write through their own sessions);
    an account manager unless told otherwise or the policy has none (e-shot)."""
    if account_manager is None:
        account_manager = get_policy(policy).has_account_managers
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        account = Account(
            name=f"{policy} customer {uuid.uuid4().hex[:8]}",
            policy=policy,
            edition=Edition.ENTERPRISE,
            calendar=calendar,
            account_manager_name="Ana Manager" if account_manager else None,
            account_manager_email=(
                f"am-{uuid.uuid4().hex[:6]}@customer.example.com" if account_manager else None
            ),
            success_manager_name="Sasha Success" if success_manager_email else None,
            success_manager_email=success_manager_email,
            webhook_url=webhook_url,
            webhook_secret=new_secret() if webhook_url else None,
        )
        session.add(account)
        await session.flush()
        contact = Contact(
            account_id=account.id,
            name="Casey Contact",
            email=f"casey-{uuid.uuid4().hex[:6]}@customer.example.com",
            phone="01483 911 411",
            is_representative=representative,
        )
        session.add(contact)
    return account, contact


async def open_ticket(
    client: Client,
    task_queue: str,
    account: Account,
    contact: Contact | None,
    *,
    priority: str,
    received_at: datetime,
    type: TicketType = TicketType.INCIDENT,
    reference: str | None = None,
    fingerprint: str = "f",
    channel: str = "phone",
    calendar: str | None = None,
    terms: PolicySnapshot | None = None,
    policy_version: int | None = None,
) -> TicketView:
    """Open a ticket as the API does: under `terms` (version `policy_version` of the account's
    policy), by default the snapshot of the account's policy as this process finds it now."""
    opening = TicketOpening(
        reference=reference or new_reference("T"),
        account_id=account.id,
        contact_id=contact.id if contact else None,
        subject="Campaign will not send",
        description="The send button does nothing.",
        channel=channel,
        type=type,
        policy=account.policy,
        calendar=calendar or account.calendar,
        priority=priority,
        received_at=received_at,
        opened_by="Sam Agent",
        fingerprint=fingerprint,
        terms=terms or PolicySnapshot.of(get_policy(account.policy)),  # as the API logs one
        policy_version=policy_version,
    )
    start = WithStartWorkflowOperation(
        TicketWorkflow.run,
        TicketStart(opening=opening),
        id=f"ticket-{opening.reference}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await client.execute_update_with_start_workflow(
        TicketWorkflow.opened, Opened(fingerprint=fingerprint), start_workflow_operation=start
    )


ADMIN = Principal(key_id=None, name="Ada Admin", role=Role.ADMIN, account_id=None)


async def save_policy(
    engine: AsyncEngine,
    key: str,
    *,
    copy_of: str | None = None,
    change: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[int, PolicySnapshot]:
    """A version of policy `key` saved (committed) through services.policies, as an admin saves
    it: version 1 from the JSON of `copy_of`, or the next version with `change` made to the
    newest's JSON. Its number, and the snapshot a ticket opened under it (or moved to it) keeps."""
    from services import policies

    # A writer's session, as the API's: on SQLite it takes the write lock when it begins, so a
    # worker writing meanwhile makes it wait rather than fail.
    async with make_session_factory(engine, writes=True)() as session, session.begin():
        if copy_of is not None:
            body = await policies.read(session, ADMIN, "policy", copy_of)
            saved = await policies.create(session, ADMIN, "policy", {**body, "key": key})
        else:
            body = await policies.read(session, ADMIN, "policy", key)
            if change is not None:
                change(body)
            saved = await policies.save_version(session, ADMIN, "policy", key, body)
        found = await policies.stored(session, "policy", key, saved["version"])
    return saved["version"], PolicySnapshot.of(found.model)


async def events(engine: AsyncEngine, reference: str) -> list[TicketEvent]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(TicketEvent)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(Ticket.reference == reference)
                .order_by(TicketEvent.seq)
            )
        )


async def kinds(engine: AsyncEngine, reference: str) -> list[str]:
    return [event.kind for event in await events(engine, reference)]


async def row(engine: AsyncEngine, reference: str) -> Ticket | None:
    async with AsyncSession(engine) as session:
        return await session.scalar(select(Ticket).where(Ticket.reference == reference))


async def clocks(engine: AsyncEngine, reference: str) -> dict[str, TicketClock]:
    async with AsyncSession(engine) as session:
        found = await session.scalars(
            select(TicketClock)
            .join(Ticket, Ticket.id == TicketClock.ticket_id)
            .where(Ticket.reference == reference)
        )
        return {clock.name: clock for clock in found}


async def notifications(engine: AsyncEngine, reference: str) -> list[Notification]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(Notification)
                .where(Notification.event_id.like(f"{reference}:%"))
                .order_by(Notification.sent_at)
            )
        )


def next_weekday_at(now: datetime, weekday: int, hour: int, minute: int = 0) -> datetime:
    """The next local London `weekday` (0 = Monday) at hh:mm, at least a day after `now`."""
    day = (now.astimezone(LONDON) + timedelta(days=1)).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@dataclass
class WebhookSink:
    """A real HTTP server on loopback that keeps every JSON body POSTed to it."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    # What came over the wire, for checking signatures: (headers, body) per POST.
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


def serve_webhooks() -> Iterator[WebhookSink]:
    sink = WebhookSink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
            length = int(self.headers.get("content-length", 0))
            raw = self.rfile.read(length)
            sink.raw.append((dict(self.headers.items()), raw))
            body = json.loads(raw)
            body["_idempotency_key"] = self.headers.get("Idempotency-Key")
            sink.received.append(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
