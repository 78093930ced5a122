"""Accounts and their contacts: who the promises are made to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

import sla
from api.auth import CurrentPrincipal, Principal, Staff, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    responses,
)
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
from db.models import Account, Contact, Edition, Role
from db.types import utcnow
from outbound import egress, signing
from settings import Settings
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow
from workflows.account_success import workflow_id as success_workflow_id

router = APIRouter(tags=["accounts"])


async def load_account(session: Session, account_id: int, principal: Principal) -> Account:
    """The account, if it exists and the caller may see it (404 otherwise, 403 for customers)."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}")
    if not principal.can_see_account(account_id):
        raise Forbidden("A customer key sees its own account only")
    return account


def name_resolver() -> egress.Resolver:
    """How host names are resolved (a dependency, so tests can stand in for DNS)."""
    return egress.system_resolver


Resolver = Annotated[egress.Resolver, Depends(name_resolver)]


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


def _check_policy(body: AccountCreate) -> None:
    try:
        policy = sla.get_policy(body.policy)
    except sla.UnknownPolicy as exc:
        raise InvalidInput.for_field("body.policy", str(exc)) from None
    if body.calendar is not None and body.calendar not in policy.calendars:
        raise InvalidInput.for_field(
            "body.calendar",
            f"policy {policy.key!r} has no calendar {body.calendar!r} "
            f"(known: {', '.join(policy.calendars)})",
        )
    _check_edition(policy, body.edition.value)
    _check_success_manager(policy, body.edition.value, body.success_manager_name)
    _check_account_manager(policy, body.model_dump(include=body.model_fields_set))


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


@router.post(
    "/accounts",
    response_model=AccountWritten,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def create_account(
    body: AccountCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    resolver: Resolver,
    _: SuccessManager,
) -> AccountWritten:
    """Add a customer account under one of the SLA policies; its success work (monthly
    reports where the edition has them) starts with it. With a webhook URL, the answer
    carries the secret that signs its calls, this once."""
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
        raise Conflict(f"An account called {body.name!r} already exists") from None
    try:
        await client.start_workflow(
            AccountSuccessWorkflow.run,
            AccountSuccessStart(
                account_id=account.id, policy=account.policy, calendar=account.calendar
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


@router.get("/accounts", response_model=list[AccountOut], responses=responses(403))
async def list_accounts(session: Session, principal: CurrentPrincipal) -> list[AccountOut]:
    """Every account (a customer key sees its own)."""
    query = select(Account).order_by(Account.name)
    if principal.role is Role.CUSTOMER:
        query = query.where(Account.id == principal.account_id)
    return [
        _as_seen_by(principal, AccountOut.model_validate(account))
        for account in await session.scalars(query)
    ]


@router.get("/accounts/{account_id}", response_model=AccountDetail, responses=responses(403, 404))
async def get_account(
    account_id: int, session: Session, principal: CurrentPrincipal
) -> AccountDetail:
    """An account with its contacts."""
    account = await load_account(session, account_id, principal)
    contacts = await session.scalars(
        select(Contact)
        .where(Contact.account_id == account_id, current_contacts.current())
        .order_by(Contact.name)
    )
    return AccountDetail(
        **_as_seen_by(principal, AccountOut.model_validate(account)).model_dump(),
        contacts=[ContactOut.model_validate(contact) for contact in contacts],
    )


@router.patch(
    "/accounts/{account_id}", response_model=AccountWritten, responses=responses(403, 404)
)
async def update_account(
    account_id: int,
    body: AccountUpdate,
    session: Session,
    settings: AppSettings,
    resolver: Resolver,
    principal: SuccessManager,
) -> AccountWritten:
    """Change the edition, the account or success manager, or the webhook. A new edition
    changes what the account's success workflows do from their next cycle. The first webhook
    URL set (or the first after clearing it) issues a signing secret, in this answer only;
    changing the URL keeps the secret, clearing it discards it."""
    changes = body.model_dump(mode="json", include=body.model_fields_set)
    if changes.get("webhook_url") is not None:
        # Before the account is read: no transaction waits on a DNS answer.
        await _check_webhook_url(changes["webhook_url"], settings, resolver)
    account = await load_account(session, account_id, principal)
    if "edition" in changes and changes["edition"] is None:
        raise InvalidInput.for_field("body.edition", "an account always has an edition")
    edition = changes.get("edition", account.edition.value)
    manager = changes.get("success_manager_name", account.success_manager_name)
    policy = sla.get_policy(account.policy)
    if "edition" in changes:  # an account from before editions were checked keeps its own
        _check_edition(policy, edition)
    _check_success_manager(policy, edition, manager)
    _check_account_manager(policy, changes)
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


@router.post(
    "/accounts/{account_id}/webhook-secret",
    response_model=WebhookSecret,
    responses=responses(403, 404, 409),
)
async def rotate_webhook_secret(
    account_id: int, session: Session, settings: AppSettings, principal: SuccessManager
) -> WebhookSecret:
    """Issue a new secret for the account's webhook signatures, shown in this answer only;
    the old one stops working at once."""
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


@router.post(
    "/accounts/{account_id}/contacts",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409),
)
async def create_contact(
    account_id: int, body: ContactCreate, session: Session, principal: Staff
) -> Contact:
    """Add a person at the account; mark authorised representatives and who receives the
    reports. Someone who left and comes back (the e-mail of a removed contact) is added again
    as the same contact, so their earlier tickets stay theirs."""
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
    contact = Contact(account_id=account_id, **body.model_dump())
    session.add(contact)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"The account already has a contact with e-mail {body.email}") from None
    return contact


async def _load_contact(session: Session, account_id: int, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.account_id != account_id:
        raise NotFound(f"No contact with id {contact_id} at account {account_id}")
    return contact


@router.patch(
    "/accounts/{account_id}/contacts/{contact_id}",
    response_model=ContactOut,
    responses=responses(403, 404, 409),
)
async def update_contact(
    account_id: int, contact_id: int, body: ContactUpdate, session: Session, principal: Staff
) -> Contact:
    """Correct a contact, or make or unmake them an authorised representative or a report
    recipient. Only the fields given change; null clears phone or login, and puts
    receives_reports back to following is_representative."""
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
    return contact


@router.delete(
    "/accounts/{account_id}/contacts/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404),
)
async def remove_contact(
    account_id: int, contact_id: int, session: Session, principal: Staff
) -> Response:
    """Remove a contact who has left: they are no longer listed, mailed, or named on new
    tickets, and the tickets they raised keep their name. Removing them again changes nothing."""
    await load_account(session, account_id, principal)
    contact = await _load_contact(session, account_id, contact_id)
    if contact.removed_at is None:
        contact.removed_at = utcnow()
        await session.flush()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/accounts/{account_id}/contacts",
    response_model=list[ContactOut],
    responses=responses(403, 404),
)
async def list_contacts(
    account_id: int, session: Session, principal: CurrentPrincipal
) -> list[Contact]:
    """The account's current contacts (those removed are not listed)."""
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Contact)
            .where(Contact.account_id == account_id, current_contacts.current())
            .order_by(Contact.name)
        )
    )
