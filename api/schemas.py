"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    PlainSerializer,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

import sla
from db.models import Edition, Role
from db.types import MAX_INTEGER
from sla.ticket import ClockState, TicketStatus, TicketType


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


# Every instant the API answers with: UTC, ISO 8601 with an explicit +00:00 offset.
Instant = Annotated[AwareDatetime, PlainSerializer(_utc_iso, return_type=str, when_used="json")]


NUL_MESSAGE = "must not contain NUL characters (\\u0000)"


def holds_nul(value: object) -> bool:
    """Whether a text, or any text in a list or mapping, carries a NUL character.

    PostgreSQL cannot store one in a text column (it refuses the whole statement), and a workflow
    given one retries its write for ever; SQLite stores it and truncates it elsewhere.
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    return False


class Strict(BaseModel):
    """Request bodies refuse fields they do not know, so a typo is an error, not a no-op, and
    refuse NUL characters in every text they carry, at any depth (nested models check their own).
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if holds_nul(value):
            raise PydanticCustomError("nul_character", NUL_MESSAGE)
        return value


# An id (or a reference to a row) as a client sends it: positive, and small enough for the
# database's integer columns on both backends, so an oversized one is bad input, not a 500.
Id = Annotated[int, Field(ge=1, le=MAX_INTEGER)]


def _countable_instant(value: datetime) -> datetime:
    if value < sla.EARLIEST_START:
        raise PydanticCustomError(
            "date_not_countable",
            "is before {earliest}, the earliest date Pledge counts deadlines from",
            {"earliest": f"{sla.EARLIEST_START:%Y-%m-%d}"},
        )
    if value >= sla.LATEST_START:
        raise PydanticCustomError(
            "date_not_countable",
            "is after {latest}, the latest date Pledge counts deadlines from or to",
            {"latest": f"{sla.LATEST_START - timedelta(days=1):%Y-%m-%d}"},
        )
    return value


def _countable_date(value: date) -> date:
    _countable_instant(datetime.combine(value, datetime.min.time(), UTC))
    return value


# Instants and days a workflow will count from or to: only those inside the years the deadline
# engine supports (sla.EARLIEST_START to sla.LATEST_START), or the workflow fails for good.
CountableInstant = Annotated[AwareDatetime, AfterValidator(_countable_instant)]
CountableDate = Annotated[date, AfterValidator(_countable_date)]


class ComponentHealth(BaseModel):
    status: Literal["up", "down"]
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    database: ComponentHealth
    temporal: ComponentHealth
    worker: ComponentHealth
    warnings: list[str] = Field(
        [],
        description="What runs but goes unheard, e.g. no team address for breaches nobody is "
        "assigned to; these do not change `status`",
    )


PersonName = Annotated[str, Field(min_length=1, max_length=200)]


class Me(BaseModel):
    key_id: int
    name: str
    full_name: str | None = Field(description="The person behind the key, as letters are signed")
    job_title: str | None = Field(description="Their job title, under their name in letters")
    role: Role
    account_id: int | None


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    full_name: str | None
    job_title: str | None
    role: Role
    account_id: int | None
    fingerprint: str = Field(
        description="The first 8 hex digits of the key's SHA-256: tells keys apart in a list "
        "without revealing any of the secret"
    )
    created_at: Instant
    revoked_at: Instant | None


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    full_name: PersonName | None = Field(
        None, description="The person who uses the key: letters they send are signed with it"
    )
    job_title: PersonName | None = Field(None, description="Their job title, for signatures")
    role: Role
    account_id: Id | None = Field(None, description="Required for, and only for, customer keys")


class PersonUpdate(Strict):
    """The person behind a key: send a field to change it, null to clear it."""

    full_name: PersonName | None = None
    job_title: PersonName | None = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself. It is shown this once and never again.")


class SystemCheckOut(BaseModel):
    check_id: str
    worker_identity: str
    requested_at: Instant
    recorded_at: Instant
    round_trip_ms: float


class FailureOut(BaseModel):
    """Work that could not be done after its retries: a letter, a report, a notice."""

    id: str
    at: Instant
    workflow_id: str
    kind: str = Field(description="letter, report, notice or data")
    subject: str = Field(description="The complaint's or ticket's reference, or the account")
    what: str
    error: str
    attempts: int | None


class PrioritySummary(BaseModel):
    key: str
    name: str


class PolicySummary(BaseModel):
    key: str
    name: str
    source: str
    default_calendar: str
    calendars: list[str]
    priorities: list[PrioritySummary]
    request_types: list[str]

    @classmethod
    def of(cls, policy: sla.Policy) -> PolicySummary:
        return cls(
            key=policy.key,
            name=policy.name,
            source=policy.source,
            default_calendar=policy.default_calendar,
            calendars=list(policy.calendars),
            priorities=[
                PrioritySummary(key=key, name=priority.name)
                for key, priority in policy.priorities.items()
            ],
            request_types=list(policy.request_types),
        )


class VersionSummary(BaseModel):
    """One saved version of a policy, calendar or complaint regime."""

    key: str
    version: int
    created_at: datetime
    created_by: str
    digest: str = Field(description="SHA-256 of the version's canonical JSON")


class MoveRequest(Strict):
    """Which version a policy's open tickets are to move to, and whether to do it now."""

    to_version: int = Field(ge=1, le=2**31 - 1, description="The version to move them to")
    confirm: bool = Field(
        False,
        description="false: say what the move would do and change nothing; true: move them",
    )


class MoveChange(BaseModel):
    """One deadline a move changes."""

    clock: str = Field(description="first_response, resolution, ...")
    before: Instant | None
    after: Instant | None
    shift_seconds: float | None = Field(
        description="How far it moves (negative: earlier); null when one side has no due"
    )


class MoveTicket(BaseModel):
    reference: str
    subject: str
    from_version: int | None
    changes: list[MoveChange] = Field(description="Only the deadlines that change")


class NotMoved(BaseModel):
    reference: str
    reason: str


class MoveResult(BaseModel):
    """What moving a policy's open tickets to a version would do (or did, once confirmed)."""

    policy: str
    to_version: int
    confirmed: bool
    tickets: int = Field(description="Open tickets that move (or moved)")
    deadlines_moving: int = Field(description="Deadlines among them whose due changes")
    earliest_shift_seconds: float | None = Field(description="The most any due moves earlier")
    latest_shift_seconds: float | None = Field(description="The most any due moves later")
    moves: list[MoveTicket]
    not_moved: list[NotMoved] = Field(
        description="Open tickets the version cannot take (a priority or calendar it lacks)"
    )


class PreviewRequest(Strict):
    received_at: CountableInstant = Field(
        description="When the ticket arrived, ISO 8601 with an offset",
        examples=["2026-11-19T17:00:00Z"],
    )
    priority: str | None = Field(
        None,
        description="A priority key of the policy; may be left out where the policy triages "
        "by campaign_scheduled_at (Spotler)",
        examples=["p2"],
    )
    calendar: str | None = Field(
        None, description="The account's calendar (region), e.g. `us-pst` for essensys"
    )
    request_type: str | None = Field(
        None,
        description="A request type of the policy; enhancement requests and advice carry no clock",
    )
    campaign_scheduled_at: CountableInstant | None = Field(
        None, description="When the customer's campaign is due to go out (triage)"
    )


class DeadlineDetail(BaseModel):
    name: str
    status: Literal["clock", "release", "not_promised", "no_clock"]
    target: dict[str, Any] | None
    out_of_hours: bool
    calendar: str | None
    due: Instant | None
    warnings: list[Instant]
    attainment_goal: float | None


class DeadlinePreview(BaseModel):
    """The dues as `<target>_due` (null where the target has no clock), then the details."""

    model_config = ConfigDict(extra="allow")

    first_response_due: Instant | None
    resolution_due: Instant | None
    policy: str
    priority: str
    received_at: Instant
    calendar: str
    open_at_receipt: bool
    request_type: str | None
    deadlines: dict[str, DeadlineDetail]


# -- accounts and contacts ---------------------------------------------------------------------


class AccountCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    policy: str = Field(
        description="The key of an SLA policy (GET /policies)", examples=["spotler"]
    )
    edition: Edition = Field(
        Edition.STANDARD,
        description="enterprise or standard, as the policy sells them (GET /policies/{key}, "
        "account_services.editions): e-shot and Spotler sell standard only",
    )
    calendar: str | None = Field(
        None,
        description="The policy calendar (region) the account's clocks count in, e.g. us-pacific "
        "for essensys, or a calendar kept on its own (GET /calendars) in its place; default the "
        "policy's",
    )
    account_manager_name: str | None = Field(None, max_length=200)
    account_manager_email: EmailStr | None = None
    success_manager_name: str | None = Field(
        None, max_length=200, description="Customer success manager, where the edition has one"
    )
    success_manager_email: EmailStr | None = None
    escalation_name: str | None = Field(
        None,
        max_length=200,
        description="Whom the account's contract names as its escalation point (e-shot's named"
        " director): told of every missed deadline, after the account's managers",
    )
    escalation_email: EmailStr | None = None
    webhook_url: HttpUrl | None = Field(
        None, description="Receives a JSON POST for every SLA warning and breach"
    )


class AccountUpdate(Strict):
    """Only the fields given change; null clears one."""

    policy: str | None = Field(
        None,
        max_length=64,
        description="Another SLA policy (GET /policies), such as one written for this"
        " account's contract: new tickets follow it, open ones keep theirs",
    )
    calendar: str | None = Field(
        None,
        max_length=64,
        description="A calendar (region) of the account's policy, or one kept on its own"
        " (GET /calendars) in its place; null for the policy's default",
    )
    edition: Edition | None = Field(
        None, description="What the account has bought; its workflows follow from their next cycle"
    )
    account_manager_name: str | None = Field(None, max_length=200)
    account_manager_email: EmailStr | None = None
    success_manager_name: str | None = Field(None, max_length=200)
    success_manager_email: EmailStr | None = None
    escalation_name: str | None = Field(None, max_length=200)
    escalation_email: EmailStr | None = None
    webhook_url: HttpUrl | None = None


class Services(BaseModel):
    """What the account's edition gets under its policy."""

    customer_success_manager: bool
    account_manager: bool
    quarterly_business_review: bool
    monthly_reporting: bool
    incident_reporting: bool
    onboarding_objectives: bool


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    policy: str
    edition: Edition
    calendar: str | None
    account_manager_name: str | None
    account_manager_email: str | None
    success_manager_name: str | None
    success_manager_email: str | None
    escalation_name: str | None = None
    escalation_email: str | None = None
    webhook_url: str | None
    created_at: Instant

    @computed_field  # type: ignore[prop-decorator]
    @property
    def services(self) -> Services:
        entitled = sla.get_policy(self.policy).entitlements(self.edition.value)
        return Services(**entitled.model_dump(include=set(Services.model_fields)))


class ContactCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(None, max_length=50)
    login: str | None = Field(None, max_length=200, description="Management system login")
    is_representative: bool = Field(
        False, description="An authorised representative: may raise and agree to close cases"
    )
    receives_reports: bool | None = Field(
        None,
        description="Gets the monthly reports and review invitations; unset: only if an "
        "authorised representative",
    )
    portal_access: bool | None = Field(
        None,
        description="May sign in to the customer portal; unset: only if an authorised "
        "representative",
    )
    administrator: bool = Field(
        False,
        description="Administers the account's use of the service: gets the written notice of "
        "maintenance (an account with none is told through its representatives)",
    )


class ContactUpdate(Strict):
    """Only the fields given change; null clears phone, login or receives_reports."""

    name: str | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=50)
    login: str | None = Field(None, max_length=200)
    is_representative: bool | None = None
    receives_reports: bool | None = Field(None, description="null: follow is_representative again")
    portal_access: bool | None = Field(
        None, description="false ends their portal sessions at once; null: follow is_representative"
    )
    administrator: bool | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    email: str
    phone: str | None
    login: str | None
    is_representative: bool
    # As it applies: the flag, or is_representative where the flag is unset.
    receives_reports: bool = Field(validation_alias="gets_reports")
    portal_access: bool = Field(validation_alias="may_use_portal")
    portal_invited_at: datetime | None
    administrator: bool


class AccountDetail(AccountOut):
    contacts: list[ContactOut]


# -- tickets ---------------------------------------------------------------------------------

Channel = Literal["chat", "email", "phone", "web", "monitor", "emergency"]


class TicketCreate(Strict):
    account_id: Id
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=20_000)
    channel: Channel = Field(
        description="chat, email, phone, web, monitor, or emergency: the policy's emergency "
        "line (e-shot's 24/7 emergency support), whose tickets count on its emergency calendar"
    )
    calendar: str | None = Field(
        None,
        description="Staff only: the policy calendar to count this ticket's deadlines on, e.g. "
        "e-shot's `emergency` (24/7) for an emergency out of hours; default the account's "
        "(GET /policies/{key}: calendars)",
        examples=["emergency"],
    )
    priority: str | None = Field(
        None,
        description="A priority key of the account's policy. Where the policy triages by "
        "campaign date (Spotler) it may be left out and follows campaign_scheduled_at.",
    )
    campaign_scheduled_at: CountableInstant | None = None
    type: TicketType = Field(
        TicketType.INCIDENT,
        description="incident (SLA clocks), enhancement (to development) or advice (to the "
        "account manager); the last two carry no clock",
    )
    contact_id: Id | None = None
    received_at: CountableInstant | None = Field(
        None, description="When it really arrived (phone, post); default now, never in the future"
    )


class ClockOut(BaseModel):
    target: str = Field(description="What was promised, e.g. '8 business_hours'")
    due: Instant | None
    state: ClockState
    remaining_seconds: float | None = Field(
        description="Clock time left (business time for business units); frozen while paused"
    )
    remaining: str | None = Field(
        description="The time left for people, in the unit the clock counts in: '2 working "
        "days', '1 working day and 3 h of business time', '3 h 20 min of business time', "
        "'3 h 20 min' (elapsed hours), 'overdue'; business time is never written as 24-hour "
        "days. `due` beside it is the plain instant."
    )
    met_at: Instant | None = None


class Person(BaseModel):
    name: str
    email: str | None
    job_title: str | None = None


class TicketOut(BaseModel):
    reference: str
    account_id: int
    contact_id: int | None
    subject: str
    channel: str
    type: TicketType
    policy: str
    policy_version: int | None = Field(
        description="The version of the policy the ticket keeps for its whole life"
        " (GET /policies/{policy}/versions/{policy_version})"
    )
    calendar: str = Field(
        description="The policy calendar its deadlines count on (e-shot's emergency is 24/7)"
    )
    priority: str
    status: TicketStatus
    line: int
    assignee: Person | None
    routed_to: str | None
    received_at: Instant
    first_response_due: Instant | None
    resolution_due: Instant | None
    next_due: Instant | None
    breached: bool
    clocks: dict[str, ClockOut]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    kind: str
    actor: str
    at: Instant
    summary: str
    data: dict[str, Any]


class SatisfactionOut(BaseModel):
    """How the ticket's contact said it went: asked once, at its first resolution."""

    asked_at: Instant = Field(description="When the contact was asked (the first resolution)")
    rating: Literal["good", "bad"] | None = Field(description="Null until they answer")
    comment: str = Field(description="Their comment; empty when they gave none")
    rated_at: Instant | None
    rated_by: str | None = Field(description="The contact's name, as they answered")


class AttachmentOut(BaseModel):
    """A file attached to a ticket (its bytes at `url`)."""

    id: str
    filename: str = Field(description="Cleaned of path parts and control characters")
    content_type: str = Field(description="As the file's content shows it, not as it was named")
    size: int = Field(description="In bytes")
    sha256: str
    added_by: str = Field(description="Who added it; to a customer, staff are 'Support team'")
    added_by_customer: bool
    public: bool = Field(description="Whether customers see it; theirs always are")
    added_at: Instant
    url: str = Field(description="Where to download it, with the same key")


class TicketDetail(TicketOut):
    description: str
    first_response_at: Instant | None
    resolved_at: Instant | None
    closed_at: Instant | None
    releases: list[str]
    events: list[EventOut]
    satisfaction: SatisfactionOut | None = Field(
        None, description="Null until the contact is asked how it went"
    )


# A comment is a few sentences; a whole letter belongs in a reply.
RATING_COMMENT_MAX = 2000


class RatingIn(Strict):
    """A contact's answer to "How did we do?"."""

    rating: Literal["good", "bad"]
    comment: str = Field("", max_length=RATING_COMMENT_MAX)

    @field_validator("comment", mode="before")
    @classmethod
    def _trimmed(cls, value: Any) -> Any:
        # Browsers send a textarea's line breaks as CRLF, which its maxlength counts as one.
        return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class TicketPage(BaseModel):
    tickets: list[TicketOut]
    total: int
    limit: int
    offset: int


class ActionNote(Strict):
    note: str = Field("", max_length=5000)


class WaitRequest(ActionNote):
    message: str = Field(
        "",
        max_length=10_000,
        description="What the customer is asked for: e-mailed to them and shown on their "
        "tracking page (the note stays with the support team)",
    )


class ResolveRequest(ActionNote):
    impact: str = Field(
        "", max_length=10_000, description="For an incident report: who and what was affected"
    )
    cause: str = Field("", max_length=10_000, description="For an incident report: the cause")
    actions: list[str] = Field(
        [], max_length=50, description="For an incident report: what was done, and will be"
    )


class ResponseCreate(Strict):
    author: Literal["agent", "customer"] = Field(
        "agent", description="Who replied; the first agent reply meets the first-response clock"
    )
    body: str = Field(min_length=1, max_length=50_000)


class NotFixedReport(Strict):
    what: str = Field(
        min_length=1,
        max_length=50_000,
        description="What is still wrong, in the customer's words: added to the conversation",
    )

    @field_validator("what")
    @classmethod
    def _said_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say what is still wrong")
        return value


class NoteCreate(Strict):
    body: str = Field(
        min_length=1,
        max_length=20_000,
        description="An internal note for the support team; customers never see it",
    )


class PriorityChange(Strict):
    priority: str
    note: str = Field("", max_length=5000)


class Assignment(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None


class CloseRequest(Strict):
    agreed_by_contact_id: Id | None = Field(
        None,
        description="The authorised representative who agreed to close, where the policy "
        "needs one (essensys)",
    )
    note: str = Field("", max_length=5000)


# -- releases --------------------------------------------------------------------------------


class ReleaseCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["4.12.1"])
    policy: str = Field(
        description="The product it ships for: the key of an SLA policy (GET /policies). Only "
        "that policy's tickets can be linked to it, and only its customers hear when it ships.",
        examples=["e-shot"],
    )
    kind: Literal["hotfix", "maintenance"] = Field(
        description="hotfix meets the targets promising a hot fix release, maintenance those "
        "promising a maintenance release"
    )
    planned_for: CountableDate = Field(
        description="The day it is planned for, today or later in the policy's own time zone"
    )
    notes: str = Field("", max_length=20_000)


class ReleaseLink(Strict):
    references: list[str] = Field(min_length=1, max_length=500)


class ReleaseOut(BaseModel):
    id: str
    name: str
    policy: str | None = Field(
        description="The policy (product) it ships for; null only for a release planned "
        "before releases named one and never linked to a ticket"
    )
    kind: str
    planned_for: date
    notes: str
    shipped_at: Instant | None
    tickets: list[str]


# -- complaints ------------------------------------------------------------------------------

JurisdictionKey = Literal["england-and-wales", "scotland", "northern-ireland", "any-uk"]
RegimeKey = Literal["standard", "housing-stage-1", "housing-stage-2", "fca", "sar"]


class Complainant(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = Field(
        None, description="Letters go by e-mail; without one they are printed and posted"
    )
    postal_address: str | None = Field(
        None,
        max_length=1000,
        description="Lines separated by newlines; required when there is no e-mail address",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Complainant:
        if self.email is None and not (self.postal_address or "").strip():
            raise PydanticCustomError(
                "no_address",
                "needs an e-mail address or a postal address, so the letters can reach them",
            )
        if self.postal_address is not None and len(self.postal_address.splitlines()) > 6:
            raise PydanticCustomError(
                "address_too_long",
                "a postal address has at most 6 lines, so it fits an envelope's window",
            )
        return self


class ComplainantOut(BaseModel):
    """A complainant as logged (older complaints were held to fewer rules than Complainant's)."""

    name: str
    email: str | None
    postal_address: str | None


class HandlerIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    job_title: PersonName | None = Field(None, description="Signed under their name in letters")


class ComplaintCreate(Strict):
    complainant: Complainant
    account_id: Id | None = None
    summary: str = Field(min_length=1, max_length=20_000)
    channel: Literal["letter", "email", "phone", "web", "chat", "in-person"]
    received_at: CountableInstant | None = Field(
        None, description="When it arrived (post, phone); default now, never in the future"
    )
    jurisdiction: JurisdictionKey = Field(
        "england-and-wales", description="Whose bank holidays the working days skip"
    )
    regime: str = Field(
        "standard",
        min_length=1,
        max_length=64,
        description="Which deadlines apply: a regime's key (GET /regimes); the complaint keeps"
        " its newest version for life",
    )
    handler: HandlerIn | None = None


class ComplaintClockOut(BaseModel):
    due: Instant
    state: Literal["running", "met", "breached"]
    met_at: Instant | None
    remaining: str | None = Field(
        None,
        description="While running, the time left in the unit the deadline counts in: "
        "'5 working days after today', 'until the end of today', or calendar time for a "
        "deadline in weeks (FCA); 'overdue' once past `due`",
    )


class ExtensionOut(BaseModel):
    at: Instant
    reason: str
    previous_due: Instant
    new_due: Instant
    in_time: bool = Field(description="Sent before the date it moved, so the promise still holds")


class LetterOut(BaseModel):
    id: str
    kind: str
    sent_at: Instant
    url: str
    delivery: Literal["email", "post"] | None = Field(
        None,
        description="How it reached the complainant: e-mailed to them, or sent to the handler "
        "to print and post; null until it is made",
    )


class ComplaintOut(BaseModel):
    reference: str
    status: Literal["received", "acknowledged", "replied", "closed", "reopened"]
    regime: str
    regime_version: int | None = Field(
        None, description="The version of the regime it keeps (GET /regimes/{regime}/versions)"
    )
    jurisdiction: str
    account_id: int | None
    complainant: ComplainantOut
    summary: str
    channel: str
    handler: Person | None
    received_at: Instant
    acknowledgement_due: Instant | None
    reply_due: Instant
    original_reply_due: Instant
    next_due: Instant | None
    overdue: bool
    clocks: dict[str, ComplaintClockOut]
    extensions: list[ExtensionOut]
    letters: list[LetterOut]


class ComplaintDetail(ComplaintOut):
    acknowledged_at: Instant | None
    replied_at: Instant | None
    closed_at: Instant | None
    events: list[EventOut]


class ComplaintSummary(BaseModel):
    """A line of the handler's board."""

    model_config = ConfigDict(from_attributes=True)

    reference: str
    status: str
    regime: str
    complainant_name: str
    handler_name: str | None
    received_at: Instant
    acknowledgement_due: Instant | None
    reply_due: Instant
    next_due: Instant | None
    overdue: bool
    extensions: int


class ComplaintBoard(BaseModel):
    complaints: list[ComplaintSummary]
    total: int
    limit: int
    offset: int


class ExtendRequest(Strict):
    reason: str = Field(min_length=1, max_length=5000, description="Why the reply is late")
    new_reply_by: CountableDate = Field(description="The last day of the new reply date")


class ComplaintReply(Strict):
    body: str = Field(
        min_length=1, max_length=50_000, description="The full reply, as the letter says it"
    )


class FeedUrl(BaseModel):
    url: str


# -- reports ---------------------------------------------------------------------------------


class ReportCreate(Strict):
    period: str = Field(description="The month to report on, YYYY-MM", examples=["2026-10"])
    send: bool = Field(
        False, description="Also e-mail it to the account's representatives and success manager"
    )


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    kind: str
    period: str
    title: str
    filename: str
    requested_by: str
    created_at: Instant
    emailed_to: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return f"/reports/{self.id}/pdf"


# -- onboarding objectives and metrics -------------------------------------------------------


class OwnerIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None


class ObjectiveCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Grow the mailing list"])
    metric: str = Field(
        min_length=1,
        max_length=100,
        description="The metric that measures it",
        examples=["subscribers"],
    )
    target: float | None = Field(
        None, allow_inf_nan=False, description="The value the metric must reach", examples=[5000]
    )
    direction: Literal["at_least", "at_most"] = Field(
        "at_least", description="at_least: reach the target or more; at_most: stay at or below it"
    )
    due_on: CountableDate = Field(description="The last day to reach it")
    owner: OwnerIn


class ObjectiveOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    metric: str
    target: float
    direction: str
    due_on: date
    owner_name: str
    owner_email: str | None
    status: Literal["open", "achieved", "missed"]
    decided_at: Instant | None
    achieved_value: float | None
    plan_id: int | None
    created_at: Instant


class MeasurementCreate(Strict):
    name: str = Field(min_length=1, max_length=100, examples=["subscribers"])
    value: float = Field(allow_inf_nan=False)
    at: CountableInstant | None = Field(None, description="When it was measured; default now")


class MeasurementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    value: float
    at: Instant
    recorded_by: str


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    created_at: Instant
    summary: dict[str, Any]


# -- quarterly business reviews --------------------------------------------------------------


class ReviewCreate(Strict):
    starts_at: CountableInstant = Field(
        description="When the meeting starts: on a working day, within the account's working "
        "hours (its calendar's open hours and 08:00-18:00 local); it reviews the quarter before"
    )
    duration_minutes: int = Field(60, ge=15, le=480)


class RescheduleRequest(Strict):
    starts_at: CountableInstant = Field(
        description="The new start: on a working day, within the account's working hours"
    )


class RecommendationsIn(Strict):
    text: str = Field(max_length=20_000, description="The success manager's recommendations")


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    quarter: str
    starts_at: Instant
    duration_minutes: int
    status: Literal["scheduled", "cancelled", "held"]
    sequence: int
    recommendations: str
    pack_report_id: int | None
    invited: list[str]
    outcome: str | None
    created_by: str
    created_at: Instant

    @computed_field  # type: ignore[prop-decorator]
    @property
    def invite_url(self) -> str:
        return f"/reviews/{self.id}/invite.ics"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pack_url(self) -> str | None:
        return f"/reviews/{self.id}/pack" if self.pack_report_id else None


class ActionIn(Strict):
    description: str = Field(min_length=1, max_length=2000)
    owner: OwnerIn
    due_on: CountableDate


class OutcomeIn(Strict):
    outcome: str = Field(min_length=1, max_length=20_000, description="What was agreed")
    actions: list[ActionIn] = Field([], max_length=100)


class ReviewActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    review_id: int
    description: str
    owner_name: str
    owner_email: str | None
    due_on: date
    status: Literal["open", "overdue", "done"]
    done_at: Instant | None
    done_by: str | None


# -- monitors --------------------------------------------------------------------------------

MIN_INTERVAL = 30  # sla.monitor.MIN_INTERVAL_SECONDS: re-checks come 20 and 60 s apart
ServiceKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z][a-z0-9-]*$",
        description="One of the organisation's own services, by a short key: `platform`, "
        "`api`, `sending`, or another of lower-case letters, digits and hyphens",
        examples=["api"],
    ),
]
MonitorState = Literal["unknown", "up", "pending", "down"]


class MonitorCreate(Strict):
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="The http or https address probed (redirects are followed). Loopback and "
        "private addresses are refused unless PLEDGE_MONITOR_ALLOWED_HOSTS names the host.",
        examples=["https://www.harbourcafe.invalid/"],
    )
    account_id: Id | None = Field(
        None, description="The customer whose website this is: its outages open tickets"
    )
    service: ServiceKey | None = Field(
        None, description="Instead of account_id: one of the organisation's own services"
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="What people call it; the site's host name unless given (a service's "
        "display name: 'The API')",
    )
    interval_seconds: int = Field(300, ge=MIN_INTERVAL, le=86_400)
    expected_status: int = Field(200, ge=100, le=599)
    keyword: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Text the page must contain (case-sensitive, in its first megabyte)",
    )


class MonitorUpdate(Strict):
    """The fields to change; `keyword: null` stops checking for one."""

    url: str | None = Field(None, min_length=1, max_length=2000)
    name: str | None = Field(None, min_length=1, max_length=200)
    interval_seconds: int | None = Field(None, ge=MIN_INTERVAL, le=86_400)
    expected_status: int | None = Field(None, ge=100, le=599)
    keyword: str | None = Field(None, min_length=1, max_length=200)


class ProbeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: Instant
    ok: bool
    status_code: int | None
    response_ms: int | None
    error: str | None = Field(description="Why it failed, in words; null when it passed")
    cert_expires_at: Instant | None


class OutageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    started_at: Instant
    ended_at: Instant | None
    ticket_reference: str | None
    in_maintenance: bool
    cause: str | None


class MonitorOut(BaseModel):
    id: str
    name: str
    url: str
    account_id: int | None
    service: str | None
    interval_seconds: int
    expected_status: int
    keyword: str | None
    paused: bool
    state: MonitorState = Field(
        description="unknown until the first probe; pending while a failure is re-checked; "
        "down after three failures in a row; up again after two good answers"
    )
    state_since: Instant | None
    last_result: ProbeOut | None
    outage: OutageOut | None = Field(description="The outage under way, if any")
    uptime: dict[UptimeWindow, float | None] | None = Field(
        None,
        description="Up time as a share (0 to 1) of the time probed outside maintenance over "
        "the last 24h, 7d, 30d and 90d (each from the start of the hour that long ago); null "
        "where nothing was probed: no data is never counted as up",
    )
    created_by: str
    created_at: Instant
    updated_at: Instant


# -- incidents on the status page ---------------------------------------------------------------

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["degraded", "partial", "major"]
IncidentMessage = Annotated[
    str,
    Field(
        min_length=1,
        max_length=5000,
        description="What people reading the status page are told, in plain words",
        examples=["Some e-mails are being sent late. We are looking into it."],
    ),
]


# -- maintenance windows ---------------------------------------------------------------------

MaintenanceState = Literal["scheduled", "in_progress", "completed", "cancelled"]
MaintenanceServices = Annotated[
    list[ServiceKey],
    Field(
        min_length=1,
        max_length=20,
        description="The own services it affects, as monitors name them (`platform`, `api`, "
        "`sending`, ...): their monitors open no tickets during the window",
        examples=[["platform", "sending"]],
    ),
]


class IncidentCreate(Strict):
    title: str = Field(min_length=1, max_length=200, examples=["E-mails are being sent late"])
    services: list[ServiceKey] = Field(
        min_length=1,
        max_length=20,
        description="The own services it affects (`platform`, `api`, `sending`, or another "
        "service a monitor watches)",
        examples=[["sending"]],
    )
    impact: Impact = Field(
        description="degraded (slow, or some errors), partial (part of it is out) or major "
        "(it is out)"
    )
    status: IncidentStatus = "investigating"
    message: IncidentMessage
    publish: bool = Field(
        False, description="Publish at once on /status (and mail subscribers); else a draft"
    )
    monitor_ids: list[str] = Field(
        [], max_length=50, description="Monitors of the affected services (never a customer's)"
    )
    ticket_references: list[str] = Field(
        [], max_length=200, description="Customers' tickets about it: seen by staff only"
    )


class IncidentChange(Strict):
    """The words to change (those left out stay); `message` rewords the first update, and
    only while the incident is a draft."""

    title: str | None = Field(None, min_length=1, max_length=200)
    impact: Impact | None = None
    services: list[ServiceKey] | None = Field(None, min_length=1, max_length=20)
    message: IncidentMessage | None = None


class IncidentUpdateCreate(Strict):
    status: IncidentStatus
    message: IncidentMessage


class IncidentLinks(Strict):
    monitor_ids: list[str] = Field([], max_length=50)
    ticket_references: list[str] = Field([], max_length=200)


class IncidentUpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    status: IncidentStatus
    message: str
    at: Instant
    posted_by: str


class IncidentOut(BaseModel):
    id: str
    title: str
    impact: Impact
    services: list[str]
    status: IncidentStatus = Field(description="The latest update's")
    published: bool
    created_by: str
    created_at: Instant
    published_at: Instant | None
    resolved_at: Instant | None
    updated_at: Instant
    updates: list[IncidentUpdateOut] = Field(description="Newest first")
    monitor_ids: list[str]
    ticket_references: list[str]


class MaintenanceCreate(Strict):
    title: str = Field(min_length=1, max_length=200, examples=["Database upgrade"])
    description: str = Field(
        "",
        max_length=5000,
        description="What happens and what customers will notice, in their words",
        examples=["Campaigns scheduled in the window are sent when it ends."],
    )
    services: MaintenanceServices
    starts_at: CountableInstant = Field(examples=["2026-12-08T21:00:00Z"])
    ends_at: CountableInstant = Field(examples=["2026-12-08T23:00:00Z"])
    policy: str = Field(
        min_length=1,
        max_length=64,
        description="The policy whose maintenance promise applies (e-shot: 20:00-02:00 UK "
        "time, 2 days' notice); its accounts' administrators are told",
        examples=["e-shot"],
    )
    account_ids: list[Id] = Field(
        [],
        max_length=500,
        description="Only these accounts are told (default: every account on the policy); "
        "their own websites' monitors are under maintenance too",
    )


class MaintenanceUpdate(Strict):
    """The fields to change, while the window has not started; the rules are checked again and
    everyone told of it is told of the change."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    services: MaintenanceServices | None = None
    starts_at: CountableInstant | None = None
    ends_at: CountableInstant | None = None


class MaintenanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    description: str
    services: list[str]
    policy: str
    account_ids: list[int]
    starts_at: Instant
    ends_at: Instant
    timezone: str = Field(description="The zone its times are written in for people")
    state: MaintenanceState = Field(
        description="scheduled once announced; in_progress from its start; completed at its "
        "end; cancelled"
    )
    sequence: int = Field(description="Rises with every change announced (iCalendar SEQUENCE)")
    announced_at: Instant
    created_by: str
    created_at: Instant
    updated_at: Instant
    cancelled_at: Instant | None


# -- on call (services/on_call.py) -------------------------------------------------------------


class OnCallSet(Strict):
    """Who answers out-of-hours emergency pages in a week."""

    user_id: Id = Field(description="The member of staff on call (a console user)")
    holiday_user_id: Id | None = Field(
        None,
        description="Who answers pages on the week's bank holidays instead; null: the week's "
        "person covers them too",
    )


class OnCallPerson(BaseModel):
    user_id: int
    name: str
    email: str


class BankHoliday(BaseModel):
    date: date
    name: str


class OnCallWeekOut(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W47", examples=["2026-W47"])
    starts_at: Instant = Field(description="Monday 00:00 in the team calendar's zone")
    ends_at: Instant = Field(description="The next Monday 00:00 in that zone")
    person: OnCallPerson | None = Field(description="Null: nobody; pages go to the team address")
    holiday_cover: OnCallPerson | None
    bank_holidays: list[BankHoliday] = Field(
        description="The week's bank holidays in the team calendar"
    )
    set_by: str | None
    set_at: Instant | None


UptimeWindow = Literal["24h", "7d", "30d", "90d"]
DayState = Literal["up", "partial", "down", "maintenance", "no-data"]


class DayUptimeOut(BaseModel):
    day: date = Field(description="A day in the monitor's zone (`zone`)")
    state: DayState = Field(
        description="up: no down time; partial: some; down: up less than half the time probed; "
        "maintenance: only announced maintenance besides up time; no-data: nothing probed"
    )
    uptime: float | None = Field(
        description="Up time as a share of the time probed outside maintenance; null: no data"
    )
    down_minutes: int
    maintenance_minutes: int
    known_minutes: int = Field(description="Minutes some probe spoke for; the rest is no data")
    response_ms: float | None = Field(description="Mean response time of passing probes")
    response_p95_ms: int | None = Field(
        description="95th percentile response time, where the day's raw results or roll-up keep it"
    )


class MonitorUptimeOut(BaseModel):
    monitor_id: str
    zone: str = Field(description="The time zone the days are in: the account's, else UTC")
    days: list[DayUptimeOut] = Field(description="Oldest first, ending with today")


class ResponsePointOut(BaseModel):
    at: Instant
    ok: bool
    response_ms: int | None = Field(description="null when the probe got no answer")


# -- mail in: support mailboxes (services/mailboxes.py) -----------------------------------------

MailboxCreates = Literal["tickets", "complaints"]
# An IMAP folder name as written: printable, no control characters.
FolderName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
# A user name sent in IMAP's LOGIN: a line break there would end the command early.
MailUser = Annotated[str, Field(min_length=1, max_length=320, pattern=r"^[^\x00-\x1f\x7f]+$")]


class MailboxCreate(Strict):
    host: str = Field(
        min_length=1,
        max_length=253,
        description="The IMAP server's name or address. Loopback and private addresses are "
        "refused unless PLEDGE_MAILBOX_ALLOWED_HOSTS names the host.",
        examples=["imap.mail.invalid"],
    )
    port: int = Field(993, ge=1, le=65535, description="993 for IMAP over TLS, 143 without")
    tls: bool = Field(True, description="Connect over TLS (the certificate is checked)")
    folder: FolderName = Field("INBOX", description="Where new mail arrives")
    moved_to: FolderName = Field(
        "Pledge", description="Where handled mail is moved (made if missing)"
    )
    username: MailUser
    password: str = Field(
        min_length=1,
        max_length=1000,
        description="Stored sealed (encrypted); never returned by the API",
    )
    creates: MailboxCreates = Field(
        "tickets", description="What its mail becomes: tickets, or complaints"
    )
    priority: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="The priority its tickets get where the account's policy has it; "
        "otherwise the policy's own default",
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="What people call it; the user name and host unless given",
    )


class MailboxUpdate(Strict):
    """Only what is given changes; `password` replaces the stored one."""

    host: str | None = Field(None, min_length=1, max_length=253)
    port: int | None = Field(None, ge=1, le=65535)
    tls: bool | None = None
    folder: FolderName | None = None
    moved_to: FolderName | None = None
    username: MailUser | None = None
    password: str | None = Field(None, min_length=1, max_length=1000)
    creates: MailboxCreates | None = None
    priority: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    paused: bool | None = Field(None, description="True stops reading it until set false")


class MailboxOut(BaseModel):
    """A mailbox as Pledge reads it. The password is never part of it."""

    id: str
    name: str
    host: str
    port: int
    tls: bool
    folder: str
    moved_to: str
    username: str
    creates: MailboxCreates
    priority: str | None
    paused: bool
    deleted: bool
    checked_at: Instant | None = Field(description="When it was last read")
    last_error: str | None = Field(description="Why it could not be read then; null when it was")
    created_by: str
    created_at: Instant
    updated_at: Instant


MailOutcome = Literal[
    "pending",
    "ticket",
    "reply",
    "complaint",
    "unmatched",
    "held",
    "ignored",
    "assigned",
    "discarded",
]


class ReceivedMailOut(BaseModel):
    """One mail read from a mailbox, and what became of it."""

    id: str
    mailbox_id: str
    arrived_at: Instant
    sender: str
    sender_name: str
    subject: str
    text: str = Field(description="The mail's text, quoted history and signature left out")
    automatic: str | None = Field(description="Why it is machine mail (never answered)")
    outcome: MailOutcome
    outcome_note: str | None
    account_id: int | None
    ticket_reference: str | None
    complaint_reference: str | None
    decided_by: str | None


class MailDiscard(Strict):
    reason: str | None = Field(
        None,
        max_length=500,
        description="Why it was thrown away (spam, sent to us by mistake): kept with the mail",
    )


class MailAssignment(Strict):
    account_id: Id = Field(description="The account the mail's ticket is opened for")
    add_contact: bool = Field(
        True,
        description="Add the sender as a contact of the account (when not one already), so "
        "the ticket is theirs and they get its confirmation; false is refused for a sender who"
        " is not a contact already (nobody would hear of the ticket)",
    )
