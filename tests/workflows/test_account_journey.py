"""An e-shot account from onboarding through months and a quarter, on the time-skipping server."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from db.models import Account, AccountPlan, Objective, Report, Review
from settings import Settings
from sla.periods import local_date, next_monthly_run, period_reported_at, quarter_starts
from sla.reviews import proposed_time
from tests.conftest import Inbox
from tests.workflows.tickets import eventually, make_account
from worker import build_worker
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow, workflow_id
from workflows.onboarding import OnboardingWorkflow
from workflows.onboarding import workflow_id as onboarding_id
from workflows.onboarding_messages import Measured, ObjectiveAdded, OnboardingStart


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def rows(engine: AsyncEngine, model, account_id: int) -> list:  # type: ignore[no-untyped-def]
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(model).where(model.account_id == account_id).order_by(model.id)
            )
        )


async def test_onboarding_then_monthly_reports_then_a_quarterly_review(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, rep = await make_account(engine, "e-shot", representative=True)
    manager = f"priya-{uuid.uuid4().hex[:6]}@pledge.example.com"
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(Account).where(Account.id == account.id)
            .values(success_manager_name="Priya Shah", success_manager_email=manager)
        )  # fmt: skip
    calendar = sla.get_policy("e-shot").calendar()
    start = await env.get_current_time()
    await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="e-shot", calendar=None),
        id=workflow_id(account.id), task_queue=settings.temporal_task_queue,
    )  # fmt: skip

    # Onboarding: one objective, reached a week in; the plan follows.
    async with AsyncSession(engine) as session, session.begin():
        objective = Objective(
            account_id=account.id, name="Grow the list", metric="subscribers", target=5000,
            direction="at_least", due_on=local_date(calendar, start) + timedelta(days=40),
            owner_name="Tom", owner_email=rep.email, status="open", created_by="test",
            created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(objective)
        await session.flush()
        spec = ObjectiveAdded(
            objective_id=objective.id, name=objective.name, metric=objective.metric,
            target=objective.target, direction="at_least", due_on=objective.due_on,
        )  # fmt: skip
    onboarding = await env.client.start_workflow(
        OnboardingWorkflow.run,
        OnboardingStart(account_id=account.id, policy="e-shot", calendar=None),
        id=onboarding_id(account.id), task_queue=settings.temporal_task_queue,
        start_signal="objective_added", start_signal_args=[spec],
    )  # fmt: skip
    await env.sleep(timedelta(days=7))
    await onboarding.signal(
        OnboardingWorkflow.measured,
        Measured(name="subscribers", value=5200, at=await env.get_current_time()),
    )
    plan_id = await onboarding.result()
    [plan] = await rows(engine, AccountPlan, account.id)
    assert plan.id == plan_id and plan.summary["achieved"] == 1

    # Months go by until the first run of a quarter has passed: a report for every month.
    runs = [next_monthly_run(calendar, start)]
    while not quarter_starts(calendar, runs[-1]):
        runs.append(next_monthly_run(calendar, runs[-1]))
    now = await env.get_current_time()
    await env.sleep(runs[-1] - now + timedelta(minutes=5))
    reports = await eventually(lambda: _at_least(engine, account.id, len(runs)))
    assert [r.period for r in reports if r.kind == "monthly"] == [
        period_reported_at(calendar, run) for run in runs
    ]

    # That run proposed the review of the quarter just ended; it is held with its pack.
    [review] = await eventually(lambda: rows(engine, Review, account.id))
    assert review.starts_at == proposed_time(calendar, runs[-1])
    await env.sleep(review.starts_at - await env.get_current_time() + timedelta(hours=2))
    held = await eventually(lambda: _held(engine, review.id))
    assert held is not None and held.pack_report_id is not None
    async with AsyncSession(engine) as session:
        pack = await session.get(Report, held.pack_report_id)
        assert pack is not None
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.content)).pages)
    text = re.sub(r"\s+", " ", text)  # a table cell may wrap
    assert "Grow the list" in text and "achieved" in text
    invited = [m for m in inbox.messages if m["To"] == manager and "Invitation" in m["Subject"]]
    assert len(invited) == 1


async def _at_least(engine: AsyncEngine, account_id: int, n: int) -> list[Report]:
    found = [r for r in await rows(engine, Report, account_id) if r.kind == "monthly"]
    return found if len(found) >= n else []


async def _held(engine: AsyncEngine, review_id: int) -> Review | None:
    async with AsyncSession(engine) as session:
        review = await session.get(Review, review_id)
        return review if review is not None and review.status == "held" else None
