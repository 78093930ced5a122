"""Quarterly reviews on the time-skipping server: invitations, moves, packs, cancellation."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import Engine, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from db.models import Account, Failure, Report, Review, ReviewAction
from settings import Settings
from sla.periods import at_local, local_date, next_monthly_run, working_day_after
from sla.reviews import (
    REVIEW_TIME,
    action_overdue_at,
    action_reminder_at,
    pack_due,
    proposed_time,
)
from tests.conftest import Inbox
from tests.workflows.test_failures import templates_without
from tests.workflows.tickets import eventually, make_account
from worker import build_worker
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow
from workflows.account_success import workflow_id as success_id
from workflows.report_messages import (
    ActionsStart,
    Reschedule,
    ReviewAct,
    ReviewStart,
    TrackedAction,
)
from workflows.review import RENDER_RETRY, ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def enterprise_account(engine: AsyncEngine) -> tuple[Account, str, str]:
    account, rep = await make_account(engine, "essensys", representative=True)
    manager = f"sam-{uuid.uuid4().hex[:6]}@pledge.example.com"
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(success_manager_name="Sam Success", success_manager_email=manager)
        )
    return account, rep.email, manager


async def new_review(engine: AsyncEngine, account_id: int, starts_at: datetime) -> int:
    now = datetime.now(UTC)
    async with AsyncSession(engine) as session, session.begin():
        review = Review(
            account_id=account_id, key=f"test-{uuid.uuid4().hex}", quarter="2026-Q3",
            starts_at=starts_at, duration_minutes=60, status="scheduled", sequence=0,
            recommendations="Turn on delivery monitoring for every site.", invited=[],
            created_by="test", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(review)
        await session.flush()
        return review.id


def invite(mail) -> Calendar:  # type: ignore[no-untyped-def]
    [part] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    if at > now:
        await env.sleep(at - now)


async def test_invite_move_pack_and_hold(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, rep, manager = await enterprise_account(engine)
    calendar = sla.get_policy("essensys").calendar()
    first = proposed_time(calendar, await env.get_current_time())
    review_id = await new_review(engine, account.id, first)
    handle = await env.client.start_workflow(
        ReviewWorkflow.run,
        ReviewStart(review_id=review_id, account_id=account.id, policy="essensys",
                    calendar=None, starts_at=first, duration_minutes=60),
        id=f"review-test-{review_id}", task_queue=settings.temporal_task_queue,
    )  # fmt: skip
    invites = await inbox.wait_for(lambda m: m["To"] == rep and "Invitation" in m["Subject"])
    event = invite(invites[0]).walk("VEVENT")[0]
    assert str(invite(invites[0])["method"]) == "REQUEST"
    assert (str(event["uid"]), int(event["sequence"])) == (
        f"{await _key(engine, review_id)}@pledge",
        0,
    )
    assert event.decoded("dtstart") == first
    assert await eventually(lambda: _mailed(inbox, manager, "Invitation", 1))
    # The success manager is greeted by name, and their copy is not signed by them to them.
    [own] = [m for m in inbox.messages if m["To"] == manager and "Invitation" in m["Subject"]]
    assert own.get_body(("plain",)).get_content().count("Sam Success") == 1
    [reps] = [m for m in inbox.messages if m["To"] == rep and "Invitation" in m["Subject"]]
    assert "Sam Success" in reps.get_body(("plain",)).get_content()

    # Moved two working days later: the same UID, SEQUENCE 1, to everyone again.
    moved = at_local(calendar, working_day_after(calendar, local_date(calendar, first), 2),
                     REVIEW_TIME)  # fmt: skip
    view = await handle.execute_update(
        ReviewWorkflow.reschedule, Reschedule(actor="Sam", starts_at=moved)
    )
    assert (view.sequence, view.starts_at) == (1, moved)
    await eventually(lambda: _mailed(inbox, rep, "Moved:", 1))
    second = [m for m in inbox.messages if m["To"] == rep and "Moved:" in m["Subject"]][-1]
    event = invite(second).walk("VEVENT")[0]
    assert (str(event["uid"]), int(event["sequence"])) == (
        f"{await _key(engine, review_id)}@pledge",
        1,
    )
    assert event.decoded("dtstart") == moved

    # Three working days before the (new) date the pack is made and sent.
    await skip_to(env, pack_due(calendar, moved) + timedelta(seconds=1))
    pack = await eventually(lambda: _pack(engine, review_id))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.content)).pages)
    assert "Quarterly business review, Q3 2026 (July to September)" in text
    assert account.name in text
    assert "Turn on delivery monitoring for every site." in text
    mails = await inbox.wait_for(
        lambda m: m["To"] == rep and "Quarterly business review" in m["Subject"]
    )
    assert [a.get_filename() for a in mails[0].iter_attachments()] == [pack.filename]

    await skip_to(env, moved + timedelta(minutes=61))
    assert await handle.result() == "held"
    async with AsyncSession(engine) as session:
        assert (await session.get(Review, review_id)).status == "held"  # type: ignore[union-attr]


async def test_cancelling_sends_a_cancel_with_a_higher_sequence(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, rep, _ = await enterprise_account(engine)
    calendar = sla.get_policy("essensys").calendar()
    starts = proposed_time(calendar, await env.get_current_time())
    review_id = await new_review(engine, account.id, starts)
    handle = await env.client.start_workflow(
        ReviewWorkflow.run,
        ReviewStart(review_id=review_id, account_id=account.id, policy="essensys",
                    calendar=None, starts_at=starts, duration_minutes=60),
        id=f"review-test-{review_id}", task_queue=settings.temporal_task_queue,
    )  # fmt: skip
    await inbox.wait_for(lambda m: m["To"] == rep and "Invitation" in m["Subject"])
    await handle.execute_update(ReviewWorkflow.cancel, ReviewAct(actor="Sam"))
    assert await handle.result() == "cancelled"
    [cancel] = await inbox.wait_for(lambda m: m["To"] == rep and "Cancelled" in m["Subject"])
    calendar_ics = invite(cancel)
    event = calendar_ics.walk("VEVENT")[0]
    assert str(calendar_ics["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert (
        int(event["sequence"]) == 1
        and str(event["uid"]) == f"{await _key(engine, review_id)}@pledge"
    )
    assert await _pack(engine, review_id) is None  # no pack for a meeting that will not happen


async def test_the_account_workflow_proposes_a_review_each_quarter(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, rep, _ = await enterprise_account(engine)
    calendar = sla.get_policy("essensys").calendar()
    # The next run that opens a quarter (January, April, July or October).
    run = next_monthly_run(calendar, await env.get_current_time())
    while local_date(calendar, run).month not in (1, 4, 7, 10):
        run = next_monthly_run(calendar, run)
    await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="essensys", calendar=None, next_run=run),
        id=success_id(account.id), task_queue=settings.temporal_task_queue,
    )  # fmt: skip
    await skip_to(env, run + timedelta(minutes=1))
    [review] = await eventually(lambda: _reviews(engine, account.id))
    assert review.starts_at == proposed_time(calendar, run)
    assert review.key.endswith(review.quarter)
    await inbox.wait_for(lambda m: m["To"] == rep and "Invitation" in m["Subject"])
    # Time still moves on the test server after the abandoned child starts.
    await skip_to(env, review.starts_at + timedelta(hours=2))
    held = await eventually(lambda: _status(engine, review.id, "held"))
    assert held


async def _mailed(inbox: Inbox, to: str, words: str, n: int) -> bool:
    return len([m for m in inbox.messages if m["To"] == to and words in m["Subject"]]) >= n


async def _pack(engine: AsyncEngine, review_id: int) -> Report | None:
    async with AsyncSession(engine) as session:
        review = await session.get(Review, review_id)
        if review is None or review.pack_report_id is None:
            return None
        return await session.get(Report, review.pack_report_id)


async def _reviews(engine: AsyncEngine, account_id: int) -> list[Review]:
    async with AsyncSession(engine) as session:
        return list(await session.scalars(select(Review).where(Review.account_id == account_id)))


async def _status(engine: AsyncEngine, review_id: int, status: str) -> bool:
    async with AsyncSession(engine) as session:
        review = await session.get(Review, review_id)
        return review is not None and review.status == status


async def _key(engine: AsyncEngine, review_id: int) -> str:
    async with AsyncSession(engine) as session:
        review = await session.get(Review, review_id)
        assert review is not None
        return review.key


async def test_agreed_actions_are_chased_until_done(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, _, manager = await enterprise_account(engine)
    calendar = sla.get_policy("essensys").calendar()
    review_id = await new_review(engine, account.id, await env.get_current_time())
    today = local_date(calendar, await env.get_current_time())
    owner = f"owen-{uuid.uuid4().hex[:6]}@customer.example.com"
    due = [working_day_after(calendar, today, 5), working_day_after(calendar, today, 10)]
    async with AsyncSession(engine) as session, session.begin():
        actions = [
            ReviewAction(
                review_id=review_id,
                account_id=account.id,
                description=text,
                owner_name="Owen",
                owner_email=owner,
                due_on=day,
                status="open",
                created_at=datetime.now(UTC),
            )  # fmt: skip
            for text, day in zip(("Enable SSO", "Train the new team"), due, strict=True)
        ]
        session.add_all(actions)
        await session.flush()
        ids = [a.id for a in actions]
    tracked = [TrackedAction(action_id=i, due_on=d) for i, d in zip(ids, due, strict=True)]
    handle = await env.client.start_workflow(
        ReviewActionsWorkflow.run,
        ActionsStart(review_id=review_id, policy="essensys", calendar=None, actions=tracked),
        id=f"actions-{review_id}", task_queue=settings.temporal_task_queue,
    )  # fmt: skip

    # The first: a reminder on its day, then done.
    await skip_to(env, action_reminder_at(calendar, due[0]) + timedelta(seconds=1))
    await inbox.wait_for(lambda m: m["To"] == owner and "Enable SSO" in m["Subject"])
    await handle.signal(ReviewActionsWorkflow.done, ids[0])
    # The second: reminded, then overdue, which the success manager hears of too.
    await skip_to(env, action_overdue_at(calendar, due[1]) + timedelta(seconds=1))
    chased = await inbox.wait_for(lambda m: m["To"] == manager and "overdue" in m["Subject"])
    assert "Train the new team" in chased[0]["Subject"]
    async with AsyncSession(engine) as session:
        assert (await session.get(ReviewAction, ids[1])).status == "overdue"  # type: ignore[union-attr]
    assert not [m for m in inbox.messages if m["To"] == owner and "SSO" in m["Subject"]
                and "overdue" in m["Subject"]]  # fmt: skip
    await handle.signal(ReviewActionsWorkflow.done, ids[1])
    assert await handle.result() == 2


async def test_a_pack_that_cannot_be_made_is_recorded_and_the_review_is_still_held(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    env = time_skipping_env
    broken = settings.model_copy(
        update={"templates_dir": templates_without(tmp_path, "reports/review_pack.html")}
    )
    deps = ActivityDeps.create(broken, "test-worker", engine, sync_engine)
    account, _, _ = await enterprise_account(engine)
    calendar = sla.get_policy("essensys").calendar()
    starts_at = proposed_time(calendar, await env.get_current_time())
    review_id = await new_review(engine, account.id, starts_at)
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(env.client, deps, executor):
            handle = await env.client.start_workflow(
                ReviewWorkflow.run,
                ReviewStart(review_id=review_id, account_id=account.id, policy="essensys",
                            calendar=None, starts_at=starts_at, duration_minutes=60),
                id=f"review-test-{review_id}", task_queue=broken.temporal_task_queue,
            )  # fmt: skip
            # The pack's bounded retries pass in skipped time; the meeting goes ahead.
            await skip_to(env, starts_at + timedelta(minutes=61))
            assert await handle.result() == "held"

    assert await _pack(engine, review_id) is None
    async with AsyncSession(engine) as session:
        [failure] = await session.scalars(
            select(Failure).where(Failure.workflow_id == f"review-test-{review_id}")
        )
    assert (failure.kind, failure.what) == ("report", "the review pack")
    assert failure.attempts == RENDER_RETRY.maximum_attempts
    assert "review_pack.html" in failure.error
