"""Mail in: the support mailboxes Pledge reads (admins) and the inbox of mail waiting for an
agent. The work is services/mailboxes.py's; these routes only translate HTTP to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.auth import AdminPrincipal, Staff
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import (
    MailAssignment,
    MailboxCreate,
    MailboxOut,
    MailboxUpdate,
    MailDiscard,
    MailOutcome,
    ReceivedMailOut,
)
from services import mailboxes

router = APIRouter(tags=["mail in"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key answers with the mailbox the first request made",
    ),
]


@router.post(
    "/mailboxes",
    response_model=MailboxOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def create_mailbox(
    body: MailboxCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: AdminPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> MailboxOut:
    """Read a mailbox over IMAP: its mail becomes tickets (or complaints). The password is
    stored sealed and never returned; `last_error` says when the mailbox cannot be read."""
    return await mailboxes.create(session, client, settings, principal, body, idempotency_key)


@router.get("/mailboxes", response_model=list[MailboxOut], responses=responses(403))
async def list_mailboxes(session: Session, principal: AdminPrincipal) -> list[MailboxOut]:
    return await mailboxes.listing(session, principal)


@router.get("/mailboxes/{mailbox_id}", response_model=MailboxOut, responses=responses(403, 404))
async def get_mailbox(mailbox_id: str, session: Session, principal: AdminPrincipal) -> MailboxOut:
    return await mailboxes.get(session, principal, mailbox_id)


@router.patch(
    "/mailboxes/{mailbox_id}", response_model=MailboxOut, responses=responses(403, 404, 409, 503)
)
async def update_mailbox(
    mailbox_id: str,
    body: MailboxUpdate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: AdminPrincipal,
) -> MailboxOut:
    """Change how a mailbox is read, give it a new password, or pause it (`paused`)."""
    return await mailboxes.update(session, client, settings, principal, mailbox_id, body)


@router.delete(
    "/mailboxes/{mailbox_id}", response_model=MailboxOut, responses=responses(403, 404, 409, 503)
)
async def delete_mailbox(
    mailbox_id: str, session: Session, client: Temporal, principal: AdminPrincipal
) -> MailboxOut:
    """Stop reading a mailbox; the mail already read stays, with what became of it."""
    return await mailboxes.delete(session, client, principal, mailbox_id)


@router.get("/inbox", response_model=list[ReceivedMailOut], responses=responses(403))
async def list_inbox(
    session: Session,
    principal: Staff,
    outcome: Annotated[
        MailOutcome | None,
        Query(description="Only mail that became this; default: unmatched and held mail"),
    ] = None,
    mailbox_id: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReceivedMailOut]:
    """Mail read from the mailboxes, newest first: by default what waits for an agent."""
    query = mailboxes.InboxQuery(outcome=outcome, mailbox_id=mailbox_id, limit=limit)
    return await mailboxes.inbox(session, principal, query)


@router.get("/inbox/{mail_id}", response_model=ReceivedMailOut, responses=responses(403, 404))
async def get_mail(mail_id: str, session: Session, principal: Staff) -> ReceivedMailOut:
    return await mailboxes.mail(session, principal, mail_id)


@router.post(
    "/inbox/{mail_id}/assign",
    response_model=ReceivedMailOut,
    responses=responses(403, 404, 409, 503),
)
async def assign_mail(
    mail_id: str, body: MailAssignment, session: Session, client: Temporal, principal: Staff
) -> ReceivedMailOut:
    """Name the account an unmatched mail is from: its ticket opens there, received when the
    mail arrived."""
    return await mailboxes.assign(session, client, principal, mail_id, body)


@router.post(
    "/inbox/{mail_id}/release",
    response_model=ReceivedMailOut,
    responses=responses(403, 404, 409, 503),
)
async def release_mail(
    mail_id: str, session: Session, client: Temporal, principal: Staff
) -> ReceivedMailOut:
    """Let a mail held for review through, as if it had just arrived."""
    return await mailboxes.release(session, client, principal, mail_id)


@router.post(
    "/inbox/{mail_id}/discard",
    response_model=ReceivedMailOut,
    responses=responses(403, 404, 409, 422, 503),
)
async def discard_mail(
    mail_id: str,
    session: Session,
    client: Temporal,
    principal: Staff,
    body: MailDiscard | None = None,
) -> ReceivedMailOut:
    """Throw away a mail waiting in the inbox (spam, or sent to us by mistake): nothing is
    opened or answered; the mail is kept with who discarded it and why."""
    return await mailboxes.discard(session, client, principal, mail_id, body or MailDiscard())
