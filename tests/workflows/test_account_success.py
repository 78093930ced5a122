"""An account's success workflow on the time-skipping server: months go by, reports go out."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from db.models import Account, Edition, Report
from settings import Settings
from sla.periods import month_label, next_monthly_run, period_reported_at
from tests.conftest import Inbox
from tests.workflows.tickets import eventually, make_account
from worker import build_worker
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow, workflow_id


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def reports_of(engine: AsyncEngine, account_id: int) -> list[Report]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(Report).where(Report.account_id == account_id).order_by(Report.id)
            )
        )


async def set_edition(engine: AsyncEngine, account_id: int, edition: Edition) -> None:
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(Account).where(Account.id == account_id).values(edition=edition)
        )


async def skip_past(env: WorkflowEnvironment, at) -> None:  # type: ignore[no-untyped-def]
    now = await env.get_current_time()
    await env.sleep(at - now + timedelta(minutes=1))


async def test_a_report_each_month_and_none_while_the_edition_lacks_it(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, representative = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    handle = await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="essensys", calendar=None),
        id=workflow_id(account.id),
        task_queue=settings.temporal_task_queue,
    )
    first = next_monthly_run(calendar, await env.get_current_time())
    assert (await handle.query(AccountSuccessWorkflow.cycle)).next_run == first

    # Month 1 (enterprise): the report on the month before, mailed to the representative.
    await skip_past(env, first)
    made = await eventually(lambda: reports_of(engine, account.id))
    assert [r.period for r in made] == [period_reported_at(calendar, first)]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(made[0].content)).pages)
    assert account.name in text and f"Monthly report, {month_label(made[0].period)}" in text
    assert made[0].emailed_to == [representative.email]
    mail = await inbox.wait_for(lambda m: m["To"] == representative.email)
    assert [a.get_filename() for a in mail[0].iter_attachments()] == [made[0].filename]

    # Month 2: down to standard, which has no monthly reporting: nothing.
    await set_edition(engine, account.id, Edition.STANDARD)
    second = next_monthly_run(calendar, first)
    await skip_past(env, second)
    third = next_monthly_run(calendar, second)
    await eventually(
        lambda: _next_run_is(handle, third)
    )  # the cycle ran (and continued as new) without a report
    assert len(await reports_of(engine, account.id)) == 1

    # Month 3: enterprise again, from that cycle on.
    await set_edition(engine, account.id, Edition.ENTERPRISE)
    await skip_past(env, third)
    made = await eventually(lambda: _at_least(engine, account.id, 2))
    assert [r.period for r in made] == [
        period_reported_at(calendar, first),
        period_reported_at(calendar, third),
    ]


async def _next_run_is(handle, at) -> bool:  # type: ignore[no-untyped-def]
    return (await handle.query(AccountSuccessWorkflow.cycle)).next_run == at


async def _at_least(engine: AsyncEngine, account_id: int, n: int) -> list[Report]:
    found = await reports_of(engine, account_id)
    return found if len(found) >= n else []


async def test_the_workflow_ends_when_the_account_is_gone(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    calendar = sla.get_policy("web-agency").calendar()
    handle = await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=987654, policy="web-agency", calendar=None),
        id=workflow_id(987654) + "-gone",
        task_queue=settings.temporal_task_queue,
    )
    await skip_past(env, next_monthly_run(calendar, await env.get_current_time()))
    assert await handle.result() is None
