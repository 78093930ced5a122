"""Ticket workflows on the time-skipping server: real timers, real database, real SMTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from api.references import new_reference
from outbound import signing
from settings import Settings
from sla.ticket import ClockState, TicketStatus, TicketType
from tests.conftest import Inbox
from tests.workflows.tickets import (
    WebhookSink,
    clocks,
    events,
    eventually,
    kinds,
    make_account,
    notifications,
    open_ticket,
    row,
    serve_webhooks,
)
from worker import build_worker
from workflows.release import ReleaseWorkflow, ShipRequest
from workflows.ticket import TicketWorkflow
from workflows.ticket_messages import Act, Close, Link, Reply, Reprioritise


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


@pytest.fixture
def webhooks() -> Iterator[WebhookSink]:
    yield from serve_webhooks()


async def skip_to(env: WorkflowEnvironment, at: datetime) -> None:
    now = await env.get_current_time()
    assert at > now, f"cannot go back in time to {at}"
    await env.sleep(at - now)


async def next_open_day(
    env: WorkflowEnvironment, policy: str, hour: int, minute: int = 0
) -> datetime:
    """hh:mm local on the policy calendar's next working day, at least a day ahead."""
    calendar = sla.get_policy(policy).calendar()
    now = await env.get_current_time()
    day = (now + timedelta(days=1)).astimezone(calendar._tz).date()  # noqa: SLF001
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=calendar._tz)  # noqa: SLF001


def handle(env: WorkflowEnvironment, reference: str):  # type: ignore[no-untyped-def]
    return env.client.get_workflow_handle_for(TicketWorkflow.run, f"ticket-{reference}")


async def test_warning_then_breach_fire_on_time_and_notify_the_chain(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    settings: Settings,
    inbox: Inbox,
    webhooks: WebhookSink,
) -> None:
    opened_at = await next_open_day(env, "spotler", 9)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "spotler", webhook_url=webhooks.url)
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="high",
        received_at=opened_at,
    )  # fmt: skip
    assert view.first_response_due == opened_at + timedelta(hours=1)
    assert view.resolution_due == opened_at + timedelta(hours=8)
    assert view.clocks["first_response"].state is ClockState.RUNNING
    confirmation = await inbox.wait_for(lambda m: m["To"] == contact.email)
    assert view.reference in confirmation[0]["Subject"]
    assert view.reference in confirmation[0].get_content()

    await env.sleep(timedelta(minutes=46))  # 75% of the hour has passed
    assert await eventually(lambda: _has(engine, view.reference, "warning"))
    warned = await inbox.wait_for(
        lambda m: "Warning" in m["Subject"] and view.reference in m["Subject"]
    )
    assert [m["To"] for m in warned] == [account.account_manager_email]

    await env.sleep(timedelta(minutes=15))
    assert await eventually(lambda: _has(engine, view.reference, "breach"))
    ticket = await row(engine, view.reference)
    assert ticket is not None and ticket.breached and ticket.line == 2
    recorded = await clocks(engine, view.reference)
    assert recorded["first_response"].state == "breached"
    breached = await inbox.wait_for(
        lambda m: "breached" in m["Subject"] and view.reference in m["Subject"]
    )
    await eventually(lambda: _count(inbox, view.reference, "breached", 2))
    assert sorted(
        m["To"] for m in inbox.about(view.reference) if "breached" in m["Subject"]
    ) == sorted([account.account_manager_email, "csm@pledge.example.com"])
    assert breached
    await eventually(lambda: _webhooks(webhooks, 2))
    assert [hook["event"] for hook in webhooks.received] == ["ticket.warning", "ticket.breach"]
    assert all(hook["_idempotency_key"].startswith(view.reference) for hook in webhooks.received)
    assert account.webhook_secret is not None
    for headers, body in webhooks.raw:  # each signed with the account's secret, just now
        assert signing.verify(
            account.webhook_secret, headers["Pledge-Signature"], body, now=int(time.time())
        )
    assert (await kinds(engine, view.reference)).count("breach") == 1


async def _has(engine: AsyncEngine, reference: str, kind: str) -> bool:
    return kind in await kinds(engine, reference)


async def _count(inbox: Inbox, reference: str, words: str, n: int) -> bool:
    return len([m for m in inbox.about(reference) if words in m["Subject"]]) >= n


async def _webhooks(sink: WebhookSink, n: int) -> bool:
    return len(sink.received) >= n


async def test_a_ticket_logged_long_after_its_deadlines_shows_them_breached(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    now = await env.get_current_time()
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="high",
        received_at=now - timedelta(days=30),
    )  # fmt: skip
    assert view.clocks["first_response"].state is ClockState.BREACHED
    assert view.clocks["resolution"].state is ClockState.BREACHED
    assert view.breached
    assert (await kinds(engine, view.reference)).count("breach") == 2


async def test_the_whole_life_of_a_ticket(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    opened_at = await next_open_day(env, "electric-putty", 10)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "electric-putty")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="normal",
        received_at=opened_at,
    )  # fmt: skip
    h = handle(env, view.reference)
    view = await h.execute_update(TicketWorkflow.assign, _assign())
    assert view.assignee_name == "Alex Agent"
    view = await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Alex", author="customer", body="Any news?")
    )
    assert view.clocks["first_response"].state is ClockState.RUNNING
    view = await h.execute_update(
        TicketWorkflow.respond, Reply(actor="Alex", author="agent", body="Looking at it")
    )
    assert view.clocks["first_response"].state is ClockState.MET
    view = await h.execute_update(TicketWorkflow.escalate, Act(actor="Alex"))
    assert view.line == 2
    view = await h.execute_update(TicketWorkflow.resolve, Act(actor="Alex", note="Fixed"))
    assert view.status is TicketStatus.RESOLVED
    view = await h.execute_update(TicketWorkflow.reopen, Act(actor="Alex"))
    assert view.status is TicketStatus.OPEN
    await h.execute_update(TicketWorkflow.resolve, Act(actor="Alex"))
    view = await h.execute_update(TicketWorkflow.close, Close(actor="Alex"))
    assert view.status is TicketStatus.CLOSED
    assert await h.result() == view  # closed with nothing owed: the workflow ends
    assert await kinds(engine, view.reference) == [
        "opened", "assigned", "response", "response", "clock_met", "escalated",
        "resolved", "reopened", "resolved", "closed",
    ]  # fmt: skip
    ticket = await row(engine, view.reference)
    assert ticket is not None and ticket.status == "closed" and ticket.closed_at is not None


def _assign():  # type: ignore[no-untyped-def]
    from workflows.ticket import Assign

    return Assign(actor="Lead", name="Alex Agent", email="alex@pledge.example.com")


@pytest.mark.parametrize(
    ("update", "argument", "words"),
    [
        (TicketWorkflow.resume, Act(actor="x"), "not waiting"),
        (TicketWorkflow.reopen, Act(actor="x"), "cannot reopen a ticket that is open"),
        (TicketWorkflow.close, Close(actor="x"), "resolve it first"),
        (
            TicketWorkflow.change_priority,
            Reprioritise(actor="x", priority="nope"),
            "no priority 'nope'",
        ),
    ],
)
async def test_refused_actions_say_why_and_change_nothing(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, update, argument, words
) -> None:
    now = await env.get_current_time()
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="low", received_at=now
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle(env, view.reference).execute_update(update, argument)
    assert words in str(refused.value.cause)
    assert await kinds(engine, view.reference) == ["opened"]


async def test_spotler_regrades_a_waiting_high_ticket_to_medium_and_delayed(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    opened_at = await next_open_day(env, "spotler", 9)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="high",
        received_at=opened_at,
    )  # fmt: skip
    view = await handle(env, view.reference).execute_update(TicketWorkflow.wait, Act(actor="x"))
    assert (view.priority, view.status) == ("medium", TicketStatus.DELAYED)
    expected = sla.compute_deadlines(sla.get_policy("spotler"), "medium", opened_at)
    assert view.resolution_due == expected.resolution_due
    assert "regraded" in await kinds(engine, view.reference)


async def test_waiting_on_the_customer_pauses_the_clocks_across_days(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    opened_at = await next_open_day(env, "e-shot", 9)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p2",
        received_at=opened_at,
    )  # fmt: skip
    assert view.first_response_due == opened_at + timedelta(hours=2)
    await env.sleep(timedelta(minutes=30))
    view = await handle(env, view.reference).execute_update(TicketWorkflow.wait, Act(actor="x"))
    assert view.clocks["first_response"].state is ClockState.PAUSED
    paused_at = next(e.at for e in await events(engine, view.reference) if e.kind == "waiting")
    # The remaining 90-odd minutes, exactly as at the pause (real seconds passed before it).
    left = opened_at + timedelta(hours=2) - paused_at
    assert timedelta(minutes=89) < left <= timedelta(minutes=90)
    assert view.clocks["first_response"].remaining_seconds == left.total_seconds()
    await env.sleep(timedelta(days=3))  # long past the original due: no breach while paused
    assert "breach" not in await kinds(engine, view.reference)
    view = await handle(env, view.reference).execute_update(
        TicketWorkflow.respond, Reply(actor="c", author="customer", body="Here you go")
    )
    assert view.status is TicketStatus.OPEN
    resumed = next(e.at for e in await events(engine, view.reference) if e.kind == "resumed")
    calendar = sla.get_policy("e-shot").calendar()
    assert view.first_response_due == calendar.add_business(resumed, left)
    await skip_to(env, view.first_response_due + timedelta(seconds=1))
    assert await eventually(lambda: _has(engine, view.reference, "breach"))


async def test_priority_change_recomputes_from_receipt(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    opened_at = await next_open_day(env, "e-shot", 9)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p4",
        received_at=opened_at,
    )  # fmt: skip
    await env.sleep(timedelta(minutes=10))
    view = await handle(env, view.reference).execute_update(
        TicketWorkflow.change_priority, Reprioritise(actor="x", priority="p1")
    )
    assert view.first_response_due == opened_at + timedelta(hours=1)
    await skip_to(env, opened_at + timedelta(hours=1, seconds=1))
    assert await eventually(lambda: _has(engine, view.reference, "breach"))


async def test_e_shot_p2_out_of_hours_gets_four_calendar_hours(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    calendar = sla.get_policy("e-shot").calendar()
    evening = (await next_open_day(env, "e-shot", 18)) + timedelta(hours=2)  # 20:00, closed
    assert not calendar.is_open(evening)
    await skip_to(env, evening)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p2",
        received_at=evening,
    )  # fmt: skip
    assert view.first_response_due == evening + timedelta(hours=4)
    await skip_to(env, evening + timedelta(hours=4, seconds=1))
    assert await eventually(lambda: _has(engine, view.reference, "breach"))


async def test_electric_putty_counts_only_support_hours(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    # A critical issue at 16:30 on a working day: half an hour today, half the next working day.
    opened_at = await next_open_day(env, "electric-putty", 16, 30)
    await skip_to(env, opened_at)
    account, contact = await make_account(engine, "electric-putty")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="critical",
        received_at=opened_at,
    )  # fmt: skip
    calendar = sla.get_policy("electric-putty").calendar()
    next_day = opened_at.date() + timedelta(days=1)
    while not calendar.is_working_day(next_day):
        next_day += timedelta(days=1)
    expected = datetime(next_day.year, next_day.month, next_day.day, 9, 30, tzinfo=opened_at.tzinfo)
    assert view.first_response_due == expected
    assert view.resolution_due is None and "resolution" not in view.clocks  # not promised
    await skip_to(env, opened_at + timedelta(hours=2))  # evening: closed, nothing happens
    assert "breach" not in await kinds(engine, view.reference)
    await skip_to(env, expected + timedelta(seconds=1))
    assert await eventually(lambda: _has(engine, view.reference, "breach"))


async def test_the_agency_answers_mission_critical_around_the_clock(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    saturday_night = await next_open_day(env, "e-shot", 23)
    while saturday_night.weekday() != 5:
        saturday_night += timedelta(days=1)
    await skip_to(env, saturday_night)
    account, contact = await make_account(engine, "web-agency")
    critical = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="mission-critical",
        received_at=saturday_night,
    )  # fmt: skip
    support = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="user-support",
        received_at=saturday_night,
    )  # fmt: skip
    assert critical.first_response_due == saturday_night + timedelta(hours=1)
    policy = sla.get_policy("web-agency")
    assert (
        support.first_response_due
        == sla.compute_deadlines(policy, "user-support", saturday_night).first_response_due
    )
    assert support.first_response_due > saturday_night + timedelta(days=3)


async def test_a_shipped_release_meets_release_promises_and_tells_the_contact(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    from activities.tickets import ReleaseRecord

    now = await env.get_current_time()
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p3", received_at=now
    )
    assert view.resolution_due is None  # "next maintenance release": no clock
    release = ReleaseRecord(
        id=f"R-{view.reference[2:]}", name="4.12", kind="maintenance", planned_for=now.date(),
        notes="", shipped_at=None, created_by="x", created_at=now,
    )  # fmt: skip
    release_handle = await env.client.start_workflow(
        ReleaseWorkflow.run,
        release,
        id=f"release-{release.id}",
        task_queue=settings.temporal_task_queue,
    )
    h = handle(env, view.reference)
    await h.execute_update(
        TicketWorkflow.link_release, Link(actor="x", release_id=release.id, release_name="4.12")
    )
    await h.execute_update(
        TicketWorkflow.respond, Reply(actor="x", author="agent", body="Workaround")
    )
    await h.execute_update(TicketWorkflow.resolve, Act(actor="x"))
    await h.execute_update(TicketWorkflow.close, Close(actor="x"))
    result = await release_handle.execute_update(ReleaseWorkflow.ship, ShipRequest(actor="x"))
    assert result.tickets == [view.reference]
    final = await h.result()  # the last promise is kept, so the ticket's workflow ends
    assert final.clocks["final_resolution"].state is ClockState.MET
    assert final.clocks["resolution"].state is ClockState.MET
    told = await inbox.wait_for(
        lambda m: m["X-Pledge-Notice"] == "release_shipped" and view.reference in m["Subject"]
    )
    assert told[0]["To"] == contact.email and "4.12" in told[0].get_content()


async def test_essensys_closes_only_with_a_representative(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    now = await env.get_current_time()
    account, contact = await make_account(
        engine, "essensys", calendar="us-pacific", representative=True
    )
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p2", received_at=now
    )
    h = handle(env, view.reference)
    await h.execute_update(TicketWorkflow.resolve, Act(actor="x"))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await h.execute_update(TicketWorkflow.close, Close(actor="x"))
    assert "authorised representative" in str(refused.value.cause)
    view = await h.execute_update(
        TicketWorkflow.close,
        Close(actor="x", representative_agreed=True, representative=contact.name),
    )
    assert view.status is TicketStatus.CLOSED


async def test_enhancement_requests_carry_no_clock_and_go_to_development(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    now = await env.get_current_time()
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="low",
        received_at=now, type=TicketType.ENHANCEMENT,
    )  # fmt: skip
    assert view.clocks == {} and view.next_due is None
    routed = await inbox.wait_for(
        lambda m: m["To"] == "dev@pledge.example.com" and view.reference in m["Subject"]
    )
    assert "enhancement request" in routed[0]["Subject"]
    assert await kinds(engine, view.reference) == ["opened", "routed"]


async def test_a_retried_open_returns_the_same_ticket_and_a_reused_key_is_refused(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings
) -> None:
    now = await env.get_current_time()
    account, contact = await make_account(engine, "spotler")
    reference = new_reference("T")
    first = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="low",
        received_at=now, reference=reference, fingerprint="same",
    )  # fmt: skip
    again = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="high",
        received_at=now, reference=reference, fingerprint="same",
    )  # fmt: skip
    # Same ticket, same state; only the live remaining time has moved on.
    assert again.model_dump(exclude={"clocks"}) == first.model_dump(exclude={"clocks"})
    assert {n: c.due for n, c in again.clocks.items()} == {
        n: c.due for n, c in first.clocks.items()
    }
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await open_ticket(
            env.client, settings.temporal_task_queue, account, contact, priority="low",
            received_at=now, reference=reference, fingerprint="different",
        )  # fmt: skip
    assert "different request" in str(refused.value.cause)
    assert await kinds(engine, first.reference) == ["opened"]
    sent = await eventually(lambda: notifications(engine, first.reference))
    assert [n.kind for n in sent] == ["confirmation"]
