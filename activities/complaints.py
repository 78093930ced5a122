"""Side effects of complaint workflows: the read model, letters as PDFs, and e-mail."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from temporalio import activity

from activities.deps import ActivityDeps
from activities.failures import refused_data_is_final
from activities.history import EventRow
from db.idempotent import insert_once
from db.models import Complaint, ComplaintEvent, Letter, Notification
from db.projection import insert_missing, insert_missing_statement, save_versioned
from db.types import utcnow
from reports.dates import long_date
from sla.regimes import UnknownRegime, get_regime

# Every jurisdiction Pledge knows is a UK one: letters give dates in UK time.
LETTER_ZONE = "Europe/London"
LETTER_KINDS = {
    "acknowledgement": ("letters/acknowledgement.html", "acknowledgement"),
    "holding_response": ("letters/holding_response.html", "holding-response"),
    "reply": ("letters/reply.html", "reply"),
}


class ComplaintRecord(BaseModel):
    """Everything the complaints table holds for one complaint, plus its new events."""

    reference: str
    account_id: int | None
    complainant_name: str
    complainant_email: str | None
    complainant_address: str | None
    summary: str
    channel: str
    jurisdiction: str
    regime: str
    # None from a run logged before versions were recorded: the row keeps what it has.
    regime_version: int | None = None
    status: str
    handler_name: str | None
    handler_email: str | None
    handler_title: str | None = None
    received_at: datetime
    opened_at: datetime
    opened_by: str
    acknowledged_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    acknowledgement_due: datetime | None
    reply_due: datetime
    original_reply_due: datetime
    acknowledgement_state: str | None
    reply_state: str
    extensions: int
    reply_kept: bool | None
    next_due: datetime | None
    overdue: bool
    version: int
    updated_at: datetime
    events: list[EventRow] = []


class LetterRequest(BaseModel):
    """One letter to render and keep: what it says and to whom."""

    letter_id: str
    reference: str
    kind: Literal["acknowledgement", "holding_response", "reply"]
    complainant_name: str
    complainant_address: str | None
    summary: str
    regime: str
    received_at: datetime
    sent_at: datetime
    reply_due: datetime
    previous_due: datetime | None = None
    # A holding response that does not move the deadline (FCA) names the date expected.
    expected_due: datetime | None = None
    reason: str = ""
    body: str = ""
    # The person who signs (the handler, or whoever sent it) and their job title; None: no
    # person is known and the team signs. Runs from before 0013 may name a key here.
    signatory: str | None = None
    signatory_title: str | None = None
    reply_days: int | None = None


class LetterDelivery(BaseModel):
    letter_id: str
    reference: str
    event_id: str


class ComplaintNotice(BaseModel):
    """Tell the handler (or the complaints manager) about a deadline, or that the complainant
    wrote again (`correspondence`: `text` is what they wrote, `due` when it was read)."""

    event_id: str
    reference: str
    kind: Literal["reminder", "breach", "correspondence"]
    clock: str
    due: datetime
    handler_email: str | None
    text: str | None = None


def _cover_signature(complaint: Complaint, team: str) -> str:
    """The handler signs the mail that carries their letter, as they sign the letter itself;
    the team where the complaint has no handler."""
    if not complaint.handler_name:
        return team
    return "\n".join(filter(None, [complaint.handler_name, complaint.handler_title]))


def _regime_name(key: str) -> str:
    """The regime as people call it ("Standard complaints procedure"), not its key; the key
    when the regimes in use no longer know it."""
    try:
        return get_regime(key).name
    except UnknownRegime:
        return key


def last_day(due: datetime) -> date:
    """The day a whole-day deadline ends on, as a letter names it ('by Tuesday 29 December')."""
    return (due - timedelta(microseconds=1)).astimezone(ZoneInfo(LETTER_ZONE)).date()


def _summary_line(summary: str) -> str:
    line = summary.strip().splitlines()[0] if summary.strip() else "your complaint"
    return line if len(line) <= 120 else line[:117].rstrip() + "..."


class ComplaintActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_complaint(self, record: ComplaintRecord) -> int:
        """Bring the complaint's row to this version and append its new events (idempotent)."""
        values = record.model_dump(exclude={"events"})
        if values["regime_version"] is None:
            del values["regime_version"]
        with refused_data_is_final(f"complaint {record.reference}"):
            return await self._record(record, values)

    async def _record(self, record: ComplaintRecord, values: dict[str, Any]) -> int:
        async with self._deps.session_factory() as session, session.begin():
            complaint_id, _ = await save_versioned(session, Complaint.__table__, values)
            await insert_missing(
                session,
                ComplaintEvent.__table__,
                [{"complaint_id": complaint_id, **event.model_dump()} for event in record.events],
            )
            return complaint_id

    @activity.defn
    def render_letter(self, request: LetterRequest) -> str:
        """Render the letter to PDF and keep it; runs on the worker's thread pool (WeasyPrint
        is CPU-bound and synchronous). A retry finds the letter kept and renders nothing."""
        # Read, render and write in separate steps: on SQLite a transaction that read first and
        # writes after a long render fails at once if anyone else wrote meanwhile.
        with self._deps.sync_session_factory() as session:
            complaint_id = session.scalar(
                select(Complaint.id).where(Complaint.reference == request.reference)
            )
            if complaint_id is None:
                raise RuntimeError(f"complaint {request.reference} is not recorded yet")
            email = session.scalar(
                select(Complaint.complainant_email).where(Complaint.reference == request.reference)
            )
            if session.get(Letter, request.letter_id) is not None:
                return request.letter_id
        template, slug = LETTER_KINDS[request.kind]
        pdf = self._deps.renderer.pdf(template, **self.letter_context(request))
        with self._deps.sync_session_factory() as session, session.begin():
            # One statement that writes first; a concurrent retry's copy wins and this is a no-op.
            session.execute(
                insert_missing_statement(Letter.__table__, session.get_bind().dialect.name),
                {
                    "id": request.letter_id,
                    "complaint_id": complaint_id,
                    "kind": request.kind,
                    "filename": f"{request.reference}-{slug}.pdf",
                    "content": pdf,
                    "created_at": request.sent_at,
                    "delivery": "email" if email else "post",
                },
            )
        return request.letter_id

    def wording(self, regime: str, **context: Any) -> Any:
        """What a regime's letters and mails say (reports/templates/letters/wording/)."""
        return self._deps.renderer.module(
            f"letters/wording/{regime}.html",
            complaints_team=self._deps.settings.complaints_team_name,
            **context,
        )

    def letter_context(self, request: LetterRequest) -> dict[str, Any]:
        """Everything a letter template is given: dates as days in the complainant's zone,
        the signatory as a person, and the regime's wording."""
        settings = self._deps.settings
        zone = ZoneInfo(LETTER_ZONE)
        context: dict[str, Any] = {
            "organisation": {
                "name": settings.organisation_name,
                "address_lines": [
                    line.strip()
                    for line in settings.organisation_address.split(",")
                    if line.strip()
                ],
            },
            "complainant": {
                "name": request.complainant_name,
                "address": request.complainant_address,
            },
            "complaint": {
                "reference": request.reference,
                "received_on": request.received_at.astimezone(zone).date(),
                "summary_line": _summary_line(request.summary),
            },
            "sent_on": request.sent_at.astimezone(zone).date(),
            "reply_by": last_day(request.expected_due or request.reply_due),
            "previous_by": last_day(request.previous_due) if request.previous_due else None,
            "reason": request.reason,
            "body": request.body,
            "signatory": {"name": request.signatory, "title": request.signatory_title},
            "regime_key": request.regime,
            "reply_days": request.reply_days,
        }
        return context | {"wording": self.wording(request.regime, **context)}

    @activity.defn
    async def send_letter(self, delivery: LetterDelivery) -> str:
        """Send a kept letter once: e-mailed to the complainant as a PDF attachment, or, for a
        complainant with only a postal address, to the handler (else the complaints manager)
        to print and post."""
        key = f"{delivery.event_id}:email"
        async with self._deps.session_factory() as session:
            letter = await session.get(Letter, delivery.letter_id)
            complaint = await session.scalar(
                select(Complaint).where(Complaint.reference == delivery.reference)
            )
            sent = await session.get(Notification, key)
        if letter is None or complaint is None:
            raise RuntimeError(f"letter {delivery.letter_id} is not kept yet")
        if sent is not None:
            return sent.recipient
        if not complaint.complainant_email:
            return await self._send_to_post(key, delivery, complaint, letter)
        settings = self._deps.settings
        wording = self.wording(complaint.regime)
        message = self._deps.mailer.compose(
            complaint.complainant_email,
            f"[{complaint.reference}] {wording.email_subjects[letter.kind]}",
            f"Dear {complaint.complainant_name},\n\nPlease find our letter attached "
            f"({letter.filename}).\n\n{_cover_signature(complaint, wording.team)}\n"
            f"{settings.organisation_name}\n",
            attachments=[(letter.filename, letter.content, "application/pdf")],
            headers={"X-Pledge-Complaint": complaint.reference},
            message_key=key,
        )
        await asyncio.to_thread(self._deps.mailer.send, message)
        await self._remember(
            key, delivery.event_id, complaint.complainant_email, "complainant", "letter"
        )
        return complaint.complainant_email

    async def _send_to_post(
        self, key: str, delivery: LetterDelivery, complaint: Complaint, letter: Letter
    ) -> str:
        """The complainant has no e-mail address: the handler is sent the letter to print and
        post (the address is placed for a DL window envelope)."""
        to = complaint.handler_email or self._deps.settings.complaints_manager_email
        if not to:
            raise RuntimeError(
                f"complaint {complaint.reference}'s letter must be posted, but there is no "
                "handler e-mail address or PLEDGE_COMPLAINTS_MANAGER_EMAIL to send it to"
            )
        address = "\n".join(
            line.strip()
            for line in [
                complaint.complainant_name,
                *(complaint.complainant_address or "").splitlines(),
            ]
            if line.strip()
        )
        name = {
            "acknowledgement": "acknowledgement",
            "holding_response": "holding response",
            "reply": "full reply",
        }[letter.kind]
        greeting = f"Dear {complaint.handler_name}," if complaint.handler_name else "Hello,"
        body = (
            f"{greeting}\n\n"
            f"Please print and post this letter to {complaint.complainant_name}, who has no "
            f"e-mail address. It is the {name} to {complaint.reference} and is attached "
            f"({letter.filename}).\n\n"
            f"Post it to:\n\n{address}\n\n"
            "Print it on A4 at actual size (not 'fit to page') and fold it in three: the "
            "address then shows through the window of a DL envelope.\n"
        )
        message = self._deps.mailer.compose(
            to,
            f"[{complaint.reference}] Please print and post: {name} to "
            f"{complaint.complainant_name}",
            body,
            attachments=[(letter.filename, letter.content, "application/pdf")],
            headers={"X-Pledge-Complaint": complaint.reference},
            message_key=key,
        )
        await asyncio.to_thread(self._deps.mailer.send, message)
        role = "handler" if to == complaint.handler_email else "complaints_manager"
        await self._remember(key, delivery.event_id, to, role, "letter_to_post")
        return to

    @activity.defn
    async def notify_complaint(self, notice: ComplaintNotice) -> list[str]:
        """A reminder, or the complainant's words when they write again, goes to the handler
        (the complaints manager when there is none); a breach to the complaints manager and the
        handler."""
        manager = self._deps.settings.complaints_manager_email
        if notice.kind in ("reminder", "correspondence"):
            recipients = [notice.handler_email or manager]
        else:
            recipients = [manager, notice.handler_email]
        addresses = list(dict.fromkeys(a for a in recipients if a))
        async with self._deps.session_factory() as session:
            complaint = await session.scalar(
                select(Complaint).where(Complaint.reference == notice.reference)
            )
            already = set(
                await session.scalars(
                    select(Notification.id).where(Notification.event_id == notice.event_id)
                )
            )
        if complaint is None:
            raise RuntimeError(f"complaint {notice.reference} is not recorded yet")
        what = "acknowledgement" if notice.clock == "acknowledgement" else "full reply"
        # "the end of Friday 27 November 2026", not "... at 23:59 GMT": a whole day, said once.
        when = long_date(last_day(notice.due))
        if notice.kind == "correspondence":
            subject = f"[{complaint.reference}] {complaint.complainant_name} wrote again"
            said = (notice.text or "").strip()
            said = said if len(said) <= 4000 else said[:4000].rstrip() + " [...]"
            opening = (
                f"{complaint.complainant_name} wrote by e-mail about complaint "
                f"{complaint.reference}:\n\n{said}\n\nNo deadline has moved; reopen the "
                "complaint from its page if this asks for more."
            )
        elif notice.kind == "reminder":
            subject = (
                f"[{complaint.reference}] Reminder: {what} due by {long_date(last_day(notice.due))}"
            )
            opening = f"The {what} to complaint {complaint.reference} is due by the end of {when}."
        else:
            subject = f"[{complaint.reference}] Deadline missed: {what}"
            opening = (
                f"The {what} to complaint {complaint.reference} was due by the end of {when} "
                "and has not been sent."
            )
        body = (
            f"{opening}\n\nComplainant: {complaint.complainant_name}\n"
            f"Procedure: {_regime_name(complaint.regime)}"
            f"\nSummary: {_summary_line(complaint.summary)}\n\n"
            f"{self._deps.settings.effective_public_url}/console/complaints/{complaint.reference}\n"
        )
        for address in addresses:
            key = f"{notice.event_id}:email:{address}"
            if key in already:
                continue
            message = self._deps.mailer.compose(
                address,
                subject,
                body,
                headers={"X-Pledge-Complaint": complaint.reference},
                message_key=key,
            )
            await asyncio.to_thread(self._deps.mailer.send, message)
            role = "complaints_manager" if address == manager else "handler"
            await self._remember(key, notice.event_id, address, role, notice.kind)
            activity.heartbeat(address)
        return addresses

    async def _remember(
        self, key: str, event_id: str, recipient: str, role: str, kind: str
    ) -> None:
        async with self._deps.session_factory() as session, session.begin():
            await insert_once(
                session,
                Notification,
                id=key,
                event_id=event_id,
                channel="email",
                recipient=recipient,
                role=role,
                kind=kind,
                sent_at=utcnow(),
            )
