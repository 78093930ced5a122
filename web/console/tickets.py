"""GET /console/tickets/{reference}: a ticket as the team works it, and a form per action.

Every action posts a plain form here and calls the same service function as the JSON API, so
it is refused for the same reason in the same words: the page comes back with that reason
beside the form, what was typed still in it, and the API's status (409, 422, 403). Done, it
redirects (303) back to the ticket, where the history shows what happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

import sla
from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.downloads import attachment_response
from api.errors import NotFound, PledgeError
from api.schemas import (
    ActionNote,
    Assignment,
    CloseRequest,
    NoteCreate,
    PriorityChange,
    ResolveRequest,
    ResponseCreate,
    WaitRequest,
)
from api.ticket_history import PUBLIC_EVENTS
from api.uploads import read_upload
from db.models import Role
from reports.customer_words import priority_label, ticket_zone
from services import attachments, terms, tickets
from web.attachments import attachment_rows, upload_hint
from web.console.clocks import (
    clock_name,
    countdown_text,
    iso,
    target_words,
    utc_text,
    warn_instant,
    zone_text,
)
from web.console.history_words import history_words
from web.console.queue import STATUS_WORDS
from web.forms import posted
from web.pages import page
from web.viewer import staff_page
from workflows.ticket_messages import ATTACHMENT_EVENTS

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]

STATE_WORDS = {
    "running": "Running",
    "paused": "Paused while waiting on the customer",
    "met": "Met",
    "breached": "Breached",
}
DONE = {
    "reply": "Your reply was sent to the customer.",
    "note": "Your internal note was added.",
    "wait": "The ticket is waiting on the customer, who has been told what is needed.",
    "resume": "Work resumed.",
    "priority": "The priority was changed and the deadlines recomputed.",
    "escalate": "The ticket was escalated.",
    "assign": "The ticket was assigned.",
    "resolve": "The ticket was resolved.",
    "close": "The ticket was closed.",
    "reopen": "The ticket was reopened.",
    "link": "The ticket was linked to the release.",
    "attach": "The files were attached.",
}
# Public: the customer reads these (api.ticket_history); "regraded" carries the message the
# customer was asked, as their tracking page shows it. Everything else is the team's own.
PUBLIC = frozenset(PUBLIC_EVENTS) | {"regraded"}


@dataclass(frozen=True)
class ClockView:
    name: str
    target: str
    state: str
    tone: str
    remaining: str
    due_iso: str
    due_utc: str
    due_account: str
    warn_iso: str
    countdown: str
    met_at_iso: str
    met_at_utc: str


@dataclass(frozen=True)
class Satisfaction:
    """The contact's answer to "How did we do?", as the ticket's head shows it."""

    answer: str  # "Good", "Bad", or "" while unanswered
    comment: str
    by: str
    at_iso: str  # when answered, else when asked
    at_utc: str


def _satisfaction(detail: Any) -> Satisfaction | None:
    said = detail.satisfaction
    if said is None:
        return None
    at = said.rated_at or said.asked_at
    return Satisfaction(
        answer=(said.rating or "").capitalize(),
        comment=said.comment,
        by=said.rated_by or "",
        at_iso=iso(at),
        at_utc=utc_text(at),
    )


@dataclass(frozen=True)
class Entry:
    kind: str
    actor: str
    at_iso: str
    at_utc: str
    summary: Markup | str
    public: bool
    body: str  # the words of a reply, or the message the customer was sent
    note: str  # an internal note, the whole entry's or the action's
    link: str = ""  # an attached file's download


def _clocks(detail: Any, rows: list[Any], ticket: Any, zone: str, now: datetime) -> list[ClockView]:
    by_name = {row.name: row for row in rows}
    shown = []
    for name, clock in detail.clocks.items():
        row = by_name.get(name)
        due = clock.due
        warn = warn_instant(ticket, row) if row is not None and due is not None else None
        running = clock.state == "running" and due is not None
        tone = {"breached": "breached", "met": "met", "paused": "paused"}.get(clock.state, "ok")
        if running and due <= now:
            tone = "breached"
        elif running and warn is not None and warn <= now:
            tone = "warning"
        shown.append(
            ClockView(
                name=clock_name(name),
                target=target_words(clock.target),
                state=(
                    f"Waiting for {target_words(clock.target)} to ship"
                    if clock.state == "running" and due is None
                    else STATE_WORDS.get(clock.state, clock.state)
                ),
                tone=tone,
                remaining=clock.remaining or "",
                due_iso=iso(due) if due else "",
                due_utc=utc_text(due) if due else "",
                due_account=zone_text(due, zone) if due else "",
                warn_iso=iso(warn) if running and warn else "",
                countdown=countdown_text(due, now) if running else "",
                met_at_iso=iso(clock.met_at) if clock.met_at else "",
                met_at_utc=utc_text(clock.met_at) if clock.met_at else "",
            )
        )
    return shown


def _entries(detail: Any, policy: str) -> list[Entry]:
    shown = []
    for event in detail.events:
        data = event.data or {}
        if event.kind == "response":
            body = str(data.get("body", ""))
        elif event.kind in ("waiting", "regraded"):
            body = str(data.get("message", ""))
        else:
            body = ""
        shown.append(
            Entry(
                kind=event.kind,
                actor=event.actor,
                at_iso=iso(event.at),
                at_utc=utc_text(event.at),
                summary=history_words(event.kind, event.summary, data, policy),
                public=event.kind in PUBLIC,
                body=body,
                note=str(data.get("note", "")),
                link=(
                    f"/console/tickets/{detail.reference}/attachments/{data['attachment_id']}"
                    if event.kind in ATTACHMENT_EVENTS and data.get("attachment_id")
                    else ""
                ),
            )
        )
    return shown


async def _render(
    session: Session,
    viewer: Principal,
    reference: str,
    *,
    max_size: int,
    status_code: int = 200,
    failed: str = "",
    problem: str = "",
    field_errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    done: str = "",
) -> HTMLResponse:
    ticket, detail, context = await tickets.staff_view(session, viewer, reference)
    policy = await terms.of_case(session, "policy", ticket.policy, ticket.policy_version)
    zone = ticket_zone(ticket.policy, ticket.calendar)
    now = datetime.now(UTC)
    try:
        incident_reports = policy.entitlements(context.account.edition.value).incident_reporting
    except sla.SlaLookupError:
        incident_reports = False
    files = await attachments.list_attachments(session, viewer, reference)
    return page(
        "console/tickets/ticket.html",
        status_code=status_code,
        viewer=viewer,
        can_act=viewer.role in (Role.AGENT, Role.ADMIN),
        t=detail,
        account=context.account,
        contact=context.contact,
        agreeing=context.agreeing,
        releases=context.releases,
        policy=policy,
        calendar=policy.calendar(ticket.calendar) if ticket.calendar else None,
        calendar_key=detail.calendar,
        zone=zone,
        priority=priority_label(ticket.policy, ticket.priority),
        priorities={key: p.name for key, p in policy.priorities.items()},
        status=STATUS_WORDS.get(ticket.status, ticket.status),
        clocks=_clocks(detail, context.clocks, ticket, zone, now),
        entries=_entries(detail, ticket.policy),
        satisfaction=_satisfaction(detail),
        received_iso=iso(detail.received_at),
        received_utc=utc_text(detail.received_at),
        received_account=zone_text(detail.received_at, zone),
        incident_reports=incident_reports,
        close_needs_representative=policy.tickets.close_requires_representative,
        attachments=attachment_rows(
            files,
            href=lambda a: f"/console/tickets/{ticket.reference}/attachments/{a.id}",
            when=utc_text,
        ),
        upload_hint=upload_hint(max_size),
        failed=failed,
        problem=problem,
        field_errors=field_errors or {},
        typed=typed or {},
        flash=DONE.get(done, ""),
    )


@router.get("/console/tickets/{reference}", response_class=HTMLResponse)
async def ticket_page(
    reference: str, session: Session, viewer: Viewer, settings: AppSettings, done: str = ""
) -> HTMLResponse:
    return await _render(
        session, viewer, reference, max_size=attachments.max_size(settings), done=done
    )


# -- actions -----------------------------------------------------------------------------------


def _field(location: tuple[Any, ...]) -> str:
    return str(location[0]) if location else "form"


Act = Callable[[Session, Temporal, Principal, str, Any], Awaitable[Any]]


async def _act(
    name: str,
    request: Request,
    reference: str,
    session: Session,
    client: Temporal,
    viewer: Principal,
    build: Callable[[dict[str, str]], BaseModel],
    act: Act,
) -> Response:
    typed = await posted(request)
    max_size = attachments.max_size(request.app.state.settings)
    try:
        body = build(typed)
    except ValidationError as exc:
        errors = {_field(e["loc"]): str(e["msg"]) for e in exc.errors()}
        message = "; ".join(f"{field}: {text}" for field, text in errors.items())
        return await _render(
            session,
            viewer,
            reference,
            max_size=max_size,
            status_code=422,
            failed=name,
            problem=message,
            field_errors=errors,
            typed=typed,
        )
    try:
        await act(session, client, viewer, reference, body)
    except NotFound:
        raise
    except PledgeError as exc:
        fields = {p.field.rpartition(".")[2]: p.message for p in exc.errors or []}
        return await _render(
            session,
            viewer,
            reference,
            max_size=max_size,
            status_code=exc.status_code,
            failed=name,
            problem=exc.detail,
            field_errors=fields,
            typed=typed,
        )
    return RedirectResponse(f"/console/tickets/{reference}?done={name}#history", status_code=303)


def _text(form: dict[str, str], *names: str) -> dict[str, str]:
    return {name: form[name] for name in names if name in form}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _contact_id(form: dict[str, str]) -> dict[str, Any]:
    chosen = form.get("agreed_by_contact_id", "")
    return {"agreed_by_contact_id": chosen} if chosen else {}


ACTIONS: dict[str, tuple[Callable[[dict[str, str]], BaseModel], Act]] = {
    "reply": (lambda f: ResponseCreate(author="agent", **_text(f, "body")), tickets.reply),
    "note": (lambda f: NoteCreate(**_text(f, "body")), tickets.add_note),
    "wait": (lambda f: WaitRequest(**_text(f, "message", "note")), tickets.wait),
    "resume": (lambda f: ActionNote(**_text(f, "note")), tickets.resume),
    "priority": (lambda f: PriorityChange(**_text(f, "priority", "note")), tickets.change_priority),
    "escalate": (lambda f: ActionNote(**_text(f, "note")), tickets.escalate),
    "assign": (
        lambda f: Assignment(name=f.get("name", ""), email=f.get("email") or None),
        tickets.assign,
    ),
    "resolve": (
        lambda f: ResolveRequest(
            **_text(f, "note", "impact", "cause"), actions=_lines(f.get("actions", ""))
        ),
        tickets.resolve,
    ),
    "close": (lambda f: CloseRequest(**_contact_id(f), **_text(f, "note")), tickets.close),
    "reopen": (lambda f: ActionNote(**_text(f, "note")), tickets.reopen),
}


def _register(name: str) -> None:
    build, act = ACTIONS[name]

    async def endpoint(
        request: Request, reference: str, session: Session, client: Temporal, viewer: Viewer
    ) -> Response:
        return await _act(name, request, reference, session, client, viewer, build, act)

    endpoint.__name__ = f"console_ticket_{name}"
    router.post(f"/console/tickets/{{reference}}/{name}", response_class=HTMLResponse)(endpoint)


for _name in ACTIONS:
    _register(_name)


class _LinkForm(BaseModel):
    release_id: str


async def _link(
    session: Session, client: Temporal, viewer: Principal, reference: str, body: _LinkForm
) -> Any:
    return await tickets.link_release(
        session, client, viewer, reference, body.release_id, field_name="release_id"
    )


@router.post("/console/tickets/{reference}/link", response_class=HTMLResponse)
async def console_ticket_link(
    request: Request, reference: str, session: Session, client: Temporal, viewer: Viewer
) -> Response:
    return await _act(
        "link",
        request,
        reference,
        session,
        client,
        viewer,
        lambda f: _LinkForm(**_text(f, "release_id")),
        _link,
    )


# -- attachments -------------------------------------------------------------------------------


@router.post("/console/tickets/{reference}/attachments", response_class=HTMLResponse)
async def console_ticket_attach(
    request: Request,
    reference: str,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: Viewer,
) -> Response:
    """The upload form (multipart/form-data): the same service and refusals as POST
    /tickets/{reference}/attachments, the reason shown beside the file field."""
    max_size = attachments.max_size(settings)
    try:
        await attachments.may_attach(session, viewer, reference)
        # A slow upload must not hold SQLite's write lock (see the JSON route).
        await session.commit()
        upload = await read_upload(request, max_file_bytes=max_size)
        await attachments.add_attachments(
            session,
            client,
            settings,
            viewer,
            reference,
            [attachments.NewFile(f.filename, f.data) for f in upload.files],
            public=upload.fields.get("public") == "on",
            field="file",
        )
    except NotFound:
        raise
    except PledgeError as exc:
        fields = {p.field.rpartition(".")[2]: p.message for p in exc.errors or []}
        return await _render(
            session,
            viewer,
            reference,
            max_size=max_size,
            status_code=exc.status_code,
            failed="attach",
            problem=exc.detail,
            field_errors=fields,
        )
    return RedirectResponse(
        f"/console/tickets/{reference}?done=attach#attachments", status_code=303
    )


@router.get("/console/tickets/{reference}/attachments/{attachment_id}")
async def console_ticket_attachment(
    reference: str, attachment_id: str, session: Session, viewer: Viewer
) -> Response:
    """A file of the ticket, downloaded as the JSON route serves it."""
    found = await attachments.fetch_attachment(session, viewer, reference, attachment_id)
    return attachment_response(found.filename, found.content_type, found.content)
