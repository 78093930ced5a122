"""/portal/tickets/{reference}/rating: "How did we do?" for a customer signed in to the portal.

The same question, form and answer as the page the resolution mail links to (web/rate.py),
in the portal's frame, scoped to the session's account: another account's reference answers
exactly as an unknown one. Only the ticket's own contact is asked; a colleague at the account
reads their answer. The portal's ticket page may include web/templates/_rating_form.html
(built with `rating_context`) posting here; a press answers 303 to the question's page, which
thanks them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import Session
from api.errors import NotFound, PledgeError
from services import satisfaction
from services.satisfaction import RatingState
from web.forms import posted
from web.portal.viewer import PortalViewer, portal_page
from web.rate import RatingView, answer_of, field_errors, rating_view

router = APIRouter(include_in_schema=False)


def rating_action(reference: str) -> str:
    return f"/portal/tickets/{reference}/rating"


async def rating_context(
    session: AsyncSession,
    viewer: Principal,
    current: RatingState,
    *,
    typed: dict[str, str] | None = None,
    problem: str = "",
    errors: dict[str, str] | None = None,
) -> RatingView:
    """The `rating` a portal page gives _rating_form.html for one of the account's tickets."""
    asked = await satisfaction.asked_contact(session, current)
    return rating_view(
        current,
        rating_action(current.ticket.reference),
        typed=typed,
        problem=problem,
        errors=errors,
        you=asked is not None and asked.id == viewer.contact_id,
        asked_name=asked.name if asked else "",
    )


async def _page(
    request: Request,
    session: AsyncSession,
    viewer: Principal,
    current: RatingState,
    view: RatingView,
    status_code: int = 200,
) -> HTMLResponse:
    return await portal_page(
        request, session, viewer, "portal/rating.html", status_code=status_code,
        missing=False, reference=current.ticket.reference, subject=current.ticket.subject,
        rating=view,
    )  # fmt: skip


async def _missing(request: Request, session: AsyncSession, viewer: Principal) -> HTMLResponse:
    """The same page for another account's reference as for one that does not exist."""
    return await portal_page(
        request, session, viewer, "portal/rating.html", status_code=404, missing=True
    )


@router.get("/portal/tickets/{reference}/rating", response_class=HTMLResponse)
async def rating_page(
    request: Request, reference: str, viewer: PortalViewer, session: Session
) -> Response:
    """The question, or the answer given; opening it records nothing."""
    try:
        current = await satisfaction.for_portal(session, viewer, reference)
    except NotFound:
        return await _missing(request, session, viewer)
    return await _page(
        request, session, viewer, current, await rating_context(session, viewer, current)
    )


@router.post("/portal/tickets/{reference}/rating", response_class=HTMLResponse)
async def rate(
    request: Request, reference: str, viewer: PortalViewer, session: Session
) -> Response:
    """A press of Good or Bad by the ticket's contact: recorded, then back to the question."""
    try:
        current = await satisfaction.for_portal(session, viewer, reference)
    except NotFound:
        return await _missing(request, session, viewer)
    typed = await posted(request)
    try:
        answer = answer_of(typed)
    except ValidationError as exc:
        view = await rating_context(
            session, viewer, current, typed=typed, errors=field_errors(exc, typed)
        )
        return await _page(request, session, viewer, current, view, 422)
    try:
        await satisfaction.rate(session, viewer, reference, answer)
    except PledgeError as exc:  # refused before anything was written
        view = await rating_context(session, viewer, current, typed=typed, problem=exc.detail)
        return await _page(request, session, viewer, current, view, exc.status_code)
    return RedirectResponse(rating_action(current.ticket.reference), status_code=303)
