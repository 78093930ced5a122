"""Complaint regimes as versioned data: acknowledgement and reply clocks, extensions.

services/policies.py does the work; complaints still run on the shipped regimes
(sla/regimes) until they are pinned to versions (docs/policies.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, status

from api.auth import CurrentPrincipal
from api.deps import Session
from api.errors import responses
from api.schemas import VersionSummary
from services import policies

router = APIRouter(tags=["complaint regimes"])

Version = Annotated[int, Path(ge=1, description="A version number, from 1")]
RegimeJson = Annotated[
    dict[str, Any],
    Body(
        description="A complaint regime as GET /regimes/{key} returns it (its version and"
        " author are ignored): key, name, source, acknowledgement, reply, extension"
    ),
]


@router.get("/regimes", responses=responses(403))
async def list_regimes(session: Session, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every complaint regime (its newest version). Staff."""
    return await policies.newest_list(session, principal, "regime")


@router.post("/regimes", status_code=status.HTTP_201_CREATED, responses=responses(403, 409))
async def create_regime(
    body: RegimeJson, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A new complaint regime, version 1. Admins only; 409 when the key is taken."""
    return await policies.create(session, principal, "regime", body)


@router.get("/regimes/{key}", responses=responses(403, 404))
async def get_regime(key: str, session: Session, principal: CurrentPrincipal) -> dict[str, Any]:
    """The newest version of the regime. Staff."""
    return await policies.read(session, principal, "regime", key)


@router.put("/regimes/{key}", responses=responses(403, 404, 409))
async def save_regime_version(
    key: str, body: RegimeJson, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The regime's next version. Admins only (see PUT /policies/{key})."""
    return await policies.save_version(session, principal, "regime", key, body)


@router.get(
    "/regimes/{key}/versions", response_model=list[VersionSummary], responses=responses(403, 404)
)
async def list_regime_versions(
    key: str, session: Session, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Every version of the regime, oldest first. Staff."""
    return await policies.versions(session, principal, "regime", key)


@router.get("/regimes/{key}/versions/{version}", responses=responses(403, 404))
async def get_regime_version(
    key: str, version: Version, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """One version of the regime. Staff."""
    return await policies.read(session, principal, "regime", key, version)


@router.delete(
    "/regimes/{key}/versions/{version}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404, 409),
)
async def delete_regime_version(
    key: str, version: Version, session: Session, principal: CurrentPrincipal
) -> None:
    """Delete a version nothing runs under. Admins only (see DELETE /policies/...)."""
    await policies.delete_version(session, principal, "regime", key, version)
