"""Events a save could not write while the database was away are neither dropped by the run
ending nor by its continuing as new: the run keeps them and waits for the save that writes them.

The worker reaches PostgreSQL through a loopback proxy the test cuts and restores (the shared
server keeps running; the test reads through its own connection). PostgreSQL only: SQLite has
no server to lose, and its outage (a held write lock) is tested in tests/api.

Slow by nature: with the database away a save spends its bounded local retries (RECORD_RETRY,
about half a minute of real back-off the time-skipping server cannot skip) before the events go
back to the journal, and an update's save is followed by the clocks' resave and then the run
loop's. The three cases run side by side so the outage is paid for once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from db.session import make_engine, make_sync_engine
from settings import Settings
from sla.ticket import TicketStatus
from tests.conftest import POSTGRES_ADMIN_URL
from tests.tcp_proxy import TcpProxy
from tests.workflows.complaints import complaint_kinds, log_complaint
from tests.workflows.tickets import kinds, make_account, open_ticket
from worker import build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import AssignHandler
from workflows.ticket import RESAVE_AFTER, TicketWorkflow
from workflows.ticket_messages import Assign, Close, Resolve

# The update's own save, the clocks' resave inside it, and the run loop's: all fail while cut.
SAVES_BEFORE_THE_GUARD = 3
OUTAGE_TIMEOUT = 30 * 60.0


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(make_url(POSTGRES_ADMIN_URL).port or 5432)
    await proxy.restore()
    yield proxy
    if proxy._server is not None:
        await proxy.cut()


async def until(probe: Callable[[], object], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():  # type: ignore[misc]
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.5)


async def failed_saves(handle: WorkflowHandle) -> int:
    """Saves (the workflows' only local activities) that ended failed in the current run."""
    history = await handle.fetch_history()
    return sum(
        1
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        and event.marker_recorded_event_attributes.HasField("failure")
    )


async def run_id(handle: WorkflowHandle) -> str:
    return (await handle.describe()).run_id or ""


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_events_kept_for_a_database_that_is_away_are_saved_before_the_run_ends_or_hands_over(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    database_url: str,
    settings: Settings,
    proxy: TcpProxy,
) -> None:
    env = time_skipping_env
    proxied = make_url(database_url).set(port=proxy.port).render_as_string(hide_password=False)
    worker_settings = settings.model_copy(update={"database_url": proxied})
    worker_engine, worker_sync_engine = make_engine(proxied), make_sync_engine(proxied)
    deps = ActivityDeps.create(worker_settings, "test-worker", worker_engine, worker_sync_engine)
    queue = settings.temporal_task_queue
    try:
        with ThreadPoolExecutor(2) as executor:
            async with build_worker(env.client, deps, executor):
                await _scenario(env, engine, queue, proxy)
    finally:
        await worker_engine.dispose()
        worker_sync_engine.dispose()


async def _scenario(
    env: WorkflowEnvironment, engine: AsyncEngine, queue: str, proxy: TcpProxy
) -> None:
    now = await env.get_current_time()
    account, _ = await make_account(engine, "spotler")
    closing = await open_ticket(env.client, queue, account, None, priority="low", received_at=now)
    handing = await open_ticket(env.client, queue, account, None, priority="low", received_at=now)
    complaint = await log_complaint(env.client, queue, received_at=now)
    to_close = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{closing.reference}")
    to_hand = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{handing.reference}")
    complaint_handle = env.client.get_workflow_handle_for(
        ComplaintWorkflow.run, f"complaint-{complaint.reference}"
    )
    await to_close.execute_update(TicketWorkflow.resolve, Resolve(actor="Ola"))
    assert "resolved" in await kinds(engine, closing.reference)
    first_runs = {h.id: await run_id(h) for h in (to_close, to_hand, complaint_handle)}

    await proxy.cut()
    updates = [
        await to_close.start_update(
            TicketWorkflow.close,
            Close(actor="Ola", representative_agreed=True),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        ),
        await to_hand.start_update(
            TicketWorkflow.assign,
            Assign(actor="Ola", name="Ravi"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        ),
        await complaint_handle.start_update(
            ComplaintWorkflow.assign,
            AssignHandler(actor="Hana", name="Ravi"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        ),
    ]
    # Asked to hand over while the events wait: it must not, or they would be dropped.
    await to_hand.signal(TicketWorkflow.continue_as_new_now)
    await complaint_handle.signal(ComplaintWorkflow.continue_as_new_now)
    closed, assigned, complaint_assigned = await asyncio.wait_for(
        asyncio.gather(*(u.result() for u in updates)), OUTAGE_TIMEOUT
    )
    # An update whose save failed still answers with the state the workflow now holds.
    assert closed.status is TicketStatus.CLOSED
    assert assigned.assignee_name == "Ravi"
    assert complaint_assigned.handler_name == "Ravi"

    async def every_loop_gave_up_its_save() -> bool:
        counts = [await failed_saves(h) for h in (to_close, to_hand, complaint_handle)]
        return min(counts) >= SAVES_BEFORE_THE_GUARD

    await until(every_loop_gave_up_its_save, timeout=OUTAGE_TIMEOUT)
    # The runs are past the point where they would end or hand over, the database still away:
    # each is the same run, still running, and nothing of the outage is in the database.
    for handle in (to_close, to_hand, complaint_handle):
        description = await handle.describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert description.run_id == first_runs[handle.id]
    assert "closed" not in await kinds(engine, closing.reference)
    assert "assigned" not in await kinds(engine, handing.reference)
    assert "assigned" not in await complaint_kinds(engine, complaint.reference)

    await proxy.restore()
    await env.sleep(RESAVE_AFTER + timedelta(minutes=1))

    async def closed_ticket_ended() -> bool:
        return (await to_close.describe()).status == WorkflowExecutionStatus.COMPLETED

    async def handed_over(handle: WorkflowHandle) -> bool:
        return await run_id(handle) != first_runs[handle.id]

    await until(closed_ticket_ended)
    await until(lambda: handed_over(to_hand))
    await until(lambda: handed_over(complaint_handle))
    # Each event the outage held back is in the history once: saved before the run moved on.
    assert (await kinds(engine, closing.reference)).count("closed") == 1
    assert (await kinds(engine, handing.reference)).count("assigned") == 1
    assert (await complaint_kinds(engine, complaint.reference)).count("assigned") == 1
    # The new runs carry the state on.
    assert (await to_hand.query(TicketWorkflow.view)).assignee_name == "Ravi"
    assert (await complaint_handle.query(ComplaintWorkflow.view)).handler_name == "Ravi"
