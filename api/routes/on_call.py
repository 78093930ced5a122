"""/on-call: who answers out-of-hours emergency pages, a week at a time (services/on_call.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.auth import CurrentPrincipal
from api.deps import AppSettings, Session
from api.errors import responses
from api.schemas import OnCallSet, OnCallWeekOut
from services import on_call

router = APIRouter(tags=["on call"])

Week = Annotated[
    str,
    Query(
        max_length=20,
        description="The first week shown: an ISO week (2026-W47) or its Monday (2026-11-16)",
    ),
]


@router.get("/on-call", response_model=list[OnCallWeekOut], responses=responses(403))
async def get_rota(
    session: Session,
    settings: AppSettings,
    principal: CurrentPrincipal,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    weeks: Annotated[int, Query(ge=1, le=on_call.MAX_WEEKS)] = 8,
) -> list[OnCallWeekOut]:
    """The rota from `from` (default this week), with each week's bank holidays in the team
    calendar (PLEDGE_TEAM_CALENDAR); a week with nobody pages the team address."""
    return await on_call.rota(session, settings, principal, from_, weeks)


@router.put("/on-call/{week}", response_model=OnCallWeekOut, responses=responses(403))
async def set_week(
    week: str,
    body: OnCallSet,
    session: Session,
    settings: AppSettings,
    principal: CurrentPrincipal,
) -> OnCallWeekOut:
    """Put `user_id` on call for `week` (an ISO week, 2026-W47, or its Monday, 2026-11-16):
    Monday 00:00 to Monday 00:00 in the team calendar's zone, nights, weekend and bank holidays,
    unless `holiday_user_id` covers the bank holidays. Admins only."""
    return await on_call.set_week(session, settings, principal, week, body)


@router.delete(
    "/on-call/{week}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(403),
)
async def clear_week(
    week: str, session: Session, settings: AppSettings, principal: CurrentPrincipal
) -> Response:
    """Nobody on call that week: its pages go to the team address. Admins only."""
    await on_call.clear_week(session, settings, principal, week)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
