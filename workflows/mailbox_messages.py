"""What the mailbox workflow, its activities and the API say to each other.

A module of its own so that neither side imports the other. Nothing here carries a password
in clear (only the sealed text, outbound.sealing) or a mail's content: the workflow moves ids,
and the activities read the mail from the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Creates = Literal["tickets", "complaints"]


class MailboxConfig(BaseModel):
    """Where a mailbox is and what its mail becomes; the API checked every field."""

    mailbox_id: str
    name: str
    host: str
    port: int
    tls: bool = True
    folder: str = "INBOX"
    moved_to: str = "Pledge"
    username: str
    password_sealed: str
    creates: Creates = "tickets"
    priority: str | None = None


class MailboxCarry(BaseModel):
    """The state one run hands the next (continue-as-new)."""

    version: int = 1
    paused: bool
    record_version: int
    created_at: datetime


class MailboxStart(BaseModel):
    config: MailboxConfig
    created_by: str
    fingerprint: str = ""
    carry: MailboxCarry | None = None


class Recorded(BaseModel):
    """The answer POST /mailboxes waits for (and its retries, with their fingerprint)."""

    fingerprint: str = ""


class Reconfigure(BaseModel):
    """PATCH /mailboxes/{id}: the whole new configuration (the API merged the change)."""

    config: MailboxConfig


class MailboxAct(BaseModel):
    actor: str


class MailboxView(BaseModel):
    mailbox_id: str
    paused: bool
    deleted: bool


class MailboxRecord(BaseModel):
    """The mailbox's row as its workflow last decided it (version only moves forward)."""

    id: str
    name: str
    host: str
    port: int
    tls: bool
    folder: str
    moved_to: str
    username: str
    password_sealed: str
    creates: str
    priority: str | None
    paused: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    version: int


class FetchRequest(BaseModel):
    mailbox_id: str
    batch: int = 50


class Fetched(BaseModel):
    """One look at the folder: the mails recorded (new or seen before), in arrival order.

    `error` says why the mailbox could not be read (in words for the mailbox's page); the
    waits are the worker's settings, so a deployment changes them without a new workflow.
    """

    mail_ids: list[str] = []
    more: bool = False
    idle: bool = False
    uid_validity: int | None = None
    highest_uid: int = 0
    error: str | None = None
    poll_seconds: float = 60.0
    idle_seconds: float = 300.0


class MoveRequest(BaseModel):
    mailbox_id: str
    mail_ids: list[str]


class IdleRequest(BaseModel):
    mailbox_id: str
    uid_validity: int | None
    highest_uid: int
    seconds: float


class Handled(BaseModel):
    """What became of one mail (ReceivedMail.outcome) and the record it went to."""

    outcome: str
    ticket_reference: str | None = None
    complaint_reference: str | None = None


class Decision(BaseModel):
    """An agent's word on a mail waiting in the inbox: which account an unmatched one is for
    (`account_id`), that a held one may go ahead (`account_id` None), or that either is
    thrown away (`discard`: spam, a misdirected mail), with the agent's reason."""

    mail_id: str
    actor: str
    account_id: int | None = None
    discard: bool = False
    reason: str | None = None
