"""The portal's front page: the account's tickets, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Session
from services import tickets
from web.portal.viewer import PortalViewer, portal_page

router = APIRouter(include_in_schema=False)


@router.get("/portal", response_class=HTMLResponse)
async def home(request: Request, viewer: PortalViewer, session: Session) -> Response:
    found = await tickets.list_tickets(session, viewer, tickets.TicketQuery(limit=100))
    return await portal_page(request, session, viewer, "portal/home.html", tickets=found.tickets)
