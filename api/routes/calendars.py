"""Calendars as versioned data: opening hours per weekday, holidays, closures (services/policies).

A calendar kept here is a library entry: a policy embeds the calendars it counts on (so a
policy version alone fixes every deadline it gives; docs/policies.md), and an admin copies a
calendar's JSON into a policy's `calendars`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, status
from pydantic import Field

from api.auth import CurrentPrincipal
from api.deps import Session
from api.errors import InvalidInput, PayloadTooLarge, responses
from api.schemas import VersionSummary
from services import policies
from services.roles import allow

router = APIRouter(tags=["calendars"])

Years = Annotated[
    list[Annotated[int, Field(ge=2000, le=2100)]] | None,
    Query(description="Years whose closed days to list (default: this and next)"),
]
Version = Annotated[int, Path(ge=1, description="A version number, from 1")]
CalendarJson = Annotated[
    dict[str, Any],
    Body(
        description="A calendar as GET /calendars/{key} returns it (its version, author and"
        " closed days are ignored): key, timezone, hours per weekday ('mon-thu':"
        " ['09:00-12:30', '13:30-17:30'], 24:00 for midnight), holidays by country and"
        " subdivisions, closures"
    ),
]
# An iCalendar file of a few years of holidays is some kilobytes; a megabyte is plenty.
MAX_ICAL_BYTES = 1_000_000


@router.get("/calendars", responses=responses(403))
async def list_calendars(session: Session, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every calendar (its newest version). Staff."""
    return await policies.newest_list(session, principal, "calendar")


@router.post("/calendars", status_code=status.HTTP_201_CREATED, responses=responses(403, 409))
async def create_calendar(
    body: CalendarJson, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A new calendar, version 1. Admins only; 409 when the key is taken."""
    return await policies.create(session, principal, "calendar", body)


@router.get("/calendars/{key}", responses=responses(403, 404))
async def get_calendar(
    key: str, session: Session, principal: CurrentPrincipal, years: Years = None
) -> dict[str, Any]:
    """The newest version, with its closed days in `years`. Staff."""
    return await policies.read(session, principal, "calendar", key, years=years)


@router.put("/calendars/{key}", responses=responses(403, 404, 409))
async def save_calendar_version(
    key: str, body: CalendarJson, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The calendar's next version. Admins only (see PUT /policies/{key})."""
    return await policies.save_version(session, principal, "calendar", key, body)


@router.get(
    "/calendars/{key}/versions",
    response_model=list[VersionSummary],
    responses=responses(403, 404),
)
async def list_calendar_versions(
    key: str, session: Session, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Every version of the calendar, oldest first. Staff."""
    return await policies.versions(session, principal, "calendar", key)


@router.get("/calendars/{key}/versions/{version}", responses=responses(403, 404))
async def get_calendar_version(
    key: str, version: Version, session: Session, principal: CurrentPrincipal, years: Years = None
) -> dict[str, Any]:
    """One version of the calendar. Staff."""
    return await policies.read(session, principal, "calendar", key, version, years)


@router.post(
    "/calendars/{key}/closures.ics",
    responses=responses(400, 403, 404, 409, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    },
)
async def import_closures(
    key: str, request: Request, session: Session, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The calendar's next version, closed on the all-day events of the iCalendar file sent as
    the body (text/calendar): a bank-holiday or office-closure calendar exported from another
    application. Events repeating yearly close the same dates every year. Pledge never fetches
    a calendar from an address. Admins only."""
    allow(principal)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_ICAL_BYTES:
            raise PayloadTooLarge.for_field(
                "body", f"an iCalendar file here is at most {MAX_ICAL_BYTES:,} bytes"
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.for_field("body", "is not UTF-8 text (an .ics file)") from None
    return await policies.import_ical(session, principal, key, text)


@router.delete(
    "/calendars/{key}/versions/{version}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404, 409),
)
async def delete_calendar_version(
    key: str, version: Version, session: Session, principal: CurrentPrincipal
) -> None:
    """Delete a version nothing runs under. Admins only (see DELETE /policies/...)."""
    await policies.delete_version(session, principal, "calendar", key, version)
