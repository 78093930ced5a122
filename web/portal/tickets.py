"""/portal/tickets/{reference}: one of the account's tickets as its customer follows it.

The page shows what the tracking page a mail links to shows (web.customer_ticket: status,
priority, promised times, the public conversation only) and what a signed-in customer can do
there: reply, with files or without (a reply to a ticket waiting on them resumes it), download
the files they may see, and, once it is resolved, agree that it is fixed (closing it; under
essensys's terms a representative's agreement only) or say it is not (reopening it, until it
is closed), and, once asked, say how it went (services/satisfaction.py: the ticket's own
contact only; colleagues read the answer). Every form posts and redirects back (303); a
refusal comes back on the page beside the form, with what was typed, and the service's status.
An unknown reference and another account's answer the same 404 page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.downloads import attachment_response
from api.errors import FieldProblem, InvalidInput, NotFound, PledgeError
from api.schemas import NotFixedReport, ResponseCreate
from api.uploads import read_upload
from reports.customer_words import near_time, ticket_zone
from services import attachments, satisfaction, tickets
from services.satisfaction import RatingState
from web import customer_ticket
from web.attachments import attachment_rows, upload_hint
from web.forms import posted
from web.portal.viewer import PortalViewer, portal_not_found, portal_page
from web.rate import RatingView, answer_of, field_errors, rating_view

router = APIRouter(include_in_schema=False)

DONE = {
    "reply": "Thank you: we have your reply.",
    "resumed": "Thank you: we have your answer and are working on your request again.",
    "closed": "Thank you: we have closed your request.",
    "reopened": "We have reopened your request and will look at it again.",
    "attached": "Thank you: we have your files.",
    "rated": "Thank you for telling us how we did.",
}
# What a form asks for, in the page's words (a service's own message is shown as it is).
EMPTY = {
    "reply": "Write your reply, or choose a file, before sending.",
    "not-fixed": "Tell us what is still wrong, so that we know where to look.",
}


def _names(followed: tickets.Followed) -> dict[str, str]:
    """Who the customer's side of the conversation is: "You", or a colleague by name; ""
    is whoever raised the ticket (its opening names the key or agent that logged it)."""
    names = {c.name: c.name for c in followed.contacts}
    names[followed.viewer.name] = "You"
    raiser = followed.raised_by
    names[""] = "You" if raiser is None or raiser.id == followed.viewer.id else raiser.name
    return names


def rating_action(reference: str) -> str:
    return f"/portal/tickets/{reference}/rating"


async def rating_context(
    session: AsyncSession,
    viewer: Principal,
    current: RatingState,
    *,
    typed: dict[str, str] | None = None,
    problem: str = "",
) -> RatingView:
    """The `rating` _rating_form.html shows: the question to the ticket's contact, its answer
    to a colleague; with what was typed and why it was refused when a press was."""
    asked = await satisfaction.asked_contact(session, current)
    errors: dict[str, str] = {}
    if typed is not None:
        try:
            answer_of(typed)
        except ValidationError as exc:  # said beside its field rather than above the form
            errors, problem = field_errors(exc, typed), ""
    return rating_view(
        current,
        rating_action(current.ticket.reference),
        typed=typed,
        problem=problem,
        errors=errors,
        you=asked is not None and asked.id == viewer.contact_id,
        asked_name=asked.name if asked else "",
    )


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
    file_problem: str = "",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        followed = await tickets.follow(session, viewer, reference)
    except NotFound:
        return await portal_not_found(request, session, viewer)
    ticket = followed.ticket
    raiser = followed.raised_by
    zone, now = ticket_zone(ticket.policy, ticket.calendar), datetime.now(UTC)
    files = await attachments.list_attachments(session, viewer, reference)
    rated = failed == "rating"
    rating = await rating_context(
        session,
        viewer,
        await satisfaction.state(session, ticket),
        typed=typed if rated else None,
        problem=problem if rated else "",
    )
    return await portal_page(
        request,
        session,
        viewer,
        "portal/ticket.html",
        status_code=status_code,
        t=await customer_ticket.read(session, ticket, portal=True, names=_names(followed)),
        raised_by=(
            customer_ticket.RAISED_BY_MONITORING
            if ticket.channel == customer_ticket.MONITOR_CHANNEL else
            "You" if raiser is not None and raiser.id == followed.viewer.id else
            raiser.name if raiser is not None else "Our support team, on your behalf"
        ),
        may_agree=followed.may_agree,
        agreeing=[c.name for c in followed.agreeing],
        needs_representative=followed.close_needs_representative,
        attachments=attachment_rows(
            files,
            href=lambda a: f"/portal/tickets/{ticket.reference}/attachments/{a.id}",
            when=lambda at: near_time(at, zone, now),
        ),
        upload_hint=upload_hint(attachments.max_size(request.app.state.settings)),
        rating=rating,
        flash=DONE.get(done, ""),
        failed=failed,
        problem=problem,
        file_problem=file_problem,
        typed=typed or {},
    )  # fmt: skip


@router.get("/portal/tickets/{reference}", response_class=HTMLResponse)
async def ticket_page(
    reference: str, request: Request, session: Session, viewer: PortalViewer, done: str = ""
) -> HTMLResponse:
    return await _render(request, session, viewer, reference, done=done)


# One form's work: given the ticket's status before it and the dict to put what was typed in,
# it does the action and answers which of DONE to say.
Run = Callable[[str, dict[str, str]], Awaitable[str]]


async def _act(
    name: str, request: Request, reference: str, session: Session, viewer: Principal, run: Run
) -> Response:
    """Run one form's action and go back to the ticket; or show the page again with why not."""
    typed: dict[str, str] = {}
    try:
        # Before anything is read: another account's reference is the same 404 as none.
        before = (await tickets.follow(session, viewer, reference)).ticket.status
        done = await run(before, typed)
    except NotFound:
        return await portal_not_found(request, session, viewer)
    except (ValidationError, PledgeError) as exc:
        if isinstance(exc, ValidationError):
            status, problem, file_problem = 422, _problem(name, exc), ""
        else:
            status, problem = exc.status_code, exc.detail.rstrip(".") + "."
            # About the files: said under the file field, not above the form.
            about_files = any(p.field.endswith("file") for p in exc.errors or [])
            file_problem = problem if about_files else ""
        # Read again, not from this session's memory: part of the action may have been done.
        session.expire_all()
        return await _render(
            request, session, viewer, reference, status_code=status, failed=name,
            problem="" if file_problem else problem, file_problem=file_problem, typed=typed,
        )  # fmt: skip
    return RedirectResponse(f"/portal/tickets/{reference}?done={done}#news", status_code=303)


def _problem(name: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    if error["type"] in ("string_too_short", "value_error", "missing"):
        return EMPTY[name]
    return str(error["msg"]).rstrip(".") + "."


def _text(form: dict[str, str], field: str) -> str:
    # A box left with only spaces or blank lines is an empty one.
    text = form.get(field, "")
    return text if text.strip() else ""


async def _reply_form(
    request: Request, session: Session, max_size: int
) -> tuple[dict[str, str], list[attachments.NewFile]]:
    """The reply box and any files chosen: the page posts multipart/form-data (it has a file
    field); a plain form, as a script or an older page may send, is read too."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        return await posted(request), []
    # A slow upload must not hold SQLite's write lock (as the JSON route).
    await session.commit()
    upload = await read_upload(request, max_file_bytes=max_size)
    return upload.fields, [attachments.NewFile(f.filename, f.data) for f in upload.files]


@router.post("/portal/tickets/{reference}/reply", response_class=HTMLResponse)
async def reply(
    reference: str,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: PortalViewer,
) -> Response:
    """A reply, files, or both (files alone answer a ticket waiting on the customer, as a
    reply does). Files first: a refused one (its type, its size) leaves the reply unsent, and
    the page comes back with the words still in the box."""

    async def run(before: str, typed: dict[str, str]) -> str:
        fields, files = await _reply_form(request, session, attachments.max_size(settings))
        typed.update(fields)
        text = _text(typed, "body")
        if not text and files and before in customer_ticket.WAITING:
            # Files may be all we asked for: sent alone, they answer us as a reply would.
            text = "Files sent: " + ", ".join(f.filename for f in files) + "."
        body = ResponseCreate(author="customer", body=text) if text or not files else None
        if files:
            await attachments.add_attachments(
                session, client, settings, viewer, reference, files, field="file"
            )
        if body is None:
            return "attached"
        await tickets.reply(session, client, viewer, reference, body)
        return "resumed" if before in customer_ticket.WAITING else "reply"

    return await _act("reply", request, reference, session, viewer, run)


@router.post("/portal/tickets/{reference}/close", response_class=HTMLResponse)
async def agree_closure(
    reference: str, request: Request, session: Session, client: Temporal, viewer: PortalViewer
) -> Response:
    async def run(before: str, typed: dict[str, str]) -> str:
        await tickets.agree_closure(session, client, viewer, reference)
        return "closed"

    return await _act("close", request, reference, session, viewer, run)


@router.post("/portal/tickets/{reference}/not-fixed", response_class=HTMLResponse)
async def not_fixed(
    reference: str, request: Request, session: Session, client: Temporal, viewer: PortalViewer
) -> Response:
    async def run(before: str, typed: dict[str, str]) -> str:
        typed.update(await posted(request))
        await tickets.not_fixed(
            session, client, viewer, reference, NotFixedReport(what=_text(typed, "what"))
        )
        return "reopened"

    return await _act("not-fixed", request, reference, session, viewer, run)


@router.post("/portal/tickets/{reference}/rating", response_class=HTMLResponse)
async def rate(
    reference: str, request: Request, session: Session, viewer: PortalViewer
) -> Response:
    """How did we do? A press of Good or Bad by the contact who raised the ticket."""

    async def run(before: str, typed: dict[str, str]) -> str:
        typed.update(await posted(request))
        try:
            answer = answer_of(typed)
        except ValidationError as exc:
            problems = [
                FieldProblem(field=f, message=m) for f, m in field_errors(exc, typed).items()
            ]
            raise InvalidInput(" ".join(p.message for p in problems), errors=problems) from None
        await satisfaction.rate(session, viewer, reference, answer)
        return "rated"

    return await _act("rating", request, reference, session, viewer, run)


@router.get("/portal/tickets/{reference}/attachments/{attachment_id}")
async def attachment(
    reference: str, attachment_id: str, request: Request, session: Session, viewer: PortalViewer
) -> Response:
    """A file of the ticket the customer may see, downloaded as the JSON route serves it; the
    same 404 page for an internal file, another ticket's, another account's, or none."""
    try:
        found = await attachments.fetch_attachment(session, viewer, reference, attachment_id)
    except NotFound:
        return await portal_not_found(request, session, viewer)
    return attachment_response(found.filename, found.content_type, found.content)
