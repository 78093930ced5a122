"""/portal: the account's tickets, what each is waiting for and what happens next, in words.

Open ones first, those waiting on the customer's answer at the top; then (unless only the
open ones are asked for) the resolved and closed ones, the latest first, a page at a time.
The account is the session's: nothing here takes one from the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Session
from db.models import Ticket
from reports.customer_words import priority_label
from services import tickets
from web import customer_ticket
from web.portal.viewer import PortalViewer, portal_page

router = APIRouter(include_in_schema=False)

# Open requests shown at most (a customer with more is unusual; the page says so).
OPEN_SHOWN = 100
FINISHED_PER_PAGE = 20
SHOWS = ("all", "open")


@dataclass(frozen=True)
class Line:
    reference: str
    subject: str
    status: str
    waiting_on_you: bool
    priority: str | None
    raised_by: str
    next: str


def _line(ticket: Ticket, found: tickets.CustomerTickets, you: int, now: datetime) -> Line:
    # A monitoring ticket names a contact to write to, but nobody there raised it.
    if ticket.channel == customer_ticket.MONITOR_CHANNEL:
        raiser = customer_ticket.RAISED_BY_MONITORING
    else:
        raiser = "You" if ticket.contact_id == you else found.raised_by.get(ticket.id)
    return Line(
        reference=ticket.reference,
        subject=ticket.subject,
        status=customer_ticket.status_words(ticket.status),
        waiting_on_you=ticket.status in customer_ticket.WAITING,
        priority=priority_label(ticket.policy, ticket.priority)
        if ticket.type == "incident"
        else None,
        raised_by=raiser or "Our support team",
        next=customer_ticket.next_promise(ticket, ticket.id in found.paused, now),
    )


def _page_number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) <= 10_000 else None


@router.get("/portal", response_class=HTMLResponse)
async def home(
    request: Request, viewer: PortalViewer, session: Session, show: str = "all", page: str = "1"
) -> Response:
    number = _page_number(page)
    if show not in SHOWS or number is None:
        problem = "show: choose all or open" if show not in SHOWS else "page: a page number, from 1"
        return await portal_page(
            request, session, viewer, "portal/home.html", status_code=422, problem=problem,
            show="all", open=[], finished=[], open_total=0, finished_total=0, page=1, pages=1,
        )  # fmt: skip
    found = await tickets.customer_tickets(
        session,
        viewer,
        finished=show == "all",
        open_limit=OPEN_SHOWN,
        finished_limit=FINISHED_PER_PAGE,
        finished_offset=(number - 1) * FINISHED_PER_PAGE,
    )
    now, you = datetime.now(UTC), viewer.contact_id or 0
    context: dict[str, Any] = {
        "show": show,
        "open": [_line(t, found, you, now) for t in found.open],
        "open_total": found.open_total,
        "finished": [_line(t, found, you, now) for t in found.finished],
        "finished_total": found.finished_total,
        "page": number,
        "pages": max(1, -(-found.finished_total // FINISHED_PER_PAGE)),
        "problem": "",
    }
    return await portal_page(request, session, viewer, "portal/home.html", **context)
