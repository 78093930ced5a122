"""Raising a ticket in the portal: a form in the policy's own words, the times Pledge will
promise shown before sending, and a page with the reference after.

Without JavaScript, "Check the times" posts the form and it comes back with the promises for
what was chosen; with htmx, choosing a priority or a campaign date asks
/portal/tickets/new/promises for the panel alone. Every refusal comes back on the form, beside
its field, with what was typed kept. Each form carries a nonce of its own, used as the
ticket's idempotency key, so sending it twice (a double click, the back button) reaches the
same ticket instead of opening a second.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.errors import Conflict, InvalidInput, NotFound, PledgeError, ServiceUnavailable
from api.uploads import Upload, read_upload
from db.models import Contact
from reports.customer_words import (
    priority_label,
    promise_lines,
    routed_words,
    ticket_zone,
    zone_words,
)
from services import attachments, raising, tickets
from services.attachment_rules import label_of, size_words
from settings import Settings
from sla.ticket import TicketType
from web.attachments import upload_hint
from web.forms import FormState, fields, local_instant, refused
from web.pages import page
from web.portal.viewer import PortalViewer, portal_not_found, portal_page

router = APIRouter(include_in_schema=False)

NEW = "/portal/tickets/new"
PROMISES = "/portal/tickets/new/promises"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# The file input's name (several files may be chosen); its refusals are shown beside it.
FILES_FIELD = "files"
# A form without files bigger than this is not one of ours.
MAX_FORM_BYTES = 256 * 1024


def _nonce(values: Mapping[str, str] | None = None) -> str:
    """The form's own nonce, or a new one for a new form (or a post that lost its own)."""
    given = (values or {}).get("nonce", "")
    return given if _NONCE.match(given) else secrets.token_urlsafe(18)


@dataclass
class Posted:
    """What the form sent: its text fields, its files, and why it could not all be read."""

    values: dict[str, str]
    files: list[attachments.NewFile]
    refused: PledgeError | None = None


async def _posted(request: Request, settings: Settings) -> Posted:
    """The form as sent: multipart/form-data with its files (read as they arrive, refused at
    the first that passes the limit), or a plain url-encoded form without any."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return Posted({}, [], InvalidInput.for_field("body", "the form is too large"))
        return Posted(fields(body.decode("utf-8", errors="replace")), [])
    partial = Upload()
    try:
        upload = await read_upload(
            request,
            max_file_bytes=attachments.max_size(settings),
            file_field=FILES_FIELD,
            partial=partial,
        )
    except PledgeError as exc:
        # The fields before the file that was refused come back to the form.
        return Posted(dict(partial.fields), [], exc)
    files = [attachments.NewFile(f.filename, f.data) for f in upload.files]
    return Posted(upload.fields, files)


def _answers(form: raising.RaiseForm, values: Mapping[str, str]) -> raising.Answers:
    """The answers as the service takes them; a campaign date is read in the account's zone."""
    return raising.Answers(
        subject=values.get("subject", ""),
        description=values.get("description", ""),
        priority=values.get("priority") or None,
        type=values.get("type") or "incident",
        campaign_scheduled_at=local_instant(
            values.get("campaign_scheduled_at"), form.zone, "campaign_scheduled_at"
        ),
        details={d.key: values.get(d.key, "") for d in form.asked},
    )


def _panel(
    form: raising.RaiseForm,
    viewer: Principal,
    values: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """What the promise panel shows for these answers, sent now; or why it cannot say."""
    if form.refusal:
        return {"promise": None, "lines": [], "promise_error": "", "zone_words": ""}
    try:
        promise = raising.promise(form, viewer, _answers(form, values), now)
    except InvalidInput as exc:
        problem = (exc.errors or [None])[0]
        message = problem.message if problem is not None else exc.detail
        return {
            "promise": None,
            "lines": [],
            "promise_error": message[:1].upper() + message[1:],
            "zone_words": "",
        }
    lines = []
    if promise.deadlines is not None:
        dues = {name: d.due for name, d in promise.deadlines.deadlines.items()}
        lines = promise_lines(form.policy, promise.priority, dues, promise.zone, now)
    return {
        "promise": promise,
        "lines": lines,
        "promise_error": "",
        "zone_words": zone_words(now, promise.zone),
    }


# Said instead of what the service says to staff (Temporal, workers): the form keeps its nonce,
# so sending it again reaches the same ticket if this one went through after all.
NOT_NOW = (
    "We could not send your request just now. Please try again in a minute: sending this form "
    "again will not open a second request."
)


def _refused(values: Mapping[str, str], exc: PledgeError) -> FormState:
    """The form with the refusal beside each field, a missing answer asked for in words."""
    if isinstance(exc, ServiceUnavailable):
        return FormState(values=dict(values), message=NOT_NOW, refused=True)
    state = refused(values, exc)
    for name, message in state.errors.items():
        if message == "Is required":
            state.errors[name] = "Please fill this in."
    for problem in exc.errors or []:
        if problem.field == raising.FILES:
            # It starts with a file's name, which keeps its own spelling.
            state.errors[FILES_FIELD] = problem.message.rstrip(".") + "."
    return state


def _defaults(form: raising.RaiseForm) -> dict[str, str]:
    return {"priority": form.default_priority, "type": "incident"}


async def _form_page(
    request: Request,
    session: AsyncSession,
    viewer: Principal,
    form: raising.RaiseForm,
    state: FormState,
    nonce: str,
    status_code: int,
    settings: Settings,
) -> HTMLResponse:
    values = {**_defaults(form), **state.values} if state.refused else _defaults(form)
    now = datetime.now(UTC)
    return await portal_page(
        request,
        session,
        viewer,
        "portal/raise.html",
        status_code=status_code,
        form=form,
        state=state,
        values=values,
        nonce=nonce,
        action=NEW,
        promises_url=PROMISES,
        local_zone=zone_words(now, form.zone),
        upload_hint=upload_hint(attachments.max_size(settings)),
        **_panel(form, viewer, values, now),
    )


@router.get(NEW, response_class=HTMLResponse)
async def new_ticket(
    request: Request, viewer: PortalViewer, session: Session, settings: AppSettings
) -> Response:
    form = await raising.form_for(session, viewer)
    return await _form_page(request, session, viewer, form, FormState(), _nonce(), 200, settings)


@router.post(NEW, response_class=HTMLResponse)
async def raise_ticket(
    request: Request,
    viewer: PortalViewer,
    session: Session,
    client: Temporal,
    settings: AppSettings,
) -> Response:
    # Read before the database is asked anything: a slow upload must not hold SQLite's write
    # lock (the viewer's transaction is already over).
    posted = await _posted(request, settings)
    form = await raising.form_for(session, viewer)
    values = posted.values
    nonce = _nonce(values)
    # A radio button left unchosen, or a file field, posts nothing; their refusals still
    # belong beside them.
    values.setdefault("priority", "")
    values.setdefault(FILES_FIELD, "")
    if posted.refused is not None:
        state = _refused(values, posted.refused)
        status = posted.refused.status_code
        return await _form_page(request, session, viewer, form, state, nonce, status, settings)
    if values.get("action") == "check":
        try:
            raising.promise(form, viewer, _answers(form, values), datetime.now(UTC))
        except InvalidInput as exc:
            state = _refused(values, exc)
            return await _form_page(request, session, viewer, form, state, nonce, 422, settings)
        state = FormState(values=values, refused=True)
        return await _form_page(request, session, viewer, form, state, nonce, 200, settings)
    try:
        answers = _answers(form, values)
        raised = await raising.raise_ticket(
            session, client, settings, viewer, answers, nonce, posted.files
        )
    except PledgeError as exc:
        # Nothing of a refused form is kept (a telephone number it gave included); the form
        # is read again, as the rollback expired what it held.
        await session.rollback()
        form = await raising.form_for(session, viewer)
        state = _refused(values, exc)
        # A conflict: this form's nonce already opened a ticket, with other answers (the back
        # button, then a change). Said so, and the form may be sent again as a new one.
        again = _nonce() if isinstance(exc, Conflict) else nonce
        status = exc.status_code
        return await _form_page(request, session, viewer, form, state, again, status, settings)
    where = f"/portal/tickets/{raised.ticket.reference}/raised"
    if raised.already_sent:
        where += "?again=1"
    elif raised.files_refused:
        where += "?files=not-attached"
    return RedirectResponse(where, status_code=303)


@router.post(PROMISES, response_class=HTMLResponse)
async def promises(
    request: Request, viewer: PortalViewer, session: Session, settings: AppSettings
) -> Response:
    """The promise panel alone, for htmx as the priority or campaign date changes."""
    posted = await _posted(request, settings)
    form = await raising.form_for(session, viewer)
    context = _panel(form, viewer, {**_defaults(form), **posted.values}, datetime.now(UTC))
    return page("portal/_promises.html", form=form, **context)


@router.get("/portal/tickets/{reference}/raised", response_class=HTMLResponse)
async def raised(
    reference: str, request: Request, viewer: PortalViewer, session: Session
) -> Response:
    """What the customer sees once the ticket is open: its reference and its promises."""
    try:
        ticket = await tickets.get_ticket(session, viewer, reference)
    except NotFound:
        return await portal_not_found(request, session, viewer)
    policy = sla.get_policy(ticket.policy)
    zone = ticket_zone(ticket.policy, ticket.calendar)
    now = datetime.now(UTC)
    dues = {name: clock.due for name, clock in ticket.clocks.items()}
    incident = ticket.type.value == "incident"
    contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    files = await attachments.list_attachments(session, viewer, reference)
    return await portal_page(
        request,
        session,
        viewer,
        "portal/raised.html",
        ticket=ticket,
        incident=incident,
        priority=priority_label(ticket.policy, ticket.priority),
        lines=promise_lines(policy, ticket.priority, dues, zone, now) if incident else [],
        zone_words=zone_words(now, zone),
        routed=routed_words(TicketType(ticket.type.value).route_to),
        mailed_to=contact,
        files=[(f.filename, label_of(f.content_type), size_words(f.size)) for f in files],
        files_refused=request.query_params.get("files") == "not-attached",
        already_sent=request.query_params.get("again") == "1",
    )
