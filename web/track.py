"""GET /track/{reference}?token=…: where a customer follows their ticket from a mail's link.

Read-only and signed (outbound.ticket_links): the token in the link is the only key, so a
wrong or missing one answers exactly as an unknown reference does, a plain 404 page. What it
shows is web.customer_ticket's, which the portal's ticket page shows too: the ticket's state in
plain words, its promised times in the customer's time zone, and the public conversation only;
notes, internal events and people's key names never reach it. A reader who may use the portal
is told where to sign in to reply there.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import AppSettings, Session
from db import ticket_reads
from outbound.ticket_links import link_secret, portal_path, track_token_ok
from web import customer_ticket
from web.pages import page

router = APIRouter(include_in_schema=False)


def not_found() -> HTMLResponse:
    return page("not_found.html", status_code=404)


@router.get("/track/{reference}", response_class=HTMLResponse)
async def track(
    reference: str, session: Session, settings: AppSettings, token: str | None = None
) -> HTMLResponse:
    """The customer's view of one ticket, for whoever holds the link from its mails."""
    if not track_token_ok(link_secret(settings), reference, token):
        return not_found()
    ticket = await ticket_reads.by_reference(session, reference)
    if ticket is None:
        return not_found()
    return page(
        "track.html",
        t=await customer_ticket.read(session, ticket),
        sign_in=f"/portal/login?next={quote(portal_path(reference), safe='/')}",
        organisation=settings.organisation_name,
    )
