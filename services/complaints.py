"""Complaints: what a complaints handler can do, once, for the JSON routes and the console.

Each function takes what the person typed (the API's request models), the principal, and the
parts it needs (database session, Temporal client, settings); it answers as the API does and
refuses with the API's domain errors, so a page shows the very reason the API would give.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowHandle

from api.auth import Principal
from api.errors import InvalidInput, NotFound
from api.received import check_received_at
from api.references import fingerprint
from api.schemas import (
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
    HandlerIn,
    LetterOut,
    Person,
)
from api.temporal_calls import call, open_workflow
from db import complaint_reads
from db.complaint_reads import BoardFilter
from db.models import Account, Complaint, Letter, Role
from services import terms
from services.roles import allow
from settings import Settings
from sla.errors import SlaLookupError
from sla.regimes import UnknownRegime, jurisdiction_calendar, regime_keys
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

__all__ = [
    "BoardFilter",
    "acknowledge",
    "assign",
    "board",
    "close",
    "detail",
    "extend",
    "letter",
    "log",
    "reopen",
    "reply",
]

# Complaints are confidential to the complaints department (and admins).
ALLOWED = (Role.ADMIN, Role.COMPLAINTS_HANDLER)


def workflow_id(reference: str) -> str:
    return f"complaint-{reference}"


def check_role(principal: Principal) -> None:
    """The JSON routes check this first, with the same words; the pages rely on it here."""
    allow(principal, *ALLOWED)


def signer(principal: Principal) -> Signer | None:
    """The person behind the key, as the letters they send are signed; None if it names no
    one (the team signs, never the key's name)."""
    if not principal.full_name:
        return None
    return Signer(name=principal.full_name, title=principal.job_title)


def letter_url(reference: str, letter_id: str) -> str:
    return f"/complaints/{reference}/letters/{letter_id.rpartition(':')[2]}"


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


def _clock_out(
    regime: str,
    jurisdiction: str,
    clock: str,
    due: datetime,
    state: str | None,
    met_at: datetime | None,
) -> ComplaintClockOut:
    return ComplaintClockOut(
        due=due,
        state=state,  # type: ignore[arg-type]
        met_at=met_at,
        remaining=_left(regime, jurisdiction, clock, state, due),
    )


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
        regime_version=view.regime_version,
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
            name: _clock_out(view.regime, view.jurisdiction, name, c.due, c.state.value, c.met_at)
            for name, c in view.clocks.items()
        },
        extensions=[ExtensionOut(**e.model_dump()) for e in view.extensions],
        letters=[
            LetterOut(
                id=letter.id,
                kind=letter.kind,
                sent_at=letter.sent_at,
                url=letter_url(view.reference, letter.id),
                delivery=letter.delivery,  # type: ignore[arg-type]
            )
            for letter in view.letters
        ],
    )


# -- logging a complaint -----------------------------------------------------------------------


async def log(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    body: ComplaintCreate,
    idempotency_key: str | None = None,
) -> ComplaintOut:
    """Log a complaint; its acknowledgement and reply deadlines count from `received_at`."""
    check_role(principal)
    if body.account_id is not None and await session.get(Account, body.account_id) is None:
        raise InvalidInput.for_field("body.account_id", f"no account with id {body.account_id}")
    received_at = check_received_at(body.received_at, datetime.now(UTC))
    try:
        regime_now = await terms.current(session, "regime", body.regime)
    except UnknownRegime:
        known = ", ".join(regime_keys())
        raise InvalidInput.for_field(
            "body.regime", f"no regime {body.regime!r} (known: {known})"
        ) from None
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
                regime_version=regime_now.version,
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


# -- reading -----------------------------------------------------------------------------------


async def _load(session: AsyncSession, reference: str) -> Complaint:
    complaint = await complaint_reads.by_reference(session, reference)
    if complaint is None:
        raise NotFound(f"No complaint with reference {reference}")
    return complaint


async def board(
    session: AsyncSession,
    principal: Principal,
    where: BoardFilter,
    limit: int = 50,
    offset: int = 0,
) -> ComplaintBoard:
    """The handler's board: complaints by their next deadline, soonest first."""
    check_role(principal)
    if where.due_before is not None and where.due_before.tzinfo is None:
        raise InvalidInput.for_field(
            "query.due_before", "needs a UTC offset, e.g. 2026-12-01T00:00:00Z"
        )
    rows, total = await complaint_reads.board(session, where, limit, offset)
    return ComplaintBoard(
        complaints=[ComplaintSummary.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


async def detail(session: AsyncSession, principal: Principal, reference: str) -> ComplaintDetail:
    """A complaint with its clocks, extensions, letters and full history."""
    check_role(principal)
    complaint = await _load(session, reference)
    events = await complaint_reads.events_of(session, complaint.id)
    letters = await complaint_reads.letters_of(session, complaint.id)
    regime, jurisdiction = complaint.regime, complaint.jurisdiction
    clocks = {}
    if complaint.acknowledgement_due is not None:
        clocks["acknowledgement"] = _clock_out(
            regime, jurisdiction, "acknowledgement", complaint.acknowledgement_due,
            complaint.acknowledgement_state, complaint.acknowledged_at,
        )  # fmt: skip
    clocks["reply"] = _clock_out(
        regime, jurisdiction, "reply", complaint.reply_due, complaint.reply_state,
        complaint.replied_at,
    )  # fmt: skip
    return ComplaintDetail(
        reference=complaint.reference,
        status=complaint.status,  # type: ignore[arg-type]
        regime=complaint.regime,
        regime_version=complaint.regime_version,
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
                url=letter_url(complaint.reference, letter.id),
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


async def letter(
    session: AsyncSession, principal: Principal, reference: str, number: int
) -> Letter:
    """A letter as the complainant received it (its PDF is `content`)."""
    check_role(principal)
    complaint = await _load(session, reference)
    found = await complaint_reads.letter(session, complaint.id, f"{reference}:{number}")
    if found is None:
        raise NotFound(f"Complaint {reference} has no letter {number}")
    return found


# -- working a complaint -----------------------------------------------------------------------


async def _update(
    session: AsyncSession,
    client: Client,
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


async def _act(
    update: Any,
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    note: str,
) -> ComplaintOut:
    check_role(principal)
    complaint = await _load(session, reference)
    act = Act(actor=principal.name, note=note, signer=signer(principal))
    return await _update(session, client, complaint, lambda h: h.execute_update(update, act))


async def acknowledge(
    session: AsyncSession, client: Client, principal: Principal, reference: str, note: str = ""
) -> ComplaintOut:
    """Send the acknowledgement letter; the housing regimes count the response from it."""
    return await _act(ComplaintWorkflow.acknowledge, session, client, principal, reference, note)


async def close(
    session: AsyncSession, client: Client, principal: Principal, reference: str, note: str = ""
) -> ComplaintOut:
    """Close a complaint that has had its full reply."""
    return await _act(ComplaintWorkflow.close, session, client, principal, reference, note)


async def reopen(
    session: AsyncSession, client: Client, principal: Principal, reference: str, note: str = ""
) -> ComplaintOut:
    """Reopen a closed complaint: a new full reply is owed, counted from now."""
    return await _act(ComplaintWorkflow.reopen, session, client, principal, reference, note)


def reply_due_for(jurisdiction: str, last_day: Any) -> datetime:
    """The date named is the last day: the reply falls due at the midnight after it."""
    zone = ZoneInfo(jurisdiction_calendar(jurisdiction).timezone)
    return datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)


async def extend(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: ExtendRequest,
) -> ComplaintOut:
    """A holding response: the reason and a later reply date, sent as a letter."""
    check_role(principal)
    complaint = await _load(session, reference)
    request = Extend(
        actor=principal.name,
        reason=body.reason,
        new_due=reply_due_for(complaint.jurisdiction, body.new_reply_by),
        signer=signer(principal),
    )
    return await _update(
        session,
        client,
        complaint,
        lambda h: h.execute_update(ComplaintWorkflow.extend, request),
        invalid_field="body.new_reply_by",
    )


async def reply(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: ComplaintReply,
) -> ComplaintOut:
    """The full reply, sent as a letter; it also acknowledges the complaint if nothing has."""
    check_role(principal)
    complaint = await _load(session, reference)
    request = Reply(actor=principal.name, body=body.body, signer=signer(principal))
    return await _update(
        session, client, complaint, lambda h: h.execute_update(ComplaintWorkflow.reply, request)
    )


async def assign(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    reference: str,
    body: HandlerIn,
) -> ComplaintOut:
    """Give the complaint to a handler; reminders go to them."""
    check_role(principal)
    complaint = await _load(session, reference)
    request = AssignHandler(
        actor=principal.name, name=body.name, email=body.email, job_title=body.job_title
    )
    return await _update(
        session, client, complaint, lambda h: h.execute_update(ComplaintWorkflow.assign, request)
    )
