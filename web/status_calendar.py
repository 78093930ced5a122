"""GET /status/maintenance.ics: the public calendar of maintenance, for anyone to subscribe to.

Upcoming and ongoing windows (announced, or in progress) of our own services: what each
affects is named, never which customers were told. A window that names accounts (work on
those customers' own sites) is theirs alone and is not published here. A cancelled or
finished window drops out, which a subscribed calendar takes as its removal. No sign-in: like
/status, it is public.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import AppSettings, Session
from db.maintenance import announced, is_public
from reports.maintenance import WindowFacts, calendar_of

router = APIRouter(tags=["status"])

# Calendar apps poll; a few minutes' staleness is fine, and spares the database.
CACHE = "public, max-age=300"


@router.get(
    "/status/maintenance.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed"}},
)
async def maintenance_calendar(session: Session, settings: AppSettings) -> Response:
    """Upcoming and ongoing maintenance as iCalendar (RFC 5545), one event per window."""
    now = datetime.now(UTC)
    # A window naming accounts is theirs (their own sites): it is not published.
    windows = [WindowFacts.of(w) for w in await announced(session, now) if is_public(w)]
    organisation = settings.organisation_name
    body = calendar_of(windows, organisation, now, name=f"{organisation} maintenance")
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": CACHE,
            "Content-Disposition": 'inline; filename="maintenance.ics"',
        },
    )
