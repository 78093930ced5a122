"""Onboarding on the time-skipping server: objectives achieved, reminded, missed, then a plan."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.common import WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from db.models import AccountPlan, Failure, Objective
from settings import Settings
from sla.objectives import deadline, reminder_at
from tests.conftest import Inbox, free_port
from tests.workflows.tickets import eventually, make_account
from worker import build_worker
from workflows.journal import NOTICE_RETRY
from workflows.onboarding import OnboardingWorkflow, workflow_id
from workflows.onboarding_messages import Measured, ObjectiveAdded, OnboardingStart


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def add(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, account_id: int,
    name: str, metric: str, target: float, due_on: date, direction: str = "at_least",
    owner: str = "olive.owner@customer.example.com",
) -> int:  # fmt: skip
    """As POST /accounts/{id}/objectives does: the row, then the signal (starting onboarding)."""
    async with AsyncSession(engine) as session, session.begin():
        objective = Objective(
            account_id=account_id, name=name, metric=metric, target=target,
            direction=direction, due_on=due_on, owner_name="Olive Owner", owner_email=owner,
            status="open", created_by="test", created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(objective)
        await session.flush()
        objective_id = objective.id
    await env.client.start_workflow(
        OnboardingWorkflow.run,
        OnboardingStart(account_id=account_id, policy="e-shot", calendar=None),
        id=workflow_id(account_id),
        task_queue=settings.temporal_task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal="objective_added",
        start_signal_args=[
            ObjectiveAdded(
                objective_id=objective_id, name=name, metric=metric, target=target,
                direction=direction, due_on=due_on,  # type: ignore[arg-type]
            )
        ],
    )  # fmt: skip
    return objective_id


async def status_of(engine: AsyncEngine, objective_id: int) -> Objective:
    async with AsyncSession(engine) as session:
        found = await session.get(Objective, objective_id)
        assert found is not None
        return found


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    if at > now:
        await env.sleep(at - now)


async def test_achieved_on_reaching_the_target_missed_at_the_date_then_a_plan(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, _ = await make_account(engine, "e-shot")
    owner = f"olive-{uuid.uuid4().hex[:6]}@customer.example.com"
    calendar = sla.get_policy("e-shot").calendar()
    today = (await env.get_current_time()).date()
    grow = await add(env, engine, settings, account.id, "Grow the list", "subscribers", 5000,
                     today + timedelta(days=30))  # fmt: skip
    bounce = await add(env, engine, settings, account.id, "Cut bounces", "bounce_rate", 2.0,
                       today + timedelta(days=45), direction="at_most", owner=owner)  # fmt: skip
    handle = env.client.get_workflow_handle_for(OnboardingWorkflow.run, workflow_id(account.id))

    # Below the target: still open. Reaching it: achieved there and then, at the reading's time.
    now = await env.get_current_time()
    await handle.signal(
        OnboardingWorkflow.measured, Measured(name="subscribers", value=4200, at=now)
    )
    reading_at = now + timedelta(days=3)
    await skip_to(env, reading_at)
    await handle.signal(
        OnboardingWorkflow.measured, Measured(name="subscribers", value=5120, at=reading_at)
    )
    achieved = await eventually(lambda: _decided(engine, grow))
    assert (achieved.status, achieved.achieved_value) == ("achieved", 5120)
    assert achieved.decided_at == reading_at

    # The other: its owner hears 5 working days before, then it is missed at its date.
    due = today + timedelta(days=45)
    await skip_to(env, reminder_at(calendar, due) + timedelta(seconds=1))
    mails = await inbox.wait_for(lambda m: m["To"] == owner and "Cut bounces" in m["Subject"])
    assert len(mails) == 1
    await handle.signal(  # a reading that does not reach it (at most 2.0)
        OnboardingWorkflow.measured,
        Measured(name="bounce_rate", value=2.4, at=await env.get_current_time()),
    )
    await skip_to(env, deadline(calendar, due) + timedelta(seconds=1))
    plan_id = await handle.result()
    missed = await status_of(engine, bounce)
    assert missed.status == "missed" and missed.decided_at == deadline(calendar, due)

    async with AsyncSession(engine) as session:
        plan = await session.get(AccountPlan, plan_id)
        assert plan is not None and plan.account_id == account.id
        assert (plan.summary["achieved"], plan.summary["missed"]) == (1, 1)
        in_plan = await session.scalars(
            select(Objective.plan_id).where(Objective.account_id == account.id)
        )
        assert set(in_plan) == {plan_id}
    assert len([m for m in inbox.messages if m["To"] == owner]) == 1  # reminded once


async def _decided(engine: AsyncEngine, objective_id: int) -> Objective | None:
    found = await status_of(engine, objective_id)
    return found if found.status != "open" else None


async def test_a_reading_after_the_date_does_not_achieve_it(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    account, _ = await make_account(engine, "e-shot")
    calendar = sla.get_policy("e-shot").calendar()
    due = (await env.get_current_time()).date() + timedelta(days=10)
    objective = await add(env, engine, settings, account.id, "NPS", "nps", 40, due)
    handle = env.client.get_workflow_handle_for(OnboardingWorkflow.run, workflow_id(account.id))
    late = deadline(calendar, due) + timedelta(hours=1)
    await handle.signal(OnboardingWorkflow.measured, Measured(name="nps", value=55, at=late))
    await skip_to(env, deadline(calendar, due) + timedelta(seconds=1))
    await handle.result()
    assert (await status_of(engine, objective)).status == "missed"


async def test_a_reminder_nobody_can_receive_is_recorded_and_the_objective_still_decided(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
) -> None:
    env = time_skipping_env
    # A loopback port nothing listens on: every attempt to send the reminder is refused.
    unreachable = settings.model_copy(update={"smtp_port": free_port()})
    deps = ActivityDeps.create(unreachable, "test-worker", engine, sync_engine)
    account, _ = await make_account(engine, "e-shot")
    calendar = sla.get_policy("e-shot").calendar()
    due = (await env.get_current_time()).date() + timedelta(days=30)
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(env.client, deps, executor):
            objective = await add(env, engine, unreachable, account.id, "NPS", "nps", 40, due)
            handle = env.client.get_workflow_handle_for(
                OnboardingWorkflow.run, workflow_id(account.id)
            )
            # The reminder's retries (hours of back-off) pass in skipped time; the date after.
            await skip_to(env, deadline(calendar, due) + timedelta(seconds=1))
            await handle.result()

    assert (await status_of(engine, objective)).status == "missed"
    async with AsyncSession(engine) as session:
        [failure] = await session.scalars(
            select(Failure).where(Failure.workflow_id == workflow_id(account.id))
        )
    assert (failure.kind, failure.what) == ("notice", "the objective's reminder")
    assert failure.subject == f"objective {objective}"
    assert failure.attempts == NOTICE_RETRY.maximum_attempts
    assert "refused" in failure.error.lower() or "connect" in failure.error.lower()
