"""Accounts and their contacts: add, change and read them, as the API and the console do.

Who may: any staff role reads and keeps contacts; success managers (and admins) add and change
accounts. A customer sees its own account only, and never its webhook URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

import sla
from api.auth import Principal
from api.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from api.schemas import (
    AccountCreate,
    AccountDetail,
    AccountOut,
    AccountUpdate,
    ContactCreate,
    ContactOut,
    ContactUpdate,
)
from api.temporal_calls import temporal_unreachable
from api.webhook_schemas import AccountWritten, WebhookSecret
from db import contacts as current_contacts
from db.models import Account, Contact, Edition, Role, Ticket
from db.sla_figures import SlaFigures, sla_figures
from db.types import utcnow
from outbound import egress, signing
from reports.charts import Share, attainment_bars
from services import portal_access, terms
from services.roles import STAFF, STAFF_OR_CUSTOMER, SUCCESS_MANAGERS, allow
from settings import Settings
from sla.periods import month_bounds
from sla.ticket import ACTIVE
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow
from workflows.account_success import workflow_id as success_workflow_id


async def load_account(session: AsyncSession, account_id: int, principal: Principal) -> Account:
    """The account, if it exists and the caller may see it (404 otherwise, 403 for customers)."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}")
    if not principal.can_see_account(account_id):
        raise Forbidden("A customer key sees its own account only")
    return account


# -- checks ------------------------------------------------------------------------------------


async def _check_webhook_url(url: str, settings: Settings, resolver: egress.Resolver) -> None:
    """422 unless the URL may be called: what it resolves to now (in a thread, off the loop).

    With webhooks off nothing is resolved (no traffic for a URL nobody will call); the call
    is checked again when webhooks are on and one is sent.
    """
    try:
        if settings.webhooks_enabled:
            await egress.resolve(url, settings.allowed_webhook_hosts, resolver)
        else:
            egress.check_url_form(url, settings.allowed_webhook_hosts)
    except egress.EgressRefused as exc:
        raise InvalidInput.for_field("body.webhook_url", f"the webhook URL {exc}") from None


def _check_policy(body: AccountCreate) -> None:
    try:
        policy = sla.get_policy(body.policy)
    except sla.UnknownPolicy as exc:
        raise InvalidInput.for_field("body.policy", str(exc)) from None
    _check_calendar(policy, body.calendar)
    _check_escalation(body.escalation_name, body.escalation_email)
    _check_edition(policy, body.edition.value)
    _check_success_manager(policy, body.edition.value, body.success_manager_name)
    _check_account_manager(policy, body.model_dump(include=body.model_fields_set))


def _check_escalation(name: str | None, email: str | None) -> None:
    """An escalation contact is someone Pledge can tell: a name needs an address."""
    if name and not email:
        raise InvalidInput.for_field(
            "body.escalation_email",
            "is needed with escalation_name: the escalation contact is told by e-mail",
        )


def _check_calendar(policy: sla.Policy, calendar: str | None) -> None:
    """A calendar of the policy, or one kept on its own (/calendars) that overrides it."""
    if calendar is None:
        return
    try:
        policy.calendar(calendar)
    except sla.UnknownCalendar:
        raise InvalidInput.for_field(
            "body.calendar",
            f"policy {policy.key!r} has no calendar {calendar!r} (known: "
            f"{', '.join(policy.calendars)}), and no calendar of that key is kept on its own"
            " (GET /calendars)",
        ) from None


def _new_terms(account: Account, changes: dict[str, Any]) -> sla.Policy:
    """The policy an account moves to (its own contract's, say), with its calendar: checked,
    and `changes` completed. Open tickets keep the terms they were opened under."""
    if "policy" in changes and changes["policy"] is None:
        raise InvalidInput.for_field("body.policy", "an account always has a policy")
    key = changes.get("policy", account.policy)
    try:
        policy = sla.get_policy(key)
    except sla.UnknownPolicy as exc:
        raise InvalidInput.for_field("body.policy", str(exc)) from None
    calendar = changes.get("calendar", account.calendar)
    if "calendar" not in changes and calendar is not None:
        try:
            policy.calendar(calendar)
        except sla.UnknownCalendar:
            calendar = None  # the old policy's region: the new policy's default instead
    _check_calendar(policy, calendar)
    managed = {
        field: changes.get(field, getattr(account, field))
        for field in ("account_manager_name", "account_manager_email")
    }
    if not policy.has_account_managers and any(managed.values()):
        raise InvalidInput.for_field(
            "body.policy",
            f"policy {key!r} has no account managers: clear account_manager_name and"
            " account_manager_email in the same change",
        )
    changes["policy"], changes["calendar"] = key, calendar
    return policy


def _check_account_manager(policy: sla.Policy, changes: dict[str, object]) -> None:
    """No account manager is named at an account whose policy has none (e-shot)."""
    if policy.has_account_managers:
        return
    for field in ("account_manager_name", "account_manager_email"):
        if changes.get(field) is not None:
            raise InvalidInput.for_field(
                f"body.{field}",
                f"policy {policy.key!r} has no account managers (its team looks after every "
                "account); name a success manager, or leave it unset",
            )


def _check_edition(policy: sla.Policy, edition: str) -> None:
    """Only an edition the policy sells: e-shot has one subscription, with no enterprise tier."""
    offered = policy.editions()
    if edition not in offered:
        raise InvalidInput.for_field(
            "body.edition",
            f"policy {policy.key!r} offers no {edition} edition; it offers: {', '.join(offered)}",
        )


def _check_success_manager(policy: sla.Policy, edition: str, name: str | None) -> None:
    """A success manager only where the edition has success services to run."""
    services = policy.entitlements(edition)
    if name and not (services.customer_success_manager or services.quarterly_business_review):
        raise InvalidInput.for_field(
            "body.success_manager_name",
            f"the {edition} edition under policy {policy.key!r} has no customer success "
            "manager or reviews; change the edition first",
        )


def _written(account: Account, settings: Settings, secret: str | None) -> AccountWritten:
    return AccountWritten(
        **AccountOut.model_validate(account).model_dump(),
        webhook_secret=secret,
        webhooks_enabled=settings.webhooks_enabled,
    )


def _as_seen_by(principal: Principal, account: AccountOut) -> AccountOut:
    """Customers do not see the webhook URL: it often carries the receiver's own token."""
    if principal.role is Role.CUSTOMER:
        account.webhook_url = None
    return account


# -- accounts ----------------------------------------------------------------------------------


async def create_account(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    resolver: egress.Resolver,
    principal: Principal,
    body: AccountCreate,
) -> AccountWritten:
    """Add an account and start its success work; with a webhook URL, its secret, this once."""
    allow(principal, *SUCCESS_MANAGERS)
    _check_policy(body)
    account = Account(**body.model_dump(mode="json"))
    if account.webhook_url is not None:
        await _check_webhook_url(account.webhook_url, settings, resolver)
        account.webhook_secret = signing.new_secret()
    session.add(account)
    try:
        # Committed before Temporal is called: a transaction held open across that call would
        # keep SQLite's write lock from the worker and every other request meanwhile.
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"An account called {body.name!r} already exists") from None
    try:
        await client.start_workflow(
            AccountSuccessWorkflow.run,
            AccountSuccessStart(
                account_id=account.id,
                policy=account.policy,
                calendar=account.calendar,
                terms=sla.PolicySnapshot.of(terms.account_policy(account.policy, account.calendar)),
            ),
            id=success_workflow_id(account.id),
            task_queue=settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except BaseException as exc:
        # Without its workflow the account would silently get no reports: take it back. Had
        # the start gone through after all, the workflow finds no account and ends.
        await session.execute(delete(Account).where(Account.id == account.id))
        await session.commit()
        reason = temporal_unreachable(exc) or (exc.message if isinstance(exc, RPCError) else None)
        if reason is None:
            raise
        raise ServiceUnavailable(
            f"Temporal did not accept the account's success workflow ({reason}); "
            "the account was not kept. Try again."
        ) from None
    return _written(account, settings, account.webhook_secret)


async def list_accounts(session: AsyncSession, principal: Principal) -> list[AccountOut]:
    """Every account by name (a customer sees its own)."""
    query = select(Account).order_by(Account.name)
    if principal.role is Role.CUSTOMER:
        query = query.where(Account.id == principal.account_id)
    return [
        _as_seen_by(principal, AccountOut.model_validate(account))
        for account in await session.scalars(query)
    ]


async def _current_contacts(session: AsyncSession, account_id: int) -> list[Contact]:
    return list(
        await session.scalars(
            select(Contact)
            .where(Contact.account_id == account_id, current_contacts.current())
            .order_by(Contact.name)
        )
    )


async def account_detail(
    session: AsyncSession, principal: Principal, account_id: int
) -> AccountDetail:
    """An account with its current contacts."""
    account = await load_account(session, account_id, principal)
    contacts = await _current_contacts(session, account_id)
    return AccountDetail(
        **_as_seen_by(principal, AccountOut.model_validate(account)).model_dump(),
        contacts=[ContactOut.model_validate(contact) for contact in contacts],
    )


async def update_account(
    session: AsyncSession,
    settings: Settings,
    resolver: egress.Resolver,
    principal: Principal,
    account_id: int,
    body: AccountUpdate,
) -> AccountWritten:
    """Change the edition, the managers or the webhook; only the fields given change."""
    allow(principal, *SUCCESS_MANAGERS)
    changes = body.model_dump(mode="json", include=body.model_fields_set)
    if changes.get("webhook_url") is not None:
        # Before the account is read: no transaction waits on a DNS answer.
        await _check_webhook_url(changes["webhook_url"], settings, resolver)
    account = await load_account(session, account_id, principal)
    if "edition" in changes and changes["edition"] is None:
        raise InvalidInput.for_field("body.edition", "an account always has an edition")
    edition = changes.get("edition", account.edition.value)
    manager = changes.get("success_manager_name", account.success_manager_name)
    if "policy" in changes or "calendar" in changes:
        policy = _new_terms(account, changes)
        _check_edition(policy, edition)
    else:
        policy = sla.get_policy(account.policy)
    if "edition" in changes:  # an account from before editions were checked keeps its own
        _check_edition(policy, edition)
    _check_success_manager(policy, edition, manager)
    _check_account_manager(policy, changes)
    _check_escalation(
        changes.get("escalation_name", account.escalation_name),
        changes.get("escalation_email", account.escalation_email),
    )
    for name, value in changes.items():
        setattr(account, name, Edition(value) if name == "edition" else value)
    issued = None
    if "webhook_url" in changes:
        if account.webhook_url is None:
            account.webhook_secret = None
        elif account.webhook_secret is None:
            issued = account.webhook_secret = signing.new_secret()
    await session.flush()
    return _written(account, settings, issued)


async def rotate_webhook_secret(
    session: AsyncSession, settings: Settings, principal: Principal, account_id: int
) -> WebhookSecret:
    """A new signing secret, shown once; the old one stops working at once."""
    allow(principal, *SUCCESS_MANAGERS)
    account = await load_account(session, account_id, principal)
    if account.webhook_url is None:
        raise Conflict("The account has no webhook URL; set one first (PATCH /accounts/{id})")
    account.webhook_secret = signing.new_secret()
    await session.flush()
    return WebhookSecret(
        account_id=account.id,
        webhook_url=account.webhook_url,
        webhook_secret=account.webhook_secret,
        webhooks_enabled=settings.webhooks_enabled,
    )


# -- contacts ----------------------------------------------------------------------------------


async def add_contact(
    session: AsyncSession, principal: Principal, account_id: int, body: ContactCreate
) -> Contact:
    """Add a person at the account. Someone who left and comes back (a removed contact's
    e-mail) is added again as the same contact, so their earlier tickets stay theirs."""
    allow(principal, *STAFF)
    await load_account(session, account_id, principal)
    returning = await session.scalar(
        select(Contact).where(
            Contact.account_id == account_id,
            Contact.email == body.email,
            Contact.removed_at.is_not(None),
        )
    )
    if returning is not None:
        for name, value in body.model_dump().items():
            setattr(returning, name, value)
        returning.removed_at = None
        await session.flush()
        return returning
    taken = await session.scalar(
        select(Contact.id).where(Contact.account_id == account_id, Contact.email == body.email)
    )
    if taken is not None:
        # Asked before the insert: a failed insert would undo the whole request's transaction.
        raise Conflict(f"The account already has a contact with e-mail {body.email}")
    contact = Contact(account_id=account_id, **body.model_dump())
    session.add(contact)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"The account already has a contact with e-mail {body.email}") from None
    return contact


async def _load_contact(session: AsyncSession, account_id: int, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.account_id != account_id:
        raise NotFound(f"No contact with id {contact_id} at account {account_id}")
    return contact


async def update_contact(
    session: AsyncSession,
    principal: Principal,
    account_id: int,
    contact_id: int,
    body: ContactUpdate,
) -> Contact:
    """Correct a contact, or make or unmake them a representative or a report recipient.
    Only the fields given change; null clears phone or login, and puts receives_reports back
    to following is_representative."""
    allow(principal, *STAFF)
    await load_account(session, account_id, principal)
    contact = await _load_contact(session, account_id, contact_id)
    if contact.removed_at is not None:
        raise Conflict(
            f"{contact.name} was removed from the account; add them again "
            f"(POST /accounts/{account_id}/contacts) to change their details"
        )
    changes = body.model_dump(include=body.model_fields_set)
    for name in ("name", "email", "is_representative"):
        if name in changes and changes[name] is None:
            raise InvalidInput.for_field(f"body.{name}", "cannot be cleared")
    if changes.get("email") not in (None, contact.email):
        taken = await session.scalar(
            select(Contact.id).where(
                Contact.account_id == account_id,
                Contact.email == changes["email"],
                Contact.id != contact.id,
            )
        )
        if taken is not None:
            raise Conflict(f"The account already has a contact with e-mail {changes['email']}")
    for name, value in changes.items():
        setattr(contact, name, value)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"The account already has a contact with e-mail {contact.email}") from None
    if not contact.may_use_portal:
        await portal_access.revoke_sessions(session, contact.id)
    return contact


async def remove_contact(
    session: AsyncSession, principal: Principal, account_id: int, contact_id: int
) -> Contact:
    """A contact who has left is listed, mailed and named on new tickets no more; the tickets
    they raised keep their name. Removing them again changes nothing."""
    allow(principal, *STAFF)
    await load_account(session, account_id, principal)
    contact = await _load_contact(session, account_id, contact_id)
    if contact.removed_at is None:
        contact.removed_at = utcnow()
        await session.flush()
    await portal_access.revoke_sessions(session, contact.id)
    return contact


async def invite_to_portal(
    session: AsyncSession, principal: Principal, account_id: int, contact_id: int
) -> tuple[Contact, Account]:
    """Give a contact the portal (a success manager or admin does); the caller mails them."""
    allow(principal, *SUCCESS_MANAGERS)
    account = await load_account(session, account_id, principal)
    contact = await _load_contact(session, account_id, contact_id)
    if contact.removed_at is not None:
        raise Conflict(
            f"{contact.name} was removed from the account; add them again "
            f"(POST /accounts/{account_id}/contacts) before inviting them"
        )
    contact.portal_access = True
    contact.portal_invited_at = utcnow()
    await session.flush()
    return contact, account


async def list_contacts(
    session: AsyncSession, principal: Principal, account_id: int
) -> list[Contact]:
    """The account's current contacts (those removed are not listed); anyone who may see
    the account may see them."""
    await load_account(session, account_id, principal)
    return await _current_contacts(session, account_id)


# -- the console's views -----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    """One line of the accounts list."""

    id: int
    name: str
    policy: str
    policy_name: str
    edition: str
    success_manager_name: str | None
    open_tickets: int


async def account_rows(
    session: AsyncSession, principal: Principal, search: str | None = None
) -> list[AccountRow]:
    """The accounts list for staff: each with its policy, edition, success manager and how
    many of its tickets are open; those whose name holds `search` (any case) when given."""
    allow(principal, *STAFF)
    open_count = (
        select(Ticket.account_id, func.count().label("open"))
        .where(Ticket.status.in_([status.value for status in ACTIVE]))
        .group_by(Ticket.account_id)
        .subquery()
    )
    query = (
        select(Account, func.coalesce(open_count.c.open, 0))
        .outerjoin(open_count, open_count.c.account_id == Account.id)
        .order_by(Account.name)
    )
    if search and search.strip():
        words = [word for word in search.strip().lower().split() if word]
        query = query.where(
            *(func.lower(Account.name).contains(word, autoescape=True) for word in words)
        )
    rows = []
    for account, count in (await session.execute(query)).all():
        rows.append(
            AccountRow(
                id=account.id,
                name=account.name,
                policy=account.policy,
                policy_name=_policy_name(account.policy),
                edition=account.edition.value,
                success_manager_name=account.success_manager_name,
                open_tickets=int(count),
            )
        )
    return rows


def _policy_name(key: str) -> str:
    try:
        return sla.get_policy(key).name
    except sla.UnknownPolicy:
        return key


async def open_tickets(
    session: AsyncSession, principal: Principal, account_id: int
) -> Sequence[Ticket]:
    """The account's tickets still being worked, the soonest due first."""
    allow(principal, *STAFF)
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.account_id == account_id,
                Ticket.status.in_([status.value for status in ACTIVE]),
            )
            .order_by(Ticket.next_due.is_(None), Ticket.next_due, Ticket.id)
        )
    )


@dataclass(frozen=True)
class MonthAttainment:
    """This month's figures for an account, and the chart the monthly report would draw."""

    period: str
    figures: SlaFigures
    chart_svg: str


async def attainment_this_month(
    session: AsyncSession, principal: Principal, account_id: int, now: datetime | None = None
) -> MonthAttainment:
    """The share of targets met so far this month (the account's month, in its time zone)
    against the policy's goals, per priority, as GET /metrics/sla and the report count them."""
    allow(principal, *STAFF_OR_CUSTOMER)
    account = await load_account(session, account_id, principal)
    policy = sla.get_policy(account.policy)
    timezone = policy.calendar(account.calendar).timezone
    period = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
    start, end = month_bounds(period, timezone)
    figures = await sla_figures(
        session, account_id=account.id, start=start, end=end, policy=account.policy
    )
    names = {key: priority.name for key, priority in policy.priorities.items()}
    chart = attainment_bars(
        [
            Share(
                f"{names.get(row.priority or '', row.priority)} {what}",
                getattr(row, clock).attainment,
                getattr(row, clock).goal,
                getattr(row, clock).met_by_release,
            )
            for row in figures.by_priority
            for clock, what in (("first_response", "response"), ("resolution", "resolution"))
        ]
    )
    return MonthAttainment(period=period, figures=figures, chart_svg=chart)
