"""Accounts and their contacts: who the promises are made to."""

from __future__ import annotations

from fastapi import APIRouter, status
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
)
from api.temporal_calls import temporal_unreachable
from db.models import Account, Contact, Edition, Role
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
    _check_success_manager(policy, body.edition.value, body.success_manager_name)


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
    response_model=AccountOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def create_account(
    body: AccountCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    _: SuccessManager,
) -> Account:
    """Add a customer account under one of the SLA policies; its success work (monthly
    reports where the edition has them) starts with it."""
    _check_policy(body)
    account = Account(**body.model_dump(mode="json"))
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
    return account


@router.get("/accounts", response_model=list[AccountOut], responses=responses(403))
async def list_accounts(session: Session, principal: CurrentPrincipal) -> list[Account]:
    """Every account (a customer key sees its own)."""
    query = select(Account).order_by(Account.name)
    if principal.role is Role.CUSTOMER:
        query = query.where(Account.id == principal.account_id)
    return list(await session.scalars(query))


@router.get("/accounts/{account_id}", response_model=AccountDetail, responses=responses(403, 404))
async def get_account(
    account_id: int, session: Session, principal: CurrentPrincipal
) -> AccountDetail:
    """An account with its contacts."""
    account = await load_account(session, account_id, principal)
    contacts = await session.scalars(
        select(Contact).where(Contact.account_id == account_id).order_by(Contact.name)
    )
    return AccountDetail(
        **AccountOut.model_validate(account).model_dump(),
        contacts=[ContactOut.model_validate(contact) for contact in contacts],
    )


@router.patch("/accounts/{account_id}", response_model=AccountOut, responses=responses(403, 404))
async def update_account(
    account_id: int, body: AccountUpdate, session: Session, principal: SuccessManager
) -> Account:
    """Change the edition, the account or success manager, or the webhook. A new edition
    changes what the account's success workflows do from their next cycle."""
    account = await load_account(session, account_id, principal)
    changes = body.model_dump(mode="json", include=body.model_fields_set)
    if "edition" in changes and changes["edition"] is None:
        raise InvalidInput.for_field("body.edition", "an account always has an edition")
    edition = changes.get("edition", account.edition.value)
    manager = changes.get("success_manager_name", account.success_manager_name)
    _check_success_manager(sla.get_policy(account.policy), edition, manager)
    for name, value in changes.items():
        setattr(account, name, Edition(value) if name == "edition" else value)
    await session.flush()
    return account


@router.post(
    "/accounts/{account_id}/contacts",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409),
)
async def create_contact(
    account_id: int, body: ContactCreate, session: Session, principal: Staff
) -> Contact:
    """Add a person at the account; mark authorised representatives."""
    await load_account(session, account_id, principal)
    contact = Contact(account_id=account_id, **body.model_dump())
    session.add(contact)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"The account already has a contact with e-mail {body.email}") from None
    return contact


@router.get(
    "/accounts/{account_id}/contacts",
    response_model=list[ContactOut],
    responses=responses(403, 404),
)
async def list_contacts(
    account_id: int, session: Session, principal: CurrentPrincipal
) -> list[Contact]:
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Contact).where(Contact.account_id == account_id).order_by(Contact.name)
        )
    )
