"""Monitors on the time-skipping server, probing a real website on 127.0.0.1 over a simulated
day: it answers, blips, goes down, comes back; tickets, notes and mail are real."""

from __future__ import annotations

import inspect
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities import build_activities
from activities.deps import ActivityDeps
from activities.failures import FailureActivities
from activities.monitors import MonitorActivities, incident_reference, ticket_reference
from db import monitor_reads
from db.models import (
    Incident,
    IncidentMonitor,
    Monitor,
    MonitorResult,
    MonitorTlsWarning,
    Outage,
    Ticket,
    TicketEvent,
)
from settings import Settings
from sla.monitor import MonitorStatus, start_offset
from tests.conftest import Inbox
from tests.site import WELCOME, Site, certificate, serve
from tests.waiting import eventually
from tests.workflows.tickets import make_account
from worker import build_monitor_worker, build_worker
from workflows.monitor import MonitorWorkflow
from workflows.monitor_messages import (
    MonitorAct,
    MonitorConfig,
    MonitorStart,
    MonitorView,
    Recorded,
)

TEAM = "support-team@pledge.example.com"


@pytest.fixture
def monitor_settings(settings: Settings) -> Settings:
    # The test site listens on 127.0.0.1, which monitors may not probe unless allowed.
    return settings.model_copy(update={"monitor_allowed_hosts": "127.0.0.1", "team_email": TEAM})


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine,  # type: ignore[no-untyped-def]
    monitor_settings: Settings,
) -> AsyncIterator[WorkflowEnvironment]:
    deps = ActivityDeps.create(monitor_settings, "test-worker", engine, sync_engine)
    client = time_skipping_env.client
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(client, deps, executor), build_monitor_worker(client, deps):
            yield time_skipping_env


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as site:
        yield site


async def start(
    env: WorkflowEnvironment, settings: Settings, **config: object
) -> WorkflowHandle[MonitorWorkflow, MonitorView]:
    monitor_id = f"M-{secrets.token_hex(4).upper()}"
    handle = await env.client.start_workflow(
        MonitorWorkflow.run,
        MonitorStart(
            config=MonitorConfig(monitor_id=monitor_id, **config),  # type: ignore[arg-type]
            created_by="Sam Agent",
        ),
        id=f"monitor-{monitor_id}",
        task_queue=settings.effective_monitor_task_queue,
    )
    await handle.execute_update(MonitorWorkflow.recorded, Recorded())
    return handle


async def results(engine: AsyncEngine, monitor_id: str) -> list[MonitorResult]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(MonitorResult)
                .where(MonitorResult.monitor_id == monitor_id)
                .order_by(MonitorResult.at)
            )
        )


async def outages(engine: AsyncEngine, monitor_id: str) -> list[Outage]:
    async with AsyncSession(engine) as session:
        return list(await session.scalars(select(Outage).where(Outage.monitor_id == monitor_id)))


async def monitor_tickets(engine: AsyncEngine, account_id: int) -> list[Ticket]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(Ticket).where(Ticket.account_id == account_id, Ticket.channel == "monitor")
            )
        )


async def notes(engine: AsyncEngine, reference: str) -> list[str]:
    async with AsyncSession(engine) as session:
        found = await session.scalars(
            select(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.reference == reference, TicketEvent.kind == "note")
        )
        return [event.data["note"] for event in found]


async def row(engine: AsyncEngine, monitor_id: str) -> Monitor:
    async with AsyncSession(engine) as session:
        found = await session.get(Monitor, monitor_id)
        assert found is not None
        return found


async def status(handle: WorkflowHandle[MonitorWorkflow, MonitorView]) -> MonitorStatus:
    return (await handle.query(MonitorWorkflow.state)).status


async def test_a_day_of_a_site_that_blips_goes_down_and_comes_back(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    monitor_settings: Settings,
    site: Site,
    inbox: Inbox,
) -> None:
    account, contact = await make_account(engine, "web-agency", representative=True)
    began = await env.get_current_time()
    handle = await start(
        env, monitor_settings, name="Harbour Cafe", url=f"{site.url}/", account_id=account.id,
        keyword=WELCOME,
    )  # fmt: skip
    monitor_id = handle.id.removeprefix("monitor-")
    offset = start_offset(monitor_id, 300)

    # The first probe waits the monitor's own share of the interval, then one every 5 minutes.
    await env.sleep(timedelta(hours=2))
    first = await results(engine, monitor_id)
    assert first[0].at - began >= offset - timedelta(seconds=1)
    assert all(r.ok and r.status_code == 200 and r.response_ms is not None for r in first)
    gaps = {round((b.at - a.at).total_seconds()) for a, b in zip(first, first[1:], strict=False)}
    assert gaps == {300}, gaps
    assert 22 <= len(first) <= 24
    assert await status(handle) is MonitorStatus.UP
    assert (await row(engine, monitor_id)).state == "up"
    assert all("Pledge-Monitor" in agent for agent in site.user_agents)

    # A blip: two failures are re-checked after about 20 and 60 seconds; the third answers.
    site.fail_next(2)
    await env.sleep(timedelta(minutes=10))
    blip = (await results(engine, monitor_id))[len(first) :]
    failed = [r for r in blip if not r.ok]
    assert [r.error for r in failed] == ["answered 503 Service Unavailable, expected 200"] * 2
    after_first = [
        round((b.at - a.at).total_seconds()) for a, b in zip(blip, blip[1:], strict=False)
    ]
    assert after_first[:2] == [20, 60], after_first
    assert await status(handle) is MonitorStatus.UP
    assert await outages(engine, monitor_id) == []
    assert await monitor_tickets(engine, account.id) == []

    # Down: refused connections; the third failure in a row opens one ticket.
    site.stop()
    await env.sleep(timedelta(minutes=10))
    assert await status(handle) is MonitorStatus.DOWN
    [outage] = await eventually(lambda: outages(engine, monitor_id))
    down = [r for r in await results(engine, monitor_id) if not r.ok and r.at >= outage.started_at]
    assert down[0].at == outage.started_at
    assert down[0].error == "could not connect: Connection refused"
    [ticket] = await eventually(lambda: monitor_tickets(engine, account.id))
    assert ticket.reference == ticket_reference(monitor_id, outage.started_at)
    assert ticket.priority == "mission-critical"
    assert ticket.contact_id == contact.id
    assert ticket.subject.startswith("Harbour Cafe is not answering: 3 checks failed since ")
    assert "could not connect: Connection refused" in ticket.description
    assert ticket.first_response_due is not None  # its clocks run like any other's
    await eventually(lambda: _outage_ticket(engine, monitor_id, ticket.reference))
    told = await inbox.wait_for(
        lambda m: m["Subject"] == f"Down: Harbour Cafe [{ticket.reference}]"
    )
    assert told[0]["To"] == TEAM or TEAM in [m["To"] for m in told]
    assert account.account_manager_email in [m["To"] for m in told]
    assert "Connection refused" in told[0].get_content()
    confirmation = await inbox.wait_for(
        lambda m: m["To"] == contact.email and ticket.reference in m["Subject"]
    )
    text = confirmation[0].get_content()
    assert "Our monitoring" in text and "Thank you for contacting us" not in text

    # Hours down: still the one outage and the one ticket.
    await env.sleep(timedelta(hours=3))
    assert len(await outages(engine, monitor_id)) == 1
    assert len(await monitor_tickets(engine, account.id)) == 1
    assert await incidents_of(engine, monitor_id) == []  # a customer's site: no incident

    # Back: two good answers (20 s apart) end the outage and note its length on the ticket.
    site.start()
    await env.sleep(timedelta(minutes=10))
    assert await status(handle) is MonitorStatus.UP
    [ended] = await outages(engine, monitor_id)
    assert ended.ended_at is not None
    shown = [at.replace(second=0, microsecond=0) for at in (ended.started_at, ended.ended_at)]
    minutes = int((shown[1] - shown[0]).total_seconds() // 60)
    [note] = await eventually(lambda: notes(engine, ticket.reference))
    assert note.startswith(f"The site was down for 3 hours {minutes - 180} minute")
    assert "UK time" in note
    reopened = await monitor_tickets(engine, account.id)
    assert [t.status for t in reopened] == ["open"]  # not closed by itself
    await inbox.wait_for(lambda m: m["Subject"] == f"Up again: Harbour Cafe [{ticket.reference}]")

    # The rest of the day: nothing more.
    await env.sleep(began + timedelta(days=1) - await env.get_current_time())
    day = await results(engine, monitor_id)
    assert 285 <= len(day) <= 300
    assert len(await outages(engine, monitor_id)) == 1
    assert len(await monitor_tickets(engine, account.id)) == 1


async def _outage_ticket(engine: AsyncEngine, monitor_id: str, reference: str) -> bool:
    return [o.ticket_reference for o in await outages(engine, monitor_id)] == [reference]


async def test_pause_stops_probing_and_resume_starts_again(
    env: WorkflowEnvironment, engine: AsyncEngine, monitor_settings: Settings, site: Site
) -> None:
    handle = await start(
        env, monitor_settings, name="The platform", url=f"{site.url}/", service="platform",
        interval_seconds=60,
    )  # fmt: skip
    await env.sleep(timedelta(minutes=10))
    before = site.probes
    assert before >= 9
    paused = await handle.execute_update(MonitorWorkflow.pause, MonitorAct(actor="Sam"))
    assert paused.paused and paused.next_probe_at is None
    assert (await row(engine, handle.id.removeprefix("monitor-"))).paused
    await env.sleep(timedelta(hours=2))
    assert site.probes == before
    await handle.execute_update(MonitorWorkflow.resume, MonitorAct(actor="Sam"))
    await env.sleep(timedelta(minutes=10))
    assert site.probes >= before + 9


async def test_pausing_a_down_monitor_ends_nothing_its_outage_stays_open(
    env: WorkflowEnvironment, engine: AsyncEngine, monitor_settings: Settings, site: Site
) -> None:
    # The walkthrough saw a paused, down monitor whose API said "outage": null while its page
    # said "Still down". Pausing stops the probes and ends nothing: the row stays down, the
    # outage stays open, and what every reader takes as the open outage is that one.
    handle = await start(
        env, monitor_settings, name="The platform", url=f"{site.url}/", service="platform",
        interval_seconds=60,
    )  # fmt: skip
    monitor_id = handle.id.removeprefix("monitor-")
    await env.sleep(timedelta(minutes=3))
    site.stop()
    await env.sleep(timedelta(minutes=5))
    assert await status(handle) is MonitorStatus.DOWN
    [outage] = await eventually(lambda: outages(engine, monitor_id))
    paused = await handle.execute_update(MonitorWorkflow.pause, MonitorAct(actor="Sam"))
    assert paused.paused and paused.status is MonitorStatus.DOWN
    assert paused.outage_started_at == outage.started_at
    await env.sleep(timedelta(hours=1))
    kept = await row(engine, monitor_id)
    assert (kept.paused, kept.state, kept.state_since) == (True, "down", outage.started_at)
    async with AsyncSession(engine) as session:
        open_now = await monitor_reads.open_outages(session, [monitor_id])
    assert open_now[monitor_id].started_at == outage.started_at
    assert open_now[monitor_id].ended_at is None


async def test_an_own_service_going_down_tells_the_team_and_opens_no_ticket(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    monitor_settings: Settings,
    site: Site,
    inbox: Inbox,
) -> None:
    name = f"The API {secrets.token_hex(3)}"  # the inbox is the session's
    handle = await start(
        env, monitor_settings, name=name, url=f"{site.url}/", service="api", interval_seconds=60
    )
    monitor_id = handle.id.removeprefix("monitor-")
    await env.sleep(timedelta(minutes=3))
    site.stop()
    await env.sleep(timedelta(minutes=5))
    assert await status(handle) is MonitorStatus.DOWN
    [outage] = await eventually(lambda: outages(engine, monitor_id))
    assert outage.ticket_reference is None
    [mail] = await inbox.wait_for(lambda m: m["Subject"] == f"Down: {name}")
    assert mail["To"] == TEAM
    assert "one of our own services" in mail.get_content()
    site.start()
    await env.sleep(timedelta(minutes=3))
    [up] = await inbox.wait_for(lambda m: m["Subject"] == f"Up again: {name}")
    assert "It was down for" in up.get_content() and "UTC" in up.get_content()
    assert (await outages(engine, monitor_id))[0].ended_at is not None


async def incidents_of(engine: AsyncEngine, monitor_id: str) -> list[Incident]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(Incident)
                .join(IncidentMonitor, IncidentMonitor.incident_id == Incident.id)
                .where(IncidentMonitor.monitor_id == monitor_id)
            )
        )


async def test_an_own_service_going_down_opens_one_draft_incident_for_staff_to_publish(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    monitor_settings: Settings,
    site: Site,
    inbox: Inbox,
) -> None:
    name = f"Sending {secrets.token_hex(3)}"
    handle = await start(
        env, monitor_settings, name=name, url=f"{site.url}/", service="sending",
        interval_seconds=60,
    )  # fmt: skip
    monitor_id = handle.id.removeprefix("monitor-")
    await env.sleep(timedelta(minutes=3))
    site.stop()
    await env.sleep(timedelta(minutes=5))
    [outage] = await eventually(lambda: outages(engine, monitor_id))
    [incident] = await eventually(lambda: incidents_of(engine, monitor_id))
    assert incident.id == incident_reference(monitor_id, outage.started_at)
    assert incident.published_at is None  # a draft: not on the status page until published
    assert incident.services == ["sending"] and incident.status == "investigating"
    assert incident.created_by == "Pledge monitoring"
    [mail] = await inbox.wait_for(lambda m: m["Subject"] == f"Down: {name}")
    assert f"/console/incidents/{incident.id}" in mail.get_content()
    # Up and down again: a second outage, a second draft; the first stays one.
    site.start()
    await env.sleep(timedelta(minutes=3))
    site.stop()
    await env.sleep(timedelta(minutes=5))
    found = await eventually(
        lambda: _at_least(incidents_of(engine, monitor_id), 2), what="a second draft"
    )
    assert len({i.id for i in found}) == 2
    assert len(await outages(engine, monitor_id)) == 2


async def _at_least(rows, count: int):  # type: ignore[no-untyped-def]
    found = await rows
    return found if len(found) >= count else []


async def test_continue_as_new_keeps_the_outage_under_way(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    monitor_settings: Settings,
    site: Site,
) -> None:
    account, _ = await make_account(engine, "electric-putty", representative=True)
    handle = await start(
        env, monitor_settings, name="Greenfield School", url=f"{site.url}/",
        account_id=account.id, interval_seconds=120,
    )  # fmt: skip
    monitor_id = handle.id.removeprefix("monitor-")
    await env.sleep(timedelta(minutes=5))
    site.stop()
    await env.sleep(timedelta(minutes=5))
    down = await handle.query(MonitorWorkflow.state)
    assert down.status is MonitorStatus.DOWN
    [ticket] = await eventually(lambda: monitor_tickets(engine, account.id))
    await eventually(lambda: _reference_known(handle))
    first_run = (await handle.describe()).run_id

    await handle.signal(MonitorWorkflow.continue_as_new_now)
    await env.sleep(timedelta(minutes=1))
    assert (await handle.describe()).run_id != first_run
    carried = await handle.query(MonitorWorkflow.state)
    assert carried.status is MonitorStatus.DOWN
    assert carried.outage_started_at == down.outage_started_at
    assert carried.ticket_reference == ticket.reference

    site.start()
    await env.sleep(timedelta(minutes=5))
    assert await status(handle) is MonitorStatus.UP
    [note] = await eventually(lambda: notes(engine, ticket.reference))
    assert note.startswith("The site was down for ")
    assert len(await monitor_tickets(engine, account.id)) == 1
    assert len(await results(engine, monitor_id)) >= 6


async def _reference_known(handle: WorkflowHandle[MonitorWorkflow, MonitorView]) -> bool:
    return (await handle.query(MonitorWorkflow.state)).ticket_reference is not None


async def test_deleting_ends_the_workflow_and_keeps_the_row(
    env: WorkflowEnvironment, engine: AsyncEngine, monitor_settings: Settings, site: Site
) -> None:
    handle = await start(
        env, monitor_settings, name="Sending", url=f"{site.url}/", service="sending"
    )
    await env.sleep(timedelta(minutes=15))
    deleted = await handle.execute_update(MonitorWorkflow.delete, MonitorAct(actor="Sam"))
    assert deleted.deleted
    view = await handle.result()
    assert view.deleted
    kept = await row(engine, handle.id.removeprefix("monitor-"))
    assert kept.deleted_at is not None
    probes = site.probes
    await env.sleep(timedelta(hours=1))
    assert site.probes == probes


async def test_certificate_warnings_go_once_per_threshold(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    sync_engine,  # type: ignore[no-untyped-def]
    monitor_settings: Settings,
    inbox: Inbox,
    tmp_path: Path,
) -> None:
    env = time_skipping_env
    deps = ActivityDeps.create(monitor_settings, "test-worker", engine, sync_engine)
    server, trusted, expires = certificate(tmp_path, expires_in=timedelta(days=10))
    probing = MonitorActivities(deps)
    probing.trust = trusted  # the test site's own authority
    activities = [*build_activities(deps, [FailureActivities]), *_methods(probing)]
    account, _ = await make_account(engine, "spotler")
    with serve(server) as site, ThreadPoolExecutor(2) as executor:
        async with (
            build_worker(env.client, deps, executor),
            build_monitor_worker(env.client, deps, activities=activities),
        ):
            handle = await start(
                env, monitor_settings, name="Acme shop", url=f"{site.url}/",
                account_id=account.id, interval_seconds=3600,
            )  # fmt: skip
            monitor_id = handle.id.removeprefix("monitor-")
            await _skip(env, timedelta(days=7))
            assert await status(handle) is MonitorStatus.UP
    async with AsyncSession(engine) as session:
        sent = list(
            await session.scalars(
                select(MonitorTlsWarning).where(MonitorTlsWarning.monitor_id == monitor_id)
            )
        )
    assert sorted(w.days for w in sent) == [7, 14]
    assert {w.cert_expires_at for w in sent} == {expires}
    assert all(w.recipients == [account.account_manager_email] for w in sent)
    mails = inbox.to(account.account_manager_email)
    assert len(mails) == 2
    assert all(m["Subject"].startswith("The certificate of Acme shop expires in ") for m in mails)
    assert "Please make sure the certificate is renewed" in mails[0].get_content()
    recorded = await results(engine, monitor_id)
    assert all(r.cert_expires_at == expires for r in recorded) and len(recorded) >= 7 * 24 - 2


async def _skip(env: WorkflowEnvironment, span: timedelta) -> None:
    """Skip time in half-days: the test server must answer each sleep within the SDK's 30 s call
    timeout, and a busy machine took longer than that over two days of hourly probes."""
    step = timedelta(hours=12)
    while span > timedelta(0):
        await env.sleep(min(step, span))
        span -= step


def _methods(instance: object) -> list[Callable[..., Any]]:
    return [
        method
        for _, method in inspect.getmembers(instance, inspect.ismethod)
        if hasattr(method, "__temporal_activity_definition")
    ]


async def test_an_outage_that_begins_in_maintenance_opens_no_ticket(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    monitor_settings: Settings,
    site: Site,
    inbox: Inbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # db.maintenance answers False until maintenance windows exist; here it says yes, as a
    # window over the site would, to show what every caller of the hook then does.
    name = f"Bluebell Florists {secrets.token_hex(3)}"  # the inbox is the session's

    async def always(session: object, monitor: Monitor, at: object) -> bool:
        return monitor.name == name

    monkeypatch.setattr("activities.monitors.in_maintenance", always)
    account, _ = await make_account(engine, "web-agency", representative=True)
    handle = await start(
        env, monitor_settings, name=name, url=f"{site.url}/", account_id=account.id,
        interval_seconds=60,
    )  # fmt: skip
    monitor_id = handle.id.removeprefix("monitor-")
    await env.sleep(timedelta(minutes=3))
    site.stop()
    await env.sleep(timedelta(minutes=5))
    assert await status(handle) is MonitorStatus.DOWN
    [outage] = await eventually(lambda: outages(engine, monitor_id))
    assert outage.in_maintenance and outage.ticket_reference is None
    [mail] = await inbox.wait_for(lambda m: m["Subject"] == f"Down: {name}" and m["To"] == TEAM)
    assert "during announced maintenance, so no ticket was opened" in mail.get_content()
    assert await monitor_tickets(engine, account.id) == []
    assert await incidents_of(engine, monitor_id) == []
