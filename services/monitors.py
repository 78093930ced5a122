"""Monitors: watch a site or a service, change how, pause, resume, stop; and read them.

Each monitor is a workflow (monitor-<id>) and its row has one writer, that workflow's
activities: these functions check the request, then start or ask the workflow, and answer with
the row it wrote. The JSON routes (api/routes/monitors.py) call them, and pages will.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import InvalidInput, NotFound
from api.references import fingerprint
from api.schemas import (
    DayUptimeOut,
    MonitorCreate,
    MonitorOut,
    MonitorUpdate,
    MonitorUptimeOut,
    OutageOut,
    ProbeOut,
    ResponsePointOut,
)
from api.temporal_calls import call, open_workflow
from db import monitor_reads, uptime
from db.models import Account, Monitor, MonitorResult, Outage, Role
from db.types import utcnow
from outbound import egress
from reports import status_words
from services.roles import STAFF, STAFF_OR_CUSTOMER, allow
from settings import Settings
from workflows.monitor import MonitorWorkflow
from workflows.monitor_messages import (
    MonitorAct,
    MonitorConfig,
    MonitorStart,
    MonitorView,
    Reconfigure,
    Recorded,
)

# The names own services go by unless given one (the status page's words, kept there).
SERVICE_NAMES = status_words.SERVICE_NAMES


def workflow_id(monitor_id: str) -> str:
    return f"monitor-{monitor_id}"


def check_url(url: str, settings: Settings, field: str = "body.url") -> str:
    """422 naming `field` unless monitors may probe `url`: an http(s) URL whose host is not a
    loopback, private or metadata address as written (names are checked again, resolved, at
    every probe). Nothing is looked up or connected to here."""
    try:
        egress.check_url_form(
            url, settings.allowed_monitor_hosts, https_only=False, setting=egress.MONITOR_SETTING
        )
    except egress.EgressRefused as exc:
        raise InvalidInput.for_field(field, f"the URL {exc}") from None
    split = urlsplit(url)
    if split.username is not None or split.password is not None:
        raise InvalidInput.for_field(
            field, "the URL must not carry a user name or password (they would be stored)"
        )
    return url


# -- changing ----------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    body: MonitorCreate,
    idempotency_key: str | None = None,
) -> MonitorOut:
    """Start watching a customer's site or one of our services; the first probe comes within
    one interval (each monitor has its own place in it)."""
    allow(principal, *STAFF)
    if body.account_id is None and body.service is None:
        raise InvalidInput.for_field(
            "body.account_id",
            "is required: give the customer whose website this is, or `service` for one of "
            "our own services",
        )
    if body.account_id is not None and body.service is not None:
        raise InvalidInput.for_field(
            "body.service", "give either account_id (a customer's website) or service, not both"
        )
    if body.account_id is not None and await session.get(Account, body.account_id) is None:
        raise InvalidInput.for_field("body.account_id", f"no account with id {body.account_id}")
    check_url(body.url, settings)
    name = body.name or (
        SERVICE_NAMES.get(body.service, body.service)
        if body.service
        else urlsplit(body.url).hostname or body.url
    )
    digest = fingerprint(body.model_dump(mode="json") | {"by": principal.key_id})

    def start(reference: str) -> MonitorStart:
        return MonitorStart(
            config=MonitorConfig(
                monitor_id=reference,
                name=name,
                url=body.url,
                account_id=body.account_id,
                service=body.service,
                interval_seconds=body.interval_seconds,
                expected_status=body.expected_status,
                keyword=body.keyword,
            ),
            created_by=principal.full_name or principal.name,
            fingerprint=digest,
        )

    view: MonitorView = await open_workflow(
        client,
        session,
        noun="monitor",
        prefix="M",
        task_queue=settings.effective_monitor_task_queue,
        key_prefix=principal.key_prefix,
        idempotency_key=idempotency_key,
        run=MonitorWorkflow.run,
        start=start,
        opened=MonitorWorkflow.recorded,
        opened_request=Recorded(fingerprint=digest),
    )
    return await get(session, principal, view.monitor_id)


async def update(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    monitor_id: str,
    body: MonitorUpdate,
) -> MonitorOut:
    """Change what is watched or how; the state carries on (a new URL is judged by the next
    probes)."""
    allow(principal, *STAFF)
    monitor = await _load(session, principal, monitor_id)
    changes = body.model_dump(exclude_unset=True)
    for field in ("url", "name", "interval_seconds", "expected_status"):
        if field in changes and changes[field] is None:
            raise InvalidInput.for_field(f"body.{field}", "cannot be emptied")
    if "url" in changes:
        check_url(changes["url"], settings)
    config = _config(monitor).model_copy(update=changes)
    await call(
        _handle(client, monitor_id).execute_update(
            MonitorWorkflow.configure, Reconfigure(config=config, actor=principal.name)
        ),
        finished=f"Monitor {monitor.name} is no longer running",
        session=session,
    )
    return await get(session, principal, monitor_id)


async def pause(
    session: AsyncSession, client: Client, principal: Principal, monitor_id: str
) -> MonitorOut:
    """No probes (and so no outages) until resumed."""
    return await _act(session, client, principal, monitor_id, MonitorWorkflow.pause)


async def resume(
    session: AsyncSession, client: Client, principal: Principal, monitor_id: str
) -> MonitorOut:
    return await _act(session, client, principal, monitor_id, MonitorWorkflow.resume)


async def delete(
    session: AsyncSession, client: Client, principal: Principal, monitor_id: str
) -> None:
    """Stop watching for good; its results and outages are kept. Deleting again changes
    nothing."""
    allow(principal, *STAFF)
    kept = await session.get(Monitor, monitor_id)
    if kept is not None and kept.deleted_at is not None and _visible(principal, kept):
        return
    await _act(session, client, principal, monitor_id, MonitorWorkflow.delete, answer=False)


async def _act(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    monitor_id: str,
    update: object,
    *,
    answer: bool = True,
) -> MonitorOut:
    allow(principal, *STAFF)
    monitor = await _load(session, principal, monitor_id)
    await call(
        _handle(client, monitor_id).execute_update(update, MonitorAct(actor=principal.name)),  # type: ignore[call-overload]
        finished=f"Monitor {monitor.name} is no longer running",
        session=session,
    )
    return await get(session, principal, monitor_id) if answer else None  # type: ignore[return-value]


def _handle(client: Client, monitor_id: str):  # type: ignore[no-untyped-def]
    return client.get_workflow_handle_for(MonitorWorkflow.run, workflow_id(monitor_id))


def _config(monitor: Monitor) -> MonitorConfig:
    return MonitorConfig(
        monitor_id=monitor.id,
        name=monitor.name,
        url=monitor.url,
        account_id=monitor.account_id,
        service=monitor.service,
        interval_seconds=monitor.interval_seconds,
        expected_status=monitor.expected_status,
        keyword=monitor.keyword,
    )


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitorQuery:
    account_id: int | None = None
    service: str | None = None
    state: str | None = None


async def _load(session: AsyncSession, principal: Principal, monitor_id: str) -> Monitor:
    """The monitor if the principal may see it: the same 404 when it may not as when there is
    none. Customers see their own account's sites, never our services."""
    monitor = await monitor_reads.live(session, monitor_id)
    if monitor is None or not _visible(principal, monitor):
        raise NotFound(f"No monitor with id {monitor_id}")
    return monitor


def _visible(principal: Principal, monitor: Monitor) -> bool:
    if principal.role is not Role.CUSTOMER:
        return True
    return monitor.account_id is not None and principal.can_see_account(monitor.account_id)


async def get(session: AsyncSession, principal: Principal, monitor_id: str) -> MonitorOut:
    """One monitor: its settings, state, latest probe and the outage under way."""
    allow(principal, *STAFF_OR_CUSTOMER)
    monitor = await _load(session, principal, monitor_id)
    return (await _out(session, [monitor]))[0]


async def listing(
    session: AsyncSession, principal: Principal, query: MonitorQuery
) -> list[MonitorOut]:
    """Monitors, own services first; a customer sees its own account's sites only."""
    allow(principal, *STAFF_OR_CUSTOMER)
    where = monitor_reads.MonitorFilter(
        account_id=query.account_id, service=query.service, state=query.state
    )
    if principal.role is Role.CUSTOMER:
        if query.account_id not in (None, principal.account_id) or query.service is not None:
            return []
        where = monitor_reads.MonitorFilter(
            account_id=principal.account_id, state=query.state, own_services=False
        )
    return await _out(session, await monitor_reads.search(session, where))


async def uptime_days(
    session: AsyncSession,
    principal: Principal,
    monitor_id: str,
    days: int,
    now: datetime | None = None,
) -> MonitorUptimeOut:
    """The monitor's last `days` days in its zone, oldest first: what uptime bars show."""
    allow(principal, *STAFF_OR_CUSTOMER)
    monitor = await _load(session, principal, monitor_id)
    zone = await uptime.zone_of(session, monitor)
    found = await uptime.daily(session, monitor.id, days=days, zone=zone, now=now or utcnow())
    return MonitorUptimeOut(
        monitor_id=monitor.id,
        zone=zone.key,
        days=[DayUptimeOut(**asdict(d)) for d in found],  # type: ignore[arg-type]
    )


async def response_times(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    monitor_id: str,
    since: datetime | None,
    now: datetime | None = None,
) -> list[ResponsePointOut]:
    """The monitor's probes since `since` (default: the last 24 hours), oldest first: what
    response-time charts draw. Only raw results have them, so `since` is within their days."""
    allow(principal, *STAFF_OR_CUSTOMER)
    monitor = await _load(session, principal, monitor_id)
    now = now or utcnow()
    kept = timedelta(days=settings.uptime_raw_days)
    if since is None:
        since = now - timedelta(hours=24)
    elif since > now:
        # Nothing was probed yet then; and an instant near year 9999 would overflow when the
        # query turns it into UTC (a 500 once), so it is refused before that.
        raise InvalidInput.for_field("query.since", "is in the future: no probe is there yet")
    elif since < now - kept:
        raise InvalidInput.for_field(
            "query.since",
            f"must be within the last {settings.uptime_raw_days} days: older probes are kept "
            f"per day only (GET /monitors/{monitor_id}/uptime)",
        )
    return [
        ResponsePointOut(at=r.at, ok=r.ok, response_ms=r.response_ms)
        for r in await monitor_reads.results_between(session, monitor.id, since, now)
    ]


async def _out(session: AsyncSession, monitors: list[Monitor]) -> list[MonitorOut]:
    ids = [m.id for m in monitors]
    now = utcnow()
    shares = {
        monitor_id: {name: f.uptime for name, f in found.items()}
        for monitor_id, found in (await uptime.windows_of(session, monitors, now)).items()
    }
    latest: dict[str, MonitorResult] = await monitor_reads.latest_results(session, ids)
    outages: dict[str, Outage] = await monitor_reads.open_outages(session, ids)
    return [
        MonitorOut(
            id=m.id,
            name=m.name,
            url=m.url,
            account_id=m.account_id,
            service=m.service,
            interval_seconds=m.interval_seconds,
            expected_status=m.expected_status,
            keyword=m.keyword,
            paused=m.paused,
            state=m.state,  # type: ignore[arg-type]
            state_since=_since(m, outages.get(m.id)),
            last_result=ProbeOut.model_validate(latest[m.id]) if m.id in latest else None,
            outage=OutageOut.model_validate(outages[m.id]) if m.id in outages else None,
            uptime=shares[m.id],  # type: ignore[arg-type]
            created_by=m.created_by,
            created_at=m.created_at,
            updated_at=m.updated_at,
        )
        for m in monitors
    ]


def _since(monitor: Monitor, outage: Outage | None) -> datetime | None:
    """Down since the outage's first failure, as its mails, ticket and outage table say (the
    workflow records it so; a row from before it did says the third failure instead)."""
    if monitor.state == "down" and outage is not None:
        return outage.started_at
    return monitor.state_since
