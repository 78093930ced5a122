"""Raising a ticket from the customer portal: what the form asks under the account's policy,
what Pledge will promise, and opening it as the signed-in customer.

The account and the contact are always the principal's own (a customer signed in to the
portal); nothing here takes either from the browser. Opening goes through
services.tickets.open_ticket on channel `web`, and the promised times come from
services.tickets.promised, so the form, the API and the ticket's workflow share one triage,
one set of checks and one deadline engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

import sla
from api.auth import Principal
from api.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    PledgeError,
)
from api.references import reference_for_key
from api.schemas import AttachmentOut, CountableInstant, TicketCreate, TicketOut
from api.ticket_views import ticket_out
from db import ticket_reads
from db.models import Account, Contact, Role, Ticket
from reports.customer_words import level_description, level_terms, routed_words, ticket_zone
from reports.words import possessive
from services import attachments, tickets
from settings import Settings
from sla.ticket import TicketType

CHANNEL = "web"
# The form's file input; its refusals are shown beside it.
FILES = "body.files"
# The details a policy may require (essensys 1.1.5) that Pledge keeps on the contact: asked
# only while the contact has none, and kept there for the next time.
ON_CONTACT = {
    "representative_name": "name",
    "contact_phone": "phone",
    "management_system_login": "login",
}
_CAMPAIGN = TypeAdapter(CountableInstant)


@dataclass(frozen=True)
class Level:
    """A priority as the form offers it: its name, when it applies, what it promises."""

    key: str
    name: str
    description: str
    terms: list[str]


@dataclass(frozen=True)
class Kind:
    """A kind of request the policy names (Spotler: support, enhancement, advice)."""

    type: str  # a TicketType value
    name: str
    description: str
    clock: bool


@dataclass(frozen=True)
class Detail:
    """Something the policy requires of the person raising a ticket."""

    key: str
    label: str
    known: str | None  # what Pledge already has; the form asks only when this is None
    required: bool  # False: only 'if requested' (essensys's Management System login)


@dataclass(frozen=True)
class RaiseForm:
    """What the form asks of this person under their account's policy."""

    policy: sla.Policy
    account: Account
    contact: Contact
    levels: list[Level]
    # The dated fact the policy picks the priority from (Spotler's campaign date); the form
    # asks it instead of offering the priorities.
    triage_field: str | None
    kinds: list[Kind]
    details: list[Detail]
    description_label: str
    zone: str
    default_priority: str
    # Why this person may not raise tickets (essensys: only authorised representatives).
    refusal: str = ""

    @property
    def asked(self) -> list[Detail]:
        return [d for d in self.details if d.known is None]

    def kind(self, type_: str) -> Kind | None:
        return next((k for k in self.kinds if k.type == type_), None)


@dataclass(frozen=True)
class Answers:
    """What the person gave; every field as typed (blank when not given)."""

    subject: str = ""
    description: str = ""
    priority: str | None = None
    type: str = TicketType.INCIDENT.value
    campaign_scheduled_at: datetime | None = None
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Promise:
    """What a ticket sent now would get: its priority and its deadlines (None: no clock)."""

    priority: str
    level: Level
    kind: Kind | None
    deadlines: sla.TicketDeadlines | None
    zone: str
    at: datetime


def _customer(principal: Principal) -> None:
    if principal.role is not Role.CUSTOMER or principal.contact_id is None:
        raise Forbidden("Tickets are raised here by a customer signed in to the portal")


def _kind_type(kind: sla.policy.RequestType) -> TicketType:
    """A policy's request type as the ticket's type: routed ones by where they go."""
    if kind.clock:
        return TicketType.INCIDENT
    return next((t for t in TicketType if t.route_to == kind.route_to), TicketType.INCIDENT)


async def form_for(session: AsyncSession, principal: Principal) -> RaiseForm:
    """The questions for the principal's own account and contact."""
    _customer(principal)
    account = await session.get(Account, principal.account_id)
    contact = await session.get(Contact, principal.contact_id)
    assert account is not None and contact is not None  # the portal session's own rows
    policy = sla.get_policy(account.policy)
    levels = [
        Level(key, prio.name, level_description(policy, key), level_terms(policy, key))
        for key, prio in policy.priorities.items()
    ]
    kinds = [
        Kind(
            _kind_type(kind).value,
            kind.name,
            kind.description if kind.clock else routed_words(kind.route_to),
            kind.clock,
        )
        for kind in policy.request_types.values()
    ]
    details, description_label = [], "Description"
    for required in policy.tickets.required_fields:
        if required.key == "description":
            description_label = required.label
            continue
        attribute = ON_CONTACT.get(required.key)
        known = getattr(contact, attribute) if attribute else None
        details.append(
            Detail(required.key, required.label, known or None, required.when == "always")
        )
    refusal = ""
    if not may_raise(policy, contact):
        refusal = (
            f"Only {possessive(account.name)} authorised representatives can raise requests "
            "with us. "
            "Please ask one of them to raise it, or ask your organisation to name you as one."
        )
    return RaiseForm(
        policy=policy,
        account=account,
        contact=contact,
        levels=levels,
        triage_field=policy.triage.field if policy.triage is not None else None,
        kinds=kinds,
        details=details,
        description_label=description_label,
        zone=ticket_zone(policy.key, account.calendar),
        default_priority=policy.default_priority or next(iter(policy.priorities)),
        refusal=refusal,
    )


def _check_choice(form: RaiseForm, answers: Answers) -> list[FieldProblem]:
    problems = []
    if answers.type != TicketType.INCIDENT.value and form.kind(answers.type) is None:
        known = ", ".join(k.name for k in form.kinds) or "a support request"
        problems.append(FieldProblem(field="body.type", message=f"choose one of: {known}"))
    chosen = _priority(form, answers)
    incident = answers.type == TicketType.INCIDENT.value
    if incident and not form.triage_field and chosen not in {lv.key for lv in form.levels}:
        known = ", ".join(level.name for level in form.levels)
        problems.append(
            FieldProblem(field="body.priority", message=f"choose how urgent it is: {known}")
        )
    if answers.campaign_scheduled_at is not None:
        try:
            _CAMPAIGN.validate_python(answers.campaign_scheduled_at)
        except ValidationError as exc:
            problems.append(
                FieldProblem(field="body.campaign_scheduled_at", message=exc.errors()[0]["msg"])
            )
    return problems


def _priority(form: RaiseForm, answers: Answers) -> str | None:
    # Where the policy triages, the answers decide, not a level sent along with them.
    return None if form.triage_field else (answers.priority or None)


def promise(form: RaiseForm, principal: Principal, answers: Answers, at: datetime) -> Promise:
    """The priority and deadlines a ticket with these answers would get, sent at `at`."""
    _customer(principal)
    if problems := _check_choice(form, answers):
        raise InvalidInput.of(problems)
    # Only what decides the deadlines: the subject and description are not asked for yet.
    body = TicketCreate.model_construct(
        account_id=form.account.id,
        channel=CHANNEL,
        calendar=None,
        priority=_priority(form, answers),
        campaign_scheduled_at=answers.campaign_scheduled_at,
        type=TicketType(answers.type),
    )
    priority, deadlines = tickets.promised(form.policy, form.account, principal, body, at)
    level = next(level for level in form.levels if level.key == priority)
    return Promise(priority, level, form.kind(answers.type), deadlines, form.zone, at)


def _description(form: RaiseForm, answers: Answers) -> str:
    """The description, and below it any detail the policy requires that the contact does not
    keep, so the team reads it with the ticket."""
    text = answers.description.strip()
    extra = [
        f"{detail.label}: {given}"
        for detail in form.asked
        if detail.key not in ON_CONTACT and (given := answers.details.get(detail.key, "").strip())
    ]
    return "\n\n".join([text, "\n".join(extra)]) if text and extra else text


def _body(form: RaiseForm, answers: Answers) -> TicketCreate:
    """The ticket as the API takes it, every problem with the answers named at once."""
    problems = _check_choice(form, answers)
    for detail in form.asked:
        if detail.required and not answers.details.get(detail.key, "").strip():
            problems.append(FieldProblem(field=f"body.{detail.key}", message="is required"))
        elif len(answers.details.get(detail.key, "")) > 200:
            problems.append(
                FieldProblem(field=f"body.{detail.key}", message="is longer than 200 characters")
            )
    try:
        body = TicketCreate.model_validate(
            {
                "account_id": form.account.id,
                "contact_id": form.contact.id,
                "channel": CHANNEL,
                "subject": answers.subject.strip(),
                "description": _description(form, answers),
                "priority": _priority(form, answers),
                "campaign_scheduled_at": answers.campaign_scheduled_at,
                "type": answers.type if form.kind(answers.type) else TicketType.INCIDENT.value,
            }
        )
    except ValidationError as exc:
        problems += InvalidInput.from_validation(exc).errors or []
        raise InvalidInput.of(problems) from None
    if problems:
        raise InvalidInput.of(problems)
    return body


@dataclass(frozen=True)
class Raised:
    """The ticket opened, and what became of the files sent with it."""

    ticket: TicketOut
    attached: list[AttachmentOut] = field(default_factory=list)
    # Why the files could not be stored with the ticket, which is open all the same.
    files_refused: str = ""
    # The same request was sent moments before (the back button, then Send): this is that one.
    already_sent: bool = False


# A request sent again word for word within this long is taken for the one already sent.
SENT_AGAIN_WITHIN = timedelta(minutes=30)


async def _sent_just_now(
    session: AsyncSession, principal: Principal, body: TicketCreate
) -> TicketOut | None:
    """The ticket this contact opened with these very words a moment ago, if any: a form shown
    again by the back button carries a new nonce, and sending it must not open a second."""
    since = datetime.now(UTC) - SENT_AGAIN_WITHIN
    earlier = await session.scalar(
        select(Ticket)
        .where(
            Ticket.account_id == principal.account_id,
            Ticket.contact_id == principal.contact_id,
            Ticket.channel == "web",
            Ticket.subject == body.subject,
            Ticket.description == body.description,
            Ticket.received_at >= since,
        )
        .order_by(Ticket.received_at.desc())
        .limit(1)
    )
    if earlier is None:
        return None
    clocks = await ticket_reads.clocks_of(session, [earlier.id])
    return ticket_out(earlier, clocks.get(earlier.id, []))


def _check_files(files: Sequence[attachments.NewFile], settings: Settings) -> list[FieldProblem]:
    """Every file against the attachment rules, before anything is opened: one refusal beside
    the files field, naming each file refused."""
    limit = attachments.max_size(settings)
    refusals = []
    for new in files:
        try:
            attachments.check(new.filename, new.data, max_size=limit, field=FILES)
        except (InvalidInput, PayloadTooLarge) as exc:
            refusals += [problem.message for problem in exc.errors or []]
    if not refusals:
        return []
    return [FieldProblem(field=FILES, message="; ".join(refusals))]


def may_raise(policy: sla.Policy, contact: Contact) -> bool:
    """Whether this contact may raise requests (essensys: its authorised representatives only)."""
    return policy.tickets.raised_by != "authorised_representative" or contact.is_representative


async def raise_ticket(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    answers: Answers,
    nonce: str | None,
    files: Sequence[attachments.NewFile] = (),
) -> Raised:
    """Open the ticket for the principal's account and contact, on channel web, with its files.

    `nonce` is the form's own (one per form shown): sending the same form twice reaches the
    same ticket instead of opening a second, and attaches its files once. Details the contact
    lacked and gave here (a telephone number, a login) are kept on the contact, never
    overwriting what staff recorded. A file the rules refuse refuses the whole form, so
    nothing opens without the files it was sent with.
    """
    form = await form_for(session, principal)
    if form.refusal:
        raise Forbidden(form.refusal)
    try:
        body = _body(form, answers)
        problems = []
    except InvalidInput as exc:
        body, problems = None, list(exc.errors or [])
    problems += _check_files(files, settings)
    if problems or body is None:
        raise InvalidInput.of(problems)
    contact, before = form.contact, {}
    for detail in form.asked:
        attribute = ON_CONTACT.get(detail.key)
        given = answers.details.get(detail.key, "").strip()
        if attribute and given:
            before[attribute] = getattr(contact, attribute)
            setattr(contact, attribute, given)
    await session.flush()
    key = f"portal-raise-{nonce}" if nonce else None
    # This form's own ticket, if it went before (a double click): opening again reaches it.
    own = reference_for_key("T", principal.key_prefix, key) if key else None
    went_before = own is not None and (
        await session.scalar(select(Ticket.id).where(Ticket.reference == own)) is not None
    )
    earlier = None if went_before else await _sent_just_now(session, principal, body)
    if earlier is not None:
        return Raised(earlier, already_sent=True)
    started = datetime.now(UTC)
    try:
        ticket = await tickets.open_ticket(session, client, settings, principal, body, key)
    except PledgeError as exc:
        # Opening commits before it waits on Temporal: a form that opened nothing takes back
        # the details it gave, so the contact is as it was and the form asks them again.
        if before:
            for attribute, value in before.items():
                setattr(contact, attribute, value)
            await session.commit()
        if not isinstance(exc, Conflict) or key is None:
            raise
        # The form was sent before with other answers (the back button, a change, Send).
        sent = reference_for_key("T", principal.key_prefix, key)
        raise Conflict(
            f"This form was already sent, as request {sent}. To raise what it says now as a "
            "new request, send it again."
        ) from None
    # A form sent again reaches the ticket it opened before, which took its files then.
    if not files or ticket.received_at < started:
        return Raised(ticket)
    try:
        attached = await attachments.add_attachments(
            session, client, settings, principal, ticket.reference, files, field=FILES
        )
    except PledgeError as exc:
        return Raised(ticket, files_refused=exc.detail)
    return Raised(ticket, attached)
