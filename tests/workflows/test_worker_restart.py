"""Kill the worker process while tickets are open, restart it: every breach is recorded once.

Real parts throughout: worker.py as a subprocess on the dev server, both databases, the SMTP
listener. The tickets are web-agency "mission-critical" (1 calendar hour, 24/7), logged with a
received_at just under an hour ago so their first-response deadlines fall a few seconds ahead
whatever the day and time the suite runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType, PendingWorkflowTaskState
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from tests.conftest import Inbox
from tests.worker_process import sigkill, worker_environment, worker_process
from tests.workflows.tickets import events, eventually, make_account, notifications, open_ticket
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Assign

TICKETS = 5  # in each of the two groups below
# Long enough to open, assign and settle the tickets before the first deadline on a busy
# machine (about 2 s is typical; if it is not long enough the test fails, not proves less).
LEAD = timedelta(seconds=6)
# Between the two groups' deadlines: room to catch the first group mid-recording and kill.
GAP = timedelta(seconds=3)
# A workflow task the killed worker had started is retried only when it times out (after the
# default workflow task timeout, 10 s, which the API's starts keep), so that long at least.
SETTLE = 30.0
TIMED_OUT = EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT


@dataclass
class Opened:
    reference: str
    due: datetime
    account_manager: str
    contact: str
    assignee: str | None

    @property
    def breach_recipients(self) -> list[str]:
        # The default escalation chain (web-agency names none): assignee, account manager.
        return sorted(a for a in (self.assignee, self.account_manager) if a)


# -- the tickets ----------------------------------------------------------------------------------


async def open_tickets(
    client: Client, settings: Settings, engine: AsyncEngine, dues: list[datetime]
) -> list[Opened]:
    """One ticket per due, over two accounts, every other one assigned."""
    accounts = [await make_account(engine, "web-agency") for _ in range(2)]
    views = await asyncio.gather(
        *(
            open_ticket(
                client,
                settings.temporal_task_queue,
                *accounts[i % 2],
                priority="mission-critical",
                received_at=due - timedelta(hours=1),
            )
            for i, due in enumerate(dues)
        )
    )
    # Let the opening's own mail (confirmation, and the warning, already past at receipt) go
    # first. An activity in flight at the kill is retried only after its 2-minute
    # start-to-close timeout (and one killed between its send and its record sends twice);
    # and a notification's recipients are looked up when it runs, so assigning sooner would
    # race the warning to the assignee.
    references = [view.reference for view in views]
    settled = await eventually(
        lambda: _all_notified(engine, references, {"confirmation", "warning"})
    )
    assert settled, "the opening notifications did not arrive"
    assignees = [
        f"alex-{uuid.uuid4().hex[:6]}@pledge.example.com" if i % 2 == 0 else None
        for i in range(len(dues))
    ]
    await asyncio.gather(
        *(
            _handle(client, view.reference).execute_update(
                TicketWorkflow.assign, Assign(actor="Lead", name="Alex Agent", email=assignee)
            )
            for view, assignee in zip(views, assignees, strict=True)
            if assignee
        )
    )
    opened = []
    for i, (view, due, assignee) in enumerate(zip(views, dues, assignees, strict=True)):
        account, contact = accounts[i % 2]
        assert view.first_response_due == due
        opened.append(
            Opened(
                reference=view.reference,
                due=due,
                account_manager=str(account.account_manager_email),
                contact=contact.email,
                assignee=assignee,
            )
        )
    return opened


def _handle(client: Client, reference: str):  # type: ignore[no-untyped-def]
    return client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{reference}")


async def _all_notified(engine: AsyncEngine, references: list[str], kinds: set[str]) -> bool:
    for reference in references:
        if not kinds <= {n.kind for n in await notifications(engine, reference)}:
            return False
    return True


async def breaches(engine: AsyncEngine, reference: str) -> list[str]:
    return [
        event.id
        for event in await events(engine, reference)
        if event.kind == "breach" and event.data.get("clock") == "first_response"
    ]


async def sleep_until(at: datetime) -> None:
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))


async def _quiet(client: Client, opened: list[Opened]) -> bool:
    """No workflow task and no activity left to run: nothing more can be sent or recorded."""
    for ticket in opened:
        description = (await _handle(client, ticket.reference).describe()).raw_description
        if description.pending_activities or description.HasField("pending_workflow_task"):
            return False
    return True


async def _breaches_done(engine: AsyncEngine, client: Client, opened: list[Opened]) -> bool:
    for ticket in opened:
        told = {
            n.recipient for n in await notifications(engine, ticket.reference) if n.kind == "breach"
        }
        if not await breaches(engine, ticket.reference) or told != set(ticket.breach_recipients):
            return False
    return await _quiet(client, opened)


async def assert_each_breach_recorded_once(
    engine: AsyncEngine, client: Client, inbox: Inbox, opened: list[Opened]
) -> None:
    assert await eventually(lambda: _breaches_done(engine, client, opened), timeout=SETTLE), (
        "the restarted worker did not record and announce every breach"
    )
    for ticket in opened:
        reference = ticket.reference
        assert len(await breaches(engine, reference)) == 1, await events(engine, reference)
        # Recorded as of its deadline, however late the worker that recorded it came back.
        [breach] = [
            e
            for e in await events(engine, reference)
            if e.kind == "breach" and e.data.get("clock") == "first_response"
        ]
        assert datetime.fromisoformat(breach.data["due"]) == ticket.due
        sent = Counter((n.kind, n.recipient) for n in await notifications(engine, reference))
        # The warning was due at receipt, before anyone was assigned: it went to the account
        # manager alone (a warning goes to the first of the chain who can be told).
        assert sent == Counter(
            [("confirmation", ticket.contact), ("warning", ticket.account_manager)]
            + [("breach", address) for address in ticket.breach_recipients]
        ), sent
        mailed = Counter(
            m["To"] for m in inbox.about(reference) if "SLA breached" in str(m["Subject"])
        )
        assert mailed == Counter(ticket.breach_recipients), mailed
        # A breach applied twice would also have escalated twice.
        view = await _handle(client, reference).query(TicketWorkflow.view)
        assert (view.line, view.breached) == (2, True)


@contextlib.asynccontextmanager
async def tickets_locked(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold a lock that makes the record_ticket activity wait (reads still go through)."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("LOCK TABLE tickets IN EXCLUSIVE MODE"))
            else:
                # Any write statement, even one matching nothing, takes SQLite's write lock.
                await connection.execute(text("UPDATE tickets SET version = version WHERE 0"))
            yield
        finally:
            await transaction.rollback()


async def _recording(client: Client, opened: list[Opened]) -> bool:
    """Every ticket's breach timer has fired and its workflow task is running on the worker."""
    started = PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
    for ticket in opened:
        description = (await _handle(client, ticket.reference).describe()).raw_description
        if description.pending_workflow_task.state != started:
            return False
    return True


# -- the test -------------------------------------------------------------------------------------


async def test_a_killed_worker_is_replaced_and_every_breach_is_recorded_once(
    dev_server_env: WorkflowEnvironment,
    engine: AsyncEngine,
    settings: Settings,
    inbox: Inbox,
    tmp_path: Path,
) -> None:
    """One kill, two situations (together, as each costs seconds of real time):

    - `recording`: their deadlines pass while the worker runs, and it is killed while it is
      recording those breaches (held at a lock, so this is a state waited for, not a race);
    - `waiting`: their deadlines are still ahead at the kill, so their timers fire with no
      worker at all.
    """
    client = dev_server_env.client
    environment = worker_environment(dev_server_env, settings)
    async with worker_process(environment, tmp_path / "worker-1.log") as first:
        base = datetime.now(UTC) + LEAD
        # Staggered a little, so the timers do not all fire in the same instant.
        dues = [base + timedelta(milliseconds=50 * i) for i in range(2 * TICKETS)]
        dues[TICKETS:] = [due + GAP for due in dues[TICKETS:]]
        opened = await open_tickets(client, settings, engine, dues)
        recording, waiting = opened[:TICKETS], opened[TICKETS:]
        async with tickets_locked(engine):
            assert datetime.now(UTC) < recording[0].due, "setup overran the deadlines"
            await sleep_until(recording[-1].due)
            stuck = await eventually(lambda: _recording(client, recording), timeout=10)
            assert stuck, "the worker did not take up the fired breach timers"
            assert datetime.now(UTC) < waiting[0].due, "too late to kill before the others"
            await sigkill(first)
    assert not any([await breaches(engine, t.reference) for t in opened])

    await sleep_until(waiting[-1].due + timedelta(milliseconds=500))
    assert not any([await breaches(engine, t.reference) for t in opened])

    async with worker_process(environment, tmp_path / "worker-2.log"):
        await assert_each_breach_recorded_once(engine, client, inbox, opened)
    # Proof that the first group really was caught mid-task: the server timed out the task
    # the killed worker had started and handed it to the new one.
    for ticket in recording:
        history = await _handle(client, ticket.reference).fetch_history()
        assert any(event.event_type == TIMED_OUT for event in history.events), ticket.reference
