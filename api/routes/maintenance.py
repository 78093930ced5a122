"""Maintenance windows: announced ahead under the policy's promise, then kept by their workflow.

The work is services/maintenance.py's (the console's page calls it too); these routes only
translate HTTP to it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.auth import StaffOrCustomer, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import MaintenanceCreate, MaintenanceOut, MaintenanceState, MaintenanceUpdate
from services import maintenance

router = APIRouter(tags=["maintenance"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key answers with the window the first request made",
    ),
]


@router.post(
    "/maintenance",
    response_model=MaintenanceOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def schedule_maintenance(
    body: MaintenanceCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
    idempotency_key: IdempotencyKey = None,
) -> MaintenanceOut:
    """Announce a window. Under a policy that promises it (e-shot: 20:00 to 02:00 UK time, at
    least 2 days ahead) a window that breaks the promise is refused with 422 saying what would
    be allowed. The administrators of every affected account are mailed at once, with an
    .ics; a reminder goes 24 hours before; it moves to in_progress and completed by itself."""
    return await maintenance.schedule(session, client, settings, principal, body, idempotency_key)


@router.get("/maintenance", response_model=list[MaintenanceOut], responses=responses(403))
async def list_maintenance(
    session: Session,
    principal: StaffOrCustomer,
    state: Annotated[MaintenanceState | None, Query(description="Only those in this state")] = None,
    current: Annotated[
        bool, Query(description="Only those not over yet: scheduled or in progress")
    ] = False,
) -> list[MaintenanceOut]:
    """Windows, the soonest first; a customer key sees those affecting its account."""
    return await maintenance.listing(session, principal, state, current)


@router.get(
    "/maintenance/{window_id}", response_model=MaintenanceOut, responses=responses(403, 404)
)
async def get_maintenance(
    window_id: str, session: Session, principal: StaffOrCustomer
) -> MaintenanceOut:
    return await maintenance.get(session, principal, window_id)


@router.patch(
    "/maintenance/{window_id}",
    response_model=MaintenanceOut,
    responses=responses(403, 404, 409, 503),
)
async def change_maintenance(
    window_id: str,
    body: MaintenanceUpdate,
    session: Session,
    client: Temporal,
    principal: SuccessManager,
) -> MaintenanceOut:
    """Change the title, description, services or times before it starts; the promise is
    checked again as of now, and everyone told is told of the change."""
    return await maintenance.update(session, client, principal, window_id, body)


@router.post(
    "/maintenance/{window_id}/cancel",
    response_model=MaintenanceOut,
    responses=responses(403, 404, 409, 503),
)
async def cancel_maintenance(
    window_id: str, session: Session, client: Temporal, principal: SuccessManager
) -> MaintenanceOut:
    """Call it off before it starts; everyone told of it is told."""
    return await maintenance.cancel(session, client, principal, window_id)
