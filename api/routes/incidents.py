"""Incidents on the status page: staff open, update, publish and link them.

The work is services/incidents.py's (the console's pages call it too); these routes only
translate HTTP to it. The public reads published incidents on /status and /status/feed.atom.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from api.auth import Staff
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import (
    IncidentChange,
    IncidentCreate,
    IncidentLinks,
    IncidentOut,
    IncidentUpdateCreate,
)
from services import incidents

router = APIRouter(tags=["incidents"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key answers with the incident the first request opened",
    ),
]


@router.post(
    "/incidents",
    response_model=IncidentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def create_incident(
    body: IncidentCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: Staff,
    idempotency_key: IdempotencyKey = None,
) -> IncidentOut:
    """Open an incident with its first update: a draft (`publish: false`, the default) that
    only staff see, or published at once on /status, mailing its subscribers."""
    return await incidents.create(session, client, settings, principal, body, idempotency_key)


@router.get("/incidents", response_model=list[IncidentOut], responses=responses(403))
async def list_incidents(
    session: Session,
    principal: Staff,
    state: Annotated[
        Literal["draft", "active", "resolved"] | None,
        Query(description="draft (not published), active (published, not resolved), resolved"),
    ] = None,
) -> list[IncidentOut]:
    """Incidents, the latest opened first, with their updates (newest first) and links."""
    return await incidents.listing(session, principal, incidents.IncidentQuery(state=state))


@router.get("/incidents/{incident_id}", response_model=IncidentOut, responses=responses(403, 404))
async def get_incident(incident_id: str, session: Session, principal: Staff) -> IncidentOut:
    return await incidents.get(session, principal, incident_id)


@router.patch(
    "/incidents/{incident_id}",
    response_model=IncidentOut,
    responses=responses(403, 404, 409, 503),
)
async def change_incident(
    incident_id: str,
    body: IncidentChange,
    session: Session,
    client: Temporal,
    principal: Staff,
) -> IncidentOut:
    """Reword it: title, impact, services; and the first update's message while it is a
    draft (409 once published: post a new update instead)."""
    return await incidents.revise(session, client, principal, incident_id, body)


@router.delete(
    "/incidents/{incident_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(403, 404, 409, 503),
)
async def discard_incident(
    incident_id: str, session: Session, client: Temporal, principal: Staff
) -> Response:
    """Discard a draft with its updates and links; 409 once published."""
    await incidents.discard(session, client, principal, incident_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/incidents/{incident_id}/updates",
    response_model=IncidentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 503),
)
async def post_incident_update(
    incident_id: str,
    body: IncidentUpdateCreate,
    session: Session,
    client: Temporal,
    principal: Staff,
) -> IncidentOut:
    """A new update; its status (`resolved` ends the incident) becomes the incident's. On a
    published incident, its subscribers are mailed."""
    return await incidents.post_update(session, client, principal, incident_id, body)


@router.post(
    "/incidents/{incident_id}/publish",
    response_model=IncidentOut,
    responses=responses(403, 404, 409, 503),
)
async def publish_incident(
    incident_id: str, session: Session, client: Temporal, principal: Staff
) -> IncidentOut:
    """Show a draft on /status, in the feed, and mail the subscribers of its services."""
    return await incidents.publish(session, client, principal, incident_id)


@router.post(
    "/incidents/{incident_id}/links",
    response_model=IncidentOut,
    responses=responses(403, 404, 409, 503),
)
async def link_incident(
    incident_id: str,
    body: IncidentLinks,
    session: Session,
    client: Temporal,
    principal: Staff,
) -> IncidentOut:
    """Link monitors of the affected services, and customers' tickets (seen by staff only)."""
    return await incidents.link(session, client, principal, incident_id, body)
