"""A maintenance window on the time-skipping server: the notice at once (a real SMTP listener,
the .ics read back), the reminder a day before, in progress at its start, completed at its end;
a move and a cancellation told again with a higher SEQUENCE."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from db.models import Account, Contact, MaintenanceWindow, StatusSubscription
from settings import Settings
from sla import get_policy
from sla.maintenance_rules import night_of
from tests.conftest import Inbox
from tests.waiting import eventually
from tests.workflows.tickets import make_account
from worker import build_worker
from workflows.maintenance import MaintenanceWorkflow
from workflows.maintenance_messages import (
    Change,
    MaintenanceAct,
    MaintenanceStart,
    MaintenanceView,
    Recorded,
    WindowConfig,
)


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def add_contact(engine: AsyncEngine, account: Account, name: str, **flags: bool) -> Contact:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        contact = Contact(
            account_id=account.id,
            name=name,
            email=f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@customer.example.com",
            **flags,
        )
        session.add(contact)
    return contact


async def row(engine: AsyncEngine, window_id: str) -> MaintenanceWindow:
    async with AsyncSession(engine) as session:
        found = await session.get(MaintenanceWindow, window_id)
    assert found is not None
    return found


def evening(now: datetime, days: int, hour: int = 21) -> datetime:
    """`hour`:00 UK time `days` local days after `now`, inside e-shot's nightly window."""
    night = night_of(get_policy("e-shot"), (now + timedelta(days=days)).date())
    assert night is not None
    return night.opens + timedelta(hours=hour - 20)


async def start(
    env: WorkflowEnvironment, settings: Settings, starts_at: datetime, ends_at: datetime,
    account_ids: list[int] | None = None,
) -> WorkflowHandle[MaintenanceWorkflow, MaintenanceView]:  # fmt: skip
    window_id = f"W-{secrets.token_hex(4).upper()}"
    handle = await env.client.start_workflow(
        MaintenanceWorkflow.run,
        MaintenanceStart(
            config=WindowConfig(
                window_id=window_id,
                title="Database upgrade",
                description="Campaigns scheduled in the window are sent when it ends.",
                services=["platform", "sending"],
                policy="e-shot",
                account_ids=account_ids or [],
                starts_at=starts_at,
                ends_at=ends_at,
                timezone="Europe/London",
            ),
            created_by="Sasha Success's key",
            signed_by="Sasha Success",
        ),
        id=f"maintenance-{window_id}",
        task_queue=settings.temporal_task_queue,
    )
    await handle.execute_update(MaintenanceWorkflow.recorded, Recorded())
    return handle


def ics_of(message: EmailMessage) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "maintenance.ics"
    return Calendar.from_ical(part.get_content())


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def sent_to(inbox: Inbox, address: str, header: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Pledge-Notice"] == header]


async def test_a_window_is_announced_reminded_of_and_runs_its_course(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    # Two e-shot customers: one names an administrator (only they are told, not the other
    # representative); one has none (its representative is told instead). A customer on
    # another policy hears nothing.
    account, representative = await make_account(engine, "e-shot", representative=True)
    admin = await add_contact(engine, account, "Alex Admin", administrator=True)
    plain, plain_representative = await make_account(engine, "e-shot", representative=True)
    elsewhere, _ = await make_account(engine, "web-agency", representative=True)
    elsewhere_admin = await add_contact(engine, elsewhere, "Eve Elsewhere", administrator=True)

    now = await env.get_current_time()
    starts_at = evening(now, 3)  # 21:00 UK time, three days on
    ends_at = starts_at + timedelta(hours=2)
    handle = await start(env, settings, starts_at, ends_at)
    window_id = handle.id.removeprefix("maintenance-")
    assert (await row(engine, window_id)).state == "scheduled"

    [notice] = await inbox.wait_for(
        lambda m: m["To"] is not None and admin.email in m["To"]
        and m["X-Pledge-Notice"] == "maintenance-notice"
    )  # fmt: skip
    assert "Alex Admin" in notice["To"]
    local = starts_at.astimezone(ZoneInfo("Europe/London"))
    when = f"{local:%A} {local.day} {local:%B}, 21:00 to 23:00 UK time"
    assert notice["Subject"] == f"Scheduled maintenance: Database upgrade, {when}"
    text = text_of(notice)
    assert text.startswith("Hello Alex,\n\nWe will carry out maintenance on " + when)
    assert "Database upgrade: it affects the platform and sending." in text
    assert "We will remind you a day before it starts." in text
    assert text.rstrip().endswith("Kind regards,\nSasha Success\ne-shot")
    calendar = ics_of(notice)
    assert calendar["method"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert event["uid"] == f"maintenance-{window_id}@pledge"
    assert event.decoded("dtstart") == starts_at and event.decoded("dtend") == ends_at
    assert int(event["sequence"]) == 0 and event["status"] == "CONFIRMED"
    assert str(event["summary"]) == "e-shot maintenance: Database upgrade"

    await inbox.wait_for(
        lambda m: plain_representative.email in (m["To"] or "")
        and m["X-Pledge-Notice"] == "maintenance-notice"
    )  # fmt: skip
    assert sent_to(inbox, representative.email, "maintenance-notice") == []
    assert inbox.to(elsewhere_admin.email) == []

    # The day before: the reminder, once.
    await env.sleep(starts_at - timedelta(hours=24) - await env.get_current_time())
    await env.sleep(timedelta(minutes=1))
    [reminder] = await inbox.wait_for(
        lambda m: admin.email in (m["To"] or "") and m["X-Pledge-Notice"] == "maintenance-reminder"
    )
    assert reminder["Subject"] == f"Reminder of maintenance: Database upgrade, {when}"
    assert "A reminder that our maintenance takes place on " + when in text_of(reminder)
    assert (await row(engine, window_id)).state == "scheduled"

    # Its start: in progress; its end: completed, and the workflow is over.
    await env.sleep(starts_at + timedelta(minutes=1) - await env.get_current_time())
    assert (await handle.query(MaintenanceWorkflow.state)).state == "in_progress"
    assert await eventually(lambda: _state(engine, window_id, "in_progress"))
    refused = handle.execute_update(
        MaintenanceWorkflow.cancel, MaintenanceAct(actor="Sam", signed_by="Sam")
    )
    with pytest.raises(WorkflowUpdateFailedError):
        await refused
    view = await handle.result()
    assert view.state == "completed"
    assert (await row(engine, window_id)).state == "completed"
    assert await env.get_current_time() >= ends_at
    assert len(sent_to(inbox, admin.email, "maintenance-reminder")) == 1


async def _state(engine: AsyncEngine, window_id: str, state: str) -> bool:
    return (await row(engine, window_id)).state == state


async def test_a_move_and_a_cancellation_are_told_with_a_higher_sequence(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, _ = await make_account(engine, "e-shot")
    admin = await add_contact(engine, account, "Morgan Admin", administrator=True)
    now = await env.get_current_time()
    starts_at = evening(now, 4)
    handle = await start(
        env, settings, starts_at, starts_at + timedelta(hours=1), account_ids=[account.id]
    )
    window_id = handle.id.removeprefix("maintenance-")
    await inbox.wait_for(lambda m: admin.email in (m["To"] or ""))

    moved_to = evening(now, 6, hour=22)
    config = (await _config(engine, window_id)).model_copy(
        update={"starts_at": moved_to, "ends_at": moved_to + timedelta(hours=1)}
    )
    view = await handle.execute_update(
        MaintenanceWorkflow.change, Change(config=config, actor="Sam", signed_by="Sam Smith")
    )
    assert (view.sequence, view.starts_at) == (1, moved_to)
    [moved] = await inbox.wait_for(
        lambda m: admin.email in (m["To"] or "") and m["X-Pledge-Notice"] == "maintenance-moved"
    )
    assert moved["Subject"].startswith("Maintenance moved: Database upgrade, ")
    assert "22:00 to 23:00 UK time" in moved["Subject"]
    assert "Sam Smith" in text_of(moved)
    [event] = ics_of(moved).walk("VEVENT")
    assert int(event["sequence"]) == 1 and event.decoded("dtstart") == moved_to
    stored = await row(engine, window_id)
    assert (stored.starts_at, stored.sequence) == (moved_to, 1)

    # No reminder for the old time: the first one would have come a day before it.
    await env.sleep(starts_at - await env.get_current_time() + timedelta(minutes=5))
    assert sent_to(inbox, admin.email, "maintenance-reminder") == []
    assert (await row(engine, window_id)).state == "scheduled"

    await handle.execute_update(
        MaintenanceWorkflow.cancel, MaintenanceAct(actor="Sam", signed_by="Sam Smith")
    )
    [cancelled] = await inbox.wait_for(
        lambda m: admin.email in (m["To"] or "")
        and m["X-Pledge-Notice"] == "maintenance-cancelled"
    )  # fmt: skip
    [event] = ics_of(cancelled).walk("VEVENT")
    assert int(event["sequence"]) == 2 and event["status"] == "CANCELLED"
    assert "is cancelled" in text_of(cancelled)
    assert (await handle.result()).state == "cancelled"
    stored = await row(engine, window_id)
    assert stored.state == "cancelled" and stored.cancelled_at is not None


async def _config(engine: AsyncEngine, window_id: str) -> WindowConfig:
    stored = await row(engine, window_id)
    return WindowConfig(
        window_id=stored.id, title=stored.title, description=stored.description,
        services=stored.services, policy=stored.policy, account_ids=stored.account_ids,
        starts_at=stored.starts_at, ends_at=stored.ends_at, timezone=stored.timezone,
    )  # fmt: skip


async def test_status_subscribers_of_its_services_hear_of_a_public_window_and_can_leave(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    tag = secrets.token_hex(3)
    chose = {
        "sending": f"sending-{tag}@reader.example.com",
        "everything": f"all-{tag}@reader.example.com",
        "api only": f"api-{tag}@reader.example.com",
        "left": f"left-{tag}@reader.example.com",
    }
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        now = await env.get_current_time()
        rows = {
            "sending": StatusSubscription(email=chose["sending"], services=["sending"],
                                          confirmed_at=now),
            "everything": StatusSubscription(email=chose["everything"], services=None,
                                             confirmed_at=now),
            "api only": StatusSubscription(email=chose["api only"], services=["api"],
                                           confirmed_at=now),
            "left": StatusSubscription(email=chose["left"], services=None, confirmed_at=now,
                                       unsubscribed_at=now),
        }  # fmt: skip
        session.add_all(rows.values())
    starts_at = evening(await env.get_current_time(), 3)
    handle = await start(env, settings, starts_at, starts_at + timedelta(hours=2))

    for who in ("sending", "everything"):
        [mail] = await inbox.wait_for(
            lambda m, who=who: chose[who] in (m["To"] or "")
            and m["X-Pledge-Notice"] == "maintenance-notice"
        )  # fmt: skip
        text = text_of(mail)
        assert text.startswith("Hello,\n\nWe will carry out maintenance on ")
        assert "Database upgrade: it affects the platform and sending." in text
        assert f"{settings.effective_public_url}/status" in text
        unsubscribe = mail["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith(f"{settings.effective_public_url}/status/unsubscribe/")
        assert unsubscribe in text
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        [event] = ics_of(mail).walk("VEVENT")
        assert event.decoded("dtstart") == starts_at
    # A cancellation reaches them too; the API-only reader and the one who left hear nothing.
    await handle.execute_update(
        MaintenanceWorkflow.cancel, MaintenanceAct(actor="Sam", signed_by="Sam Smith")
    )
    await inbox.wait_for(
        lambda m: chose["sending"] in (m["To"] or "")
        and m["X-Pledge-Notice"] == "maintenance-cancelled"
    )  # fmt: skip
    assert inbox.to(chose["api only"]) == [] and inbox.to(chose["left"]) == []


async def test_a_window_naming_customers_is_not_told_to_status_subscribers(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, _ = await make_account(engine, "e-shot", representative=True)
    admin = await add_contact(engine, account, "Alex Admin", administrator=True)
    reader = f"reader-{secrets.token_hex(3)}@reader.example.com"
    async with AsyncSession(engine) as session, session.begin():
        now = await env.get_current_time()
        session.add(StatusSubscription(email=reader, services=None, confirmed_at=now))
    starts_at = evening(await env.get_current_time(), 3)
    handle = await start(env, settings, starts_at, starts_at + timedelta(hours=2), [account.id])
    await inbox.wait_for(lambda m: admin.email in (m["To"] or ""))

    async def notice_sent() -> bool:  # the whole activity, subscribers' mails would be last
        history = await handle.fetch_history()
        return any(e.HasField("activity_task_completed_event_attributes") for e in history.events)

    await eventually(notice_sent, 15, what="the notice activity's end")
    assert inbox.to(reader) == []
