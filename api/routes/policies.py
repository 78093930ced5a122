"""SLA policies as versioned data: list, read, write new ones and new versions, preview.

What GET /policies/{key} returns can be sent back: to POST /policies with another key (a new
policy), or to PUT /policies/{key} (its next version). services/policies.py does the work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import Field

from api.auth import CurrentPrincipal
from api.deps import Session, Temporal
from api.errors import responses
from api.schemas import (
    DeadlinePreview,
    MoveRequest,
    MoveResult,
    PolicySummary,
    PreviewRequest,
    VersionSummary,
)
from services import policies, policy_moves

router = APIRouter(tags=["policies"])

Years = Annotated[
    list[Annotated[int, Field(ge=2000, le=2100)]] | None,
    Query(description="Years whose closed days to list (default: this and next)"),
]
Version = Annotated[int, Path(ge=1, description="A version number, from 1")]
PolicyJson = Annotated[
    dict[str, Any],
    Body(
        description="A policy as GET /policies/{key} returns it (its version, author and closed"
        " days are ignored): key, name, source, calendars, priorities with their targets, rules"
    ),
]


@router.get("/policies", response_model=list[PolicySummary], responses=responses())
async def list_policies(session: Session, principal: CurrentPrincipal) -> list[PolicySummary]:
    """Every SLA policy (its newest version), with its priorities and calendars."""
    return await policies.policy_summaries(session, principal)


@router.post(
    "/policies",
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409),
)
async def create_policy(
    body: PolicyJson, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A new policy, version 1, from its JSON. Admins only; 409 when the key is taken."""
    return await policies.create(session, principal, "policy", body)


@router.get("/policies/{key}", responses=responses(404))
async def get_policy(
    key: str, session: Session, principal: CurrentPrincipal, years: Years = None
) -> dict[str, Any]:
    """The newest version as data: calendars with their closed days, priorities, targets and
    rules, then `version`, `created_at`, `created_by` and `digest`."""
    return await policies.read(session, principal, "policy", key, years=years)


@router.put("/policies/{key}", responses=responses(403, 404, 409))
async def save_policy_version(
    key: str, body: PolicyJson, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The policy's next version, from its JSON. Admins only. A `version` in the body must be
    the newest (409 otherwise: someone saved meanwhile); a body equal to the newest version
    saves nothing and answers it."""
    return await policies.save_version(session, principal, "policy", key, body)


@router.get(
    "/policies/{key}/versions", response_model=list[VersionSummary], responses=responses(404)
)
async def list_policy_versions(
    key: str, session: Session, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Every version of the policy, oldest first."""
    return await policies.versions(session, principal, "policy", key)


@router.get("/policies/{key}/versions/{version}", responses=responses(404))
async def get_policy_version(
    key: str, version: Version, session: Session, principal: CurrentPrincipal, years: Years = None
) -> dict[str, Any]:
    """One version of the policy, as GET /policies/{key} returns the newest."""
    return await policies.read(session, principal, "policy", key, version, years)


@router.post("/policies/{key}/preview", response_model=DeadlinePreview, responses=responses(404))
async def preview_deadlines(
    key: str, body: PreviewRequest, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The deadlines a ticket received at `received_at` would get under the newest version."""
    return await policies.preview(session, principal, key, body)


@router.post(
    "/policies/{key}/versions/{version}/preview",
    response_model=DeadlinePreview,
    responses=responses(404),
)
async def preview_version_deadlines(
    key: str,
    version: Version,
    body: PreviewRequest,
    session: Session,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """The deadlines a ticket received at `received_at` would get under this version."""
    return await policies.preview(session, principal, key, body, version)


@router.post(
    "/policies/{key}/move",
    response_model=MoveResult,
    responses=responses(403, 404, 422, 503),
)
async def move_open_tickets(
    key: str,
    body: MoveRequest,
    session: Session,
    client: Temporal,
    principal: CurrentPrincipal,
) -> MoveResult:
    """Move the policy's open tickets to a version, recomputing each from receipt. Admins only.

    With `confirm: false` (the default) nothing changes: the answer says which tickets would
    move, how many deadlines change and by how much. Send it again with `confirm: true` to
    move them; each ticket's history then says so.
    """
    return await policy_moves.move_tickets(session, client, principal, key, body)


@router.delete(
    "/policies/{key}/versions/{version}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404, 409),
)
async def delete_policy_version(
    key: str, version: Version, session: Session, principal: CurrentPrincipal
) -> None:
    """Delete a version no ticket runs under and no account would open tickets under."""
    await policies.delete_version(session, principal, "policy", key, version)
