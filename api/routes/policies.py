"""SLA policies: list them, read one as data, preview the deadlines a ticket would get."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

import sla
from api.auth import CurrentPrincipal
from api.errors import InvalidInput, NotFound, responses
from api.schemas import DeadlinePreview, PolicySummary, PreviewRequest

router = APIRouter(tags=["policies"])


def _policy(key: str) -> sla.Policy:
    try:
        return sla.get_policy(key)
    except sla.UnknownPolicy as exc:
        raise NotFound(str(exc)) from None


@router.get("/policies", response_model=list[PolicySummary], responses=responses())
async def list_policies(_: CurrentPrincipal) -> list[PolicySummary]:
    """Every SLA policy Pledge can run, with its priorities and calendars."""
    return [PolicySummary.of(sla.get_policy(key)) for key in sla.policy_keys()]


@router.get("/policies/{key}", responses=responses(404))
async def get_policy(
    key: str,
    _: CurrentPrincipal,
    years: Annotated[
        list[Annotated[int, Field(ge=2000, le=2100)]] | None,
        Query(description="Years whose closed days to list (default: this and next)"),
    ] = None,
) -> dict[str, Any]:
    """The policy as data: calendars with their closed days, priorities, targets and rules."""
    policy = _policy(key)
    this_year = datetime.now(UTC).year
    return policy.describe(years=years or [this_year, this_year + 1])


@router.post("/policies/{key}/preview", response_model=DeadlinePreview, responses=responses(404))
async def preview_deadlines(key: str, body: PreviewRequest, _: CurrentPrincipal) -> dict[str, Any]:
    """The deadlines a ticket received at `received_at` would get under this policy."""
    policy = _policy(key)
    priority = body.priority
    if priority is None and body.campaign_scheduled_at is not None:
        priority = sla.triage(
            policy, body.received_at, {"campaign_scheduled_at": body.campaign_scheduled_at}
        )
    if priority is None:
        raise InvalidInput.for_field(
            "body.priority", f"is required; one of {', '.join(policy.priorities)}"
        )
    try:
        deadlines = sla.compute_deadlines(
            policy,
            priority,
            body.received_at,
            calendar=body.calendar,
            request_type=body.request_type,
        )
    except sla.UnknownPriority as exc:
        raise InvalidInput.for_field("body.priority", str(exc)) from None
    except sla.UnknownCalendar as exc:
        raise InvalidInput.for_field("body.calendar", str(exc)) from None
    except sla.UnknownRequestType as exc:
        raise InvalidInput.for_field("body.request_type", str(exc)) from None
    return deadlines.to_json()
