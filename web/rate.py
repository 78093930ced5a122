"""/rate/{reference}?token=…: where a ticket's contact says how it went, from their mail's link.

Opening the page records nothing (mail scanners and link previews open links): it shows the
request's subject, two buttons, Good and Bad, and a comment box; only the form's POST records
the answer (services/satisfaction.py), then answers 303 back to the page, which thanks them and
shows what they said. The signed token is the only key, as on the tracking page: a wrong or
missing one answers exactly as an unknown reference does, the plain 404 page.

`rating_view` and web/templates/_rating_form.html are shared with the portal's ticket page
(web/portal/tickets.py), which posts the same form to its own address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import AppSettings, Session
from api.errors import NotFound, PledgeError
from api.schemas import RATING_COMMENT_MAX, RatingIn
from outbound.ticket_links import link_secret, rate_path
from reports.customer_words import plain_time, ticket_zone
from services import satisfaction
from services.satisfaction import RatingState
from web.forms import posted
from web.pages import page
from web.track import not_found

router = APIRouter(include_in_schema=False)

ANSWER_WORDS = {"good": "Good", "bad": "Bad"}


@dataclass(frozen=True)
class RatingView:
    """What _rating_form.html shows: the question, or the answer given, or both."""

    action: str  # where the form posts
    asked: bool
    open_to_answer: bool  # for the viewer: only the person asked may answer
    you: bool = True  # the viewer is the person asked (a colleague on the portal is not)
    asked_name: str = ""  # who was asked, for a colleague's view
    rated_by: str = ""
    answer: str = ""  # "Good" or "Bad"; empty until they answer
    comment: str = ""  # their comment, or what they typed into a refused form
    answered_when: str = ""  # "10:30 on Tuesday 1 December (UK time)"
    problem: str = ""  # why the last press was refused, in plain words
    errors: dict[str, str] = field(default_factory=dict)  # by form field
    comment_max: int = RATING_COMMENT_MAX


def rating_view(
    current: RatingState,
    action: str,
    *,
    now: datetime | None = None,
    typed: dict[str, str] | None = None,
    problem: str = "",
    errors: dict[str, str] | None = None,
    you: bool = True,
    asked_name: str = "",
) -> RatingView:
    """The form's context for one ticket, dates in the ticket's customer's time zone. `you`:
    the viewer is the contact asked; anyone else at the account reads the answer only."""
    answer = current.answer
    zone = ticket_zone(current.ticket.policy, current.ticket.calendar)
    comment = (typed or {}).get("comment", answer.comment if answer else "")
    return RatingView(
        action=action,
        asked=current.asked,
        open_to_answer=current.open_to_answer and you,
        you=you,
        asked_name=asked_name,
        rated_by=answer.rated_by if answer else "",
        answer=ANSWER_WORDS.get(answer.rating, "") if answer else "",
        comment=comment,
        answered_when=plain_time(answer.rated_at, zone, now or datetime.now(UTC)) if answer else "",
        problem=problem,
        errors=errors or {},
    )


def answer_of(form: dict[str, str]) -> RatingIn:
    """The posted form as the service takes it; ValidationError names the field."""
    return RatingIn(rating=form.get("rating", ""), comment=form.get("comment", ""))  # type: ignore[arg-type]


def field_errors(exc: ValidationError, typed: dict[str, str]) -> dict[str, str]:
    """What is wrong with each field, in the words of the person who filled it in."""
    found = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "rating"
        if name != "comment":
            found["rating"] = "Please press Good or Bad to answer."
        elif error["type"] == "string_too_long":
            found[name] = (
                f"Please keep your comment to {RATING_COMMENT_MAX:,} characters or fewer "
                f"(it has {len(typed.get('comment', '')):,})."
            )
        else:
            found[name] = "Your comment holds a character we cannot keep; please remove it."
    return found


# Any length: a mangled token is the same 404 as a wrong one, never a 422 naming it.
Token = Annotated[str | None, Query()]


def _page(
    current: RatingState, view: RatingView, settings: AppSettings, status: int
) -> HTMLResponse:
    return page(
        "rate.html",
        status_code=status,
        reference=current.ticket.reference,
        subject=current.ticket.subject,
        rating=view,
        organisation=settings.organisation_name,
    )


@router.get("/rate/{reference}", response_class=HTMLResponse)
async def rate_page(
    reference: str, session: Session, settings: AppSettings, token: Token = None
) -> HTMLResponse:
    """The question, or the answer already given; never records anything."""
    try:
        current = await satisfaction.for_link(session, settings, reference, token)
    except NotFound:
        return not_found()
    action = rate_path(link_secret(settings), current.ticket.reference)
    return _page(current, rating_view(current, action), settings, 200)


@router.post("/rate/{reference}", response_class=HTMLResponse)
async def rate(
    request: Request, reference: str, session: Session, settings: AppSettings, token: Token = None
) -> Response:
    """A press of Good or Bad: recorded, then back to the page (303), which thanks them."""
    try:
        current = await satisfaction.for_link(session, settings, reference, token)
    except NotFound:
        return not_found()
    action = rate_path(link_secret(settings), current.ticket.reference)
    typed = await posted(request)
    try:
        answer = answer_of(typed)
    except ValidationError as exc:
        problems = field_errors(exc, typed)
        view = rating_view(current, action, typed=typed, errors=problems)
        return _page(current, view, settings, 422)
    try:
        await satisfaction.rate_by_link(session, settings, reference, token, answer)
    except NotFound:
        return not_found()
    except PledgeError as exc:  # refused before anything was written
        view = rating_view(current, action, typed=typed, problem=exc.detail)
        return _page(current, view, settings, exc.status_code)
    return RedirectResponse(action, status_code=303)
