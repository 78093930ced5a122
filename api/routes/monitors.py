"""Monitors: customers' websites and our own services, probed every few minutes.

The work is services/monitors.py's (which pages will call too); these routes only translate
HTTP to it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import AwareDatetime

from api.auth import Staff, StaffOrCustomer
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import (
    Id,
    MonitorCreate,
    MonitorOut,
    MonitorState,
    MonitorUpdate,
    MonitorUptimeOut,
    ResponsePointOut,
    ServiceKey,
)
from services import monitors

router = APIRouter(tags=["monitors"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key answers with the monitor the first request made",
    ),
]


@router.post(
    "/monitors",
    response_model=MonitorOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def create_monitor(
    body: MonitorCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: Staff,
    idempotency_key: IdempotencyKey = None,
) -> MonitorOut:
    """Watch a customer's website (`account_id`: its outages open tickets) or one of our own
    services (`service`); the first probe comes within one interval."""
    return await monitors.create(session, client, settings, principal, body, idempotency_key)


@router.get("/monitors", response_model=list[MonitorOut], responses=responses(403))
async def list_monitors(
    session: Session,
    principal: StaffOrCustomer,
    account_id: Annotated[Id | None, Query(description="Only this account's sites")] = None,
    service: Annotated[ServiceKey | None, Query(description="Only this service's")] = None,
    state: Annotated[MonitorState | None, Query(description="Only those in this state")] = None,
) -> list[MonitorOut]:
    """Monitors with their state and latest probe; a customer key sees its own account's."""
    query = monitors.MonitorQuery(account_id=account_id, service=service, state=state)
    return await monitors.listing(session, principal, query)


@router.get("/monitors/{monitor_id}", response_model=MonitorOut, responses=responses(403, 404))
async def get_monitor(monitor_id: str, session: Session, principal: StaffOrCustomer) -> MonitorOut:
    return await monitors.get(session, principal, monitor_id)


@router.get(
    "/monitors/{monitor_id}/uptime",
    response_model=MonitorUptimeOut,
    responses=responses(403, 404),
)
async def monitor_uptime(
    monitor_id: str,
    session: Session,
    principal: StaffOrCustomer,
    days: Annotated[
        int, Query(ge=1, le=366, description="How many days, ending with today in its zone")
    ] = 90,
) -> MonitorUptimeOut:
    """Uptime day by day (what the 90-day bars show): a day with no probe results is
    `no-data`, never up; announced maintenance is neither up nor down."""
    return await monitors.uptime_days(session, principal, monitor_id, days)


@router.get(
    "/monitors/{monitor_id}/results",
    response_model=list[ResponsePointOut],
    responses=responses(403, 404),
)
async def monitor_results(
    monitor_id: str,
    session: Session,
    settings: AppSettings,
    principal: StaffOrCustomer,
    since: Annotated[
        AwareDatetime | None,
        Query(
            description="From this instant (with its offset; default: 24 hours ago), "
            "within the days raw results are kept (PLEDGE_UPTIME_RAW_DAYS)"
        ),
    ] = None,
) -> list[ResponsePointOut]:
    """Each probe since then with its response time, oldest first: for response-time charts."""
    return await monitors.response_times(session, settings, principal, monitor_id, since)


@router.patch(
    "/monitors/{monitor_id}", response_model=MonitorOut, responses=responses(403, 404, 409, 503)
)
async def update_monitor(
    monitor_id: str,
    body: MonitorUpdate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: Staff,
) -> MonitorOut:
    """Change the URL, name, interval, expected status or keyword (`null` removes it)."""
    return await monitors.update(session, client, settings, principal, monitor_id, body)


@router.post(
    "/monitors/{monitor_id}/pause",
    response_model=MonitorOut,
    responses=responses(403, 404, 409, 503),
)
async def pause_monitor(
    monitor_id: str, session: Session, client: Temporal, principal: Staff
) -> MonitorOut:
    """No probes, so no outages, until resumed; the state is kept."""
    return await monitors.pause(session, client, principal, monitor_id)


@router.post(
    "/monitors/{monitor_id}/resume",
    response_model=MonitorOut,
    responses=responses(403, 404, 409, 503),
)
async def resume_monitor(
    monitor_id: str, session: Session, client: Temporal, principal: Staff
) -> MonitorOut:
    return await monitors.resume(session, client, principal, monitor_id)


@router.delete(
    "/monitors/{monitor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(403, 404, 409, 503),
)
async def delete_monitor(
    monitor_id: str, session: Session, client: Temporal, principal: Staff
) -> Response:
    """Stop watching; results and outages are kept."""
    await monitors.delete(session, client, principal, monitor_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
