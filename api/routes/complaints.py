"""Complaints: statutory clocks, letters and the handler's board. Complaints handlers only."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, Response, status
from sqlalchemy import select
from temporalio.client import WorkflowHandle

from api.auth import ComplaintsHandler, Principal
from api.auth_failures import record_failure, refuse_if_throttled
from api.calendar_feed import complaint_deadlines_ics
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
    responses,
)
from api.keys import hash_secret
from api.received import check_received_at
from api.references import fingerprint
from api.schemas import (
    ActionNote,
    ComplainantOut,
    ComplaintBoard,
    ComplaintClockOut,
    ComplaintCreate,
    ComplaintDetail,
    ComplaintOut,
    ComplaintReply,
    ComplaintSummary,
    EventOut,
    ExtendRequest,
    ExtensionOut,
    FeedUrl,
    HandlerIn,
    LetterOut,
    Person,
)
from api.temporal_calls import call, open_workflow
from db import complaint_reads
from db.models import Account, ApiKey, Complaint, Role
from sla.complaint import ComplaintStatus
from sla.errors import SlaLookupError
from sla.regimes import jurisdiction_calendar
from sla.snapshot import RegimeSnapshot
from sla.time_left import complaint_clock_left
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import (
    Act,
    AssignHandler,
    ComplaintOpening,
    ComplaintStart,
    ComplaintView,
    Extend,
    Opened,
    Reply,
    Signer,
)

router = APIRouter(tags=["complaints"])

ACTIONS = responses(403, 404, 409, 503)


def workflow_id(reference: str) -> str:
    return f"complaint-{reference}"


def signer(principal: Principal) -> Signer | None:
    """The person behind the key, as the letters they send are signed; None if it names no
    one (the team signs, never the key's name)."""
    if not principal.full_name:
        return None
    return Signer(name=principal.full_name, title=principal.job_title)


def _letter_url(reference: str, letter_id: str) -> str:
    return f"/complaints/{reference}/letters/{letter_id.rpartition(':')[2]}"


def _out(view: ComplaintView, facts: Complaint | ComplaintCreate) -> ComplaintOut:
    """A complaint as the API answers it: the workflow's view, and what it was logged with."""
    if isinstance(facts, Complaint):
        complainant = ComplainantOut(
            name=facts.complainant_name,
            email=facts.complainant_email,
            postal_address=facts.complainant_address,
        )
    else:
        complainant = ComplainantOut(**facts.complainant.model_dump())
    return ComplaintOut(
        reference=view.reference,
        status=view.status.value,  # type: ignore[arg-type]
        regime=view.regime,
        jurisdiction=view.jurisdiction,
        account_id=facts.account_id,
        complainant=complainant,
        summary=facts.summary,
        channel=facts.channel,
        handler=Person(
            name=view.handler_name, email=view.handler_email, job_title=view.handler_title
        )
        if view.handler_name
        else None,
        received_at=view.received_at,
        acknowledgement_due=view.acknowledgement_due,
        reply_due=view.reply_due,
        original_reply_due=view.original_reply_due,
        next_due=view.next_due,
        overdue=view.overdue,
        clocks={
            name: ComplaintClockOut(
                due=c.due,
                state=c.state.value,  # type: ignore[arg-type]
                met_at=c.met_at,
                remaining=_left(view.regime, view.jurisdiction, name, c.state.value, c.due),
            )
            for name, c in view.clocks.items()
        },
        extensions=[ExtensionOut(**e.model_dump()) for e in view.extensions],
        letters=[
            LetterOut(
                id=letter.id,
                kind=letter.kind,
                sent_at=letter.sent_at,
                url=_letter_url(view.reference, letter.id),
                delivery=letter.delivery,  # type: ignore[arg-type]
            )
            for letter in view.letters
        ],
    )


# -- logging a complaint -----------------------------------------------------------------------


@router.post(
    "/complaints",
    response_model=ComplaintOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def log_complaint(
    body: ComplaintCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: ComplaintsHandler,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Retrying with the same key returns the same complaint",
        ),
    ] = None,
) -> ComplaintOut:
    """Log a complaint; its acknowledgement and reply deadlines count from `received_at`."""
    if body.account_id is not None and await session.get(Account, body.account_id) is None:
        raise InvalidInput.for_field("body.account_id", f"no account with id {body.account_id}")
    received_at = check_received_at(body.received_at, datetime.now(UTC))
    digest = fingerprint(body.model_dump(mode="json") | {"by": principal.key_id})
    # Logged without a handler, the complaint is the logger's if their key names a person;
    # otherwise it has none yet (a key's name is no person to sign letters or be reminded).
    handler = body.handler or (
        HandlerIn(name=principal.full_name, job_title=principal.job_title)
        if principal.full_name
        else None
    )

    def opening(reference: str) -> ComplaintStart:
        return ComplaintStart(
            opening=ComplaintOpening(
                reference=reference,
                account_id=body.account_id,
                complainant_name=body.complainant.name,
                complainant_email=body.complainant.email,
                complainant_address=body.complainant.postal_address,
                summary=body.summary,
                channel=body.channel,
                jurisdiction=body.jurisdiction,
                regime=body.regime,
                received_at=received_at,
                opened_by=principal.name,
                handler_name=handler.name if handler else None,
                handler_email=handler.email if handler else None,
                handler_title=handler.job_title if handler else None,
                fingerprint=digest,
                terms=RegimeSnapshot.of(body.regime, body.jurisdiction),
            )
        )

    view: ComplaintView = await open_workflow(
        client,
        session,
        noun="complaint",
        prefix="C",
        task_queue=settings.temporal_task_queue,
        key_prefix=principal.key_prefix,
        idempotency_key=idempotency_key,
        run=ComplaintWorkflow.run,
        start=opening,
        opened=ComplaintWorkflow.opened,
        opened_request=Opened(fingerprint=digest),
    )
    return _out(view, body)


# -- the calendar feed (before /complaints/{reference}, which would swallow "feed") -------------


@router.post("/complaints/feed", response_model=FeedUrl, responses=responses(403))
async def mint_feed_url(
    session: Session,
    settings: AppSettings,
    principal: ComplaintsHandler,
    handler: Annotated[
        str | None, Query(max_length=200, description="Only this handler's complaints")
    ] = None,
) -> FeedUrl:
    """A new address for your calendar feed of open complaint deadlines, to subscribe to.

    Calendar apps cannot send an API key, so the address carries a token of its own. Only its
    hash is kept, so it is shown this once: minting again replaces it (the old address stops
    working), and it stops working when your key is revoked.
    """
    key = await session.get(ApiKey, principal.key_id)
    assert key is not None
    token = secrets.token_urlsafe(32)
    key.feed_token_hash = hash_secret(token)
    url = f"{settings.effective_public_url}/complaints/feed/{token}.ics"
    if handler is not None:
        url += "?" + urlencode({"handler": handler})
    return FeedUrl(url=url)


@router.get(
    "/complaints/feed/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **responses(403, 429)},
)
async def feed(
    token: str,
    request: Request,
    session: Session,
    settings: AppSettings,
    handler: Annotated[
        str | None, Query(max_length=200, description="Only this handler's complaints")
    ] = None,
) -> Response:
    """Open complaint deadlines as an iCalendar feed (the address comes from POST
    /complaints/feed)."""
    refuse_if_throttled(request)
    found = await session.scalar(select(ApiKey).where(ApiKey.feed_token_hash == hash_secret(token)))
    if found is None or found.revoked_at is not None:
        record_failure(request)
        raise Unauthorized("The calendar feed address is not recognised, or its key was revoked")
    if found.role not in (Role.ADMIN, Role.COMPLAINTS_HANDLER):
        raise Forbidden(
            f"Complaints are for complaints handlers and admins; the feed's key has the role "
            f"{Role(found.role).value}"
        )
    rows = await complaint_reads.open_deadlines(session, handler)
    return Response(
        complaint_deadlines_ics(rows, settings.effective_public_url, settings.organisation_name),
        media_type="text/calendar; charset=utf-8",
        headers=content_disposition("pledge-complaints.ics", "inline"),
    )


# -- reading -----------------------------------------------------------------------------------


async def _load(session: Session, reference: str) -> Complaint:
    complaint = await complaint_reads.by_reference(session, reference)
    if complaint is None:
        raise NotFound(f"No complaint with reference {reference}")
    return complaint


@router.get("/complaints", response_model=ComplaintBoard, responses=responses(403))
async def board(
    session: Session,
    _: ComplaintsHandler,
    status: ComplaintStatus | None = None,
    handler: str | None = None,
    due_before: Annotated[
        datetime | None, Query(description="A deadline before this instant")
    ] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ComplaintBoard:
    """The handler's board: complaints by their next deadline, soonest first."""
    if due_before is not None and due_before.tzinfo is None:
        raise InvalidInput.for_field(
            "query.due_before", "needs a UTC offset, e.g. 2026-12-01T00:00:00Z"
        )
    where = complaint_reads.BoardFilter(
        status=status.value if status else None,
        handler=handler,
        due_before=due_before,
        overdue=overdue,
    )
    rows, total = await complaint_reads.board(session, where, limit, offset)
    return ComplaintBoard(
        complaints=[ComplaintSummary.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def _left(
    regime: str, jurisdiction: str, clock: str, state: str | None, due: datetime
) -> str | None:
    """The time left on a running clock, in working days where the regime counts them."""
    if state != "running":
        return None
    try:
        return complaint_clock_left(regime, jurisdiction, clock, datetime.now(UTC), due)
    except (SlaLookupError, ValueError):  # a retired regime, an uncountable year: see `due`
        return None


@router.get(
    "/complaints/{reference}", response_model=ComplaintDetail, responses=responses(403, 404)
)
async def get_complaint(reference: str, session: Session, _: ComplaintsHandler) -> ComplaintDetail:
    """A complaint with its clocks, extensions, letters and full history."""
    complaint = await _load(session, reference)
    events = await complaint_reads.events_of(session, complaint.id)
    letters = await complaint_reads.letters_of(session, complaint.id)
    clocks = {
        "reply": ComplaintClockOut(
            due=complaint.reply_due,
            state=complaint.reply_state,  # type: ignore[arg-type]
            met_at=complaint.replied_at,
            remaining=_left(
                complaint.regime,
                complaint.jurisdiction,
                "reply",
                complaint.reply_state,
                complaint.reply_due,
            ),
        )
    }
    if complaint.acknowledgement_due is not None:
        clocks = {
            "acknowledgement": ComplaintClockOut(
                due=complaint.acknowledgement_due,
                state=complaint.acknowledgement_state,  # type: ignore[arg-type]
                met_at=complaint.acknowledged_at,
                remaining=_left(
                    complaint.regime,
                    complaint.jurisdiction,
                    "acknowledgement",
                    complaint.acknowledgement_state,
                    complaint.acknowledgement_due,
                ),
            ),
            **clocks,
        }
    return ComplaintDetail(
        reference=complaint.reference,
        status=complaint.status,  # type: ignore[arg-type]
        regime=complaint.regime,
        jurisdiction=complaint.jurisdiction,
        account_id=complaint.account_id,
        complainant=ComplainantOut(
            name=complaint.complainant_name,
            email=complaint.complainant_email,
            postal_address=complaint.complainant_address,
        ),
        summary=complaint.summary,
        channel=complaint.channel,
        handler=Person(
            name=complaint.handler_name,
            email=complaint.handler_email,
            job_title=complaint.handler_title,
        )
        if complaint.handler_name
        else None,
        received_at=complaint.received_at,
        acknowledgement_due=complaint.acknowledgement_due,
        reply_due=complaint.reply_due,
        original_reply_due=complaint.original_reply_due,
        next_due=complaint.next_due,
        overdue=complaint.overdue,
        clocks=clocks,
        extensions=_extensions(events),
        letters=[
            LetterOut(
                id=letter.id,
                kind=letter.kind,
                sent_at=letter.created_at,
                url=_letter_url(complaint.reference, letter.id),
                # Letters kept before 0013 all went by e-mail.
                delivery=letter.delivery or "email",  # type: ignore[arg-type]
            )
            for letter in letters
        ],
        acknowledged_at=complaint.acknowledged_at,
        replied_at=complaint.replied_at,
        closed_at=complaint.closed_at,
        events=[EventOut.model_validate(event) for event in events],
    )


def _extensions(events: list[Any]) -> list[ExtensionOut]:
    """Every extension granted, oldest first: a reopened complaint keeps them (its reply is
    not due before the latest date given). Complaints reopened before that was so dropped
    theirs, and list only those since."""
    found: list[ExtensionOut] = []
    for event in events:
        if event.kind == "reopened" and not event.data.get("kept_extensions"):
            found = []
        elif event.kind == "extended":
            previous = datetime.fromisoformat(event.data["previous_due"])
            found.append(
                ExtensionOut(
                    at=event.at,
                    reason=event.data["reason"],
                    previous_due=previous,
                    new_due=datetime.fromisoformat(event.data["new_due"]),
                    in_time=event.at <= previous,
                )
            )
    return found


@router.get(
    "/complaints/{reference}/letters/{number}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(403, 404)},
)
async def download_letter(
    reference: str, number: int, session: Session, _: ComplaintsHandler
) -> Response:
    """A letter as the complainant received it (PDF)."""
    complaint = await _load(session, reference)
    letter = await complaint_reads.letter(session, complaint.id, f"{reference}:{number}")
    if letter is None:
        raise NotFound(f"Complaint {reference} has no letter {number}")
    return Response(
        letter.content,
        media_type="application/pdf",
        headers=content_disposition(letter.filename),
    )


# -- working a complaint -----------------------------------------------------------------------


async def _update(
    session: Session,
    client: Temporal,
    complaint: Complaint,
    send: Callable[[WorkflowHandle[Any, Any]], Awaitable[ComplaintView]],
    invalid_field: str = "body",
) -> ComplaintOut:
    handle = client.get_workflow_handle(workflow_id(complaint.reference))
    view = await call(
        send(handle),
        finished=f"Complaint {complaint.reference} is closed; nothing more can change",
        session=session,
        invalid_field=invalid_field,
    )
    return _out(view, complaint)


def _action(name: str, summary: str, update: Any) -> None:
    """Register POST /complaints/{reference}/<name>, an action carrying an optional note."""

    async def endpoint(
        reference: str,
        session: Session,
        client: Temporal,
        principal: ComplaintsHandler,
        body: ActionNote | None = None,
    ) -> ComplaintOut:
        complaint = await _load(session, reference)
        act = Act(actor=principal.name, note=body.note if body else "", signer=signer(principal))
        return await _update(session, client, complaint, lambda h: h.execute_update(update, act))

    endpoint.__doc__ = summary
    endpoint.__name__ = f"complaint_{name}"
    router.post(
        f"/complaints/{{reference}}/{name}", response_model=ComplaintOut, responses=ACTIONS
    )(endpoint)


_action(
    "acknowledge",
    "Send the acknowledgement letter (PDF, by e-mail); the housing regimes count the response "
    "from it.",
    ComplaintWorkflow.acknowledge,
)
_action("close", "Close a complaint that has had its full reply.", ComplaintWorkflow.close)
_action(
    "reopen",
    "Reopen a closed complaint: a new full reply is owed, counted from now.",
    ComplaintWorkflow.reopen,
)


@router.post("/complaints/{reference}/extend", response_model=ComplaintOut, responses=ACTIONS)
async def extend(
    reference: str,
    body: ExtendRequest,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
) -> ComplaintOut:
    """A holding response: the reason and a later reply date, sent as a letter."""
    complaint = await _load(session, reference)
    zone = ZoneInfo(jurisdiction_calendar(complaint.jurisdiction).timezone)
    # The date named is the last day: the reply falls due at the midnight after it.
    new_due = datetime.combine(body.new_reply_by + timedelta(days=1), time(), zone).astimezone(UTC)
    request = Extend(
        actor=principal.name, reason=body.reason, new_due=new_due, signer=signer(principal)
    )
    return await _update(
        session,
        client,
        complaint,
        lambda h: h.execute_update(ComplaintWorkflow.extend, request),
        invalid_field="body.new_reply_by",
    )


@router.post("/complaints/{reference}/reply", response_model=ComplaintOut, responses=ACTIONS)
async def reply(
    reference: str,
    body: ComplaintReply,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
) -> ComplaintOut:
    """The full reply, sent as a letter; it also acknowledges the complaint if nothing has."""
    complaint = await _load(session, reference)
    request = Reply(actor=principal.name, body=body.body, signer=signer(principal))
    return await _update(
        session, client, complaint, lambda h: h.execute_update(ComplaintWorkflow.reply, request)
    )


@router.post("/complaints/{reference}/assign", response_model=ComplaintOut, responses=ACTIONS)
async def assign(
    reference: str,
    body: HandlerIn,
    session: Session,
    client: Temporal,
    principal: ComplaintsHandler,
) -> ComplaintOut:
    """Give the complaint to a handler; reminders go to them."""
    complaint = await _load(session, reference)
    request = AssignHandler(
        actor=principal.name, name=body.name, email=body.email, job_title=body.job_title
    )
    return await _update(
        session, client, complaint, lambda h: h.execute_update(ComplaintWorkflow.assign, request)
    )
