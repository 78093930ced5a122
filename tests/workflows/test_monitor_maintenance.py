"""Monitors under a real maintenance window (a row as its workflow writes it), on the monitor
harness of test_monitor_workflow.py: a service of the window, or the site of an account it
names, going down inside it opens no ticket; the same site outside any window does."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from db.maintenance import in_maintenance, periods_for_monitor
from db.models import MaintenanceWindow, Monitor
from settings import Settings
from sla.monitor import MonitorStatus
from tests.conftest import Inbox
from tests.site import Site
from tests.waiting import eventually
from tests.workflows.test_monitor_workflow import (  # noqa: F401 (fixtures)
    TEAM,
    env,
    monitor_settings,
    monitor_tickets,
    outages,
    site,
    start,
    status,
)
from tests.workflows.tickets import make_account


async def window(
    engine: AsyncEngine, starts_at: datetime, ends_at: datetime, **values: object
) -> MaintenanceWindow:
    now = starts_at
    row = MaintenanceWindow(
        id=f"W-{secrets.token_hex(4).upper()}", title="Server move", description="",
        services=["hosting"], policy="web-agency", account_ids=[], starts_at=starts_at,
        ends_at=ends_at, timezone="Europe/London", state="scheduled", sequence=0,
        announced_at=now, created_by="Sam", signed_by="Sam", created_at=now, updated_at=now,
        version=1,
    )  # fmt: skip
    for name, value in values.items():
        setattr(row, name, value)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        session.add(row)
    return row


async def test_a_site_named_by_a_window_going_down_inside_it_opens_no_ticket(
    env: WorkflowEnvironment,  # noqa: F811
    engine: AsyncEngine,
    monitor_settings: Settings,  # noqa: F811
    site: Site,  # noqa: F811
    inbox: Inbox,
) -> None:
    account, _ = await make_account(engine, "web-agency", representative=True)
    began = await env.get_current_time()
    covering = await window(
        engine, began + timedelta(minutes=2), began + timedelta(hours=1), account_ids=[account.id]
    )
    name = f"Harbour Cafe {secrets.token_hex(3)}"
    handle = await start(
        env, monitor_settings, name=name, url=f"{site.url}/", account_id=account.id,
        interval_seconds=60,
    )  # fmt: skip
    monitor_id = handle.id.removeprefix("monitor-")
    await env.sleep(timedelta(minutes=4))
    site.stop()  # inside the window
    await env.sleep(timedelta(minutes=5))
    assert await status(handle) is MonitorStatus.DOWN
    [outage] = await eventually(lambda: outages(engine, monitor_id))
    assert covering.starts_at <= outage.started_at < covering.ends_at
    assert outage.in_maintenance and outage.ticket_reference is None
    [mail] = await inbox.wait_for(lambda m: m["Subject"] == f"Down: {name}" and m["To"] == TEAM)
    assert "during announced maintenance, so no ticket was opened" in mail.get_content()
    assert await monitor_tickets(engine, account.id) == []

    # Back up, then down again after the window: this outage opens its ticket.
    site.start()
    await env.sleep(covering.ends_at - await env.get_current_time() + timedelta(minutes=5))
    assert await status(handle) is MonitorStatus.UP
    site.stop()
    await env.sleep(timedelta(minutes=5))
    found = await eventually(lambda: _two(engine, monitor_id))
    later = max(found, key=lambda o: o.started_at)
    assert later.started_at >= covering.ends_at and not later.in_maintenance
    assert len(await eventually(lambda: monitor_tickets(engine, account.id))) == 1


async def _two(engine: AsyncEngine, monitor_id: str) -> list:  # type: ignore[type-arg]
    found = await outages(engine, monitor_id)
    return found if len(found) == 2 else []


async def test_which_monitors_a_window_covers(engine: AsyncEngine) -> None:
    """Its services' monitors, and the sites of the accounts it names; nothing once cancelled."""
    account, _ = await make_account(engine, "web-agency")
    other, _ = await make_account(engine, "web-agency")
    at = datetime.fromisoformat("2031-05-06T21:00:00+00:00") + timedelta(
        minutes=secrets.randbelow(10_000)
    )
    hosting = await window(engine, at, at + timedelta(hours=1), account_ids=[account.id])
    service = Monitor(id="M-HOST", name="Hosting", url="https://h.invalid/", service="hosting")
    elsewhere = Monitor(id="M-API", name="API", url="https://a.invalid/", service="api")
    named = Monitor(id="M-SITE", name="Site", url="https://s.invalid/", account_id=account.id)
    unnamed = Monitor(id="M-OTHER", name="Other", url="https://o.invalid/", account_id=other.id)
    inside = at + timedelta(minutes=30)
    async with AsyncSession(engine) as session:
        assert await in_maintenance(session, service, inside)
        assert await in_maintenance(session, named, inside)
        assert not await in_maintenance(session, elsewhere, inside)
        assert not await in_maintenance(session, unnamed, inside)
        assert not await in_maintenance(session, service, at + timedelta(hours=1))  # [start, end)
        assert not await in_maintenance(session, service, at - timedelta(seconds=1))
        [period] = await periods_for_monitor(session, service, at - timedelta(days=1), inside)
        assert (period.window_id, period.services, period.state) == (
            hosting.id,
            ("hosting",),
            "scheduled",
        )
    async with AsyncSession(engine) as session, session.begin():
        stored = await session.get(MaintenanceWindow, hosting.id)
        assert stored is not None
        stored.state = "cancelled"
    async with AsyncSession(engine) as session:
        assert not await in_maintenance(session, service, inside)
