"""The complaints board and a complaint's page: /console/complaints…, for complaints handlers
and admins only (agents, success managers and customers are refused with 403).

Every action posts a plain form and calls the same service function as the JSON API
(services/complaints.py), so it is refused for the same reason in the same words: the page
comes back with that reason beside the form, what was typed still in it, and the API's status
(409, 422). Done, it redirects (303) back to the complaint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import NotFound, PledgeError
from api.schemas import (
    ActionNote,
    ComplaintCreate,
    ComplaintReply,
    ExtendRequest,
    HandlerIn,
)
from db import complaint_reads
from db.models import Role
from services import complaints
from sla.complaint import ComplaintStatus
from sla.regimes import regime_keys
from web.console.desk_words import (
    CHANNEL_WORDS,
    CLOCK_WORDS,
    DELIVERY_WORDS,
    JURISDICTION_WORDS,
    LETTER_WORDS,
    STATE_WORDS,
    STATUS_WORDS,
    VIEWER_ZONE,
    day_words,
    left_words,
    present,
    problem_errors,
    regime_words,
    summary,
    validation_errors,
    week_bounds,
    when,
)
from web.forms import posted
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Handler = Annotated[Principal, staff_page(Role.COMPLAINTS_HANDLER)]

VIEWS = {
    "open": "Open",
    "overdue": "Overdue",
    "week": "Due this week",
    "all": "All, closed too",
}
# How the count above the board reads: "3 complaints overdue."
VIEW_PHRASES = {
    "open": "open",
    "overdue": "overdue",
    "week": "due this week",
    "all": "in all, closed ones too",
}
PAGE_SIZE = 50
DONE = {
    "logged": "The complaint was logged; its deadlines are below.",
    "acknowledge": "The acknowledgement letter was sent.",
    "extend": "The holding response was sent with the new reply date.",
    "reply": "The full reply was sent.",
    "close": "The complaint was closed.",
    "reopen": "The complaint was reopened; a new full reply is owed.",
    "assign": "The complaint was given to its new handler.",
}


def _words() -> dict[str, Any]:
    """What every complaints template uses to write things for people."""
    return {
        "when": when,
        "day_words": day_words,
        "regime_words": regime_words,
        "status_words": STATUS_WORDS,
        "clock_words": CLOCK_WORDS,
        "state_words": STATE_WORDS,
        "jurisdictions": JURISDICTION_WORDS,
        "channels": CHANNEL_WORDS,
        "letter_words": LETTER_WORDS,
        "delivery_words": DELIVERY_WORDS,
    }


# -- the board ---------------------------------------------------------------------------------


@router.get("/console/complaints", response_class=HTMLResponse)
async def board_page(
    session: Session,
    viewer: Handler,
    view: str = "open",
    status: Annotated[str, Query(max_length=20)] = "",
    regime: Annotated[str, Query(max_length=40)] = "",
    handler: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """The board: complaints by their next deadline; views for overdue and due this week."""
    view = view if view in VIEWS else "open"
    now = datetime.now(UTC)
    _, week_end = week_bounds(now)
    statuses = {s.value for s in ComplaintStatus}
    regimes = sorted(regime_keys())
    where = complaints.BoardFilter(
        status=status if status in statuses else None,
        handler=handler or None,
        regime=regime if regime in regimes else None,
        overdue=True if view == "overdue" else None,
        due_before=week_end if view == "week" else None,
        open_only=view != "all" and not status,
    )
    found = await complaints.board(session, viewer, where, PAGE_SIZE, offset)
    # How many each view holds, so overdue ones are seen from any view.
    counts = {
        key: (
            await complaints.board(
                session,
                viewer,
                complaints.BoardFilter(
                    overdue=True if key == "overdue" else None,
                    due_before=week_end if key == "week" else None,
                    open_only=True,
                ),
                1,
                0,
            )
        ).total
        for key in ("open", "overdue", "week")
    }
    return page(
        "console/complaints/board.html",
        viewer=viewer,
        board=found,
        view=view,
        views=VIEWS,
        phrase=VIEW_PHRASES[view],
        counts=counts,
        status=status,
        regime=regime,
        handler=handler,
        statuses=[s.value for s in ComplaintStatus],
        regimes=regimes,
        handlers=await complaint_reads.handler_names(session),
        now=now,
        left=lambda due: left_words(due, now),
        page_size=PAGE_SIZE,
        **_words(),
    )


# -- logging one -------------------------------------------------------------------------------


def _new_page(
    viewer: Principal, typed: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    return page(
        "console/complaints/new.html",
        status_code=status_code,
        viewer=viewer,
        typed=typed,
        errors=errors,
        problem=summary(errors) if errors else "",
        regime_options=[(key, regime_words(key)) for key in regime_keys()],
        **_words(),
    )


@router.get("/console/complaints/new", response_class=HTMLResponse)
async def new_page(viewer: Handler) -> HTMLResponse:
    return _new_page(viewer, {"regime": "standard", "jurisdiction": "england-and-wales"}, {})


def _received_at(text: str) -> datetime | str | None:
    """A `datetime-local` value is the viewer's wall-clock time; the API wants an instant."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(VIEWER_ZONE))
    except ValueError:
        return text  # the model says what is wrong with it


def _creation(form: dict[str, str]) -> ComplaintCreate:
    complainant = {
        "name": form.get("complainant.name", ""),
        **({"email": form["complainant.email"]} if form.get("complainant.email") else {}),
        **(
            {"postal_address": form["complainant.postal_address"]}
            if form.get("complainant.postal_address", "").strip()
            else {}
        ),
    }
    handler = {
        key.removeprefix("handler."): value
        for key, value in present(
            form, "handler.name", "handler.email", "handler.job_title"
        ).items()
    }
    received = _received_at(form.get("received_at", ""))
    return ComplaintCreate(
        complainant=complainant,  # type: ignore[arg-type]
        summary=form.get("summary", ""),
        channel=form.get("channel", ""),  # type: ignore[arg-type]
        **present(form, "account_id", "jurisdiction", "regime"),
        **({"received_at": received} if received is not None else {}),
        **({"handler": handler} if handler else {}),
    )


@router.post("/console/complaints/new", response_model=None)
async def log_from_form(
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: Handler,
) -> Response:
    typed = await posted(request)
    try:
        body = _creation(typed)
    except ValidationError as exc:
        return _new_page(viewer, typed, validation_errors(exc), 422)
    try:
        logged = await complaints.log(session, client, settings, viewer, body)
    except PledgeError as exc:
        errors = problem_errors(exc) or {"form": exc.detail}
        return _new_page(viewer, typed, errors, exc.status_code)
    return RedirectResponse(f"/console/complaints/{logged.reference}?done=logged", status_code=303)


# -- a complaint -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """An action the API refused: which form, why, and what was typed into it."""

    action: str = ""
    problem: str = ""
    errors: dict[str, str] | None = None
    typed: dict[str, str] | None = None


def _open_actions(status: str, acknowledged: bool) -> set[str]:
    """The forms worth showing in this state (the API decides; a refused one shows why)."""
    if status == "closed":
        return {"reopen"}
    actions = {"assign", "reply", "extend"}
    if not acknowledged:
        actions.add("acknowledge")
    if status == "replied":
        actions = {"assign", "close", "reply"}
    return actions


async def _render(
    session: Session,
    viewer: Principal,
    reference: str,
    *,
    status_code: int = 200,
    failure: Failure | None = None,
    done: str = "",
) -> HTMLResponse:
    detail = await complaints.detail(session, viewer, reference)
    now = datetime.now(UTC)
    failure = failure or Failure()
    shown = _open_actions(detail.status, detail.acknowledged_at is not None)
    if failure.action:
        shown.add(failure.action)
    return page(
        "console/complaints/complaint.html",
        status_code=status_code,
        viewer=viewer,
        c=detail,
        now=now,
        left=lambda due: left_words(due, now),
        shown=shown,
        failed=failure.action,
        problem=failure.problem,
        errors=failure.errors or {},
        typed=failure.typed or {},
        flash=DONE.get(done, ""),
        letter_href=lambda letter: (
            f"/console/complaints/{detail.reference}/letters/{letter.id.rpartition(':')[2]}"
        ),
        **_words(),
    )


@router.get("/console/complaints/{reference}", response_class=HTMLResponse)
async def complaint_page(
    reference: str, session: Session, viewer: Handler, done: str = ""
) -> HTMLResponse:
    return await _render(session, viewer, reference, done=done)


@router.get("/console/complaints/{reference}/letters/{number}", response_model=None)
async def letter_download(
    reference: str, number: int, session: Session, viewer: Handler
) -> Response:
    """The letter as the complainant received it: the page's link, for a signed-in person
    (the JSON route takes an API key)."""
    letter = await complaints.letter(session, viewer, reference, number)
    return Response(
        letter.content,
        media_type="application/pdf",
        headers=content_disposition(letter.filename),
    )


Act = Callable[[Session, Temporal, Principal, str, Any], Awaitable[Any]]


def _note_action(act: Callable[..., Awaitable[Any]]) -> Act:
    async def run(
        session: Session, client: Temporal, viewer: Principal, reference: str, body: Any
    ) -> Any:
        return await act(session, client, viewer, reference, body.note)

    return run


ACTIONS: dict[str, tuple[Callable[[dict[str, str]], BaseModel], Act]] = {
    "acknowledge": (
        lambda f: ActionNote(**present(f, "note")),
        _note_action(complaints.acknowledge),
    ),
    "extend": (
        lambda f: ExtendRequest(
            reason=f.get("reason", ""),
            new_reply_by=f.get("new_reply_by", ""),  # type: ignore[arg-type]
        ),
        complaints.extend,
    ),
    "reply": (lambda f: ComplaintReply(body=f.get("body", "")), complaints.reply),
    "close": (lambda f: ActionNote(**present(f, "note")), _note_action(complaints.close)),
    "reopen": (lambda f: ActionNote(**present(f, "note")), _note_action(complaints.reopen)),
    "assign": (
        lambda f: HandlerIn(name=f.get("name", ""), **present(f, "email", "job_title")),
        complaints.assign,
    ),
}


def _register(name: str) -> None:
    build, act = ACTIONS[name]

    async def endpoint(
        request: Request, reference: str, session: Session, client: Temporal, viewer: Handler
    ) -> Response:
        typed = await posted(request)
        try:
            body = build(typed)
        except ValidationError as exc:
            errors = validation_errors(exc)
            failure = Failure(name, summary(errors), errors, typed)
            return await _render(session, viewer, reference, status_code=422, failure=failure)
        try:
            await act(session, client, viewer, reference, body)
        except NotFound:
            raise
        except PledgeError as exc:
            failure = Failure(name, exc.detail, problem_errors(exc), typed)
            return await _render(
                session, viewer, reference, status_code=exc.status_code, failure=failure
            )
        return RedirectResponse(f"/console/complaints/{reference}?done={name}", status_code=303)

    endpoint.__name__ = f"complaint_page_{name}"
    router.post(f"/console/complaints/{{reference}}/{name}", response_model=None)(endpoint)


for _name in ACTIONS:
    _register(_name)
