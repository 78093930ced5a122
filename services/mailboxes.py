"""Mail in: support mailboxes (admins set them up) and the inbox of mail read from them
(agents name the account of unmatched mail and release held mail).

Each mailbox is a workflow (mailbox-<id>) whose activities write its row and every mail read
(activities/mailboxes.py): these functions check the request, then start or ask the workflow.
The password is sealed here, before it reaches the workflow, and is never answered with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import Conflict, InvalidInput, NotFound
from api.references import fingerprint
from api.schemas import (
    ContactCreate,
    MailAssignment,
    MailboxCreate,
    MailboxOut,
    MailboxUpdate,
    MailDiscard,
    ReceivedMailOut,
)
from api.temporal_calls import call, open_workflow
from db.models import Account, Contact, Mailbox, ReceivedMail
from outbound import egress, sealing
from outbound.mailbox_hosts import SETTING, is_literal, url_of
from services import accounts
from services.roles import STAFF, allow
from settings import Settings
from workflows.mailbox import MailboxWorkflow
from workflows.mailbox_messages import (
    Decision,
    MailboxAct,
    MailboxConfig,
    MailboxStart,
    MailboxView,
    Reconfigure,
    Recorded,
)

# A host name as DNS writes it (labels of letters, digits and hyphens), or an IP literal.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
# What the inbox shows until someone acts: mail waiting for an agent.
WAITING = ("unmatched", "held")


def workflow_id(mailbox_id: str) -> str:
    return f"mailbox-{mailbox_id}"


def check_host(host: str, port: int, settings: Settings, field: str = "body.host") -> str:
    """422 naming `field` unless mailboxes may be read from `host`: a host name or address
    that is not loopback, private or a metadata service as written (names are checked again,
    resolved, at every connection). Nothing is looked up or connected to here."""
    bare = host.strip().strip("[]").lower()
    if not _HOST_NAME.match(bare) and not is_literal(bare):
        raise InvalidInput.for_field(
            field, "must be a host name or an IP address, e.g. imap.mail.invalid"
        )
    try:
        egress.check_url_form(
            url_of(bare, port), settings.allowed_mailbox_hosts, https_only=False, setting=SETTING
        )
    except egress.EgressRefused as exc:
        raise InvalidInput.for_field(field, str(exc)) from None
    return bare


def _out(row: Mailbox) -> MailboxOut:
    return MailboxOut(
        id=row.id,
        name=row.name,
        host=row.host,
        port=row.port,
        tls=row.tls,
        folder=row.folder,
        moved_to=row.moved_to,
        username=row.username,
        creates=row.creates,  # type: ignore[arg-type]
        priority=row.priority,
        paused=row.paused,
        deleted=row.deleted_at is not None,
        checked_at=row.checked_at,
        last_error=row.last_error,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_folders(folder: str, moved_to: str) -> None:
    if folder.strip().lower() == moved_to.strip().lower():
        raise InvalidInput.for_field(
            "body.moved_to", "must be another folder than the one mail arrives in"
        )


# -- changing ----------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    body: MailboxCreate,
    idempotency_key: str | None = None,
) -> MailboxOut:
    """Start reading a mailbox; its first look comes at once."""
    allow(principal)
    host = check_host(body.host, body.port, settings)
    _check_folders(body.folder, body.moved_to)
    ring = sealing.keys(settings)
    # The fingerprint leaves the password out: a retry is known by everything else.
    digest = fingerprint(
        body.model_dump(mode="json", exclude={"password"}) | {"by": principal.key_id}
    )

    def start(reference: str) -> MailboxStart:
        return MailboxStart(
            config=MailboxConfig(
                mailbox_id=reference,
                name=body.name or f"{body.username} at {host}",
                host=host,
                port=body.port,
                tls=body.tls,
                folder=body.folder,
                moved_to=body.moved_to,
                username=body.username,
                password_sealed=sealing.seal(body.password, reference, ring),
                creates=body.creates,
                priority=body.priority,
            ),
            created_by=principal.full_name or principal.name,
            fingerprint=digest,
        )

    view: MailboxView = await open_workflow(
        client,
        session,
        noun="mailbox",
        prefix="B",
        task_queue=settings.temporal_task_queue,
        key_prefix=principal.key_prefix,
        idempotency_key=idempotency_key,
        run=MailboxWorkflow.run,
        start=start,
        opened=MailboxWorkflow.recorded,
        opened_request=Recorded(fingerprint=digest),
    )
    return await get(session, principal, view.mailbox_id)


async def update(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    mailbox_id: str,
    body: MailboxUpdate,
) -> MailboxOut:
    """Change how a mailbox is read (or pause it); the next look uses the change."""
    row = await _live(session, principal, mailbox_id)
    given = body.model_dump(exclude_unset=True)
    for name in ("host", "port", "tls", "folder", "moved_to", "username", "creates", "name"):
        if name in given and given[name] is None:
            raise InvalidInput.for_field(f"body.{name}", "cannot be removed, only changed")
    host = check_host(given.get("host", row.host), given.get("port", row.port), settings)
    _check_folders(given.get("folder", row.folder), given.get("moved_to", row.moved_to))
    sealed = (
        sealing.seal(given["password"], row.id, sealing.keys(settings))
        if given.get("password")
        else row.password_sealed
    )
    config = MailboxConfig(
        mailbox_id=row.id,
        name=given.get("name", row.name),
        host=host,
        port=given.get("port", row.port),
        tls=given.get("tls", row.tls),
        folder=given.get("folder", row.folder),
        moved_to=given.get("moved_to", row.moved_to),
        username=given.get("username", row.username),
        password_sealed=sealed,
        creates=given.get("creates", row.creates),
        priority=given.get("priority", row.priority),
    )
    handle = client.get_workflow_handle(workflow_id(row.id))
    finished = f"Mailbox {row.name} has been removed"
    changed = {k for k in given if k != "paused"}
    if changed:
        await call(
            handle.execute_update(MailboxWorkflow.configure, Reconfigure(config=config)),
            finished=finished,
            session=session,
        )
    if "paused" in given and given["paused"] is not None and given["paused"] != row.paused:
        act = MailboxAct(actor=principal.name)
        step = MailboxWorkflow.pause if given["paused"] else MailboxWorkflow.resume
        await call(handle.execute_update(step, act), finished=finished, session=session)
    return await get(session, principal, row.id)


async def delete(
    session: AsyncSession, client: Client, principal: Principal, mailbox_id: str
) -> MailboxOut:
    """Stop reading a mailbox for good; the mail read from it stays. Refused while its mail
    waits in the inbox: only the mailbox's workflow decides its mail, and it ends here."""
    row = await _live(session, principal, mailbox_id)
    waiting = await session.scalar(
        select(func.count())
        .select_from(ReceivedMail)
        .where(ReceivedMail.mailbox_id == row.id, ReceivedMail.outcome.in_(WAITING))
    )
    if waiting:
        raise Conflict(
            f"{waiting} mail{'s' if waiting != 1 else ''} from mailbox {row.name} "
            f"wait{'' if waiting != 1 else 's'} in the inbox: open their tickets, let them "
            "through or discard them first"
        )
    handle = client.get_workflow_handle(workflow_id(row.id))
    await call(
        handle.execute_update(MailboxWorkflow.delete, MailboxAct(actor=principal.name)),
        finished=f"Mailbox {row.name} has been removed",
        session=session,
    )
    return await get(session, principal, row.id)


async def _live(session: AsyncSession, principal: Principal, mailbox_id: str) -> Mailbox:
    allow(principal)
    row = await session.get(Mailbox, mailbox_id)
    if row is None:
        raise NotFound(f"No mailbox with id {mailbox_id}")
    if row.deleted_at is not None:
        raise Conflict(f"Mailbox {row.name} has been removed; nothing more can change")
    return row


# -- reading -----------------------------------------------------------------------------------


async def listing(session: AsyncSession, principal: Principal) -> list[MailboxOut]:
    allow(principal)
    rows = await session.scalars(
        select(Mailbox).where(Mailbox.deleted_at.is_(None)).order_by(Mailbox.name, Mailbox.id)
    )
    return [_out(row) for row in rows]


async def get(session: AsyncSession, principal: Principal, mailbox_id: str) -> MailboxOut:
    allow(principal)
    # Read fresh: the workflow's activity has just written it in another transaction.
    row = await session.get(Mailbox, mailbox_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No mailbox with id {mailbox_id}")
    return _out(row)


# -- the inbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxQuery:
    outcome: str | None = None  # None: what waits for an agent (unmatched and held)
    mailbox_id: str | None = None
    limit: int = 100


def mail_out(row: ReceivedMail) -> ReceivedMailOut:
    return ReceivedMailOut(
        id=row.id,
        mailbox_id=row.mailbox_id,
        arrived_at=row.arrived_at,
        sender=row.sender,
        sender_name=row.sender_name,
        subject=row.subject,
        text=row.display_text[:20_000],
        automatic=row.automatic,
        outcome=row.outcome,  # type: ignore[arg-type]
        outcome_note=row.outcome_note,
        account_id=row.account_id,
        ticket_reference=row.ticket_reference,
        complaint_reference=row.complaint_reference,
        decided_by=row.decided_by,
    )


async def inbox(
    session: AsyncSession, principal: Principal, query: InboxQuery
) -> list[ReceivedMailOut]:
    """Mail read from the mailboxes, newest first: by default what waits for an agent."""
    allow(principal, *STAFF)
    outcomes = (query.outcome,) if query.outcome else WAITING
    statement = select(ReceivedMail).where(ReceivedMail.outcome.in_(outcomes))
    if query.mailbox_id:
        statement = statement.where(ReceivedMail.mailbox_id == query.mailbox_id)
    rows = await session.scalars(
        statement.order_by(ReceivedMail.arrived_at.desc(), ReceivedMail.id).limit(query.limit)
    )
    return [mail_out(row) for row in rows]


async def waiting_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(ReceivedMail).where(ReceivedMail.outcome.in_(WAITING))
        )
        or 0
    )


async def mail(session: AsyncSession, principal: Principal, mail_id: str) -> ReceivedMailOut:
    allow(principal, *STAFF)
    row = await session.get(ReceivedMail, mail_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No mail with id {mail_id}")
    return mail_out(row)


async def _waiting(
    session: AsyncSession, principal: Principal, mail_id: str, outcome: str
) -> ReceivedMail:
    allow(principal, *STAFF)
    row = await session.get(ReceivedMail, mail_id)
    if row is None:
        raise NotFound(f"No mail with id {mail_id}")
    if row.outcome != outcome and not (outcome == "waiting" and row.outcome in WAITING):
        done = {
            "unmatched": "is not waiting for an account",
            "held": "is not held",
            "waiting": "is not waiting for anyone",
        }[outcome]
        raise Conflict(
            f"This mail {done}: it is {row.outcome} ({row.outcome_note or ''})".rstrip(" ()")
        )
    return row


async def assign(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    mail_id: str,
    body: MailAssignment,
) -> ReceivedMailOut:
    """Name the account an unmatched mail is from: its ticket opens there, received when the
    mail arrived; with `add_contact`, the sender joins the account's contacts first, so the
    ticket is theirs and they are sent its confirmation."""
    row = await _waiting(session, principal, mail_id, "unmatched")
    account = await session.get(Account, body.account_id)
    if account is None:
        raise InvalidInput.for_field("body.account_id", f"no account with id {body.account_id}")
    if row.sender:
        known = await session.scalar(
            select(Contact.id).where(
                Contact.account_id == account.id,
                func.lower(Contact.email) == row.sender,
                Contact.removed_at.is_(None),
            )
        )
        if known is None and not body.add_contact:
            # A ticket with no contact sends its replies to nobody, and the sender would
            # never hear of it (a walkthrough found replies going nowhere).
            raise InvalidInput.for_field(
                "body.add_contact",
                f"{row.sender} is not a contact of {account.name}: without adding them, nobody"
                " would be sent the confirmation or the replies",
            )
        if known is None:
            try:
                contact = ContactCreate(name=row.sender_name or row.sender, email=row.sender)
            except ValueError:
                raise InvalidInput.for_field(
                    "body.add_contact", f"{row.sender} is not an address a contact can have"
                ) from None
            await accounts.add_contact(session, principal, account.id, contact)
    handle = client.get_workflow_handle(workflow_id(row.mailbox_id))
    decision = Decision(
        mail_id=row.id, actor=principal.full_name or principal.name, account_id=account.id
    )
    await call(
        handle.execute_update(MailboxWorkflow.decide, decision),
        finished="The mailbox this mail came from has been removed; open a ticket by hand",
        session=session,
        invalid_field="body.account_id",
    )
    return await mail(session, principal, row.id)


async def release(
    session: AsyncSession, client: Client, principal: Principal, mail_id: str
) -> ReceivedMailOut:
    """Let a held mail through: it is acted on as if it had just come (a ticket, a reply, or
    the unmatched queue), its sender's count for the hour set aside."""
    row = await _waiting(session, principal, mail_id, "held")
    handle = client.get_workflow_handle(workflow_id(row.mailbox_id))
    decision = Decision(mail_id=row.id, actor=principal.full_name or principal.name)
    await call(
        handle.execute_update(MailboxWorkflow.decide, decision),
        finished="The mailbox this mail came from has been removed; open a ticket by hand",
        session=session,
    )
    return await mail(session, principal, row.id)


async def discard(
    session: AsyncSession, client: Client, principal: Principal, mail_id: str, body: MailDiscard
) -> ReceivedMailOut:
    """Throw away a mail waiting in the inbox (spam, or sent to us by mistake): nothing is
    opened or answered, and the mail is kept with who discarded it and why."""
    row = await _waiting(session, principal, mail_id, "waiting")
    handle = client.get_workflow_handle(workflow_id(row.mailbox_id))
    decision = Decision(
        mail_id=row.id,
        actor=principal.full_name or principal.name,
        discard=True,
        reason=(body.reason or "").strip() or None,
    )
    await call(
        handle.execute_update(MailboxWorkflow.decide, decision),
        finished="The mailbox this mail came from has been removed; nothing more can be done",
        session=session,
    )
    return await mail(session, principal, row.id)
