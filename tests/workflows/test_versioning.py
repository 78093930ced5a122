"""Long-lived tickets and complaints survive change: edited presets, replays, new runs.

Each test runs a real worker on the time-skipping server and stops and starts it the way a
deploy does; a new worker holds no cached workflow state, so its first task for a running case
replays the whole history with whatever presets and code it has (docs/workflow-changes.md).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from activities.tickets import ReleaseRecord
from db.models import Complaint, ComplaintEvent
from settings import Settings
from sla.complaint import ComplaintSla
from sla.regimes import get_regime, jurisdiction_calendar
from sla.ticket import ClockState, TicketStatus
from tests.conftest import TEST_CONVERTER
from tests.workflows.complaints import complaint_row, letters, log_complaint
from tests.workflows.tickets import (
    LONDON,
    events,
    eventually,
    make_account,
    open_ticket,
    row,
    save_policy,
)
from worker import build_replayer, build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import Act as ComplaintAct
from workflows.complaint_messages import AssignHandler
from workflows.complaint_messages import Reply as ComplaintReply
from workflows.release import ReleaseWorkflow, ShipRequest
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Act, Assign, Link, MoveTerms, Reply, Reprioritise

PRESETS = Path(sla.__file__).parent / "presets"
REGIMES = Path(sla.__file__).parent / "regimes"


# -- a worker that can be stopped and started, reading presets from a directory --------------


@pytest.fixture
def data_dirs(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Copies of the shipped presets and regimes that a test may edit (PLEDGE_PRESETS_DIR...)."""
    presets, regimes = tmp_path / "presets", tmp_path / "regimes"
    shutil.copytree(PRESETS, presets)
    shutil.copytree(REGIMES, regimes)
    yield presets, regimes
    sla.use_data_dirs(None, None)  # the next test's worker reads the shipped files again


@pytest.fixture
def deps(
    settings: Settings, engine: AsyncEngine, sync_engine: Engine, data_dirs: tuple[Path, Path]
) -> ActivityDeps:
    presets, regimes = data_dirs
    configured = settings.model_copy(update={"presets_dir": presets, "regimes_dir": regimes})
    return ActivityDeps.create(configured, "test-worker", engine, sync_engine)


@asynccontextmanager
async def running(env: WorkflowEnvironment, deps: ActivityDeps) -> AsyncIterator[None]:
    """A worker for the length of the block; it reads the presets afresh when it starts."""
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(env.client, deps, executor):
            yield


def edit(path: Path, old: str, new: str) -> None:
    """Change a data file as a person would: its text, saved in place."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    assert at > now, f"cannot go back in time to {at}"
    await env.sleep(at - now)


async def next_working_day(env: WorkflowEnvironment, hour: int, minute: int = 0) -> datetime:
    """hh:mm London time on the next day that e-shot, Spotler and England all work."""
    cals = [sla.get_policy(k).calendar() for k in ("e-shot", "spotler")]
    cals.append(jurisdiction_calendar("england-and-wales"))
    day = (await env.get_current_time() + timedelta(days=1)).astimezone(LONDON).date()
    while not all(cal.is_working_day(day) for cal in cals):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), LONDON)


async def roll_over(handle: WorkflowHandle, signal: Any) -> str:
    """Make the run continue as new at its next safe point; returns the new run's id."""
    before = (await handle.describe()).run_id
    async with asyncio.timeout(30):
        await handle.signal(signal)

    async def new_run() -> str | None:
        run_id = (await handle.describe()).run_id
        return run_id if run_id != before else None

    run_id = await eventually(new_run)
    assert run_id, "the run did not continue as new"
    return run_id


IN_FLIGHT = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
)


async def replays(handle: WorkflowHandle) -> None:
    """The run's history replays on the code and presets as they are now, without a failure."""

    async def settled() -> WorkflowHistory | None:
        # A history cut in the middle of a workflow task is not one a worker would replay.
        history = await handle.fetch_history()
        return history if history.events[-1].event_type not in IN_FLIGHT else None

    history = await eventually(settled)
    assert history is not None, "the run's workflow task did not complete"
    async with asyncio.timeout(60):
        result = await build_replayer(TEST_CONVERTER).replay_workflow(history)
    assert result.replay_failure is None


async def ticket_kinds(engine: AsyncEngine, reference: str) -> list[str]:
    return [e.kind for e in await events(engine, reference)]


async def complaint_events(engine: AsyncEngine, reference: str) -> list[ComplaintEvent]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(ComplaintEvent)
                .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
                .where(Complaint.reference == reference)
                .order_by(ComplaintEvent.seq)
            )
        )


def numbered_once(seqs: list[int]) -> bool:
    return seqs == list(range(1, len(seqs) + 1))


# -- an edited preset or regime -------------------------------------------------------------
# On the dev server (a real Temporal server, real time), where a stopped worker's sticky queue
# lets go as in production. The ticket is logged with a received_at just under an hour ago, so
# its one-hour first response falls due seconds ahead whatever the time the suite runs.

LEAD = timedelta(seconds=12)


async def test_an_open_ticket_keeps_its_policy_through_an_edited_preset_replay_and_new_run(
    dev_server_env: WorkflowEnvironment,
    engine: AsyncEngine,
    deps: ActivityDeps,
    data_dirs: tuple[Path, Path],
) -> None:
    env, queue = dev_server_env, deps.settings.temporal_task_queue
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1) + LEAD
    account, contact = await make_account(engine, "web-agency")
    async with running(env, deps):
        view = await open_ticket(
            env.client, queue, account, contact, priority="mission-critical", received_at=received
        )
    first_due, resolution_due = received + timedelta(hours=1), received + timedelta(hours=4)
    assert (view.first_response_due, view.resolution_due) == (first_due, resolution_due)

    # Worker stopped; a person lengthens the mission-critical targets; the worker starts again.
    agency = data_dirs[0] / "web-agency.toml"
    edit(
        agency,
        'first_response]\namount = 1\nunit = "calendar_hours"',
        'first_response]\namount = 2\nunit = "calendar_hours"',
    )
    edit(agency, "resolution]\namount = 4\n", "resolution]\namount = 6\n")
    async with running(env, deps):
        targets = sla.get_policy("web-agency").priorities["mission-critical"].targets
        assert (targets["first_response"].amount, targets["resolution"].amount) == (2, 6)
        newer = await open_ticket(
            env.client, queue, account, contact, priority="mission-critical", received_at=received
        )
        assert newer.first_response_due == received + timedelta(hours=2)  # the edit is live

        h = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{view.reference}")
        # Its timer fires on this worker, which holds no state for the ticket: it replays the
        # whole history under the edited preset, then records the breach on the original due.
        assert await eventually(lambda: _breaches(engine, view.reference, 1), timeout=60)
        after_edit = await h.query(TicketWorkflow.view)
        assert (after_edit.first_response_due, after_edit.resolution_due) == (
            first_due,
            resolution_due,
        )
        await replays(h)

        await roll_over(h, TicketWorkflow.continue_as_new_now)
        await replays(h)  # the new run, which starts from the carry, replays too
        # A priority change recomputes every deadline from receipt: still under the old terms.
        for priority in ("bug-fix", "mission-critical"):
            await h.execute_update(
                TicketWorkflow.change_priority, Reprioritise(actor="Lead", priority=priority)
            )
        carried = await h.query(TicketWorkflow.view)
        assert (carried.first_response_due, carried.resolution_due) == (first_due, resolution_due)
        assert carried.clocks["first_response"].state is ClockState.BREACHED
    breaches = [e for e in await events(engine, view.reference) if e.kind == "breach"]
    assert [(e.data["clock"], e.data["due"]) for e in breaches] == [
        ("first_response", first_due.isoformat())
    ]
    assert breaches[0].at < received + timedelta(hours=2)  # not the edited due
    assert numbered_once([e.seq for e in await events(engine, view.reference)])
    record = await row(engine, view.reference)
    assert record is not None and record.resolution_due == resolution_due


async def _breaches(engine: AsyncEngine, reference: str, n: int) -> bool:
    return (await ticket_kinds(engine, reference)).count("breach") == n


async def test_an_open_complaint_keeps_its_regime_through_an_edited_file_replay_and_new_run(
    dev_server_env: WorkflowEnvironment,
    engine: AsyncEngine,
    deps: ActivityDeps,
    data_dirs: tuple[Path, Path],
) -> None:
    env, queue = dev_server_env, deps.settings.temporal_task_queue
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    async with running(env, deps):
        view = await log_complaint(env.client, queue, received_at=received)
    ack_due, reply_due = view.acknowledgement_due, view.reply_due

    # Worker stopped; a person doubles the standard regime's periods; the worker starts again.
    standard = data_dirs[1] / "standard.toml"
    edit(standard, "[acknowledgement]\namount = 5", "[acknowledgement]\namount = 10")
    edit(standard, "[reply]\namount = 20", "[reply]\namount = 40")
    async with running(env, deps):
        assert get_regime("standard").reply.amount == 40
        newer = await log_complaint(env.client, queue, received_at=received)
        assert newer.reply_due > reply_due  # the edit is live for new complaints

        h = env.client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{view.reference}")
        # The acknowledgement is this worker's first task for the complaint: it replays the
        # history under the edited regime, then recomputes the reply date from its snapshot.
        acknowledged = await h.execute_update(
            ComplaintWorkflow.acknowledge, ComplaintAct(actor="Hana Handler")
        )
        assert (acknowledged.acknowledgement_due, acknowledged.reply_due) == (ack_due, reply_due)
        assert acknowledged.original_reply_due == reply_due
        await replays(h)

        await roll_over(h, ComplaintWorkflow.continue_as_new_now)
        carried = await h.execute_update(
            ComplaintWorkflow.assign, AssignHandler(actor="Lead", name="Ola Other")
        )
        await replays(h)
        assert (carried.acknowledgement_due, carried.reply_due) == (ack_due, reply_due)
        assert [letter.kind for letter in carried.letters] == ["acknowledgement"]
    stored = await complaint_row(engine, view.reference)
    assert stored is not None
    assert (stored.reply_due, stored.original_reply_due) == (reply_due, reply_due)
    assert numbered_once([e.seq for e in await complaint_events(engine, view.reference)])


async def _complaint_count(engine: AsyncEngine, reference: str, kind: str, n: int) -> bool:
    return [e.kind for e in await complaint_events(engine, reference)].count(kind) == n


# -- continue-as-new forced mid-life --------------------------------------------------------
# On the time-skipping server with one worker throughout: the signal makes each run hand over
# to the next at its next safe point, and the checks compare what the next run knows with
# what the last one did.


@pytest.fixture
async def skipping(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    async with running(time_skipping_env, activity_deps):
        yield time_skipping_env


async def test_a_ticket_continued_as_new_mid_life_loses_nothing(
    skipping: WorkflowEnvironment, engine: AsyncEngine, activity_deps: ActivityDeps
) -> None:
    deps = activity_deps
    env, queue = skipping, deps.settings.temporal_task_queue
    opened_at = await next_working_day(env, 10)  # e-shot P2: first response in 2 business hours
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, queue, account, contact, priority="p2", received_at=opened_at
    )
    h = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{view.reference}")
    await h.execute_update(
        TicketWorkflow.assign,
        Assign(actor="Lead", name="Alex Agent", email="alex@pledge.example.com"),
    )
    release = ReleaseRecord(
        id=f"R-{view.reference[2:]}", name="4.2.1", kind="hotfix", planned_for=opened_at.date(),
        notes="", shipped_at=None, created_by="Lead", created_at=opened_at,
    )  # fmt: skip
    shipping = await env.client.start_workflow(
        ReleaseWorkflow.run, release, id=f"release-{release.id}", task_queue=queue
    )
    await h.execute_update(
        TicketWorkflow.link_release, Link(actor="Lead", release_id=release.id, release_name="4.2.1")
    )

    # Waiting on the customer from 10:30 pauses the clocks with 1.5 business hours left.
    await skip_to(env, opened_at + timedelta(minutes=30))
    await h.execute_update(TicketWorkflow.wait, Act(actor="Alex Agent"))
    await skip_to(env, opened_at + timedelta(hours=1, minutes=30))
    paused = await h.query(TicketWorkflow.view)
    assert paused.status is TicketStatus.WAITING
    assert paused.clocks["first_response"].state is ClockState.PAUSED
    left = paused.clocks["first_response"].remaining_seconds
    assert left is not None and 90 * 60 - 1 < left <= 90 * 60  # the update lands ms after 10:30

    await roll_over(h, TicketWorkflow.continue_as_new_now)
    assert await h.query(TicketWorkflow.view) == paused  # clocks, paused time, assignee, releases

    # The customer answers: the first response is due 1.5 hours on, its warning at 75%.
    resumed = await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Casey", author="customer", body="Here it is")
    )
    resumed_at = opened_at + timedelta(hours=1, minutes=30)
    assert resumed.first_response_due is not None
    assert abs(resumed.first_response_due - (resumed_at + timedelta(seconds=left))) < timedelta(
        seconds=1
    )
    assert resumed.version == paused.version + 1  # the read model's version goes on
    await skip_to(env, resumed_at + timedelta(minutes=61))
    assert await eventually(lambda: _count(engine, view.reference, "warning", 1))

    await roll_over(h, TicketWorkflow.continue_as_new_now)
    await skip_to(env, resumed.first_response_due + timedelta(seconds=1))
    assert await eventually(lambda: _count(engine, view.reference, "breach", 1))

    await roll_over(h, TicketWorkflow.continue_as_new_now)
    shipped = await shipping.execute_update(ReleaseWorkflow.ship, ShipRequest(actor="Lead"))
    assert shipped.tickets == [view.reference]  # the link was carried into the new runs
    assert await eventually(lambda: _count(engine, view.reference, "release_shipped", 1))
    final = await h.execute_update(TicketWorkflow.escalate, Act(actor="Alex Agent"))
    assert final.line == 3  # the breach's escalation was carried
    assert (final.assignee_name, final.releases) == ("Alex Agent", [release.id])
    assert final.clocks["final_resolution"].state is ClockState.MET

    recorded = await events(engine, view.reference)
    kinds = [e.kind for e in recorded]
    assert kinds.count("warning") == 1 and kinds.count("breach") == 1
    assert kinds[-3:] == ["release_shipped", "clock_met", "escalated"]
    assert numbered_once([e.seq for e in recorded])
    stored = await row(engine, view.reference)
    assert stored is not None
    assert (stored.version, stored.line, stored.assignee_name) == (final.version, 3, "Alex Agent")
    assert stored.first_response_due == resumed.first_response_due
    assert opened_at <= stored.opened_at < opened_at + timedelta(seconds=1)  # not reset by a carry


async def _count(engine: AsyncEngine, reference: str, kind: str, n: int) -> bool:
    return (await ticket_kinds(engine, reference)).count(kind) == n


async def test_a_complaint_continued_as_new_mid_life_loses_nothing(
    skipping: WorkflowEnvironment, engine: AsyncEngine, activity_deps: ActivityDeps
) -> None:
    deps = activity_deps
    env, queue = skipping, deps.settings.temporal_task_queue
    received = await next_working_day(env, 10)
    await skip_to(env, received)
    view = await log_complaint(env.client, queue, received_at=received)
    h = env.client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{view.reference}")
    assigned = await h.execute_update(
        ComplaintWorkflow.assign,
        AssignHandler(actor="Lead", name="Ola Other", email="ola@pledge.example.com"),
    )
    rules = ComplaintSla.open(
        regime="standard", jurisdiction="england-and-wales", received_at=received
    )
    assert view.acknowledgement_due is not None
    ack_reminder = rules.reminder_at(view.acknowledgement_due)
    assert ack_reminder is not None

    await skip_to(env, ack_reminder + timedelta(seconds=1))
    assert await eventually(lambda: _complaint_count(engine, view.reference, "reminder", 1))
    reminded = await h.query(ComplaintWorkflow.view)
    await roll_over(h, ComplaintWorkflow.continue_as_new_now)
    assert await h.query(ComplaintWorkflow.view) == reminded

    await skip_to(env, view.acknowledgement_due + timedelta(seconds=1))
    assert await eventually(lambda: _complaint_count(engine, view.reference, "breach", 1))
    acknowledged = await h.execute_update(
        ComplaintWorkflow.acknowledge, ComplaintAct(actor="Ola Other")
    )
    assert [letter.kind for letter in acknowledged.letters] == ["acknowledgement"]

    await roll_over(h, ComplaintWorkflow.continue_as_new_now)
    carried = await h.query(ComplaintWorkflow.view)
    assert carried == acknowledged  # letters, handler, clocks, version
    reply_reminder = rules.reminder_at(view.reply_due)
    assert reply_reminder is not None
    await skip_to(env, reply_reminder + timedelta(seconds=1))
    assert await eventually(lambda: _complaint_count(engine, view.reference, "reminder", 2))
    await roll_over(h, ComplaintWorkflow.continue_as_new_now)
    replied = await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Ola Other", body="We have fixed it.")
    )
    assert [letter.kind for letter in replied.letters] == ["acknowledgement", "reply"]
    assert (replied.handler_name, replied.handler_email) == ("Ola Other", "ola@pledge.example.com")
    assert replied.version > assigned.version

    recorded = await complaint_events(engine, view.reference)
    kinds = [e.kind for e in recorded]
    assert (kinds.count("reminder"), kinds.count("breach")) == (2, 1)
    assert [e.data["due"] for e in recorded if e.kind == "reminder"] == [
        view.acknowledgement_due.isoformat(),
        view.reply_due.isoformat(),
    ]
    assert kinds[-1] == "replied"
    assert numbered_once([e.seq for e in recorded])
    stored = await complaint_row(engine, view.reference)
    assert stored is not None and stored.version == replied.version
    assert [letter.kind for letter in await letters(engine, view.reference)] == [
        "acknowledgement",
        "reply",
    ]


# -- a policy an admin saved: a new version, then a move to it -------------------------------------


HOUR = timedelta(hours=1)


def _longer_mission_critical(body: dict[str, Any]) -> None:
    targets = body["priorities"]["mission-critical"]["targets"]
    targets["first_response"]["amount"] = 2
    targets["resolution"]["amount"] = 6


async def test_a_ticket_opened_under_version_1_replays_after_version_2_is_saved_and_moved_to(
    skipping: WorkflowEnvironment, engine: AsyncEngine, activity_deps: ActivityDeps
) -> None:
    """On the time-skipping server, whose worker keeps running: it cannot hand a stopped
    worker's sticky task on. Each replay is of the whole history by a fresh Replayer, in a
    process where the policy's key finds version 2."""
    env, queue = skipping, activity_deps.settings.temporal_task_queue
    key = f"agency-contract-{secrets.token_hex(3)}"
    assert (await save_policy(engine, key, copy_of="web-agency"))[0] == 1
    _, v1 = await save_policy(engine, key)  # the same JSON again saves nothing: still version 1
    account, contact = await make_account(engine, key)
    received = (await env.get_current_time()).replace(microsecond=0)
    view = await open_ticket(
        env.client, queue, account, contact, priority="mission-critical",
        received_at=received, terms=v1, policy_version=1,
    )  # fmt: skip
    assert view.policy_version == 1
    v1_dues = (received + timedelta(hours=1), received + timedelta(hours=4))
    assert (view.first_response_due, view.resolution_due) == v1_dues
    h = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{view.reference}")
    await replays(h)

    # An admin saves version 2 with longer targets: the engine finds it by the policy's key,
    # and new tickets are opened under it.
    version, v2 = await save_policy(engine, key, change=_longer_mission_critical)
    assert version == 2 and v2.digest != v1.digest
    targets = sla.get_policy(key).priorities["mission-critical"].targets
    assert (targets["first_response"].amount, targets["resolution"].amount) == (2, 6)
    newer = await open_ticket(
        env.client, queue, account, contact, priority="mission-critical",
        received_at=received, terms=v2, policy_version=2,
    )  # fmt: skip
    assert newer.first_response_due == received + timedelta(hours=2)

    # The first ticket's timer fires and breaches on version 1's due; its history replays.
    await skip_to(env, received + timedelta(hours=1, seconds=1))
    assert await eventually(lambda: _count(engine, view.reference, "breach", 1))
    kept = await h.query(TicketWorkflow.view)
    assert (kept.first_response_due, kept.resolution_due, kept.policy_version) == (*v1_dues, 1)
    await replays(h)
    # Answered late: the first response is met, and stays met whatever the move makes its due.
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Alex", author="agent", body="Looking into it")
    )

    # Moved to version 2: recomputed from receipt, as its preview said; it replays.
    move = MoveTerms(actor="Ada Admin", terms=v2, version=2)
    preview = await h.query(TicketWorkflow.preview_move, move)
    assert preview.refused is None
    assert preview.before == {"first_response": v1_dues[0], "resolution": v1_dues[1]}
    # What happened stays: the first response was met against version 1's due.
    assert preview.after == {"first_response": v1_dues[0], "resolution": v1_dues[1] + 2 * HOUR}
    moved = await h.execute_update(TicketWorkflow.move_terms, move)
    assert {name: clock.due for name, clock in moved.clocks.items()} == preview.after
    assert (moved.policy_version, moved.resolution_due) == (2, received + timedelta(hours=6))
    await replays(h)

    # The next run starts from the carry, under version 2, and replays; a priority change
    # recomputes under version 2; the resolution breaches on version 2's due.
    await roll_over(h, TicketWorkflow.continue_as_new_now)
    await replays(h)
    for priority in ("bug-fix", "mission-critical"):
        await h.execute_update(
            TicketWorkflow.change_priority, Reprioritise(actor="Lead", priority=priority)
        )
    carried = await h.query(TicketWorkflow.view)
    assert (carried.policy_version, carried.resolution_due) == (2, received + timedelta(hours=6))
    await skip_to(env, received + timedelta(hours=4, minutes=30))
    assert await _count(engine, view.reference, "breach", 1)  # not at version 1's 4 hours
    await skip_to(env, received + timedelta(hours=6, seconds=1))
    assert await eventually(lambda: _count(engine, view.reference, "breach", 2))
    await replays(h)

    recorded = await events(engine, view.reference)
    [moved_event] = [e for e in recorded if e.kind == "terms_moved"]
    assert (moved_event.data["old_version"], moved_event.data["new_version"]) == (1, 2)
    breaches = [(e.data["clock"], e.data["due"]) for e in recorded if e.kind == "breach"]
    assert breaches == [
        ("first_response", v1_dues[0].isoformat()),
        ("resolution", (received + timedelta(hours=6)).isoformat()),
    ]
    assert numbered_once([e.seq for e in recorded])
    stored = await row(engine, view.reference)
    assert stored is not None and stored.policy_version == 2
    assert stored.resolution_due == received + timedelta(hours=6)
