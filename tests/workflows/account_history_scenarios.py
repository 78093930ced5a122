"""Recorded-history scenarios for the shapes the one-writer change brought in: reviews that
record their own row, outcomes recorded by the actions workflow, objectives and readings by
update, and runs continued as new from a versioned carry (forced with `compact`).

Recorded with the others by record_histories.py (`-- <name> ...` records only the named ones).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment

import sla
from db.models import Review
from settings import Settings
from sla.periods import at_local, local_date, next_monthly_run, working_day_after
from sla.reviews import REVIEW_TIME, action_reminder_at, proposed_time
from tests.workflows.tickets import make_account
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow
from workflows.account_success import workflow_id as success_workflow_id
from workflows.onboarding import OnboardingWorkflow
from workflows.onboarding import workflow_id as onboarding_workflow_id
from workflows.onboarding_messages import MeasurementRequest, ObjectiveRequest, OnboardingStart
from workflows.report_messages import ActionsStart, Reschedule, ReviewAct, ReviewStart
from workflows.review import ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow
from workflows.review_messages import (
    ActionDone,
    AgreedAction,
    Outcome,
    OutcomeAsked,
    Proposed,
    Recommendations,
    ReviewProposal,
)

Handles = dict[str, WorkflowHandle]


async def _skip_to(env: WorkflowEnvironment, at: Any) -> None:
    now = await env.get_current_time()
    if at > now:
        await env.sleep(at - now)


async def _compacted(handle: WorkflowHandle, signal: Any) -> tuple[str, str]:
    """Force continue-as-new: (the run that ended, the run that follows)."""
    before = (await handle.describe()).run_id
    await handle.signal(signal)
    for _ in range(200):
        after = (await handle.describe()).run_id
        if after != before:
            return before, after
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{handle.id} did not continue as new")


async def review_proposed_and_cancelled(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """A review proposed by update-with-start (it records its row), recommended, moved, then
    cancelled."""
    account, _ = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    starts = proposed_time(calendar, await env.get_current_time())
    operation = WithStartWorkflowOperation(
        ReviewWorkflow.run,
        ReviewStart(
            review_id=None, account_id=account.id, policy="essensys", calendar=None,
            starts_at=starts, duration_minutes=60,
            proposal=ReviewProposal(quarter="2026-Q3", created_by="record", fingerprint="r"),
        ),
        id=f"account-{account.id}-review-R-RECO-RD01",
        task_queue=s.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )  # fmt: skip
    await env.client.execute_update_with_start_workflow(
        ReviewWorkflow.proposed, Proposed(fingerprint="r"), start_workflow_operation=operation
    )
    handle = await operation.workflow_handle()
    await handle.execute_update(
        ReviewWorkflow.recommend, Recommendations(actor="Sam", text="Monitor every site")
    )
    moved = at_local(
        calendar, working_day_after(calendar, local_date(calendar, starts), 2), REVIEW_TIME
    )
    await handle.execute_update(ReviewWorkflow.reschedule, Reschedule(actor="Sam", starts_at=moved))
    await handle.execute_update(ReviewWorkflow.cancel, ReviewAct(actor="Sam"))
    if await handle.result() != "cancelled":
        raise RuntimeError("the review was not cancelled")
    return {"review_proposed_and_cancelled": handle}


async def review_outcome_compacted(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """An outcome recorded by the actions workflow; one action done, continued as new, the
    other done in the next run."""
    account, _ = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    now = await env.get_current_time()
    today = local_date(calendar, now)
    due = [working_day_after(calendar, today, 3), working_day_after(calendar, today, 6)]
    async with AsyncSession(engine) as session, session.begin():
        review = Review(
            account_id=account.id, key=f"account-{account.id}-review-outcome", quarter="2026-Q3",
            starts_at=now, duration_minutes=60, status="held", sequence=0, recommendations="",
            invited=[], created_by="record", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(review)
        await session.flush()
        review_id = review.id
    outcome = Outcome(
        outcome="SSO, and retraining",
        actions=[
            AgreedAction(description=text, owner_name="Owen",
                         owner_email="owen@customer.example.com", due_on=day)
            for text, day in zip(("Enable SSO", "Retrain"), due, strict=True)
        ],
        recorded_by="record",
        fingerprint="o",
    )  # fmt: skip
    operation = WithStartWorkflowOperation(
        ReviewActionsWorkflow.run,
        ActionsStart(review_id=review_id, policy="essensys", calendar=None, outcome=outcome),
        id=f"account-{account.id}-review-outcome-actions",
        task_queue=s.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    recorded = await env.client.execute_update_with_start_workflow(
        ReviewActionsWorkflow.recorded, OutcomeAsked(fingerprint="o"),
        start_workflow_operation=operation,
    )  # fmt: skip
    first, second = recorded.action_ids
    handle = await operation.workflow_handle()
    await _skip_to(env, action_reminder_at(calendar, due[0]) + timedelta(minutes=1))
    await handle.execute_update(
        ReviewActionsWorkflow.mark_done, ActionDone(action_id=first, actor="Sam")
    )
    ended, following = await _compacted(handle, ReviewActionsWorkflow.compact)
    await handle.execute_update(
        ReviewActionsWorkflow.mark_done, ActionDone(action_id=second, actor="Sam")
    )
    await handle.result()
    return {
        "review_outcome_compacted": env.client.get_workflow_handle(handle.id, run_id=ended),
        "review_outcome_carried": env.client.get_workflow_handle(handle.id, run_id=following),
    }


async def onboarding_updates_compacted(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """An objective and a reading sent by update (the workflow writes both), continued as new
    with a reading carried, then achieved and planned in the next run."""
    account, _ = await make_account(engine, "e-shot")
    today = (await env.get_current_time()).date()

    async def ask(update: Any, request: Any) -> Any:
        operation = WithStartWorkflowOperation(
            OnboardingWorkflow.run,
            OnboardingStart(account_id=account.id, policy="e-shot", calendar=None),
            id=onboarding_workflow_id(account.id),
            task_queue=s.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        return await env.client.execute_update_with_start_workflow(
            update, request, start_workflow_operation=operation
        )

    def reading(value: float, at: Any) -> MeasurementRequest:
        return MeasurementRequest(
            account_id=account.id, key=f"measurement-record-{value}", fingerprint="m",
            name="subscribers", value=value, at=at, recorded_by="record",
        )  # fmt: skip

    await ask(
        OnboardingWorkflow.add_objective,
        ObjectiveRequest(
            account_id=account.id, key=f"objective-record-{account.id}", fingerprint="o",
            name="Grow the list", metric="subscribers", target=5000.0, direction="at_least",
            due_on=today + timedelta(days=30), owner_name="Olive",
            owner_email="olive@customer.example.com", created_by="record",
        ),
    )  # fmt: skip
    await ask(OnboardingWorkflow.record_measurement, reading(4100, await env.get_current_time()))
    handle = env.client.get_workflow_handle(onboarding_workflow_id(account.id))
    ended, following = await _compacted(handle, OnboardingWorkflow.compact)
    await env.sleep(timedelta(days=2))
    await ask(OnboardingWorkflow.record_measurement, reading(5200, await env.get_current_time()))
    await handle.result()
    return {
        "onboarding_updates_compacted": env.client.get_workflow_handle(handle.id, run_id=ended),
        "onboarding_carried": env.client.get_workflow_handle(handle.id, run_id=following),
    }


async def account_success_compacted(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """Compacted mid-sleep; the next run, from the carry, makes the month's report and
    continues as new."""
    account, _ = await make_account(engine, "essensys", representative=True)
    handle = await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="essensys", calendar=None),
        id=success_workflow_id(account.id),
        task_queue=s.temporal_task_queue,
    )
    ended, following = await _compacted(handle, AccountSuccessWorkflow.compact)
    calendar = sla.get_policy("essensys").calendar()
    run_at = next_monthly_run(calendar, await env.get_current_time())
    await _skip_to(env, run_at + timedelta(minutes=1))
    for _ in range(200):  # until the carried run has continued as new in its turn
        if (await handle.describe()).run_id != following:
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the carried account run did not continue as new")
    return {
        "account_success_compacted": env.client.get_workflow_handle(handle.id, run_id=ended),
        "account_success_carried": env.client.get_workflow_handle(handle.id, run_id=following),
    }


SCENARIOS = [
    review_proposed_and_cancelled,
    review_outcome_compacted,
    onboarding_updates_compacted,
    account_success_compacted,
]
