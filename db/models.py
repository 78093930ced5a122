"""The tables Pledge keeps, as SQLAlchemy 2 typed models."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime, utcnow

# Explicit constraint names keep Alembic's batch migrations on SQLite and its autogenerate
# comparisons on PostgreSQL stable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_class: type[enum.Enum]) -> Enum:
    """An enum stored as its value in a VARCHAR, so adding a member needs no ALTER TYPE."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    """What an API key may do."""

    ADMIN = "admin"
    AGENT = "agent"
    SUCCESS_MANAGER = "success_manager"
    COMPLAINTS_HANDLER = "complaints_handler"
    CUSTOMER = "customer"


class ApiKey(Base):
    """A bearer key; only its SHA-256 is stored, the secret is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The person behind the key, as letters are signed: "Jane Smith", "Complaints Manager".
    # Until people sign in as users, this is how a handler's letters carry their own name.
    full_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    # A customer key sees one account only; every other role leaves this empty.
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Scopes the key's Idempotency-Keys; never shown (keys minted before 0008 hold the start of
    # their secret here, kept so that their retries still find what they made).
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Calendar apps cannot send a bearer header: a subscribed feed URL carries a token instead,
    # and it dies with the key. Only its SHA-256 is kept, as for the key itself.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def fingerprint(self) -> str:
        """The start of the key's hash: tells keys apart in a list and reveals no secret."""
        return self.secret_hash[:8]


class SystemCheck(Base):
    """One end-to-end round trip: API -> Temporal -> worker -> activity -> database."""

    __tablename__ = "system_checks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    worker_identity: Mapped[str] = mapped_column(String(200))


class Edition(enum.StrEnum):
    """What an account has bought; the policy says what each edition is entitled to."""

    ENTERPRISE = "enterprise"
    STANDARD = "standard"


class Account(Base):
    """A customer: the policy its promises follow and who looks after it."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    policy: Mapped[str] = mapped_column(String(64))
    edition: Mapped[Edition] = mapped_column(str_enum(Edition))
    # The policy calendar (region) its clocks count in; None for the policy's default.
    calendar: Mapped[str | None] = mapped_column(String(64))
    account_manager_name: Mapped[str | None] = mapped_column(String(200))
    account_manager_email: Mapped[str | None] = mapped_column(String(320))
    # The customer success manager (essensys's Enterprise edition): reviews and reports.
    success_manager_name: Mapped[str | None] = mapped_column(String(200))
    success_manager_email: Mapped[str | None] = mapped_column(String(320))
    # Whom a contract names as the escalation point (e-shot's named director): told of
    # warnings and breaches after the account's managers.
    escalation_name: Mapped[str | None] = mapped_column(String(200))
    escalation_email: Mapped[str | None] = mapped_column(String(320))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    # Signs every webhook (HMAC-SHA256); shown once when issued, kept in clear to sign with.
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contact(Base):
    """A person at an account; authorised representatives may raise and close cases."""

    __tablename__ = "contacts"
    __table_args__ = (Index("uq_contacts_account_email", "account_id", "email", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    login: Mapped[str | None] = mapped_column(String(200))
    is_representative: Mapped[bool] = mapped_column(Boolean, default=False)
    # Gets the monthly reports and review invitations; None follows is_representative, so a
    # policy without representatives (e-shot) can still name who gets them.
    receives_reports: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A leaver: kept so their tickets' history keeps their name, but listed and mailed no more.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # May sign in to the portal; None follows is_representative (essensys's representatives).
    portal_access: Mapped[bool | None] = mapped_column(Boolean)
    portal_invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An administrator of the customer's use of the service: gets the written notice of
    # maintenance (e-shot's "administrators"). An account with none is told through its
    # authorised representatives instead (activities/maintenance.py).
    administrator: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def gets_reports(self) -> bool:
        if self.receives_reports is None:
            return self.is_representative
        return self.receives_reports

    @property
    def may_use_portal(self) -> bool:
        if self.removed_at is not None:
            return False
        if self.portal_access is None:
            return self.is_representative
        return self.portal_access


class Ticket(Base):
    """The read model of a ticket workflow, kept current by its activities."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_account_status", "account_id", "status"),
        Index("ix_tickets_next_due", "next_due"),
        Index("ix_tickets_policy_version", "policy", "policy_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    policy: Mapped[str] = mapped_column(String(64))
    # The version of `policy` the ticket runs under (policy_versions); its workflow holds it.
    policy_version: Mapped[int | None] = mapped_column(Integer)
    calendar: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    line: Mapped[int] = mapped_column(Integer)
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    assignee_email: Mapped[str | None] = mapped_column(String(320))
    routed_to: Mapped[str | None] = mapped_column(String(32))
    campaign_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(200))
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The workflow's change counter: a retried or late write of an older state is ignored.
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketClock(Base):
    """One target of one ticket: its due and its state (running, paused, met, breached)."""

    __tablename__ = "ticket_clocks"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    clock: Mapped[str] = mapped_column(String(16))
    calendar: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_remaining_seconds: Mapped[float | None] = mapped_column(Float)


class TicketEvent(Base):
    """The append-only history of a ticket: who did what, when."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_seq", "ticket_id", "seq"),)

    # "<reference>:<seq>": the workflow numbers its events, so a retried write is a no-op.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TicketAttachment(Base):
    """A file attached to a ticket, as its workflow recorded it (with the event that says so).

    The bytes live apart, in attachment_contents, so listing a ticket's files reads none of
    them. A customer sees the public ones only: what customers added, and what staff chose to
    show them.
    """

    __tablename__ = "ticket_attachments"
    __table_args__ = (Index("ix_ticket_attachments_ticket_seq", "ticket_id", "seq"),)

    # Chosen by the API when the bytes arrive, so the bytes can be stored before the record.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    # The ticket event that records the attaching ("<reference>:<seq>"), and its number: files
    # attached together share an instant, so this is their order.
    event_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(200))  # a person's name
    added_by_customer: Mapped[bool] = mapped_column(Boolean)
    public: Mapped[bool] = mapped_column(Boolean)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttachmentContent(Base):
    """The bytes of an attachment, written by the API before the workflow records it; bytes
    with no ticket_attachments row (a request Temporal refused) are never listed or served."""

    __tablename__ = "attachment_contents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Release(Base):
    """A hot fix or maintenance release that release-based promises wait for."""

    __tablename__ = "releases"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The product it ships for; NULL only for a release planned before releases named one and
    # never linked (migration 0014 takes the others' from their tickets).
    policy: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    planned_for: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReleaseTicket(Base):
    __tablename__ = "release_tickets"

    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """One message sent about an event, so a retried activity does not send it twice."""

    __tablename__ = "notifications"

    # "<event id>:<channel>:<recipient>"
    id: Mapped[str] = mapped_column(String(500), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(2000))
    role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Complaint(Base):
    """The read model of a complaint workflow: its statutory clocks and where it stands."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    complainant_name: Mapped[str] = mapped_column(String(200))
    # None for someone with only a postal address: their letters are printed and posted.
    complainant_email: Mapped[str | None] = mapped_column(String(320))
    complainant_address: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    regime: Mapped[str] = mapped_column(String(32))
    # The version of `regime` the complaint runs under (policy_versions).
    regime_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    handler_name: Mapped[str | None] = mapped_column(String(200), index=True)
    handler_email: Mapped[str | None] = mapped_column(String(320))
    handler_title: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledgement_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_due: Mapped[datetime] = mapped_column(UTCDateTime)
    original_reply_due: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledgement_state: Mapped[str | None] = mapped_column(String(16))
    reply_state: Mapped[str] = mapped_column(String(16))
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    # Replied by the (possibly extended) date, every extension sent in time; None while open.
    reply_kept: Mapped[bool | None] = mapped_column(Boolean)
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplaintEvent(Base):
    """The append-only history of a complaint."""

    __tablename__ = "complaint_events"
    __table_args__ = (Index("ix_complaint_events_complaint_seq", "complaint_id", "seq"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Letter(Base):
    """A letter sent to a complainant, kept as the PDF they received."""

    __tablename__ = "letters"

    # "<reference>:<event seq>": the event that sent it, so a retried render stores it once.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "email" (sent to the complainant) or "post" (sent to the handler to print and post);
    # None for letters kept before 0013, which all went by e-mail.
    delivery: Mapped[str | None] = mapped_column(String(16))


class Report(Base):
    """A report produced for an account (monthly, review pack, incident), kept as its PDF."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_account_kind_period", "account_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Who asked for it, once: a scheduled run's workflow id, or an on-demand request's; a
    # retried activity finds its report here instead of storing a second one.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # The figures as reported, so anyone can check the PDF against GET /metrics/sla.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    emailed_to: Mapped[list[str]] = mapped_column(JSON, default=list)


class Objective(Base):
    """A measurable objective agreed with a customer at onboarding (e-shot)."""

    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(100))
    target: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(16))  # at_least | at_most
    due_on: Mapped[date] = mapped_column(Date)
    owner_name: Mapped[str] = mapped_column(String(200))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | achieved | missed
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    achieved_value: Mapped[float | None] = mapped_column(Float)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("account_plans.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The request that made it (its Idempotency-Key, or a random one): written once.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class Measurement(Base):
    """One reading of an account's metric; objectives are decided by them."""

    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_account_name_at", "account_id", "name", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
    # The request that made it (its Idempotency-Key, or a random one): written once.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class AccountPlan(Base):
    """The account management plan onboarding ends with: its objectives and how they went."""

    __tablename__ = "account_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The onboarding run that made it: one plan per run, whatever retries.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Review(Base):
    """A quarterly business review: the meeting, its invitation and its pack."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Who proposed it, once: "account-<id>-review-<quarter>" for the quarterly proposal.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    quarter: Mapped[str] = mapped_column(String(8))  # the quarter it reviews
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # scheduled | cancelled | held
    # iCalendar: the UID never changes; SEQUENCE rises with every reschedule and the cancel.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    recommendations: Mapped[str] = mapped_column(Text, default="")
    pack_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    invited: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewAction(Base):
    """An action agreed at a review, with an owner and a date, tracked to done."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(200))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | overdue | done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Failure(Base):
    """Work that could not be done after its retries (a letter, a report, a notice), kept so
    that people see it: GET /system/failures, and a line in the case's history."""

    __tablename__ = "failures"

    # "<workflow id>:<what>", so the activity that records it may run twice.
    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # letter | report | notice | data
    subject: Mapped[str] = mapped_column(String(200))  # a reference, or an account
    what: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int | None] = mapped_column(Integer)


class User(Base):
    """A member of staff who signs in to the console with an e-mail address and a password.

    Roles are a list (one or more of admin, agent, success_manager, complaints_handler): a
    person may handle complaints and answer tickets. Removing a user keeps the row (their name
    stays in the histories they wrote) and ends their sessions.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    # The address lower-cased: Jane@X and jane@x are one person, and one sign-in.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    # None until the invitation is accepted: nobody can sign in as them before.
    password_hash: Mapped[str | None] = mapped_column(String(300))
    # Random per user: scopes their Idempotency-Keys, as an API key's prefix does.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by: Mapped[str | None] = mapped_column(String(200))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserToken(Base):
    """A single-use link sent by e-mail: an invitation or a password reset. Only its SHA-256
    is kept; using it, or its expiry, ends it."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invitation | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random value, this row only its SHA-256.

    It ends at the first of: idle too long (last_seen_at), too old (expires_at), or revoked
    (signing out, a password change, the user's removal).
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class PortalLink(Base):
    """A single-use sign-in link e-mailed to a contact; only its SHA-256 is kept. It signs in
    only when the page it opens is submitted (mail scanners open links), once, before it expires."""

    __tablename__ = "portal_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Where the person was going when asked to sign in: a portal path, checked when used.
    next_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalSession(Base):
    """A customer signed in to the portal, as WebSession is for staff: the cookie holds a
    random value, this row its SHA-256; removing the contact or their access ends it."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class SatisfactionAsk(Base):
    """That a ticket's contact was asked how it went: once per ticket, by the first resolution's
    mail (its event), so a ticket reopened and resolved again does not ask a second time."""

    __tablename__ = "satisfaction_asks"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    # The resolution that asked: a retried send of the same mail asks again, a later one not.
    event_id: Mapped[str] = mapped_column(String(40))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketRating(Base):
    """How the contact said it went, good or bad, with a comment: one per ticket, written on
    a button press (their mail's link or the portal), the latest press winning while the
    ticket is open to change (services/satisfaction.py)."""

    __tablename__ = "ticket_ratings"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    # The contact's name as it was when they answered: a leaver's answer keeps its author.
    rated_by: Mapped[str] = mapped_column(String(200))
    rating: Mapped[str] = mapped_column(String(8))  # good | bad
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Monitor(Base):
    """A URL watched by its workflow (monitor-<id>): a customer's website (account_id) or one
    of the organisation's own services (service: platform, api, sending, ...).

    Written only by that workflow's activities: its settings as last changed, and its state
    (unknown, up, pending, down) as the workflow last decided it. Deleting keeps the row
    (deleted_at), so outages and results keep what they belong to.
    """

    __tablename__ = "monitors"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # M-XXXX-XXXX
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    service: Mapped[str | None] = mapped_column(String(32), index=True)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    expected_status: Mapped[int] = mapped_column(Integer, default=200)
    keyword: Mapped[str | None] = mapped_column(String(200))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The workflow's change counter: a retried or late write of an older state is ignored.
    version: Mapped[int] = mapped_column(Integer)


class MonitorResult(Base):
    """One probe as it happened, raw: what uptime, response-time charts and roll-ups read.

    Keyed by monitor and instant (a retried probe is another probe, at another instant), so
    the key is also the index a time range of one monitor is read by.
    """

    __tablename__ = "monitor_results"
    # The uptime roll-up reads every monitor's results of one hour, and retention deletes
    # by age: by instant alone, which the key (monitor first) cannot serve.
    __table_args__ = (Index("ix_monitor_results_at", "at"),)

    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_ms: Mapped[int | None] = mapped_column(Integer)
    # Why it failed, in words ("answered 503, expected 200"); None when it passed.
    error: Mapped[str | None] = mapped_column(String(500))
    # When the site's TLS certificate expires (https only).
    cert_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How long after it was due the probe ran: the monitor's own health, not the site's.
    lag_ms: Mapped[int | None] = mapped_column(Integer)


class _UptimeFigures:
    """The figures of one period (sla/uptime.Figures): kept per hour and per day."""

    probes: Mapped[int] = mapped_column(Integer)
    ok_probes: Mapped[int] = mapped_column(Integer)
    # Time some probe spoke for; the rest of the period is no data.
    known_seconds: Mapped[int] = mapped_column(Integer)
    down_seconds: Mapped[int] = mapped_column(Integer)
    maintenance_seconds: Mapped[int] = mapped_column(Integer)
    # Response times of passing probes, in milliseconds.
    rt_count: Mapped[int] = mapped_column(Integer)
    rt_sum: Mapped[int] = mapped_column(Integer)
    rt_min: Mapped[int | None] = mapped_column(Integer)
    rt_max: Mapped[int | None] = mapped_column(Integer)
    rt_p95: Mapped[int | None] = mapped_column(Integer)


class MonitorHour(_UptimeFigures, Base):
    """One monitor's UTC hour, rolled up from its raw results (which go after 30 days).

    Written only by the uptime roll-up (activities/uptime.py); rolling an hour again writes the
    same row. An hour with no row is read from the raw results.
    """

    __tablename__ = "monitor_hours"

    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)


class MonitorDay(_UptimeFigures, Base):
    """One monitor's day in its zone (its account's calendar, else UTC), rolled up from its
    hours once they are all rolled; kept when the hours are gone."""

    __tablename__ = "monitor_days"

    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))


class UptimeRollup(Base):
    """How far the roll-up has gone: every monitor's hours before `through` are rolled
    (name "hours"), so raw results before it (and 30 days old) may go."""

    __tablename__ = "uptime_rollups"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    through: Mapped[datetime] = mapped_column(UTCDateTime)


class Outage(Base):
    """A monitor's time down: from its first failed probe to the first of the two that brought
    it back (ended_at None while it lasts), with the ticket it opened, if any."""

    __tablename__ = "outages"
    __table_args__ = (Index("uq_outages_monitor_started", "monitor_id", "started_at", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # When the third failure confirmed it.
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause: Mapped[str | None] = mapped_column(String(500))
    ticket_reference: Mapped[str | None] = mapped_column(String(20))
    # It began inside a maintenance window of the service: no ticket was opened for it.
    in_maintenance: Mapped[bool] = mapped_column(Boolean, default=False)


class MonitorTlsWarning(Base):
    """A warning sent that a monitored site's certificate expires soon: one per certificate
    (its expiry) and threshold (21, 14 or 7 days), so each is sent once."""

    __tablename__ = "monitor_tls_warnings"

    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True)
    cert_expires_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)


class Incident(Base):
    """Something wrong with one of the organisation's own services, told on the status page.

    Written only by its workflow (incident-<id>) through its activities: the whole row at each
    change, by version (a late retry of an older state is ignored). A draft is seen by staff
    only; published, it is on /status and in the feed, and its subscribers are mailed.
    """

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # I-XXXX-XXXX
    title: Mapped[str] = mapped_column(String(200))
    # degraded (slow or some errors), partial (part of it out), major (out altogether)
    impact: Mapped[str] = mapped_column(String(16))
    # The own services it affects, by key (platform, api, sending, ...).
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The latest update's: investigating, identified, monitoring, resolved.
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)


class IncidentUpdate(Base):
    """One update of an incident, numbered from 1 in the order posted (the first is the message
    it was opened with); public once the incident is published."""

    __tablename__ = "incident_updates"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by: Mapped[str] = mapped_column(String(200))


class IncidentMonitor(Base):
    """A monitor of an own service that an incident is about (staff see it; the public not)."""

    __tablename__ = "incident_monitors"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True)


class IncidentTicket(Base):
    """A customer's ticket about the incident: shown to staff only, never on /status."""

    __tablename__ = "incident_tickets"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    ticket_reference: Mapped[str] = mapped_column(String(20), primary_key=True)


class StatusSubscription(Base):
    """Someone who asked to be mailed about incidents and confirmed it by their link.

    One row per address (lower case). `services` None means every service. Unsubscribing keeps
    the row (unsubscribed_at) so that a later confirmation brings it back."""

    __tablename__ = "status_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    services: Mapped[list[str] | None] = mapped_column(JSON)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatusSubscriptionLink(Base):
    """A confirmation link mailed to an address that asked to subscribe: only its SHA-256 is
    kept; it subscribes once, before it expires, and only when the page it opens is submitted."""

    __tablename__ = "status_subscription_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    services: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MaintenanceWindow(Base):
    """Announced maintenance of our own services (and, when it names accounts, of those
    customers' sites), written only by its workflow (maintenance-<id>) through its activities.

    `state`: scheduled, in_progress, completed or cancelled. `sequence` is the iCalendar
    SEQUENCE: it rises with every change people are told of, so a calendar keeps the newest.
    """

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_ends_at", "ends_at"),)

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # W-XXXX-XXXX
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The policy whose rule it was checked against; its accounts are told of it.
    policy: Mapped[str] = mapped_column(String(64), index=True)
    # When given, only these accounts are told, and their own sites' monitors are covered too.
    account_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The zone its times are written in for staff (the policy's maintenance calendar's).
    timezone: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    # Who signs its notices: the person who scheduled it (or last changed it).
    signed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The workflow's change counter: a retried or late write of an older state is ignored.
    version: Mapped[int] = mapped_column(Integer)


class OnCallWeek(Base):
    """Who answers out-of-hours emergency pages in one week of the team calendar (Monday to
    Monday, local time), and who covers its bank holidays if not them (sla/team.py).

    Written only by services/on_call.py (an admin's choice); read by the paging activity.
    """

    __tablename__ = "on_call_weeks"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    holiday_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PolicyVersion(Base):
    """One version of terms an admin wrote: an SLA policy, a calendar or a complaint regime.

    Immutable: a save adds the next version and nothing updates a row, so a case can name the
    exact terms it was made under by (kind, key, version), and `digest` (SHA-256 of `body`'s
    canonical JSON, as sla.snapshot computes it) says they are what they were. `body` is the
    engine model's JSON (sla/authoring.py). Written only by services/policies.py; the
    migration that made the table loaded the presets and regimes as version 1 of each.
    """

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("kind", "key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # policy, calendar or regime
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class Mailbox(Base):
    """A support mailbox read over IMAP by its workflow (mailbox-<id>): what it creates
    (tickets or complaints), where it lives, and how it fared when last read.

    Written only by that workflow's activities. The password is sealed (outbound.sealing)
    and never leaves the database but to log in. Deleting keeps the row (deleted_at), so the
    mail read from it keeps where it came from.
    """

    __tablename__ = "mailboxes"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # B-XXXX-XXXX
    name: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[bool] = mapped_column(Boolean, default=True)
    folder: Mapped[str] = mapped_column(String(200))
    moved_to: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(320))
    password_sealed: Mapped[str] = mapped_column(Text)
    creates: Mapped[str] = mapped_column(String(16))  # tickets or complaints
    # The priority its tickets get when the account's policy has it; None: the policy's own.
    priority: Mapped[str | None] = mapped_column(String(32))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    # The last time it was read, and what went wrong then (None: it was read without fault).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ReceivedMail(Base):
    """One mail read from a mailbox, recorded before it is moved out of the folder it came to.

    (mailbox_id, dedupe_key) is unique: the key is the Message-ID, or the SHA-256 of the raw
    bytes when there is none, so a mail read twice (a crash before the move, a server that
    shows it again) is one row and one ticket. `raw` is the mail as received; `outcome` says
    what became of it: pending (recorded, not yet acted on), ticket, reply, complaint,
    unmatched (waiting for an agent to name the account), held (its sender opened too many in
    an hour), ignored (machine mail), assigned and released (decided by an agent), discarded
    (thrown away by an agent: spam, a mail sent to us by mistake). Written only by the
    mailbox's workflow, through its activities.
    """

    __tablename__ = "received_mails"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "dedupe_key"),
        Index("ix_received_mails_sender_arrived", "sender", "arrived_at"),
        Index("ix_received_mails_outcome", "outcome"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mailbox_id: Mapped[str] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(1000))
    # Where it was last seen: UIDs hold only within one UIDVALIDITY of the folder.
    uid: Mapped[int | None] = mapped_column(Integer)
    uid_validity: Mapped[int | None] = mapped_column(BigInteger)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the server's INTERNALDATE
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(1000))
    sender: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(1000))
    automatic: Mapped[str | None] = mapped_column(String(100))
    display_text: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    outcome_note: Mapped[str | None] = mapped_column(Text)  # why, in words an agent reads
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    ticket_reference: Mapped[str | None] = mapped_column(String(20), index=True)
    complaint_reference: Mapped[str | None] = mapped_column(String(20))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
