"""Failures are never silent and never hold up a clock: a letter that cannot be made, a notice
that cannot be delivered and a date the clocks cannot count to each end as a recorded failure
(history, failures table, worker log) while the complaint's reminders and breaches keep time.

Everything fails for real: a template directory (PLEDGE_TEMPLATES_DIR) missing one letter, an
SMTP port on loopback that nothing listens on, a date beyond the calendars' years.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.references import new_reference
from db.models import Complaint, ComplaintEvent, Failure
from reports.render import TEMPLATES
from settings import Settings
from sla.complaint import ComplaintSla
from sla.regimes import jurisdiction_calendar
from tests.conftest import free_port
from tests.workflows.complaints import log_complaint
from tests.workflows.tickets import events as ticket_events
from tests.workflows.tickets import make_account, open_ticket
from worker import build_worker
from workflows.complaint import RENDER_RETRY, SEND_RETRY, ComplaintWorkflow
from workflows.complaint_messages import (
    Act,
    AssignHandler,
    ComplaintCarry,
    ComplaintOpening,
    ComplaintStart,
    Extend,
)
from workflows.errors import INVALID
from workflows.report import MAKE_RETRY, MonthlyReportWorkflow
from workflows.report_messages import ReportRequest
from workflows.ticket import NOTIFY_RETRY, REPORT_RETRY, TicketWorkflow
from workflows.ticket_messages import Close, IncidentDetails, Reply, Resolve

UK = ZoneInfo("Europe/London")


@asynccontextmanager
async def worker(
    env: WorkflowEnvironment, settings: Settings, engine: AsyncEngine, sync_engine: Engine
) -> AsyncIterator[None]:
    deps = ActivityDeps.create(settings, "test-worker", engine, sync_engine)
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(env.client, deps, executor):
            yield


def templates_without(tmp_path: Path, template: str) -> Path:
    """A copy of the shipped templates with one missing, as after a bad deploy."""
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    (copy / template).unlink()
    return copy


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    assert at > now
    await env.sleep(at - now)


async def next_working_day(env: WorkflowEnvironment) -> datetime:
    calendar = jurisdiction_calendar("england-and-wales")
    day = (await env.get_current_time() + timedelta(days=1)).astimezone(UK).date()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(10), UK)


async def history(engine: AsyncEngine, reference: str) -> list[ComplaintEvent]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(ComplaintEvent)
                .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
                .where(Complaint.reference == reference)
                .order_by(ComplaintEvent.seq)
            )
        )


async def failures_of(engine: AsyncEngine, reference: str) -> list[Failure]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(Failure).where(Failure.subject == reference).order_by(Failure.at)
            )
        )


async def until(probe: Callable[[], object], timeout: float = 30.0) -> None:
    """Wait a bounded time for an async probe to hold; fail the test if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():  # type: ignore[misc]
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.1)


def on_time(at: datetime, due: datetime) -> bool:
    return due <= at < due + timedelta(seconds=1)


def kinds(events: list[ComplaintEvent]) -> list[str]:
    return [event.kind for event in events]


async def test_a_letter_that_cannot_be_made_holds_up_no_reminder_or_breach(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    live_client: httpx.AsyncClient,
    live_admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = time_skipping_env
    broken = settings.model_copy(
        update={"templates_dir": templates_without(tmp_path, "letters/holding_response.html")}
    )
    caplog.set_level(logging.ERROR, logger="pledge.failures")
    async with worker(env, broken, engine, sync_engine):
        received = await next_working_day(env)
        await skip_to(env, received)
        view = await log_complaint(env.client, broken.temporal_task_queue, received_at=received)
        reference = view.reference
        sla = ComplaintSla.open(
            regime="standard", jurisdiction="england-and-wales", received_at=received
        )
        ack_due = sla.acknowledgement_due
        assert ack_due is not None
        reminder = sla.reminder_at(ack_due)
        assert reminder is not None

        # A holding response a minute before the acknowledgement's reminder: its letter fails
        # (no template) and is retried for many minutes; the reminder must not wait for it.
        await skip_to(env, reminder - timedelta(minutes=1))
        handle = env.client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{reference}")
        new_due = view.reply_due + timedelta(days=7)
        # Accepted before time moves on: an update in flight while the test server skips
        # time can stall the skip.
        extend = await handle.start_update(
            ComplaintWorkflow.extend,
            Extend(actor="Hana", reason="Waiting for delivery logs.", new_due=new_due),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        await skip_to(env, reminder + timedelta(minutes=1))
        answer = await asyncio.wait_for(extend.result(), 30)
        # The extension is kept and answered; the letter is not listed, for it is not made.
        assert answer.reply_due == new_due
        assert [letter.kind for letter in answer.letters] == []

        async def reminded() -> bool:
            return "reminder" in kinds(await history(engine, reference))

        await until(reminded)
        events = await history(engine, reference)
        [reminded_at] = [e.at for e in events if e.kind == "reminder"]
        # On the second (timers fire a few milliseconds late), while the letter was retried.
        assert on_time(reminded_at, reminder)

        await skip_to(env, ack_due + timedelta(minutes=1))

        async def breached() -> bool:
            return "breach" in kinds(await history(engine, reference))

        await until(breached)
        events = await history(engine, reference)
        [breached_at] = [e.at for e in events if e.kind == "breach"]
        assert on_time(breached_at, ack_due)

    # The letter's failure: after its bounded retries, in the history (before the breach, for
    # its retries ended minutes after the reminder), in the failures table and the log.
    [failure] = await failures_of(engine, reference)
    assert failure.kind == "letter"
    assert failure.what == "the holding response"
    assert failure.attempts == RENDER_RETRY.maximum_attempts
    assert "holding_response.html" in failure.error
    assert failure.workflow_id == f"complaint-{reference}"
    assert reminder < failure.at < ack_due
    told = [e for e in events if e.kind == "failure"]
    assert [e.summary for e in told] == [
        "The holding response could not be produced; the team has been told"
    ]
    assert kinds(events).index("reminder") < kinds(events).index("failure")
    assert kinds(events).index("failure") < kinds(events).index("breach")
    assert any(
        reference in record.getMessage() and "holding_response.html" in record.getMessage()
        for record in caplog.records
    )

    # Admins see it in GET /system/failures, newest first; others get a problem document.
    response = await live_client.get("/system/failures", headers=live_admin_headers)
    assert response.status_code == 200
    listed = response.json()
    assert [f["id"] for f in listed if f["subject"] == reference] == [failure.id]
    instants = [datetime.fromisoformat(f["at"]) for f in listed]
    assert instants == sorted(instants, reverse=True)
    refused = await live_client.get("/system/failures")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_a_notice_nobody_can_receive_ends_as_a_recorded_failure(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = time_skipping_env
    # A loopback port nothing listens on: every attempt is refused.
    unreachable = settings.model_copy(update={"smtp_port": free_port()})
    caplog.set_level(logging.ERROR, logger="pledge.failures")
    async with worker(env, unreachable, engine, sync_engine):
        received = await next_working_day(env)
        await skip_to(env, received)
        view = await log_complaint(
            env.client, unreachable.temporal_task_queue, received_at=received
        )
        reference = view.reference
        sla = ComplaintSla.open(
            regime="standard", jurisdiction="england-and-wales", received_at=received
        )
        assert sla.acknowledgement_due is not None
        reminder = sla.reminder_at(sla.acknowledgement_due)
        assert reminder is not None
        # The reminder e-mail's retries (about 3.6 hours of back-off) all pass in skipped time.
        await skip_to(env, reminder + timedelta(hours=6))

        async def recorded() -> bool:
            return bool(await failures_of(engine, reference))

        await until(recorded, timeout=60)
        handle = env.client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{reference}")
        # The workflow lives on and still answers.
        view = await handle.execute_update(ComplaintWorkflow.acknowledge, Act(actor="Hana"))

        async def told() -> bool:
            return "failure" in kinds(await history(engine, reference))

        await until(told)

    [failure] = await failures_of(engine, reference)
    assert failure.kind == "notice"
    assert failure.what == "the reminder e-mail about the acknowledgement"
    assert failure.attempts == SEND_RETRY.maximum_attempts
    assert "refused" in failure.error.lower() or "connect" in failure.error.lower()
    events = await history(engine, reference)
    assert [e.summary for e in events if e.kind == "failure"] == [
        "The reminder e-mail about the acknowledgement could not be delivered; "
        "the team has been told"
    ]
    assert kinds(events).index("reminder") < kinds(events).index("failure")
    assert any(reference in record.getMessage() for record in caplog.records)


# Past the last year the calendars can count (sla.calendar), whatever the process has cached:
# 2081 to 9997 fail the same way inside the sandbox unless a test outside it has already
# loaded that year's holidays, so they would make these tests depend on their order.
UNCOUNTABLE = datetime(9999, 1, 1, tzinfo=UTC)


async def test_a_date_the_clocks_cannot_count_to_is_refused_and_the_clocks_go_on(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
) -> None:
    env = time_skipping_env
    async with worker(env, settings, engine, sync_engine):
        received = await next_working_day(env)
        await skip_to(env, received)
        view = await log_complaint(env.client, settings.temporal_task_queue, received_at=received)
        handle = env.client.get_workflow_handle_for(
            ComplaintWorkflow.run, f"complaint-{view.reference}"
        )
        # Straight to the workflow, past the API's own checks.
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await asyncio.wait_for(
                handle.execute_update(
                    ComplaintWorkflow.extend,
                    Extend(actor="x", reason="y", new_due=UNCOUNTABLE),
                ),
                30,
            )
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == INVALID  # the API's 422
        assert "could not be counted" in cause.message

        # Nothing was applied, and the workflow keeps its clocks: the acknowledgement breach
        # is recorded on time.
        assert (await handle.query(ComplaintWorkflow.view)).reply_due == view.reply_due
        assert view.acknowledgement_due is not None
        await skip_to(env, view.acknowledgement_due + timedelta(minutes=1))

        async def breached() -> bool:
            return "breach" in kinds(await history(engine, view.reference))

        await until(breached)
        [breach] = [e for e in await history(engine, view.reference) if e.kind == "breach"]
        assert on_time(breach.at, view.acknowledgement_due)


async def test_bad_data_already_in_a_complaint_is_a_recorded_failure_not_a_jam(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
) -> None:
    """A run carried over with a reply date no clock can count to (as one accepted before the
    validators checked it would be): the other clock keeps time, the bad one is recorded."""
    env = time_skipping_env
    async with worker(env, settings, engine, sync_engine):
        received = await next_working_day(env)
        await skip_to(env, received)
        sla = ComplaintSla.open(
            regime="standard", jurisdiction="england-and-wales", received_at=received
        )
        ack_due = sla.acknowledgement_due
        assert ack_due is not None
        reminder = sla.reminder_at(ack_due)
        assert reminder is not None
        sla.extend(received, "typed the wrong year", UNCOUNTABLE)
        reference = new_reference("C")
        opening = ComplaintOpening(
            reference=reference,
            account_id=None,
            complainant_name="Jane Doe",
            complainant_email="jane@example.com",
            complainant_address=None,
            summary="Still receiving newsletters",
            channel="email",
            jurisdiction="england-and-wales",
            regime="standard",
            received_at=received,
            opened_by="Hana Handler",
            handler_name="Hana Handler",
            handler_email="handler@pledge.example.com",
            fingerprint="f",
        )
        carry = ComplaintCarry(
            sla=sla,
            handler_name="Hana Handler",
            handler_email="handler@pledge.example.com",
            version=0,
            seq=0,
            opened_at=received,
            letters=[],
        )
        await env.client.start_workflow(
            ComplaintWorkflow.run,
            ComplaintStart(opening=opening, carry=carry),
            id=f"complaint-{reference}",
            task_queue=settings.temporal_task_queue,
        )
        await skip_to(env, ack_due + timedelta(minutes=1))

        async def breached() -> bool:
            return "breach" in kinds(await history(engine, reference))

        await until(breached)

    events = await history(engine, reference)
    assert kinds(events) == ["failure", "reminder", "breach"]
    told, reminded, breach = events
    assert told.summary == (
        "The full reply deadline (9999-01-01) is beyond the dates Pledge can count to, so no "
        "reminder or breach will be recorded for it; the team has been told"
    )
    assert on_time(reminded.at, reminder) and on_time(breach.at, ack_due)
    [failure] = await failures_of(engine, reference)
    assert failure.kind == "data" and failure.what == "counting the full reply deadline"
    assert failure.workflow_id == f"complaint-{reference}"


async def test_a_tickets_unmade_report_and_undelivered_notices_are_recorded_and_it_still_ends(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    env = time_skipping_env
    broken = settings.model_copy(
        update={
            "templates_dir": templates_without(tmp_path, "reports/incident.html"),
            "smtp_port": free_port(),
        }
    )
    async with worker(env, broken, engine, sync_engine):
        account, contact = await make_account(engine, "essensys", representative=True)
        view = await open_ticket(
            env.client,
            broken.temporal_task_queue,
            account,
            contact,
            priority="p1",
            received_at=await env.get_current_time(),
        )
        reference = view.reference
        handle = env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{reference}")
        await handle.execute_update(
            TicketWorkflow.respond, Reply(actor="Ola", author="agent", body="Looking")
        )
        details = IncidentDetails(impact="Doors", cause="A certificate", actions=["Renewed"])
        await handle.execute_update(TicketWorkflow.resolve, Resolve(actor="Ola", incident=details))
        await handle.execute_update(
            TicketWorkflow.close, Close(actor="Ola", representative_agreed=True)
        )
        # Every side job runs out its bounded retries (hours of back-off, skipped here) and
        # is recorded; then the ticket ends.
        await env.sleep(timedelta(days=1))

        async def ended() -> bool:
            return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED

        await until(ended, timeout=60)

    recorded = await failures_of(engine, reference)
    by_what = {f.what: f for f in recorded}
    report = by_what["the incident report"]
    assert report.kind == "report" and report.attempts == REPORT_RETRY.maximum_attempts
    assert "incident.html" in report.error
    confirmation = by_what["the confirmation notice"]
    assert confirmation.kind == "notice"
    assert confirmation.attempts == NOTIFY_RETRY.maximum_attempts
    assert {f.workflow_id for f in recorded} == {f"ticket-{reference}"}
    told = [e.summary for e in await ticket_events(engine, reference) if e.kind == "failure"]
    assert "The incident report could not be produced; the team has been told" in told
    assert "The confirmation notice could not be delivered; the team has been told" in told
    assert len(told) == len(recorded)


async def test_a_report_that_cannot_be_made_is_recorded_for_its_account(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    env = time_skipping_env
    broken = settings.model_copy(
        update={"templates_dir": templates_without(tmp_path, "reports/monthly.html")}
    )
    async with worker(env, broken, engine, sync_engine):
        account, _ = await make_account(engine, "essensys", representative=True)
        month = (await env.get_current_time()).replace(day=1) - timedelta(days=1)
        key = f"account-{account.id}-monthly-test-{uuid.uuid4().hex[:6]}"
        handle = await env.client.start_workflow(
            MonthlyReportWorkflow.run,
            ReportRequest(
                account_id=account.id, period=f"{month:%Y-%m}", key=key, requested_by="test"
            ),
            id=key,
            task_queue=broken.temporal_task_queue,
        )
        await env.sleep(timedelta(hours=1))  # the bounded retries' back-off

        async def failed() -> bool:
            return (await handle.describe()).status == WorkflowExecutionStatus.FAILED

        await until(failed, timeout=60)

    [failure] = await failures_of(engine, f"account {account.id}")
    assert (failure.kind, failure.workflow_id) == ("report", key)
    assert failure.what == f"making the report for {month:%Y-%m}"
    assert failure.attempts == MAKE_RETRY.maximum_attempts
    assert "monthly.html" in failure.error


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_record_the_database_refuses_is_recorded_once_and_the_complaint_goes_on(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine: Engine,
    settings: Settings,
) -> None:
    """PostgreSQL refuses a NUL byte in text (SQLite stores it, so this runs on PostgreSQL only):
    the save fails at once rather than retrying for ever under the lock."""
    env = time_skipping_env
    async with worker(env, settings, engine, sync_engine):
        received = await next_working_day(env)
        await skip_to(env, received)
        reference = new_reference("C")
        opening = ComplaintOpening(
            reference=reference,
            account_id=None,
            complainant_name="Jane\x00Doe",
            complainant_email="jane@example.com",
            complainant_address=None,
            summary="Still receiving newsletters",
            channel="email",
            jurisdiction="england-and-wales",
            regime="standard",
            received_at=received,
            opened_by="Hana Handler",
            handler_name="Hana Handler",
            handler_email="handler@pledge.example.com",
            fingerprint="f",
        )
        handle = await env.client.start_workflow(
            ComplaintWorkflow.run,
            ComplaintStart(opening=opening),
            id=f"complaint-{reference}",
            task_queue=settings.temporal_task_queue,
        )

        async def recorded() -> bool:
            return bool(await failures_of(engine, reference))

        await until(recorded)
        # The workflow still answers, and its clocks still run: past the acknowledgement's
        # reminder and deadline, with saves failing at each, the failure is recorded once.
        view = await asyncio.wait_for(
            handle.execute_update(
                ComplaintWorkflow.assign,
                AssignHandler(actor="Hana", name="Ravi", email="ravi@pledge.example.com"),
            ),
            30,
        )
        assert view.handler_name == "Ravi"
        assert view.acknowledgement_due is not None
        await skip_to(env, view.acknowledgement_due + timedelta(hours=1))
        assert (await handle.query(ComplaintWorkflow.view)).overdue
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    recorded = await failures_of(engine, reference)
    [failure] = [f for f in recorded if f.kind == "data"]
    assert failure.what == "saving the complaint's record"
    assert "NUL" in failure.error and "\x00" not in failure.error
    # Its reminders and breaches were still sent for; their e-mails could not say more than
    # the database holds (nothing), and were recorded as failures too.
    assert {f.what for f in recorded if f.kind == "notice"} <= {
        "the reminder e-mail about the acknowledgement",
        "the breach e-mail about the acknowledgement",
    }
    assert await history(engine, reference) == []
