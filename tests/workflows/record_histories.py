"""Record the workflow histories that test_replay.py replays against the current code.

    .venv/bin/python -m tests.workflows.record_histories [scenario ...]

Runs representative scenarios of every workflow type on a time-skipping test server, with the
real worker (worker.build_worker) on a throw-away SQLite database, and writes each history to
tests/workflows/histories/<name>.json, replacing what was there; given scenario names (the
functions below), records only those and leaves every other history as it is.

Record again to cover new behaviour, never to make a failing replay pass: a failure means runs
already in flight would break on deploy, and the fix is a workflow.patched() branch (or a new
workflow type) that keeps the old histories replaying.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from activities.system import SystemCheckRequest
from activities.tickets import ReleaseRecord
from db.migrate import upgrade
from db.models import Objective, Review, ReviewAction
from db.session import make_engine, make_sync_engine
from settings import Settings
from sla.complaint import ComplaintSla
from sla.maintenance_rules import night_of
from sla.periods import (
    at_local,
    local_date,
    next_monthly_run,
    period_reported_at,
    working_day_after,
)
from sla.reviews import REVIEW_TIME, action_overdue_at, action_reminder_at, proposed_time
from sla.ticket import TicketType
from tests.workflows import account_history_scenarios
from tests.workflows.complaints import complaint_kinds, log_complaint
from tests.workflows.tickets import kinds, make_account, open_ticket, save_policy
from worker import build_worker
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow
from workflows.account_success import workflow_id as success_workflow_id
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import Act as ComplaintAct
from workflows.complaint_messages import AssignHandler, Extend
from workflows.complaint_messages import Reply as ComplaintReply
from workflows.connection import DATA_CONVERTER, exit_without_teardown, installed_binary
from workflows.maintenance import MaintenanceWorkflow
from workflows.maintenance_messages import Change, MaintenanceAct, MaintenanceStart, WindowConfig
from workflows.maintenance_messages import Recorded as MaintenanceRecorded
from workflows.onboarding import OnboardingWorkflow
from workflows.onboarding import workflow_id as onboarding_workflow_id
from workflows.onboarding_messages import Measured, ObjectiveAdded, OnboardingStart
from workflows.release import ReleaseWorkflow, ShipRequest
from workflows.report_messages import ActionsStart, Reschedule, ReviewStart, TrackedAction
from workflows.review import ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow
from workflows.system_check import SystemCheckWorkflow
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import (
    Act,
    Assign,
    Close,
    IncidentDetails,
    Link,
    MoveTerms,
    Reply,
    Reprioritise,
    Resolve,
    Wait,
)

HISTORIES = Path(__file__).parent / "histories"

Handles = dict[str, WorkflowHandle]
Scenario = Callable[[WorkflowEnvironment, AsyncEngine, Settings], Awaitable[Handles]]


# -- time on the test server -------------------------------------------------------------------


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    if at > now:
        await env.sleep(at - now)


async def next_open_day(
    env: WorkflowEnvironment, policy: str, hour: int, calendar: str | None = None
) -> datetime:
    """hh:00 local on the calendar's next working day, at least a day ahead."""
    cal = sla.get_policy(policy).calendar(calendar)
    now = await env.get_current_time()
    day = (now + timedelta(days=1)).astimezone(cal._tz).date()  # noqa: SLF001
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=cal._tz)  # noqa: SLF001


def ticket(env: WorkflowEnvironment, reference: str) -> WorkflowHandle:
    return env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{reference}")


async def expect(engine: AsyncEngine, reference: str, kind: str) -> None:
    """Wait (bounded) until a timer's work is recorded: env.sleep returns when the timer fires,
    not when the workflow has acted on it, and the next step must come after, as in real life."""
    for _ in range(200):
        if kind in await kinds(engine, reference):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{reference}: no {kind!r} event")


async def check(engine: AsyncEngine, reference: str, expected: list[str]) -> None:
    """Refuse to save a history whose run did not go the way its scenario says."""
    found = await kinds(engine, reference)
    if found != expected:
        raise RuntimeError(f"{reference}: expected events {expected}, recorded {found}")


# -- the scenarios ------------------------------------------------------------------------------


async def ticket_lifecycle(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """Every action a ticket goes through, with a warning and a breach firing on their timers."""
    opened_at = await next_open_day(env, "web-agency", 10)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "web-agency")
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="bug-fix",
        received_at=opened_at,
    )  # fmt: skip
    h = ticket(env, view.reference)
    await h.execute_update(
        TicketWorkflow.assign,
        Assign(actor="Lead", name="Alex Agent", email="alex@pledge.example.com"),
    )
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Casey", author="customer", body="Any news?")
    )
    await env.sleep(timedelta(minutes=5))
    await h.execute_update(TicketWorkflow.wait, Act(actor="Alex", note="Need a screenshot"))
    await env.sleep(timedelta(minutes=10))
    await h.execute_update(TicketWorkflow.resume, Act(actor="Alex"))
    # Recomputed from receipt: 1 calendar hour, plus the 10 paused minutes.
    await h.execute_update(
        TicketWorkflow.change_priority, Reprioritise(actor="Alex", priority="mission-critical")
    )
    await skip_to(env, opened_at + timedelta(minutes=10 + 46))
    await expect(engine, view.reference, "warning")
    await skip_to(env, opened_at + timedelta(minutes=10 + 61))
    await expect(engine, view.reference, "breach")
    await h.execute_update(TicketWorkflow.escalate, Act(actor="Alex"))
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Alex", author="agent", body="Looking at it")
    )
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Alex", note="Restarted"))
    await h.execute_update(TicketWorkflow.reopen, Act(actor="Casey"))
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Alex"))
    await h.execute_update(TicketWorkflow.close, Close(actor="Alex"))
    await h.result()
    await check(engine, view.reference, [
        "opened", "assigned", "response", "waiting", "resumed", "priority_changed", "warning",
        "breach", "escalated", "response", "clock_met_late", "resolved", "clock_met",
        "reopened", "resolved", "clock_met", "closed",
    ])  # fmt: skip
    return {"ticket_lifecycle": h}


async def ticket_spotler_regrade(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """Spotler: waiting on the customer re-grades High to Medium and marks it Delayed."""
    opened_at = await next_open_day(env, "spotler", 9)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="high",
        received_at=opened_at,
    )  # fmt: skip
    h = ticket(env, view.reference)
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Sam", author="agent", body="Which campaign?")
    )
    await h.execute_update(TicketWorkflow.wait, Act(actor="Sam"))
    await env.sleep(timedelta(hours=2))
    await h.execute_update(TicketWorkflow.resume, Act(actor="Sam"))
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Sam"))
    await h.execute_update(TicketWorkflow.close, Close(actor="Sam"))
    await h.result()
    await check(engine, view.reference, [
        "opened", "response", "clock_met", "regraded", "resumed", "resolved", "clock_met", "closed",
    ])  # fmt: skip
    return {"ticket_spotler_regrade": h}


async def ticket_customer_told(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """essensys: the representatives are told of a reply, a wait, the resolution and the
    closure they agreed to (patch customer-notices)."""
    opened_at = await next_open_day(env, "essensys", 10)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "essensys", representative=True)
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="p3",
        received_at=opened_at,
    )  # fmt: skip
    h = ticket(env, view.reference)
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Sam", author="agent", body="Which door?")
    )
    await h.execute_update(
        TicketWorkflow.wait, Wait(actor="Sam", note="panel log", message="The door's number")
    )
    await env.sleep(timedelta(minutes=30))
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Casey", author="customer", body="Door 3")
    )
    await h.execute_update(TicketWorkflow.resolve, Resolve(actor="Sam"))
    await h.execute_update(
        TicketWorkflow.close,
        Close(actor="Sam", representative_agreed=True, representative=contact.name),
    )
    await h.result()
    await check(engine, view.reference, [
        "opened", "response", "clock_met", "waiting", "response", "resumed", "resolved",
        "clock_met", "closed",
    ])  # fmt: skip
    return {"ticket_customer_told": h}


async def ticket_release_linked(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """e-shot P3: resolved and closed, its release promises met only when the release ships."""
    now = await env.get_current_time()
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="p3", received_at=now
    )
    release = ReleaseRecord(
        id=f"R-{view.reference[2:]}", name="4.12", kind="maintenance", planned_for=now.date(),
        notes="", shipped_at=None, created_by="Sam", created_at=now,
    )  # fmt: skip
    release_handle = await env.client.start_workflow(
        ReleaseWorkflow.run, release, id=f"release-{release.id}", task_queue=s.temporal_task_queue
    )
    await release_handle.execute_update(ReleaseWorkflow.recorded)
    h = ticket(env, view.reference)
    await h.execute_update(
        TicketWorkflow.link_release, Link(actor="Sam", release_id=release.id, release_name="4.12")
    )
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Sam", author="agent", body="A workaround")
    )
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Sam"))
    await h.execute_update(TicketWorkflow.close, Close(actor="Sam"))
    await env.sleep(timedelta(days=1))
    await release_handle.execute_update(ReleaseWorkflow.ship, ShipRequest(actor="Sam"))
    await release_handle.result()
    await h.result()
    await check(engine, view.reference, [
        "opened", "release_linked", "response", "clock_met", "resolved", "closed",
        "release_shipped", "clock_met", "clock_met",
    ])  # fmt: skip
    return {"ticket_release_linked": h, "release_shipped": release_handle}


async def ticket_logged_late(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """Logged after the fact, long after its deadlines: both breaches are recorded at opening."""
    now = await env.get_current_time()
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="high",
        received_at=now - timedelta(days=30),
    )  # fmt: skip
    h = ticket(env, view.reference)
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Sam"))
    await h.execute_update(TicketWorkflow.close, Close(actor="Sam"))
    await h.result()
    await check(engine, view.reference, [
        "opened", "breach", "breach", "resolved", "clock_met_late", "clock_met_late", "closed",
    ])  # fmt: skip
    return {"ticket_logged_late": h}


async def ticket_enhancement(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """An enhancement request: no clock, routed to development."""
    now = await env.get_current_time()
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="low", received_at=now,
        type=TicketType.ENHANCEMENT,
    )  # fmt: skip
    h = ticket(env, view.reference)
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Dev"))
    await h.execute_update(TicketWorkflow.close, Close(actor="Dev"))
    await h.result()
    await check(engine, view.reference, ["opened", "routed", "resolved", "closed"])
    return {"ticket_enhancement": h}


def complaint(env: WorkflowEnvironment, reference: str) -> WorkflowHandle:
    return env.client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{reference}")


async def expect_complaint(engine: AsyncEngine, reference: str, kind: str, n: int = 1) -> None:
    for _ in range(200):
        if (await complaint_kinds(engine, reference)).count(kind) >= n:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{reference}: no {kind!r} event")


async def check_complaint(engine: AsyncEngine, reference: str, expected: list[str]) -> None:
    found = await complaint_kinds(engine, reference)
    if found != expected:
        raise RuntimeError(f"{reference}: expected events {expected}, recorded {found}")


async def complaint_lifecycle(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """A standard complaint: reminder, acknowledgement letter, holding letter, reply, close,
    reopen, a second reply; the workflow ends when the reopening window has passed."""
    received = await next_open_day(env, "e-shot", 10)
    await skip_to(env, received)
    view = await log_complaint(env.client, s.temporal_task_queue, received_at=received)
    h = complaint(env, view.reference)
    await h.execute_update(
        ComplaintWorkflow.assign,
        AssignHandler(actor="Lead", name="Hana Handler", email="hana@pledge.example.com"),
    )
    sla_ = ComplaintSla.open(
        regime="standard", jurisdiction="england-and-wales", received_at=received
    )
    assert view.acknowledgement_due is not None
    await skip_to(env, sla_.reminder_at(view.acknowledgement_due) + timedelta(seconds=1))
    await expect_complaint(engine, view.reference, "reminder")
    await h.execute_update(ComplaintWorkflow.acknowledge, ComplaintAct(actor="Hana"))
    await h.execute_update(
        ComplaintWorkflow.extend,
        Extend(
            actor="Hana", reason="Waiting for delivery logs",
            new_due=view.reply_due + timedelta(days=14),
        ),
    )  # fmt: skip
    await env.sleep(timedelta(days=3))
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="We fixed the list.")
    )
    await h.execute_update(ComplaintWorkflow.close, ComplaintAct(actor="Hana"))
    await env.sleep(timedelta(days=10))
    await h.execute_update(ComplaintWorkflow.reopen, ComplaintAct(actor="Jane"))
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="And the archive too.")
    )
    await h.execute_update(ComplaintWorkflow.close, ComplaintAct(actor="Hana"))
    await env.sleep(timedelta(days=366))
    await h.result()
    await check_complaint(engine, view.reference, [
        "received", "assigned", "reminder", "acknowledged", "extended", "replied", "closed",
        "reopened", "replied", "closed",
    ])  # fmt: skip
    return {"complaint_lifecycle": h}


async def complaint_letters_apart(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """A complaint whose letters are made outside the clocks' lock (the letters-outside-the-lock
    patch): acknowledgement, holding and reply letters, then the reopening window passes."""
    received = await next_open_day(env, "e-shot", 10)
    await skip_to(env, received)
    view = await log_complaint(env.client, s.temporal_task_queue, received_at=received)
    h = complaint(env, view.reference)
    acknowledged = await h.execute_update(ComplaintWorkflow.acknowledge, ComplaintAct(actor="Hana"))
    assert [letter.kind for letter in acknowledged.letters] == ["acknowledgement"]
    await h.execute_update(
        ComplaintWorkflow.extend,
        Extend(
            actor="Hana", reason="Waiting for delivery logs",
            new_due=view.reply_due + timedelta(days=14),
        ),
    )  # fmt: skip
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="We fixed the list.")
    )
    await h.execute_update(ComplaintWorkflow.close, ComplaintAct(actor="Hana"))
    await env.sleep(timedelta(days=366))
    await h.result()
    await check_complaint(engine, view.reference, [
        "received", "acknowledged", "extended", "replied", "closed",
    ])  # fmt: skip
    return {"complaint_letters_apart": h}


async def complaint_reopened_keeps_extensions(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """A complaint reopened before the extended date it was given (the reopen-keeps-extensions
    patch): the new reply is due on that date, not earlier; a postal-only complainant, so its
    letters go to the handler to print and post."""
    received = await next_open_day(env, "e-shot", 10)
    await skip_to(env, received)
    view = await log_complaint(
        env.client, s.temporal_task_queue, received_at=received, complainant_email=None,
        handler_email="hana@pledge.example.com",
    )  # fmt: skip
    h = complaint(env, view.reference)
    extended_to = view.reply_due + timedelta(days=60)
    await h.execute_update(
        ComplaintWorkflow.extend,
        Extend(actor="Hana", reason="Waiting for the survey", new_due=extended_to),
    )
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="We fixed the list.")
    )
    await h.execute_update(ComplaintWorkflow.close, ComplaintAct(actor="Hana"))
    reopened = await h.execute_update(ComplaintWorkflow.reopen, ComplaintAct(actor="Jane"))
    if reopened.reply_due != extended_to or len(reopened.extensions) != 1:
        raise RuntimeError(f"the reopening dropped the extension: {reopened}")
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="And the archive too.")
    )
    await h.execute_update(ComplaintWorkflow.close, ComplaintAct(actor="Hana"))
    await env.sleep(timedelta(days=366))
    await h.result()
    await check_complaint(engine, view.reference, [
        "received", "extended", "replied", "closed", "reopened", "replied", "closed",
    ])  # fmt: skip
    return {"complaint_reopened_keeps_extensions": h}


async def complaint_logged_late(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """Housing stage 1 logged weeks late: both breaches at once; the reply acknowledges too."""
    now = await env.get_current_time()
    view = await log_complaint(
        env.client, s.temporal_task_queue, received_at=now - timedelta(days=45),
        regime="housing-stage-1",
    )  # fmt: skip
    h = complaint(env, view.reference)
    await expect_complaint(engine, view.reference, "breach", 2)
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="We are sorry.")
    )
    await h.execute_update(ComplaintWorkflow.close, ComplaintAct(actor="Hana"))
    await env.sleep(timedelta(days=366))
    await h.result()
    await check_complaint(
        engine, view.reference, ["received", "breach", "breach", "replied", "closed"]
    )
    return {"complaint_logged_late": h}


async def account_success_month(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """An enterprise account's first cycle: sleep to the first working day, the monthly
    report as a child (gathered, rendered, mailed), then continue as new."""
    account, _ = await make_account(engine, "essensys", representative=True)
    first = await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="essensys", calendar=None),
        id=success_workflow_id(account.id),
        task_queue=s.temporal_task_queue,
    )
    calendar = sla.get_policy("essensys").calendar()
    run_at = next_monthly_run(calendar, await env.get_current_time())
    await skip_to(env, run_at + timedelta(minutes=1))
    report = env.client.get_workflow_handle(
        f"account-{account.id}-monthly-{period_reported_at(calendar, run_at)}"
    )
    await report.result()
    for _ in range(200):  # until the first run has continued as new
        if (await env.client.get_workflow_handle(first.id).describe()).run_id != first.run_id:
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the account workflow did not continue as new")
    return {
        "account_success_month": env.client.get_workflow_handle(first.id, run_id=first.run_id),
        "monthly_report": report,
    }


async def onboarding_plan(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """Two objectives: one achieved by a reading, one reminded and then missed; the plan."""
    account, _ = await make_account(engine, "e-shot")
    today = (await env.get_current_time()).date()
    specs = [("Grow the list", "subscribers", 5000.0, 30), ("NPS", "nps", 40.0, 45)]
    handle = None
    for name, metric, target, days in specs:
        async with AsyncSession(engine) as session, session.begin():
            row = Objective(
                account_id=account.id, name=name, metric=metric, target=target,
                direction="at_least", due_on=today + timedelta(days=days), owner_name="Olive",
                owner_email="olive@customer.example.com", status="open", created_by="record",
                created_at=await env.get_current_time(),
            )  # fmt: skip
            session.add(row)
            await session.flush()
            spec = ObjectiveAdded(
                objective_id=row.id, name=name, metric=metric, target=target,
                direction="at_least", due_on=row.due_on,
            )  # fmt: skip
        handle = await env.client.start_workflow(
            OnboardingWorkflow.run,
            OnboardingStart(account_id=account.id, policy="e-shot", calendar=None),
            id=onboarding_workflow_id(account.id),
            task_queue=s.temporal_task_queue,
            start_signal="objective_added",
            start_signal_args=[spec],
        )
    assert handle is not None
    await handle.signal(
        OnboardingWorkflow.measured,
        Measured(name="subscribers", value=5100, at=await env.get_current_time()),
    )
    await env.sleep(timedelta(days=50))
    await handle.result()
    return {"onboarding_plan": handle}


async def ticket_incident(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """essensys enterprise: a P1 resolved with its impact and cause gets its incident report."""
    now = await env.get_current_time()
    account, contact = await make_account(engine, "essensys", representative=True)
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="p1", received_at=now
    )
    h = ticket(env, view.reference)
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Ola", author="agent", body="Investigating")
    )
    details = IncidentDetails(impact="Doors", cause="A certificate", actions=["Renewed it"])
    await h.execute_update(TicketWorkflow.resolve, Resolve(actor="Ola", incident=details))
    await h.execute_update(TicketWorkflow.close, Close(actor="Ola", representative_agreed=True))
    await h.result()
    return {"ticket_incident": h}


async def review_moved_and_held(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """A review invited, moved two working days on, packed three working days before, held."""
    account, _ = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    starts = proposed_time(calendar, await env.get_current_time())
    now = await env.get_current_time()
    async with AsyncSession(engine) as session, session.begin():
        review = Review(
            account_id=account.id, key=f"account-{account.id}-review-record", quarter="2026-Q3",
            starts_at=starts, duration_minutes=60, status="scheduled", sequence=0,
            recommendations="", invited=[], created_by="record", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(review)
        await session.flush()
        review_id = review.id
    handle = await env.client.start_workflow(
        ReviewWorkflow.run,
        ReviewStart(review_id=review_id, account_id=account.id, policy="essensys",
                    calendar=None, starts_at=starts, duration_minutes=60),
        id=f"account-{account.id}-review-record", task_queue=s.temporal_task_queue,
    )  # fmt: skip
    moved = at_local(
        calendar, working_day_after(calendar, local_date(calendar, starts), 2), REVIEW_TIME
    )
    await handle.execute_update(ReviewWorkflow.reschedule, Reschedule(actor="Sam", starts_at=moved))
    await skip_to(env, moved + timedelta(hours=2))
    if await handle.result() != "held":
        raise RuntimeError("the review was not held")
    return {"review_moved_and_held": handle}


async def review_actions_done(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """Two agreed actions: one done after its reminder, one chased as overdue, then done."""
    account, _ = await make_account(engine, "essensys", representative=True)
    calendar = sla.get_policy("essensys").calendar()
    now = await env.get_current_time()
    today = local_date(calendar, now)
    due = [working_day_after(calendar, today, 3), working_day_after(calendar, today, 6)]
    async with AsyncSession(engine) as session, session.begin():
        review = Review(
            account_id=account.id, key=f"account-{account.id}-review-actions", quarter="2026-Q3",
            starts_at=now, duration_minutes=60, status="held", sequence=0, recommendations="",
            invited=[], created_by="record", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(review)
        await session.flush()
        actions = [
            ReviewAction(
                review_id=review.id,
                account_id=account.id,
                description=text,
                owner_name="Owen",
                owner_email="owen@customer.example.com",
                due_on=day,
                status="open",
                created_at=now,
            )  # fmt: skip
            for text, day in zip(("Enable SSO", "Retrain"), due, strict=True)
        ]
        session.add_all(actions)
        await session.flush()
        ids, review_id = [a.id for a in actions], review.id
    handle = await env.client.start_workflow(
        ReviewActionsWorkflow.run,
        ActionsStart(
            review_id=review_id, policy="essensys", calendar=None,
            actions=[TrackedAction(action_id=i, due_on=d) for i, d in zip(ids, due, strict=True)],
        ),
        id=f"account-{account.id}-review-actions-actions", task_queue=s.temporal_task_queue,
    )  # fmt: skip
    await skip_to(env, action_reminder_at(calendar, due[0]) + timedelta(minutes=1))
    await handle.signal(ReviewActionsWorkflow.done, ids[0])
    await skip_to(env, action_overdue_at(calendar, due[1]) + timedelta(minutes=1))
    await handle.signal(ReviewActionsWorkflow.done, ids[1])
    await handle.result()
    return {"review_actions_done": handle}


async def system_check(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    now = await env.get_current_time()
    h = await env.client.start_workflow(
        SystemCheckWorkflow.run,
        SystemCheckRequest(check_id="system-check-history", requested_at=now),
        id="system-check-history",
        task_queue=s.temporal_task_queue,
    )
    await h.result()
    return {"system_check": h}


async def ticket_carried(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """A ticket opened with its policy snapshot continues as new mid-life (the version 2 carry),
    then the next run records a warning and a breach."""
    opened_at = await next_open_day(env, "e-shot", 10)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="p2", received_at=opened_at
    )
    h = ticket(env, view.reference)
    await h.execute_update(
        TicketWorkflow.assign, Assign(actor="Lead", name="Alex", email="alex@pledge.example.com")
    )
    await h.execute_update(TicketWorkflow.wait, Act(actor="Alex"))
    first = (await h.describe()).run_id
    await h.signal(TicketWorkflow.continue_as_new_now)
    await _new_run(h, first)
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Casey", author="customer", body="Logs attached")
    )
    await skip_to(env, opened_at + timedelta(hours=2, minutes=1))
    await expect(engine, view.reference, "breach")
    await check(
        engine,
        view.reference,
        ["opened", "assigned", "waiting", "response", "resumed", "warning", "breach"],
    )
    return {
        "ticket_carried_before": env.client.get_workflow_handle(h.id, run_id=first),
        "ticket_carried_after": h,
    }


def _longer_mission_critical(body: dict[str, Any]) -> None:
    targets = body["priorities"]["mission-critical"]["targets"]
    targets["first_response"]["amount"] = 2
    targets["resolution"]["amount"] = 6


async def ticket_moved(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """A ticket opened under version 1 of a policy an admin saved, moved to version 2 (the
    preview asked first, as the bulk move does); its warning and breach fall on version 2's
    resolution due."""
    key = "agency-contract"
    _, v1 = await save_policy(engine, key, copy_of="web-agency")
    opened_at = await next_open_day(env, "web-agency", 10)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, key)
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="mission-critical",
        received_at=opened_at, terms=v1, policy_version=1,
    )  # fmt: skip
    h = ticket(env, view.reference)
    version, v2 = await save_policy(engine, key, change=_longer_mission_critical)
    await skip_to(env, opened_at + timedelta(minutes=10))
    move = MoveTerms(actor="Ada Admin", terms=v2, version=version)
    preview = await h.query(TicketWorkflow.preview_move, move)
    moved = await h.execute_update(TicketWorkflow.move_terms, move)
    if {name: clock.due for name, clock in moved.clocks.items()} != preview.after:
        raise RuntimeError(f"{view.reference}: the move did not do what its preview said")
    await skip_to(env, opened_at + timedelta(minutes=20))
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Alex", author="agent", body="Looking into it")
    )
    await skip_to(env, opened_at + timedelta(hours=6, minutes=1))
    await expect(engine, view.reference, "breach")
    await check(
        engine,
        view.reference,
        ["opened", "terms_moved", "response", "clock_met", "warning", "breach"],
    )
    return {"ticket_moved": h}


async def complaint_carried(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """A complaint logged with its regime snapshot continues as new after its acknowledgement
    letter (the version 2 carry); the next run sends the reply."""
    received = await next_open_day(env, "e-shot", 10)
    await skip_to(env, received)
    view = await log_complaint(env.client, s.temporal_task_queue, received_at=received)
    h = complaint(env, view.reference)
    await h.execute_update(ComplaintWorkflow.acknowledge, ComplaintAct(actor="Hana"))
    first = (await h.describe()).run_id
    await h.signal(ComplaintWorkflow.continue_as_new_now)
    await _new_run(h, first)
    await h.execute_update(
        ComplaintWorkflow.reply, ComplaintReply(actor="Hana", body="We fixed the list.")
    )
    await check_complaint(engine, view.reference, ["received", "acknowledged", "replied"])
    return {
        "complaint_carried_before": env.client.get_workflow_handle(h.id, run_id=first),
        "complaint_carried_after": h,
    }


async def maintenance_window(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """A window announced to an administrator, moved a day on, reminded of, run to its end;
    another cancelled before it starts."""
    account, _ = await make_account(engine, "e-shot", representative=True)
    policy = sla.get_policy("e-shot")
    handles: Handles = {}
    for name in ("maintenance_completed", "maintenance_cancelled"):
        now = await env.get_current_time()
        night = night_of(policy, (now + timedelta(days=3)).date())
        assert night is not None
        config = WindowConfig(
            window_id=f"W-{name[12:16].upper()}-0000", title="Database upgrade",
            services=["platform"], policy="e-shot", account_ids=[account.id],
            starts_at=night.opens, ends_at=night.opens + timedelta(hours=2),
            timezone="Europe/London",
        )  # fmt: skip
        handle = await env.client.start_workflow(
            MaintenanceWorkflow.run,
            MaintenanceStart(config=config, created_by="record", signed_by="Sam Smith"),
            id=f"maintenance-{config.window_id}", task_queue=s.temporal_task_queue,
        )  # fmt: skip
        await handle.execute_update(MaintenanceWorkflow.recorded, MaintenanceRecorded())
        if name == "maintenance_cancelled":
            await handle.execute_update(
                MaintenanceWorkflow.cancel, MaintenanceAct(actor="Sam", signed_by="Sam Smith")
            )
        else:
            later = config.model_copy(
                update={"starts_at": config.starts_at + timedelta(days=1),
                        "ends_at": config.ends_at + timedelta(days=1)}
            )  # fmt: skip
            await handle.execute_update(
                MaintenanceWorkflow.change, Change(config=later, actor="Sam", signed_by="Sam")
            )
            await skip_to(env, later.ends_at + timedelta(minutes=1))
        if (await handle.result()).state != name.removeprefix("maintenance_"):
            raise RuntimeError(f"{name}: the window did not end as it should")
        handles[name] = handle
    return handles


async def ticket_emergency_paged(
    env: WorkflowEnvironment, engine: AsyncEngine, s: Settings
) -> Handles:
    """e-shot: an emergency on a Saturday night pages (nobody on call, no team address here:
    the history says nobody was paged), behind the emergency-pages patch."""
    from tests.workflows.tickets import next_weekday_at

    account, contact = await make_account(engine, "e-shot")
    now = await env.get_current_time()
    view = await open_ticket(
        env.client, s.temporal_task_queue, account, contact, priority="p1",
        received_at=next_weekday_at(now, 5, 23), channel="emergency", calendar="emergency",
    )  # fmt: skip
    await expect(engine, view.reference, "paged")
    return {"ticket_emergency_paged": ticket(env, view.reference)}


async def huddle_mornings(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """The huddle: two working mornings' digests (no address here, so none is mailed)."""
    from datetime import time

    from sla.team import next_huddle, team_calendar
    from workflows.huddle import HuddleStart, HuddleWorkflow

    start = HuddleStart(calendar="e-shot:support", at=time(9, 0))
    h = await env.client.start_workflow(
        HuddleWorkflow.run, start, id="huddle-history", task_queue=s.temporal_task_queue
    )
    calendar = team_calendar(start.calendar)
    now = await env.get_current_time()
    second = next_huddle(calendar, next_huddle(calendar, now, start.at), start.at)
    await skip_to(env, second + timedelta(minutes=5))
    return {"huddle_mornings": h}


async def _new_run(h: WorkflowHandle, before: str) -> None:
    for _ in range(200):
        if (await h.describe()).run_id != before:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{h.id} did not continue as new")


async def incident_resolved(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """An incident opened as a draft, published, updated, resolved and closed a week later
    (no subscribers here, so no mail goes)."""
    from workflows.incident import IncidentWorkflow
    from workflows.incident_messages import IncidentStart, Links, Opened, PostUpdate, Publish

    start = IncidentStart(
        incident_id="I-HIST-0001", title="E-mails are being sent late", impact="partial",
        services=["sending"], status="investigating", message="We are looking into it.",
        created_by="Sam Smith",
    )  # fmt: skip
    h = await env.client.start_workflow(
        IncidentWorkflow.run, start, id="incident-I-HIST-0001", task_queue=s.temporal_task_queue
    )
    await h.execute_update(IncidentWorkflow.opened, Opened())
    await h.execute_update(IncidentWorkflow.publish, Publish(actor="Sam Smith"))
    await h.execute_update(IncidentWorkflow.link, Links(ticket_references=[], actor="Sam Smith"))
    for status, message in (("identified", "A disk filled."), ("resolved", "All sent.")):
        await h.execute_update(
            IncidentWorkflow.post_update, PostUpdate(status=status, message=message, actor="Sam")
        )
    await skip_to(env, await env.get_current_time() + timedelta(days=8))
    await h.result()
    return {"incident_resolved": h}


async def incident_discarded(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """A draft reworded (title, impact, services, its first message), then discarded: its
    rows deleted and the workflow ended."""
    from workflows.incident import IncidentWorkflow
    from workflows.incident_messages import Discard, IncidentStart, Opened, Revise

    start = IncidentStart(
        incident_id="I-HIST-0002", title="The platform is not working", impact="major",
        services=["platform"], status="investigating", message="It has not answered since 9:00.",
        created_by="Pledge (monitoring)",
    )  # fmt: skip
    h = await env.client.start_workflow(
        IncidentWorkflow.run, start, id="incident-I-HIST-0002", task_queue=s.temporal_task_queue
    )
    await h.execute_update(IncidentWorkflow.opened, Opened())
    await h.execute_update(
        IncidentWorkflow.revise,
        Revise(title="Saving is slow", impact="degraded", services=["platform", "api"],
               message="Saving takes some seconds.", actor="Sam Smith"),
    )  # fmt: skip
    await h.execute_update(IncidentWorkflow.discard, Discard(actor="Sam Smith"))
    await h.result()
    return {"incident_discarded": h}


async def mailbox_read(env: WorkflowEnvironment, engine: AsyncEngine, s: Settings) -> Handles:
    """A mailbox on Dovecot (loopback) reading a contact's mail (a ticket) and an auto-reply
    (ignored), moving both, idling, carried to a new run, paused, resumed and removed."""
    from sqlalchemy import func, select

    from db.models import ReceivedMail
    from outbound import sealing
    from tests.imap_server import dovecot
    from workflows.mailbox import MailboxWorkflow
    from workflows.mailbox_messages import MailboxAct, MailboxConfig, MailboxStart
    from workflows.mailbox_messages import Recorded as MailboxRecorded

    _, contact = await make_account(engine, "e-shot")
    with dovecot() as server:
        user, password = server.add_user()
        for n, extra in enumerate(("", "Auto-Submitted: auto-replied\r\n")):
            server.append(
                user,
                password,
                (
                    f"From: {contact.name} <{contact.email}>\r\nSubject: Stuck {n}\r\n"
                    f"Message-ID: <history-{n}@customer.invalid>\r\n{extra}\r\nHelp.\r\n"
                ).encode(),
            )
        config = MailboxConfig(
            mailbox_id="B-HIST-0001", name="Support", host=server.host, port=server.port,
            tls=False, username=user,
            password_sealed=sealing.seal(password, "B-HIST-0001", sealing.keys(s)),
        )  # fmt: skip
        h = await env.client.start_workflow(
            MailboxWorkflow.run,
            MailboxStart(config=config, created_by="history"),
            id="mailbox-B-HIST-0001",
            task_queue=s.temporal_task_queue,
        )
        await h.execute_update(MailboxWorkflow.recorded, MailboxRecorded())
        for _ in range(600):
            async with AsyncSession(engine) as session:
                moved = await session.scalar(
                    select(func.count())
                    .select_from(ReceivedMail)
                    .where(
                        ReceivedMail.mailbox_id == "B-HIST-0001", ReceivedMail.moved_at.is_not(None)
                    )
                )
            if moved == 2:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the mailbox did not read its two mails")
        first = (await h.describe()).run_id
        await h.signal(MailboxWorkflow.continue_as_new_now)
        await _new_run(h, first)
        carried = env.client.get_workflow_handle(h.id)
        act = MailboxAct(actor="history")
        await carried.execute_update(MailboxWorkflow.pause, act)
        await carried.execute_update(MailboxWorkflow.resume, act)
        await carried.execute_update(MailboxWorkflow.delete, act)
        await carried.result()
    return {"mailbox_read": h, "mailbox_removed": env.client.get_workflow_handle(h.id)}


SCENARIOS: list[Scenario] = [
    ticket_lifecycle,
    ticket_spotler_regrade,
    ticket_customer_told,
    ticket_release_linked,
    ticket_logged_late,
    ticket_enhancement,
    complaint_lifecycle,
    complaint_logged_late,
    complaint_letters_apart,
    complaint_reopened_keeps_extensions,
    account_success_month,
    onboarding_plan,
    ticket_incident,
    review_moved_and_held,
    review_actions_done,
    system_check,
    ticket_carried,
    ticket_moved,
    complaint_carried,
    maintenance_window,
    ticket_emergency_paged,
    huddle_mornings,
    mailbox_read,
    incident_resolved,
    incident_discarded,
    *account_history_scenarios.SCENARIOS,
]


# -- recording ----------------------------------------------------------------------------------


async def record(directory: Path = HISTORIES, only: list[str] | None = None) -> list[Path]:
    """Record every scenario, replacing every history; or only the scenarios named, adding
    their histories to those already there (so a new shape gets its history without the old
    ones being recorded again)."""
    scenarios = [s for s in SCENARIOS if not only or s.__name__ in only]
    if only and len(scenarios) != len(only):
        raise SystemExit(f"no such scenario among {sorted(only)}")
    with tempfile.TemporaryDirectory(prefix="pledge-histories-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'pledge.db'}"
        upgrade(url)
        settings = Settings(
            data_dir=Path(scratch),  # no SMTP_HOST: mail goes to .eml files in here
            database_url=url,
            temporal_task_queue="record-histories",
            customer_services_email="csm@pledge.example.com",
            development_email="dev@pledge.example.com",
            mailbox_allowed_hosts="127.0.0.1",  # the mailbox scenario's Dovecot
            mailbox_idle_seconds=30,
        )
        engine = make_engine(url)
        sync_engine = make_sync_engine(url)
        deps = ActivityDeps.create(settings, "record-histories", engine, sync_engine)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(installed_binary("temporal-test-server")),
            data_converter=DATA_CONVERTER,
        )
        try:
            with ThreadPoolExecutor(4) as executor:
                async with build_worker(env.client, deps, executor):
                    handles: Handles = {}
                    for scenario in scenarios:
                        handles.update(await scenario(env, engine, settings))
                    histories = {
                        name: await handle.fetch_history() for name, handle in handles.items()
                    }
        finally:
            await env.shutdown()
            await engine.dispose()
            sync_engine.dispose()
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.json") if not only else []:
        stale.unlink()
    written = []
    for name, history in histories.items():
        path = directory / f"{name}.json"
        path.write_text(history.to_json() + "\n")
        written.append(path)
    return written


async def main() -> int:
    # `... record_histories ticket_carried` records that scenario only, leaving the rest alone.
    for path in await record(only=sys.argv[1:] or None):
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    # The SDK's Rust threads can abort interpreter teardown; leave as worker.py does.
    exit_without_teardown(asyncio.run(main()))
