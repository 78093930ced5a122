"""Releases: hot fixes and maintenance releases that release-based promises wait for.

The work is services/releases.py's, which the console's pages call too; these routes only
translate HTTP to it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth import Agent, Staff
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import ReleaseCreate, ReleaseLink, ReleaseOut
from services import releases

router = APIRouter(tags=["releases"])


@router.post(
    "/releases",
    response_model=ReleaseOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 503),
)
async def create_release(
    body: ReleaseCreate, client: Temporal, settings: AppSettings, principal: Agent
) -> ReleaseOut:
    """Plan a hot fix or maintenance release of one product; link tickets to it; ship it."""
    return await releases.create(client, settings, principal, body)


@router.get("/releases", response_model=list[ReleaseOut], responses=responses(403))
async def list_releases(
    session: Session,
    principal: Staff,
    policy: Annotated[
        str | None, Query(max_length=64, description="Only the releases of this policy (product)")
    ] = None,
) -> list[ReleaseOut]:
    return await releases.listing(session, principal, policy)


@router.get("/releases/{release_id}", response_model=ReleaseOut, responses=responses(403, 404))
async def get_release(release_id: str, session: Session, principal: Staff) -> ReleaseOut:
    return await releases.get(session, principal, release_id)


@router.post(
    "/releases/{release_id}/tickets", response_model=ReleaseOut, responses=responses(403, 404, 409)
)
async def link_tickets(
    release_id: str, body: ReleaseLink, session: Session, client: Temporal, principal: Agent
) -> ReleaseOut:
    """Link tickets to the release: its shipping meets their release-based targets."""
    return await releases.link_tickets(session, client, principal, release_id, body)


@router.post(
    "/releases/{release_id}/ship", response_model=ReleaseOut, responses=responses(403, 404, 409)
)
async def ship_release(
    release_id: str, session: Session, client: Temporal, principal: Agent
) -> ReleaseOut:
    """The release is out: every linked ticket's release-based targets are met, contacts told."""
    return await releases.ship(session, client, principal, release_id)
