"""Side effects of mailbox workflows: the mailbox's row, reading its folder, recording each
mail, acting on it, moving it, and waiting for more.

The order is what makes a crash harmless (docs/inbound.md): a mail is read unseen, recorded
under (mailbox, Message-ID) before anything changes on the server, acted on under keys made
from its record (its ticket's reference, its update ids), and only then moved. A crash before
the record leaves it in the folder, read again; a crash after leaves a record that the next
reading finds, so it is acted on at most once and moved once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

import sla
from activities import imap
from activities.deps import ActivityDeps
from activities.ticket_start import start_ticket
from api.references import fingerprint, reference_for_key
from db import contacts
from db.idempotent import insert_once, upsert_for
from db.models import (
    Account,
    AttachmentContent,
    Complaint,
    Contact,
    Mailbox,
    ReceivedMail,
    Ticket,
)
from db.types import utcnow
from inbound.matching import new_ticket_subject, reference_in_headers, reference_in_subject
from inbound.message import InboundMail, parse
from outbound import egress, sealing
from outbound.mailbox_hosts import SETTING as MAILBOX_SETTING
from outbound.mailbox_hosts import url_of
from outbound.ticket_links import link_secret
from services import attachment_rules, terms
from sla.snapshot import RegimeSnapshot
from sla.ticket import TicketStatus, TicketType
from workflows.complaint_messages import (
    ComplaintOpening,
    ComplaintStart,
    ComplaintView,
    Correspondence,
)
from workflows.complaint_messages import Opened as ComplaintOpened
from workflows.errors import REFUSED
from workflows.mailbox_messages import (
    Decision,
    Fetched,
    FetchRequest,
    Handled,
    IdleRequest,
    MailboxRecord,
    MoveRequest,
)
from workflows.ticket_messages import (
    Act,
    Attach,
    AttachedFile,
    Reply,
    TicketOpening,
    TicketView,
)

log = logging.getLogger("pledge.mailboxes")

ACTOR = "Mail in"
SCOPE = "inbound"  # scopes the keys tickets and complaints from mail are opened under
# Outcomes that count towards a sender's tickets in an hour (the hold for review). Discarded
# mail counts: a sender whose spam an agent threw away is still flooding the inbox.
OPENING = ("ticket", "complaint", "unmatched", "assigned", "discarded")
# How long one wait for the server's word lasts before the activity heartbeats.
IDLE_SLICE_SECONDS = 5.0


def mail_key(mailbox_id: str, mail: InboundMail, raw: bytes) -> str:
    """What makes two readings the same mail: its Message-ID, else its bytes."""
    if mail.message_id:
        return f"id:{mail.message_id}"[:1000]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def mail_id(mailbox_id: str, dedupe_key: str) -> str:
    return hashlib.sha256(f"{mailbox_id}\x00{dedupe_key}".encode()).hexdigest()[:32]


def ticket_reference(received_id: str) -> str:
    """The reference of the ticket a mail opens: the same for every retry of it."""
    return reference_for_key("T", SCOPE, received_id)


def complaint_reference(received_id: str) -> str:
    return reference_for_key("C", SCOPE, received_id)


@dataclass(frozen=True)
class _Reply:
    ticket: Ticket
    reopen: bool


class MailboxActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps
        # Tests replace the name server, as for monitors.
        self.resolver = egress.system_resolver

    # -- the row ------------------------------------------------------------------------

    @activity.defn
    async def record_mailbox(self, record: MailboxRecord) -> None:
        """Bring the mailbox's row to this version; an older version arriving late is ignored."""
        values = record.model_dump()
        async with self._deps.session_factory() as session, session.begin():
            insert = upsert_for(session)
            statement = insert(Mailbox).values(**values)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Mailbox.id],
                    set_={k: statement.excluded[k] for k in values if k != "id"},
                    where=Mailbox.version < statement.excluded.version,
                )
            )

    # -- reading ------------------------------------------------------------------------

    async def _connect(self, mailbox: Mailbox) -> imap.Connection:
        settings = self._deps.settings
        target = await egress.resolve(
            url_of(mailbox.host, mailbox.port),
            settings.allowed_mailbox_hosts,
            self.resolver,
            https_only=False,
            setting=MAILBOX_SETTING,
        )
        password = sealing.open_sealed(mailbox.password_sealed, mailbox.id, sealing.keys(settings))
        return await asyncio.to_thread(
            imap.Connection,
            address=str(target.address),
            host=mailbox.host,
            port=mailbox.port,
            tls=mailbox.tls,
            username=mailbox.username,
            password=password,
            folder=mailbox.folder,
        )

    async def _checked(self, mailbox_id: str, error: str | None) -> None:
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Mailbox)
                .where(Mailbox.id == mailbox_id)
                .values(checked_at=utcnow(), last_error=error)
            )

    def _waits(self) -> dict[str, float]:
        s = self._deps.settings
        return {"poll_seconds": s.mailbox_poll_seconds, "idle_seconds": s.mailbox_idle_seconds}

    @activity.defn
    async def fetch(self, request: FetchRequest) -> Fetched:
        """Read up to a batch of mails from the folder (left unseen) and record each one."""
        async with self._deps.session_factory() as session:
            mailbox = await session.get(Mailbox, request.mailbox_id)
        if mailbox is None or mailbox.deleted_at is not None or mailbox.paused:
            return Fetched(**self._waits())
        try:
            connection = await self._connect(mailbox)
        except (imap.ImapProblem, egress.EgressRefused, sealing.SealError) as exc:
            problem = (
                f"cannot read {mailbox.host}: {exc}"
                if isinstance(exc, egress.EgressRefused)
                else str(exc)
            )
            log.warning("mailbox %s: %s", mailbox.id, problem)
            await self._checked(mailbox.id, problem)
            return Fetched(error=problem, **self._waits())
        try:
            uids = await asyncio.to_thread(connection.uids)
            batch = uids[: request.batch]
            messages = await asyncio.to_thread(connection.fetch, batch)
            ids = []
            for message in messages:
                ids.append(await self._record(mailbox.id, message, connection.uid_validity))
                activity.heartbeat(message.uid)
            await self._checked(mailbox.id, None)
            return Fetched(
                mail_ids=ids,
                more=len(uids) > len(batch),
                idle=connection.offers_idle,
                uid_validity=connection.uid_validity,
                highest_uid=max(uids, default=0),
                **self._waits(),
            )
        except (imap.ImapProblem, OSError) as exc:
            problem = str(exc) if isinstance(exc, imap.ImapProblem) else imap._words(exc)
            await self._checked(mailbox.id, problem)
            return Fetched(error=problem, **self._waits())
        finally:
            await asyncio.to_thread(connection.close)

    async def _record(
        self, mailbox_id: str, message: imap.Message, uid_validity: int | None
    ) -> str:
        """The mail's row, inserted once; a mail read again only has where it is updated."""
        mail = parse(message.raw)
        key = mail_key(mailbox_id, mail, message.raw)
        received_id = mail_id(mailbox_id, key)
        async with self._deps.session_factory() as session, session.begin():
            inserted = await insert_once(
                session,
                ReceivedMail,
                id=received_id,
                mailbox_id=mailbox_id,
                dedupe_key=key,
                uid=message.uid,
                uid_validity=uid_validity,
                arrived_at=message.arrived_at,
                recorded_at=utcnow(),
                message_id=(mail.message_id or None) and mail.message_id[:1000],
                sender=mail.sender[:320],
                sender_name=mail.sender_name[:200],
                subject=mail.subject[:1000],
                automatic=mail.automatic[:100] if mail.automatic else None,
                display_text=mail.display_text,
                raw=message.raw,
                outcome="pending",
            )
            if not inserted:
                await session.execute(
                    update(ReceivedMail)
                    .where(ReceivedMail.id == received_id)
                    .values(uid=message.uid, uid_validity=uid_validity, moved_at=None)
                )
        return received_id

    @activity.defn
    async def move(self, request: MoveRequest) -> int:
        """Move the mails acted on to the handled folder; how many were moved."""
        async with self._deps.session_factory() as session:
            mailbox = await session.get(Mailbox, request.mailbox_id)
            rows = list(
                await session.scalars(
                    select(ReceivedMail).where(
                        ReceivedMail.id.in_(request.mail_ids),
                        ReceivedMail.outcome != "pending",
                        ReceivedMail.moved_at.is_(None),
                    )
                )
            )
        if mailbox is None or not rows:
            return 0
        try:
            connection = await self._connect(mailbox)
        except (imap.ImapProblem, egress.EgressRefused, sealing.SealError) as exc:
            await self._checked(mailbox.id, str(exc))
            return 0
        try:
            # UIDs name messages only within the folder's UIDVALIDITY; others are found again
            # (and their UIDs renewed) by the next reading.
            validity = connection.uid_validity
            here = [r for r in rows if r.uid is not None and r.uid_validity == validity]
            await asyncio.to_thread(connection.move, [r.uid for r in here], mailbox.moved_to)
        finally:
            await asyncio.to_thread(connection.close)
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(ReceivedMail)
                .where(ReceivedMail.id.in_([r.id for r in here]))
                .values(moved_at=utcnow())
            )
        return len(here)

    @activity.defn
    async def idle(self, request: IdleRequest) -> bool:
        """Wait (IDLE) up to `seconds` for new mail; true when some came. Heartbeats as it
        waits, so a cancelled or lost wait ends within a slice."""
        async with self._deps.session_factory() as session:
            mailbox = await session.get(Mailbox, request.mailbox_id)
        if mailbox is None:
            return False
        connection = await self._connect(mailbox)
        try:
            if connection.uid_validity != request.uid_validity:
                return True
            # What came between the reading and now: IDLE would not announce it.
            if await asyncio.to_thread(connection.uids, request.highest_uid):
                return True
            await asyncio.to_thread(connection.idle_start)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + request.seconds
            arrived = False
            while not arrived and (left := deadline - loop.time()) > 0:
                arrived = await asyncio.to_thread(
                    connection.idle_wait, min(left, IDLE_SLICE_SECONDS)
                )
                activity.heartbeat()
                if activity.is_worker_shutdown():
                    # The worker is stopping: end the wait now (the next worker reads the
                    # mailbox at once) rather than be killed mid-wait and make it time out.
                    break
            await asyncio.to_thread(connection.idle_done)
            return arrived
        finally:
            await asyncio.to_thread(connection.close)

    # -- acting on a mail ----------------------------------------------------------------

    @activity.defn
    async def handle(self, received_id: str) -> Handled:
        """Act on one recorded mail, once: a later call answers with what was done."""
        async with self._deps.session_factory() as session:
            row = await session.get(ReceivedMail, received_id)
            assert row is not None, f"mail {received_id} is not recorded"
            if row.outcome != "pending":
                return _handled(row)
            mailbox = await session.get(Mailbox, row.mailbox_id)
            assert mailbox is not None
        mail = parse(row.raw)
        return await self._act(row, mailbox, mail, hold=True)

    @activity.defn
    async def decide(self, decision: Decision) -> Handled:
        """An agent's word on a mail in the inbox: an unmatched mail's account (its ticket
        opens there, received when the mail arrived), or a held mail let through."""
        async with self._deps.session_factory() as session:
            row = await session.get(ReceivedMail, decision.mail_id)
            if row is None:
                raise ApplicationError("there is no such mail", type=REFUSED, non_retryable=True)
            mailbox = await session.get(Mailbox, row.mailbox_id)
            assert mailbox is not None
        if row.decided_by is not None:
            return _handled(row)  # a retry of this decision
        if decision.discard:
            if row.outcome not in ("unmatched", "held"):
                raise ApplicationError(
                    f"this mail is {row.outcome}, so there is nothing to discard",
                    type=REFUSED,
                    non_retryable=True,
                )
            # Kept (the record is what stops the mail coming back as new), never answered.
            reason = f": {decision.reason}" if decision.reason else ""
            note = f"{decision.actor} discarded it{reason}"
            return await self._done(row, "discarded", note, decided_by=decision.actor)
        mail = parse(row.raw)
        if row.outcome == "held" and decision.account_id is None:
            return await self._act(row, mailbox, mail, hold=False, decided_by=decision.actor)
        if row.outcome == "unmatched" and decision.account_id is not None:
            async with self._deps.session_factory() as session:
                account = await session.get(Account, decision.account_id)
                if account is None:
                    raise ApplicationError(
                        f"no account with id {decision.account_id}",
                        type="InvalidInput",
                        non_retryable=True,
                    )
                contact = await _contact_at(session, account.id, row.sender)
            reference = await self._open_ticket(
                row, mailbox, mail, account, contact, opened_by=decision.actor
            )
            await self._attach(row, mail, reference)
            return await self._done(
                row,
                "assigned",
                f"{decision.actor} named the account: {account.name}",
                account_id=account.id,
                ticket_reference=reference,
                decided_by=decision.actor,
            )
        raise ApplicationError(
            f"this mail is {row.outcome}, so there is nothing to decide",
            type=REFUSED,
            non_retryable=True,
        )

    async def _act(
        self,
        row: ReceivedMail,
        mailbox: Mailbox,
        mail: InboundMail,
        *,
        hold: bool,
        decided_by: str | None = None,
    ) -> Handled:
        done = lambda outcome, note, **values: self._done(  # noqa: E731
            row, outcome, note, decided_by=decided_by, **values
        )
        if mail.automatic:
            # Never a ticket, never a resumed clock, never an answer: that is how loops start.
            return await done("ignored", f"written by a machine ({mail.automatic}): not answered")
        if not row.sender:
            return await done("ignored", "it has no sender's address to answer")
        if mailbox.creates == "tickets":
            replying = await self._reply_target(mail, row.sender)
            if replying is not None:
                await self._add_reply(row, mail, replying)
                return await done(
                    "reply",
                    f"added to {replying.ticket.reference} as the customer's reply",
                    account_id=replying.ticket.account_id,
                    ticket_reference=replying.ticket.reference,
                )
        if mailbox.creates == "complaints":
            answered = await self._complaint_answered(mail, row)
            if answered is not None:
                return await done(
                    "reply",
                    f"added to complaint {answered.reference} as the complainant's letter",
                    account_id=answered.account_id,
                    complaint_reference=answered.reference,
                )
        if hold and await self._too_many(row):
            limit = self._deps.settings.inbound_max_per_hour
            return await done(
                "held",
                f"{row.sender} opened {limit} or more tickets, complaints or inbox items in"
                " the hour before this arrived: held until someone releases it",
            )
        async with self._deps.session_factory() as session:
            known = list(
                await session.scalars(
                    select(Contact)
                    .where(func.lower(Contact.email) == row.sender, contacts.current())
                    .order_by(Contact.id)
                )
            )
        accounts = sorted({c.account_id for c in known})
        if mailbox.creates == "complaints":
            account_id = accounts[0] if len(accounts) == 1 else None
            reference = await self._open_complaint(row, mail, account_id)
            return await done(
                "complaint",
                f"logged as complaint {reference}",
                account_id=account_id,
                complaint_reference=reference,
            )
        if len(accounts) != 1:
            why = (
                "the sender is not a contact at any account"
                if not accounts
                else f"the sender is a contact at {len(accounts)} accounts"
            )
            return await done("unmatched", f"{why}: waiting for someone to name the account")
        async with self._deps.session_factory() as session:
            account = await session.get(Account, accounts[0])
        assert account is not None
        contact = next(c for c in known if c.account_id == account.id)
        reference = await self._open_ticket(
            row, mailbox, mail, account, contact, opened_by=decided_by
        )
        await self._attach(row, mail, reference)
        return await done(
            "ticket",
            f"opened {reference} for {account.name}",
            account_id=account.id,
            ticket_reference=reference,
        )

    async def _done(
        self, row: ReceivedMail, outcome: str, note: str, *, decided_by: str | None, **values
    ) -> Handled:
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(ReceivedMail)
                .where(ReceivedMail.id == row.id)
                .values(
                    outcome=outcome,
                    outcome_note=note,
                    handled_at=utcnow(),
                    decided_by=decided_by,
                    **values,
                )
            )
        log.info("mail %s from %s: %s", row.id, row.sender, note)
        return Handled(
            outcome=outcome,
            ticket_reference=values.get("ticket_reference"),
            complaint_reference=values.get("complaint_reference"),
        )

    async def _too_many(self, row: ReceivedMail) -> bool:
        async with self._deps.session_factory() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(ReceivedMail)
                .where(
                    ReceivedMail.sender == row.sender,
                    ReceivedMail.id != row.id,
                    ReceivedMail.outcome.in_(OPENING),
                    ReceivedMail.arrived_at > row.arrived_at - timedelta(hours=1),
                    ReceivedMail.arrived_at <= row.arrived_at,
                )
            )
        return (count or 0) >= self._deps.settings.inbound_max_per_hour

    # -- replies ------------------------------------------------------------------------

    async def _reply_target(self, mail: InboundMail, sender: str) -> _Reply | None:
        """The ticket this mail answers, if it names one (our signed Message-IDs first, then
        the subject) and the sender may speak for it: the ticket's contact, or a current
        contact of its account. A closed ticket takes no more replies."""
        reference = reference_in_headers(mail, link_secret(self._deps.settings))
        reference = reference or reference_in_subject(mail.subject)
        if reference is None:
            return None
        async with self._deps.session_factory() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
            if ticket is None or ticket.status == TicketStatus.CLOSED:
                return None
            theirs = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
            named = theirs is not None and theirs.email.lower() == sender
            if not named and await _contact_at(session, ticket.account_id, sender) is None:
                return None
        return _Reply(ticket=ticket, reopen=ticket.status == TicketStatus.RESOLVED)

    async def _add_reply(self, row: ReceivedMail, mail: InboundMail, target: _Reply) -> None:
        handle = activity.client().get_workflow_handle(f"ticket-{target.ticket.reference}")
        who = mail.sender_name or row.sender
        if target.reopen:
            # As the portal's "not fixed": reopened first, then the words join the conversation.
            note = f"{who} replied by e-mail to the resolved ticket"
            with contextlib.suppress(WorkflowUpdateFailedError):  # reopened already
                await handle.execute_update(
                    "reopen",
                    Act(actor=who, note=note),
                    id=f"mail-{row.id}-reopen",
                    result_type=TicketView,
                )
        body = mail.display_text or mail.text or "(The mail had no text.)"
        await handle.execute_update(
            "respond",
            Reply(actor=who, author="customer", body=body[:20_000]),
            id=f"mail-{row.id}-reply",
            result_type=TicketView,
        )
        await self._attach(row, mail, target.ticket.reference)

    async def _complaint_answered(self, mail: InboundMail, row: ReceivedMail) -> Complaint | None:
        """The complaint this mail writes back about, its words added to the complaint's
        history: named by the reference in the subject ("Re: [C-…] …", as our letters' mails
        are titled), from the complainant or a contact of the complaint's account. None when
        it names none, is from someone else, or the complaint can take no more (its time to
        reopen is over): then it is a complaint of its own."""
        reference = reference_in_subject(mail.subject, prefixes="C")
        if reference is None:
            return None
        async with self._deps.session_factory() as session:
            complaint = await session.scalar(
                select(Complaint).where(Complaint.reference == reference)
            )
            if complaint is None:
                return None
            theirs = (complaint.complainant_email or "").lower() == row.sender
            if not theirs and (
                complaint.account_id is None
                or await _contact_at(session, complaint.account_id, row.sender) is None
            ):
                return None
        handle = activity.client().get_workflow_handle(f"complaint-{reference}")
        body = mail.display_text or mail.text or "(The mail had no text.)"
        try:
            await handle.execute_update(
                "correspond",
                Correspondence(actor=mail.sender_name or row.sender, body=body[:20_000]),
                id=f"mail-{row.id}-correspondence",
                result_type=ComplaintView,
            )
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:  # finished: past its time to reopen
                return None
            raise
        return complaint

    # -- opening ------------------------------------------------------------------------

    async def _open_ticket(
        self,
        row: ReceivedMail,
        mailbox: Mailbox,
        mail: InboundMail,
        account: Account,
        contact: Contact | None,
        opened_by: str | None = None,
    ) -> str:
        """Start the mail's ticket on its account's policy, received when the mail arrived;
        its key is the mail's record, so a retry reaches the same ticket. It keeps the newest
        version of the policy (with the account's own calendar), read from the database."""
        async with self._deps.session_factory() as session:
            terms_now = await terms.for_account(session, account)
        policy: sla.Policy = terms_now.model
        if mailbox.priority in policy.priorities:
            priority = mailbox.priority
        else:
            priority = (
                sla.triage(policy, row.arrived_at, {})
                or policy.default_priority
                or next(iter(policy.priorities))
            )
        reference = ticket_reference(row.id)
        description = mail.display_text or mail.text or "(The mail had no text.)"
        opening = TicketOpening(
            reference=reference,
            account_id=account.id,
            contact_id=contact.id if contact else None,
            # Another ticket's reference quoted by someone it is not theirs to reply to, and the
            # Re:/Fwd: before it, do not belong in this new ticket's title.
            subject=(new_ticket_subject(mail.subject) or "(no subject)")[:300],
            description=description[:20_000],
            channel="email",
            type=TicketType.INCIDENT,
            policy=policy.key,
            calendar=policy.opening_calendar("email", account.calendar),
            priority=priority,
            received_at=row.arrived_at,
            # An agent who named the account or let a held mail through opened it, in effect.
            opened_by=opened_by or ACTOR,
            fingerprint=fingerprint({"mail": row.id}),
            terms=sla.PolicySnapshot.of(policy),
            policy_version=terms_now.version,
            # Threads the confirmation under the customer's mail.
            reply_to_message_id=f"<{mail.message_id}>" if mail.message_id else None,
        )
        await start_ticket(opening, self._deps.settings.temporal_task_queue)
        return reference

    async def _open_complaint(
        self, row: ReceivedMail, mail: InboundMail, account_id: int | None
    ) -> str:
        """Log the mail as a complaint received when it arrived, by e-mail, under the
        standard regime (England and Wales working days); the handler words the reply."""
        reference = complaint_reference(row.id)
        async with self._deps.session_factory() as session:
            regime_now = await terms.current(session, "regime", "standard")
        text = mail.display_text or mail.text or ""
        summary = "\n\n".join(p for p in (mail.subject.strip(), text.strip()) if p) or "(empty)"
        opening = ComplaintOpening(
            reference=reference,
            account_id=account_id,
            complainant_name=(mail.sender_name or row.sender)[:200],
            complainant_email=row.sender,
            complainant_address=None,
            summary=summary[:20_000],
            channel="email",
            jurisdiction="england-and-wales",
            regime="standard",
            received_at=row.arrived_at,
            opened_by=ACTOR,
            fingerprint=fingerprint({"mail": row.id}),
            terms=RegimeSnapshot.of("standard", "england-and-wales"),
            regime_version=regime_now.version,
        )
        operation = WithStartWorkflowOperation(
            "ComplaintWorkflow",
            ComplaintStart(opening=opening),
            id=f"complaint-{reference}",
            task_queue=self._deps.settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await activity.client().execute_update_with_start_workflow(
                "opened",
                ComplaintOpened(fingerprint=opening.fingerprint),
                start_workflow_operation=operation,
                result_type=ComplaintView,
            )
        return reference

    # -- files --------------------------------------------------------------------------

    async def _attach(self, row: ReceivedMail, mail: InboundMail, reference: str) -> None:
        """The mail's files on its ticket, by the portal's rules; a refused file is named in
        an internal note (the original mail, kept whole, still has it)."""
        if not mail.attachments:
            return
        limit = attachment_rules.max_bytes(self._deps.settings.attachment_max_mb)
        accepted: list[tuple[str, attachment_rules.Inspected, bytes]] = []
        refused: list[str] = []
        for index, file in enumerate(mail.attachments):
            try:
                checked = attachment_rules.inspect(file.filename, file.data, max_size=limit)
            except attachment_rules.AttachmentRefused as exc:
                refused.append(f"{attachment_rules.clean_name(file.filename)} {exc.message}")
                continue
            file_id = hashlib.sha256(f"{row.id}:{index}".encode()).hexdigest()[:32]
            accepted.append((file_id, checked, file.data))
        async with self._deps.session_factory() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
        if ticket is None:
            raise RuntimeError(f"ticket {reference} is not recorded yet")  # retried
        handle = activity.client().get_workflow_handle(f"ticket-{reference}")
        who = mail.sender_name or row.sender
        if accepted:
            async with self._deps.session_factory() as session, session.begin():
                for file_id, _, data in accepted:
                    await insert_once(
                        session,
                        AttachmentContent,
                        id=file_id,
                        ticket_id=ticket.id,
                        content=data,
                        stored_at=utcnow(),
                    )
            await _update(
                handle,
                "attach",
                Attach(
                    actor=who,
                    by=who,
                    author="customer",
                    files=[
                        AttachedFile(
                            attachment_id=file_id,
                            filename=c.filename,
                            content_type=c.content_type,
                            size=c.size,
                            sha256=c.sha256,
                            public=True,
                        )
                        for file_id, c, _ in accepted
                    ],
                ),
                f"mail-{row.id}-files",
            )
        if refused:
            note = "Files in the customer's e-mail that were not attached: " + "; ".join(refused)
            await _update(handle, "add_note", Act(actor=ACTOR, note=note), f"mail-{row.id}-refused")


async def _update(handle, name: str, message, update_id: str) -> None:  # type: ignore[no-untyped-def]
    try:
        await handle.execute_update(name, message, id=update_id, result_type=TicketView)
    except WorkflowUpdateFailedError as exc:
        # The ticket closed meanwhile: the files stay with the mail's original.
        log.info("%s on %s refused: %s", name, handle.id, exc.cause)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def _contact_at(session: AsyncSession, account_id: int, email: str) -> Contact | None:
    return await session.scalar(
        select(Contact)
        .where(
            Contact.account_id == account_id,
            func.lower(Contact.email) == email.lower(),
            contacts.current(),
        )
        .order_by(Contact.id)
        .limit(1)
    )


def _handled(row: ReceivedMail) -> Handled:
    return Handled(
        outcome=row.outcome,
        ticket_reference=row.ticket_reference,
        complaint_reference=row.complaint_reference,
    )
