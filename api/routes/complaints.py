"""Complaints: statutory clocks, letters and the handler's board. Complaints handlers only.

The work is services/complaints.py's, which the console's pages call too; these routes only
translate HTTP to it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request, Response, status
from sqlalchemy import select

from api.auth import ComplaintsHandler
from api.auth_failures import record_failure, refuse_if_throttled
from api.calendar_feed import complaint_deadlines_ics
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import Forbidden, Unauthorized, responses
from api.keys import hash_secret
from api.schemas import (
    ActionNote,
    ComplaintBoard,
    ComplaintCreate,
    ComplaintDetail,
    ComplaintOut,
    ComplaintReply,
    ExtendRequest,
    FeedUrl,
    HandlerIn,
)
from db import complaint_reads
from db.models import ApiKey, Role
from services import complaints
from sla.complaint import ComplaintStatus

router = APIRouter(tags=["complaints"])

ACTIONS = responses(403, 404, 409, 503)


# -- logging a complaint -----------------------------------------------------------------------


@router.post(
    "/complaints",
    response_model=ComplaintOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def log_complaint(
    body: ComplaintCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: ComplaintsHandler,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Retrying with the same key returns the same complaint",
        ),
    ] = None,
) -> ComplaintOut:
    """Log a complaint; its acknowledgement and reply deadlines count from `received_at`."""
    return await complaints.log(session, client, settings, principal, body, idempotency_key)


# -- the calendar feed (before /complaints/{reference}, which would swallow "feed") -------------


@router.post("/complaints/feed", response_model=FeedUrl, responses=responses(403))
async def mint_feed_url(
    session: Session,
    settings: AppSettings,
    principal: ComplaintsHandler,
    handler: Annotated[
        str | None, Query(max_length=200, description="Only this handler's complaints")
    ] = None,
) -> FeedUrl:
    """A new address for your calendar feed of open complaint deadlines, to subscribe to.

    Calendar apps cannot send an API key, so the address carries a token of its own. Only its
    hash is kept, so it is shown this once: minting again replaces it (the old address stops
    working), and it stops working when your key is revoked.
    """
    key = await session.get(ApiKey, principal.key_id)
    assert key is not None
    token = secrets.token_urlsafe(32)
    key.feed_token_hash = hash_secret(token)
    url = f"{settings.effective_public_url}/complaints/feed/{token}.ics"
    if handler is not None:
        url += "?" + urlencode({"handler": handler})
    return FeedUrl(url=url)


@router.get(
    "/complaints/feed/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **responses(403, 429)},
)
async def feed(
    token: str,
    request: Request,
    session: Session,
    settings: AppSettings,
    handler: Annotated[
        str | None, Query(max_length=200, description="Only this handler's complaints")
    ] = None,
) -> Response:
    """Open complaint deadlines as an iCalendar feed (the address comes from POST
    /complaints/feed)."""
    refuse_if_throttled(request)
    found = await session.scalar(select(ApiKey).where(ApiKey.feed_token_hash == hash_secret(token)))
    if found is None or found.revoked_at is not None:
        record_failure(request)
        raise Unauthorized("The calendar feed address is not recognised, or its key was revoked")
    if found.role not in (Role.ADMIN, Role.COMPLAINTS_HANDLER):
        raise Forbidden(
            f"Complaints are for complaints handlers and admins; the feed's key has the role "
            f"{Role(found.role).value}"
        )
    rows = await complaint_reads.open_deadlines(session, handler)
    return Response(
        complaint_deadlines_ics(rows, settings.effective_public_url, settings.organisation_name),
        media_type="text/calendar; charset=utf-8",
        headers=content_disposition("pledge-complaints.ics", "inline"),
    )


# -- reading -----------------------------------------------------------------------------------


@router.get("/complaints", response_model=ComplaintBoard, responses=responses(403))
async def board(
    session: Session,
    principal: ComplaintsHandler,
    status: ComplaintStatus | None = None,
    handler: str | None = None,
    due_before: Annotated[
        datetime | None, Query(description="A deadline before this instant")
    ] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ComplaintBoard:
    """The handler's board: complaints by their next deadline, soonest first."""
    where = complaints.BoardFilter(
        status=status.value if status else None,
        handler=handler,
        due_before=due_before,
        overdue=overdue,
    )
    return await complaints.board(session, principal, where, limit, offset)


@router.get(
    "/complaints/{reference}", response_model=ComplaintDetail, responses=responses(403, 404)
)
async def get_complaint(
    reference: str, session: Session, principal: ComplaintsHandler
) -> ComplaintDetail:
    """A complaint with its clocks, extensions, letters and full history."""
    return await complaints.detail(session, principal, reference)


@router.get(
    "/complaints/{reference}/letters/{number}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(403, 404)},
)
async def download_letter(
    reference: str, number: int, session: Session, principal: ComplaintsHandler
) -> Response:
    """A letter as the complainant received it (PDF)."""
    letter = await complaints.letter(session, principal, reference, number)
    return Response(
        letter.content,
        media_type="application/pdf",
        headers=content_disposition(letter.filename),
    )


# -- working a complaint -----------------------------------------------------------------------


@router.post("/complaints/{reference}/acknowledge", response_model=ComplaintOut, responses=ACTIONS)
async def complaint_acknowledge(
    reference: str,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
    body: ActionNote | None = None,
) -> ComplaintOut:
    """Send the acknowledgement letter (PDF, by e-mail); the housing regimes count the response
    from it."""
    note = body.note if body else ""
    return await complaints.acknowledge(session, client, principal, reference, note)


@router.post("/complaints/{reference}/close", response_model=ComplaintOut, responses=ACTIONS)
async def complaint_close(
    reference: str,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
    body: ActionNote | None = None,
) -> ComplaintOut:
    """Close a complaint that has had its full reply."""
    return await complaints.close(session, client, principal, reference, body.note if body else "")


@router.post("/complaints/{reference}/reopen", response_model=ComplaintOut, responses=ACTIONS)
async def complaint_reopen(
    reference: str,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
    body: ActionNote | None = None,
) -> ComplaintOut:
    """Reopen a closed complaint: a new full reply is owed, counted from now."""
    note = body.note if body else ""
    return await complaints.reopen(session, client, principal, reference, note)


@router.post("/complaints/{reference}/extend", response_model=ComplaintOut, responses=ACTIONS)
async def extend(
    reference: str,
    body: ExtendRequest,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
) -> ComplaintOut:
    """A holding response: the reason and a later reply date, sent as a letter."""
    return await complaints.extend(session, client, principal, reference, body)


@router.post("/complaints/{reference}/reply", response_model=ComplaintOut, responses=ACTIONS)
async def reply(
    reference: str,
    body: ComplaintReply,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
) -> ComplaintOut:
    """The full reply, sent as a letter; it also acknowledges the complaint if nothing has."""
    return await complaints.reply(session, client, principal, reference, body)


@router.post("/complaints/{reference}/assign", response_model=ComplaintOut, responses=ACTIONS)
async def assign(
    reference: str,
    body: HandlerIn,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
) -> ComplaintOut:
    """Give the complaint to a handler; reminders go to them."""
    return await complaints.assign(session, client, principal, reference, body)
