"""The contact is asked how it went once per ticket, by the first resolution's mail: a ticket
reopened and resolved again is not asked twice. Time-skipping server, real database and SMTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from db.models import Contact, SatisfactionAsk, Ticket, TicketEvent
from outbound.ticket_links import link_secret, rate_token
from settings import Settings
from tests.conftest import Inbox
from tests.waiting import eventually
from tests.workflows.tickets import make_account, open_ticket
from worker import build_worker
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Act

RATE_LINK = re.compile(r"https?://\S+/rate/(?P<ref>[A-Z0-9-]+)\?token=(?P<token>[0-9a-f]+)")
ASK = "How did we do?"


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


def _text(message) -> str:  # type: ignore[no-untyped-def]
    return str(message.get_content()).replace("\r\n", "\n")


async def _asks(engine: AsyncEngine, reference: str) -> list[SatisfactionAsk]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(SatisfactionAsk)
                .join(Ticket, Ticket.id == SatisfactionAsk.ticket_id)
                .where(Ticket.reference == reference)
            )
        )


async def _resolutions(engine: AsyncEngine, reference: str) -> list[str]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(TicketEvent.id)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(Ticket.reference == reference, TicketEvent.kind == "resolved")
                .order_by(TicketEvent.seq)
            )
        )


async def test_the_contact_is_asked_once_across_a_reopening_and_only_in_their_own_copy(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    # essensys: every authorised representative hears of the resolution; only the contact
    # who raised the ticket is asked how it went.
    account, contact = await make_account(engine, "essensys", representative=True)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        colleague = Contact(
            account_id=account.id,
            name="Robin Representative",
            email=f"robin-{uuid.uuid4().hex[:6]}@customer.example.com",
            phone="01483 911 412",
            is_representative=True,
        )
        session.add(colleague)
    now = await env.get_current_time()
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p3", received_at=now
    )
    ref = view.reference
    h = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{ref}")

    def resolved_to(address: str, count: int):  # type: ignore[no-untyped-def]
        async def arrived() -> list:  # type: ignore[type-arg]
            found = [
                m
                for m in inbox.about(ref)
                if m["X-Pledge-Notice"] == "resolved" and address in m["X-Envelope-To"]
            ]
            return found if len(found) >= count else []

        return arrived

    await h.execute_update(TicketWorkflow.resolve, Act(actor="Alex"))
    [first] = await inbox.wait_for(
        lambda m: m["X-Pledge-Notice"] == "resolved" and contact.email in m["X-Envelope-To"]
    )
    text = _text(first)
    assert ASK in text
    link = RATE_LINK.search(text)
    assert link is not None and link["ref"] == ref
    assert link["token"] == rate_token(link_secret(settings), ref)
    [theirs] = await inbox.wait_for(
        lambda m: m["X-Pledge-Notice"] == "resolved" and colleague.email in m["X-Envelope-To"]
    )
    assert ASK not in _text(theirs) and "/rate/" not in _text(theirs)

    [asked] = await _asks(engine, ref)
    [first_resolution] = await _resolutions(engine, ref)
    assert asked.event_id == first_resolution

    # Reopened and resolved again: the second resolution's mail does not ask again.
    await env.sleep(timedelta(hours=1))
    await h.execute_update(TicketWorkflow.reopen, Act(actor="Alex", note="Not fixed after all"))
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Alex"))
    both = await eventually(resolved_to(contact.email, 2), 30, what="the second resolution mail")
    second = _text(both[1])
    assert "We have resolved your request" in second
    assert ASK not in second and "/rate/" not in second
    assert len(await _resolutions(engine, ref)) == 2
    [still] = await _asks(engine, ref)
    assert (still.event_id, still.asked_at) == (first_resolution, asked.asked_at)
