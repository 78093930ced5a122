"""Continue-as-new forced mid-life, by each long-lived account workflow's `compact` signal:
onboarding, review actions and account success hand everything on to the next run. And a
review's updates, which take turns.

On the time-skipping server, with the real worker and database.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from db.models import AccountPlan, Notification, Objective, Report, Review, ReviewAction
from settings import Settings
from sla.objectives import deadline, reminder_at
from sla.periods import (
    at_local,
    local_date,
    next_monthly_run,
    period_reported_at,
    working_day_after,
)
from sla.reviews import REVIEW_TIME, action_overdue_at, action_reminder_at, proposed_time
from tests.conftest import Inbox
from tests.workflows.tickets import eventually, make_account
from worker import build_worker
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow
from workflows.onboarding import OnboardingWorkflow, workflow_id
from workflows.onboarding_messages import MeasurementRequest, ObjectiveRequest, OnboardingStart
from workflows.report_messages import ActionsStart, Reschedule, ReviewAct, ReviewStart, ReviewView
from workflows.review import ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow
from workflows.review_messages import (
    ActionDone,
    AgreedAction,
    Outcome,
    OutcomeAsked,
    Proposed,
    ReviewProposal,
)


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    if at > now:
        await env.sleep(at - now)


async def compacted(handle: WorkflowHandle[Any, Any], signal: Any) -> str:
    """Ask for continue-as-new and wait for the next run: its run id."""
    before = (await handle.describe()).run_id
    await handle.signal(signal)

    async def next_run() -> str | None:
        run_id = (await handle.describe()).run_id
        return run_id if run_id != before else None

    after = await eventually(next_run)
    assert after, "the workflow did not continue as new"
    return after


# -- onboarding ---------------------------------------------------------------------------------


def objective(account_id: int, name: str, metric: str, due_on: date) -> ObjectiveRequest:
    return ObjectiveRequest(
        account_id=account_id, key=f"objective-{uuid.uuid4().hex}", fingerprint="f",
        name=name, metric=metric, target=100.0, direction="at_least", due_on=due_on,
        owner_name="Olive", owner_email=f"olive-{uuid.uuid4().hex[:6]}@customer.example.com",
        created_by="test",
    )  # fmt: skip


def reading(account_id: int, metric: str, value: float, at: datetime) -> MeasurementRequest:
    return MeasurementRequest(
        account_id=account_id, key=f"measurement-{uuid.uuid4().hex}", fingerprint="f",
        name=metric, value=value, at=at, recorded_by="test",
    )  # fmt: skip


async def ask(env: WorkflowEnvironment, settings: Settings, update: Any, request: Any) -> int:
    """As the API does: the update, starting an onboarding run when none is going."""
    operation = WithStartWorkflowOperation(
        OnboardingWorkflow.run,
        OnboardingStart(account_id=request.account_id, policy="e-shot", calendar=None),
        id=workflow_id(request.account_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return int(
        await env.client.execute_update_with_start_workflow(
            update, request, start_workflow_operation=operation
        )
    )


async def objective_row(engine: AsyncEngine, objective_id: int) -> Objective:
    async with AsyncSession(engine) as session:
        row = await session.get(Objective, objective_id)
    assert row is not None
    return row


async def test_onboarding_carries_objectives_and_readings_across_continue_as_new(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, _ = await make_account(engine, "e-shot")
    calendar = sla.get_policy("e-shot").calendar()
    today = local_date(calendar, await env.get_current_time())
    grow = objective(account.id, "Grow the list", "subscribers", today + timedelta(days=30))
    nps = objective(account.id, "NPS", "nps", today + timedelta(days=45))
    grow_id = await ask(env, settings, OnboardingWorkflow.add_objective, grow)
    nps_id = await ask(env, settings, OnboardingWorkflow.add_objective, nps)
    handle = env.client.get_workflow_handle(workflow_id(account.id))
    now = await env.get_current_time()
    await ask(env, settings, OnboardingWorkflow.record_measurement,
              reading(account.id, "subscribers", 40, now))  # fmt: skip

    # Grow's owner is reminded, and the reminder is held there (PostgreSQL) while a reading
    # that reaches Grow and a compaction arrive: the run continues as new with the reading
    # not yet applied, so it must be carried.
    first_run = (await handle.describe()).run_id
    ledger = f"objective:{grow_id}:reminder"
    held = Notification(
        id=f"{ledger}:email:{grow.owner_email}", event_id=ledger, channel="email",
        recipient=grow.owner_email or "", role="objective_owner", kind="objective_reminder",
        sent_at=datetime.now(UTC),
    )  # fmt: skip
    async with _held(engine, held):
        await skip_to(env, reminder_at(calendar, grow.due_on) + timedelta(seconds=1))
        await inbox.wait_for(lambda m: m["To"] == grow.owner_email)
        reached_at = await env.get_current_time()
        await handle.signal(OnboardingWorkflow.compact)
        await ask(env, settings, OnboardingWorkflow.record_measurement,
                  reading(account.id, "subscribers", 150, reached_at))  # fmt: skip
    achieved = await eventually(lambda: _decided(engine, grow_id))
    assert achieved is not None, "the reading was lost"
    assert (achieved.status, achieved.achieved_value) == ("achieved", 150)
    assert (await handle.describe()).run_id != first_run

    # Compacted again: the next run knows what was decided and who was reminded.
    await compacted(handle, OnboardingWorkflow.compact)
    carried = await handle.query(OnboardingWorkflow.carry)
    assert carried.version == 1 and carried.readings == []
    assert {(o.objective_id, o.status, o.reminded) for o in carried.objectives} == {
        (grow_id, "achieved", True),
        (nps_id, "open", False),
    }

    # NPS is missed at its date: the plan holds both, and Grow's owner heard once.
    await skip_to(env, deadline(calendar, nps.due_on) + timedelta(seconds=1))
    plans = await eventually(lambda: _plans(engine, account.id))
    assert len(plans) == 1
    statuses = {o["id"]: o["status"] for o in plans[0].summary["objectives"]}
    assert statuses == {grow_id: "achieved", nps_id: "missed"}
    assert len([m for m in inbox.messages if m["To"] == grow.owner_email]) == 1


async def test_an_objective_added_as_the_plan_is_made_is_kept_to_a_plan_of_its_own(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    account, _ = await make_account(engine, "e-shot")
    calendar = sla.get_policy("e-shot").calendar()
    today = local_date(calendar, await env.get_current_time())
    only = objective(account.id, "Grow the list", "subscribers", today + timedelta(days=30))
    only_id = await ask(env, settings, OnboardingWorkflow.add_objective, only)
    late = objective(account.id, "Open rate", "open_rate", today + timedelta(days=20))
    run_id = (await env.client.get_workflow_handle(workflow_id(account.id)).describe()).run_id
    plan = AccountPlan(account_id=account.id, key=run_id, created_at=datetime.now(UTC), summary={})
    async with _held(engine, plan):
        # The last open objective is achieved, so the plan is made next (and held there on
        # PostgreSQL): another objective is added meanwhile.
        now = await env.get_current_time()
        await ask(env, settings, OnboardingWorkflow.record_measurement,
                  reading(account.id, "subscribers", 120, now))  # fmt: skip
        assert (await eventually(lambda: _decided(engine, only_id))) is not None
        late_id = await ask(env, settings, OnboardingWorkflow.add_objective, late)
    # Whichever run took it in keeps it: it is missed at its date, in a plan of its own.
    await skip_to(env, deadline(calendar, late.due_on) + timedelta(seconds=1))
    missed = await eventually(lambda: _decided(engine, late_id))
    assert missed is not None and missed.status == "missed", "the late objective was lost"
    planned = await eventually(lambda: _planned(engine, late_id))
    assert planned is not None, "the late objective is in no plan"
    plans = await _plans(engine, account.id)
    by_objective = {o["id"]: (p.id, o["status"]) for p in plans for o in p.summary["objectives"]}
    assert by_objective == {
        only_id: (plans[0].id, "achieved"),
        late_id: (planned.plan_id, "missed"),
    }
    assert len(plans) == 2 and planned.plan_id == plans[1].id


@contextlib.asynccontextmanager
async def _held(engine: AsyncEngine, row: Any) -> AsyncIterator[None]:
    """On PostgreSQL, hold an activity at the insert of `row`: an uncommitted row with its key
    makes the activity's insert wait on the unique index until this rolls back (and then go
    on as if nothing had been there). On SQLite that would lock out every writer, the test's
    own requests too: there the interleaving is as it comes."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with AsyncSession(engine) as session:
        await session.begin()
        session.add(row)
        await session.flush()
        try:
            yield
        finally:
            await session.rollback()


async def _planned(engine: AsyncEngine, objective_id: int) -> Objective | None:
    row = await objective_row(engine, objective_id)
    return row if row.plan_id is not None else None


async def _decided(engine: AsyncEngine, objective_id: int) -> Objective | None:
    row = await objective_row(engine, objective_id)
    return row if row.status != "open" else None


async def _plans(engine: AsyncEngine, account_id: int, at_least: int = 1) -> list[AccountPlan]:
    async with AsyncSession(engine) as session:
        found = list(
            await session.scalars(
                select(AccountPlan)
                .where(AccountPlan.account_id == account_id)
                .order_by(AccountPlan.id)
            )
        )
    return found if len(found) >= at_least else []


# -- review actions -----------------------------------------------------------------------------


async def held_review(engine: AsyncEngine, account_id: int) -> Review:
    now = datetime.now(UTC)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        review = Review(
            account_id=account_id, key=f"account-{account_id}-review-{secrets.token_hex(4)}",
            quarter="2026-Q3", starts_at=now, duration_minutes=60, status="held", sequence=0,
            recommendations="", invited=[], created_by="test", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(review)
    return review


async def test_review_actions_carry_their_progress_across_continue_as_new(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, _ = await make_account(engine, "essensys")
    calendar = sla.get_policy("essensys").calendar()
    review = await held_review(engine, account.id)
    today = local_date(calendar, await env.get_current_time())
    owner = f"owen-{uuid.uuid4().hex[:6]}@customer.example.com"
    due = [working_day_after(calendar, today, 5), working_day_after(calendar, today, 10)]
    outcome = Outcome(
        outcome="Roll out SSO; train the team.",
        actions=[
            AgreedAction(description=text, owner_name="Owen", owner_email=owner, due_on=day)
            for text, day in zip(("Enable SSO", "Train the new team"), due, strict=True)
        ],
        recorded_by="test",
        fingerprint="outcome-1",
    )
    operation = WithStartWorkflowOperation(
        ReviewActionsWorkflow.run,
        ActionsStart(review_id=review.id, policy="essensys", calendar=None, outcome=outcome),
        id=f"{review.key}-actions",
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    recorded = await env.client.execute_update_with_start_workflow(
        ReviewActionsWorkflow.recorded, OutcomeAsked(fingerprint="outcome-1"),
        start_workflow_operation=operation,
    )  # fmt: skip
    first, second = recorded.action_ids
    handle = await operation.workflow_handle()

    # The first is reminded and done; then the run is compacted.
    await skip_to(env, action_reminder_at(calendar, due[0]) + timedelta(seconds=1))
    await inbox.wait_for(lambda m: m["To"] == owner and "Enable SSO" in m["Subject"])
    await handle.execute_update(
        ReviewActionsWorkflow.mark_done, ActionDone(action_id=first, actor="Sam")
    )
    await compacted(handle, ReviewActionsWorkflow.compact)
    carried = await handle.query(ReviewActionsWorkflow.carry)
    assert carried.version == 1 and carried.fingerprint == "outcome-1"
    assert {(a.action_id, a.done, a.reminded) for a in carried.actions} == {
        (first, True, True),
        (second, False, False),
    }
    # A retry of the outcome still answers after the compaction, with the same actions.
    again = await handle.execute_update(
        ReviewActionsWorkflow.recorded, OutcomeAsked(fingerprint="outcome-1")
    )
    assert again.action_ids == [first, second]

    # The second goes overdue and is chased; the first is never chased again.
    await skip_to(env, action_overdue_at(calendar, due[1]) + timedelta(seconds=1))
    await inbox.wait_for(lambda m: m["To"] == owner and "overdue" in m["Subject"])
    assert not [
        m for m in inbox.messages if m["To"] == owner and "SSO" in m["Subject"]
        and "overdue" in m["Subject"]
    ]  # fmt: skip
    await handle.execute_update(
        ReviewActionsWorkflow.mark_done, ActionDone(action_id=second, actor="Sam")
    )
    assert await handle.result() == 2
    async with AsyncSession(engine) as session:
        rows = list(
            await session.scalars(select(ReviewAction).where(ReviewAction.review_id == review.id))
        )
        stored = await session.get(Review, review.id)
    assert sorted((r.id, r.status, r.done_by) for r in rows) == [
        (first, "done", "Sam"),
        (second, "done", "Sam"),
    ]
    assert stored is not None and stored.outcome == "Roll out SSO; train the team."


# -- account success ----------------------------------------------------------------------------


async def test_account_success_keeps_its_cycle_across_continue_as_new(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    account, _ = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    handle = await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="essensys", calendar=None),
        id=f"account-{account.id}-success-{secrets.token_hex(3)}",
        task_queue=settings.temporal_task_queue,
    )
    first = next_monthly_run(calendar, await env.get_current_time())
    # Mid-sleep: the next run still wakes at the same instant.
    await compacted(handle, AccountSuccessWorkflow.compact)
    view = await handle.query(AccountSuccessWorkflow.cycle)
    assert (view.next_run, view.last_report_period) == (first, None)

    await skip_to(env, first + timedelta(minutes=1))
    second = next_monthly_run(calendar, first)

    async def after_first_cycle() -> Any:
        seen = await handle.query(AccountSuccessWorkflow.cycle)
        return seen if seen.next_run == second else None

    view = await eventually(after_first_cycle)
    assert view is not None, "the first cycle did not run"
    assert view.last_report_period == period_reported_at(calendar, first)

    await compacted(handle, AccountSuccessWorkflow.compact)
    view = await handle.query(AccountSuccessWorkflow.cycle)
    assert (view.next_run, view.last_report_period) == (second, period_reported_at(calendar, first))

    await skip_to(env, second + timedelta(minutes=1))
    reports = await eventually(lambda: _reports(engine, account.id, 2))
    assert [r.period for r in reports] == [
        period_reported_at(calendar, first),
        period_reported_at(calendar, second),
    ]


async def _reports(engine: AsyncEngine, account_id: int, n: int) -> list[Report]:
    async with AsyncSession(engine) as session:
        found = list(
            await session.scalars(
                select(Report).where(Report.account_id == account_id).order_by(Report.id)
            )
        )
    return found if len(found) >= n else []


# -- a review's updates take turns ------------------------------------------------------------


async def test_a_review_cancelled_and_moved_at_once_stays_consistent(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    """Both updates pass their validators; the lock makes them take turns, the one that
    finds the review cancelled is refused, and the workflow ends only after both answered."""
    account, rep = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    starts = proposed_time(calendar, await env.get_current_time())
    key = f"account-{account.id}-review-{secrets.token_hex(4)}"
    operation = WithStartWorkflowOperation(
        ReviewWorkflow.run,
        ReviewStart(
            review_id=None, account_id=account.id, policy="essensys", calendar=None,
            starts_at=starts, duration_minutes=60,
            proposal=ReviewProposal(quarter="2026-Q3", created_by="test", fingerprint="p"),
        ),
        id=key,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )  # fmt: skip
    view = await env.client.execute_update_with_start_workflow(
        ReviewWorkflow.proposed, Proposed(fingerprint="p"), start_workflow_operation=operation
    )
    assert view.review_id is not None and view.status == "scheduled"
    handle = await operation.workflow_handle()
    await inbox.wait_for(lambda m: m["To"] == rep.email and "Invitation" in m["Subject"])
    moved = at_local(
        calendar, working_day_after(calendar, local_date(calendar, starts), 2), REVIEW_TIME
    )
    outcomes = await asyncio.gather(
        handle.execute_update(ReviewWorkflow.reschedule, Reschedule(actor="Sam", starts_at=moved)),
        handle.execute_update(ReviewWorkflow.cancel, ReviewAct(actor="Sam")),
        return_exceptions=True,
    )
    assert await handle.result() == "cancelled"
    moved_view, cancelled_view = outcomes
    assert isinstance(cancelled_view, ReviewView), cancelled_view
    if isinstance(moved_view, ReviewView):  # moved first, then cancelled
        assert (moved_view.sequence, cancelled_view.sequence) == (1, 2)
    else:  # cancelled first: the move is refused, not half done
        assert isinstance(moved_view, WorkflowUpdateFailedError), moved_view
        assert "cancelled" in str(moved_view.cause)
        assert cancelled_view.sequence == 1
    async with AsyncSession(engine) as session:
        row = await session.get(Review, view.review_id)
    assert row is not None and row.key == key
    assert (row.status, row.sequence) == ("cancelled", cancelled_view.sequence)
    mails = await inbox.wait_for(lambda m: m["To"] == rep.email and "Cancelled" in m["Subject"])
    assert mails, "no CANCEL was sent"
    last = [m for m in inbox.messages if m["To"] == rep.email][-1]
    assert "Cancelled" in last["Subject"]  # nothing was sent after the CANCEL
