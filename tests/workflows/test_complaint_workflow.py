"""Complaint workflows on the time-skipping server: statutory clocks, letters, reminders."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from settings import Settings
from sla.complaint import ClockState, ComplaintSla, ComplaintStatus
from sla.regimes import jurisdiction_calendar
from tests.conftest import Inbox
from tests.workflows.complaints import complaint_kinds, complaint_row, letters, log_complaint
from tests.workflows.tickets import eventually
from worker import build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import Act, AssignHandler, Extend, Reply

UK = ZoneInfo("Europe/London")
MANAGER = "complaints-manager@pledge.example.com"
HANDLER = "handler@pledge.example.com"


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    assert at > now
    await env.sleep(at - now)


async def next_working_day(env: WorkflowEnvironment, hour: int = 10) -> datetime:
    calendar = jurisdiction_calendar("england-and-wales")
    day = (await env.get_current_time() + timedelta(days=1)).astimezone(UK).date()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), UK)


def handle(env: WorkflowEnvironment, reference: str):  # type: ignore[no-untyped-def]
    return env.client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{reference}")


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def spelled(due: datetime) -> str:
    day = (due - timedelta(microseconds=1)).astimezone(UK).date()
    return f"{day:%A} {day.day} {day:%B %Y}"


async def test_reminder_then_breach_reach_the_handler_and_the_manager(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    received = await next_working_day(env)
    await skip_to(env, received)
    view = await log_complaint(env.client, settings.temporal_task_queue, received_at=received)
    expected = ComplaintSla.open(
        regime="standard", jurisdiction="england-and-wales", received_at=received
    )
    assert (view.acknowledgement_due, view.reply_due) == (
        expected.acknowledgement_due,
        expected.reply_due,
    )
    assert view.status is ComplaintStatus.RECEIVED

    reminder_at = expected.reminder_at(view.acknowledgement_due)
    await skip_to(env, reminder_at + timedelta(seconds=1))
    reminders = await inbox.wait_for(
        lambda m: view.reference in m["Subject"] and "Reminder" in m["Subject"]
    )
    assert [m["To"] for m in reminders] == [HANDLER]
    assert spelled(view.acknowledgement_due) in reminders[0]["Subject"]

    await skip_to(env, view.acknowledgement_due + timedelta(seconds=1))
    await eventually(lambda: _has(engine, view.reference, "breach"))
    missed = await inbox.wait_for(
        lambda m: view.reference in m["Subject"] and "missed" in m["Subject"]
    )
    await eventually(lambda: _mails(inbox, view.reference, "missed", 2))
    assert sorted(
        m["To"]
        for m in inbox.messages
        if view.reference in m["Subject"] and "missed" in m["Subject"]
    ) == sorted([MANAGER, HANDLER])
    assert missed
    row = await complaint_row(engine, view.reference)
    assert row is not None and row.overdue and row.acknowledgement_state == "breached"
    assert (await complaint_kinds(engine, view.reference)).count("breach") == 1


async def _has(engine: AsyncEngine, reference: str, kind: str) -> bool:
    return kind in await complaint_kinds(engine, reference)


async def _mails(inbox: Inbox, reference: str, words: str, n: int) -> bool:
    return (
        len([m for m in inbox.messages if reference in m["Subject"] and words in m["Subject"]]) >= n
    )


async def test_acknowledgement_and_holding_letters_are_pdfs_mailed_to_the_complainant(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    received = await next_working_day(env)
    await skip_to(env, received)
    view = await log_complaint(env.client, settings.temporal_task_queue, received_at=received)
    h = handle(env, view.reference)
    view = await h.execute_update(ComplaintWorkflow.acknowledge, Act(actor="Hana"))
    assert view.status is ComplaintStatus.ACKNOWLEDGED
    assert view.clocks["acknowledgement"].state is ClockState.MET
    [ack] = await letters(engine, view.reference)
    text = pdf_text(ack.content)
    assert view.reference in text and "Jane Doe" in text and "14 Acacia Avenue" in text
    assert f"by {spelled(view.reply_due)}" in text
    assert "e-shot" in text

    new_by = (view.reply_due + timedelta(days=14)).astimezone(UK).date()
    new_due = datetime.combine(new_by + timedelta(days=1), time(), UK).astimezone(UTC)
    view = await h.execute_update(
        ComplaintWorkflow.extend,
        Extend(
            actor="Hana",
            reason="We are waiting for our email provider's delivery logs.",
            new_due=new_due,
        ),
    )
    assert view.reply_due == new_due and view.extensions[0].in_time
    holding = (await letters(engine, view.reference))[-1]
    text = pdf_text(holding.content)
    assert f"by {new_by:%A} {new_by.day} {new_by:%B %Y}" in text
    assert "delivery logs" in text

    mailed = await inbox.wait_for(
        lambda m: m["To"] == "jane@example.com" and view.reference in m["Subject"], timeout=20
    )
    await eventually(lambda: _mails(inbox, view.reference, "update", 1))
    attachments = [
        part.get_filename()
        for m in inbox.messages
        if m["To"] == "jane@example.com" and view.reference in m["Subject"]
        for part in m.iter_attachments()
    ]
    assert sorted(attachments) == sorted([ack.filename, holding.filename])
    assert mailed


async def test_an_earlier_date_is_invalid_and_the_fca_eight_week_letter_keeps_the_deadline(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    now = await env.get_current_time()
    standard = await log_complaint(env.client, settings.temporal_task_queue, received_at=now)
    with pytest.raises(WorkflowUpdateFailedError) as invalid:
        await handle(env, standard.reference).execute_update(
            ComplaintWorkflow.extend,
            Extend(actor="x", reason="y", new_due=standard.reply_due - timedelta(days=1)),
        )
    assert "later than the current one" in str(invalid.value.cause)
    fca = await log_complaint(
        env.client, settings.temporal_task_queue, received_at=now, regime="fca"
    )
    expected = fca.reply_due + timedelta(days=7)
    held = await handle(env, fca.reference).execute_update(
        ComplaintWorkflow.extend, Extend(actor="x", reason="y", new_due=expected)
    )
    # DISP 1.6.2R: the eight-week letter says when to expect the final response; the eight
    # weeks stand.
    assert held.reply_due == fca.reply_due
    assert [(e.previous_due, e.new_due) for e in held.extensions] == [(fca.reply_due, expected)]
    assert await complaint_kinds(engine, fca.reference) == ["received", "extended"]


async def test_a_reply_acknowledges_then_close_and_reopen(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    now = await env.get_current_time()
    view = await log_complaint(env.client, settings.temporal_task_queue, received_at=now)
    h = handle(env, view.reference)
    with pytest.raises(WorkflowUpdateFailedError) as early:
        await h.execute_update(ComplaintWorkflow.close, Act(actor="x"))
    assert "send the full reply first" in str(early.value.cause)
    view = await h.execute_update(
        ComplaintWorkflow.reply, Reply(actor="Hana", body="We have fixed the suppression list.")
    )
    assert view.status is ComplaintStatus.REPLIED
    assert view.clocks["acknowledgement"].state is ClockState.MET
    assert "suppression list" in pdf_text((await letters(engine, view.reference))[-1].content)
    view = await h.execute_update(ComplaintWorkflow.close, Act(actor="Hana"))
    assert view.status is ComplaintStatus.CLOSED
    view = await h.execute_update(ComplaintWorkflow.reopen, Act(actor="Hana"))
    assert view.status is ComplaintStatus.REOPENED
    assert view.clocks["reply"].state is ClockState.RUNNING
    view = await h.execute_update(ComplaintWorkflow.assign, AssignHandler(actor="x", name="Ola"))
    assert view.handler_name == "Ola"
    assert await complaint_kinds(engine, view.reference) == [
        "received", "replied", "closed", "reopened", "assigned",
    ]  # fmt: skip


async def test_housing_counts_the_response_from_the_acknowledgement(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    received = await next_working_day(env)
    await skip_to(env, received)
    view = await log_complaint(
        env.client, settings.temporal_task_queue, received_at=received, regime="housing-stage-1"
    )
    provisional = view.reply_due
    await env.sleep(timedelta(hours=2))
    view = await handle(env, view.reference).execute_update(
        ComplaintWorkflow.acknowledge, Act(actor="x")
    )
    acknowledged = (await complaint_row(engine, view.reference)).acknowledged_at  # type: ignore[union-attr]
    calendar = jurisdiction_calendar("england-and-wales")
    assert view.reply_due == calendar.end_of_working_day(acknowledged, 10)
    assert view.reply_due < provisional


async def test_a_complaint_logged_after_its_deadlines_is_overdue_at_once(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    now = await env.get_current_time()
    view = await log_complaint(
        env.client, settings.temporal_task_queue, received_at=now - timedelta(days=60)
    )
    assert view.overdue
    assert view.clocks["reply"].state is ClockState.BREACHED
    assert (await complaint_kinds(engine, view.reference)).count("breach") == 2


async def test_subject_access_request_runs_a_calendar_month(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    now = await env.get_current_time()
    view = await log_complaint(
        env.client, settings.temporal_task_queue, received_at=now, regime="sar"
    )
    assert view.acknowledgement_due is None and "acknowledgement" not in view.clocks
    expected = ComplaintSla.open(regime="sar", jurisdiction="england-and-wales", received_at=now)
    assert view.reply_due == expected.reply_due


def Z(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("regime", "received", "ack", "reply"),
    [
        # Mon 2 March 2026; working days 3-6, 9 March: day 5 ends at midnight GMT on the 10th.
        # Day 20 is Mon 30 March, after the clocks went forward: midnight BST is 23:00 UTC.
        ("standard", Z(2026, 3, 2, 10), Z(2026, 3, 10), Z(2026, 3, 30, 23)),
        # Never acknowledged, so the 10 working days count from the acknowledgement deadline
        # (end of Mon 9 March): 10-13, 16-20, 23 March.
        ("housing-stage-1", Z(2026, 3, 2, 10), Z(2026, 3, 10), Z(2026, 3, 24)),
        # 20 from the end of 9 March skips Good Friday (3 April) and Easter Monday (6 April):
        # day 20 is Wed 8 April, in summer time.
        ("housing-stage-2", Z(2026, 3, 2, 10), Z(2026, 3, 10), Z(2026, 4, 8, 23)),
        # Close of the third business day (Thu 5 March); eight weeks of calendar time to the
        # end of Mon 27 April.
        ("fca", Z(2026, 3, 2, 10), Z(2026, 3, 6), Z(2026, 4, 27, 23)),
        # 31 January: February has no 31st, so the month ends on its last day, Saturday the
        # 28th, and moves to the next working day, Monday 2 March.
        ("sar", Z(2026, 1, 31, 10), None, Z(2026, 3, 3)),
    ],
)
async def test_every_regime_keeps_its_hand_computed_dates_and_breaches_once(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    settings: Settings,
    regime: str,
    received: datetime,
    ack: datetime | None,
    reply: datetime,
) -> None:
    view = await log_complaint(
        env.client, settings.temporal_task_queue, received_at=received, regime=regime
    )
    assert (view.acknowledgement_due, view.reply_due) == (ack, reply)
    # Logged long after both dates: each clock is breached at once, and recorded once.
    assert view.overdue and view.clocks["reply"].state is ClockState.BREACHED
    breaches = 2 if ack else 1
    await eventually(lambda: _count(engine, view.reference, "breach", breaches))
    await env.sleep(timedelta(days=3))
    assert (await complaint_kinds(engine, view.reference)).count("breach") == breaches


async def _count(engine: AsyncEngine, reference: str, kind: str, n: int) -> bool:
    return (await complaint_kinds(engine, reference)).count(kind) == n
