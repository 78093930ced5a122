"""/portal/tickets/{reference}: one of the account's tickets as its customer follows it.

The page shows what the tracking page a mail links to shows (web.customer_ticket: status,
priority, promised times, the public conversation only) and what a signed-in customer can do
there: reply (a reply to a ticket waiting on them resumes it), and, once it is resolved, agree
that it is fixed (closing it; under essensys's terms a representative's agreement only) or say
it is not (reopening it, until it is closed). Every form posts and redirects back (303); a
refusal comes back on the page beside the form, with what was typed, and the service's status.
An unknown reference and another account's answer the same 404 page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.auth import Principal
from api.deps import Session, Temporal
from api.errors import NotFound, PledgeError
from api.schemas import NotFixedReport, ResponseCreate
from services import tickets
from web import customer_ticket
from web.forms import posted
from web.portal.viewer import PortalViewer, portal_page

router = APIRouter(include_in_schema=False)

DONE = {
    "reply": "Thank you: we have your reply.",
    "resumed": "Thank you: we have your answer and are working on your request again.",
    "closed": "Thank you: we have closed your request.",
    "reopened": "We have reopened your request and will look at it again.",
}
# What a form asks for, in the page's words (a service's own message is shown as it is).
EMPTY = {
    "reply": "Write your reply before sending it.",
    "not-fixed": "Tell us what is still wrong, so that we know where to look.",
}


async def not_found(request: Request, session: Session, viewer: Principal) -> HTMLResponse:
    """The same page for a reference that does not exist and one of another account."""
    return await portal_page(request, session, viewer, "portal/not_found.html", status_code=404)


def _names(followed: tickets.Followed) -> dict[str, str]:
    """Who the customer's side of the conversation is: "You", or a colleague by name; ""
    is whoever raised the ticket (its opening names the key or agent that logged it)."""
    names = {c.name: c.name for c in followed.contacts}
    names[followed.viewer.name] = "You"
    raiser = followed.raised_by
    names[""] = "You" if raiser is None or raiser.id == followed.viewer.id else raiser.name
    return names


async def _render(
    request: Request,
    session: Session,
    viewer: Principal,
    reference: str,
    *,
    status_code: int = 200,
    done: str = "",
    failed: str = "",
    problem: str = "",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        followed = await tickets.follow(session, viewer, reference)
    except NotFound:
        return await not_found(request, session, viewer)
    ticket = followed.ticket
    raiser = followed.raised_by
    return await portal_page(
        request,
        session,
        viewer,
        "portal/ticket.html",
        status_code=status_code,
        t=await customer_ticket.read(session, ticket, portal=True, names=_names(followed)),
        raised_by=(
            "You" if raiser is not None and raiser.id == followed.viewer.id else
            raiser.name if raiser is not None else "Our support team, on your behalf"
        ),
        may_agree=followed.may_agree,
        agreeing=[c.name for c in followed.agreeing],
        needs_representative=followed.close_needs_representative,
        flash=DONE.get(done, ""),
        failed=failed,
        problem=problem,
        typed=typed or {},
    )  # fmt: skip


@router.get("/portal/tickets/{reference}", response_class=HTMLResponse)
async def ticket_page(
    reference: str, request: Request, session: Session, viewer: PortalViewer, done: str = ""
) -> HTMLResponse:
    return await _render(request, session, viewer, reference, done=done)


Act = Callable[[Session, Temporal, Principal, str, Any], Awaitable[Any]]


async def _act(
    name: str,
    request: Request,
    reference: str,
    session: Session,
    client: Temporal,
    viewer: Principal,
    build: Callable[[dict[str, str]], BaseModel | None],
    act: Act,
    done: Callable[[str], str],
) -> Response:
    """Run one form's action and go back to the ticket; or show the page again with why not."""
    typed = await posted(request)
    try:
        # Before anything else: another account's reference is the same 404 as none.
        before = (await tickets.follow(session, viewer, reference)).ticket.status
        body = build(typed)
        await act(session, client, viewer, reference, body)
    except NotFound:
        return await not_found(request, session, viewer)
    except (ValidationError, PledgeError) as exc:
        if isinstance(exc, ValidationError):
            status, problem = 422, _problem(name, exc)
        else:
            status, problem = exc.status_code, exc.detail.rstrip(".") + "."
        # Read again, not from this session's memory: part of the action may have been done.
        session.expire_all()
        return await _render(
            request, session, viewer, reference,
            status_code=status, failed=name, problem=problem, typed=typed,
        )  # fmt: skip
    return RedirectResponse(
        f"/portal/tickets/{reference}?done={done(before)}#news", status_code=303
    )


def _problem(name: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    if error["type"] in ("string_too_short", "value_error", "missing"):
        return EMPTY[name]
    return str(error["msg"]).rstrip(".") + "."


def _text(form: dict[str, str], field: str) -> str:
    # A box left with only spaces or blank lines is an empty one.
    text = form.get(field, "")
    return text if text.strip() else ""


async def _agree(
    session: Session, client: Temporal, viewer: Principal, reference: str, _: None
) -> Any:
    return await tickets.agree_closure(session, client, viewer, reference)


@router.post("/portal/tickets/{reference}/reply", response_class=HTMLResponse)
async def reply(
    reference: str, request: Request, session: Session, client: Temporal, viewer: PortalViewer
) -> Response:
    return await _act(
        "reply", request, reference, session, client, viewer,
        lambda f: ResponseCreate(author="customer", body=_text(f, "body")),
        tickets.reply,
        lambda before: "resumed" if before in customer_ticket.WAITING else "reply",
    )  # fmt: skip


@router.post("/portal/tickets/{reference}/close", response_class=HTMLResponse)
async def agree_closure(
    reference: str, request: Request, session: Session, client: Temporal, viewer: PortalViewer
) -> Response:
    return await _act(
        "close", request, reference, session, client, viewer,
        lambda f: None, _agree, lambda before: "closed",
    )  # fmt: skip


@router.post("/portal/tickets/{reference}/not-fixed", response_class=HTMLResponse)
async def not_fixed(
    reference: str, request: Request, session: Session, client: Temporal, viewer: PortalViewer
) -> Response:
    return await _act(
        "not-fixed", request, reference, session, client, viewer,
        lambda f: NotFixedReport(what=_text(f, "what")),
        tickets.not_fixed,
        lambda before: "reopened",
    )  # fmt: skip
