"""Accounts and their contacts: who the promises are made to (services/accounts.py does it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from api.auth import CurrentPrincipal, Staff, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.errors import ServiceUnavailable, responses
from api.schemas import (
    AccountCreate,
    AccountDetail,
    AccountOut,
    AccountUpdate,
    ContactCreate,
    ContactOut,
    ContactUpdate,
)
from api.webhook_schemas import AccountWritten, WebhookSecret
from db.models import Contact
from outbound import egress
from services import accounts, user_mail
from services.accounts import load_account
from services.raising import may_raise
from sla import get_policy

__all__ = ["load_account", "name_resolver", "router"]

router = APIRouter(tags=["accounts"])


def name_resolver() -> egress.Resolver:
    """How host names are resolved (a dependency, so tests can stand in for DNS)."""
    return egress.system_resolver


Resolver = Annotated[egress.Resolver, Depends(name_resolver)]


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
    principal: SuccessManager,
) -> AccountWritten:
    """Add a customer account under one of the SLA policies; its success work (monthly
    reports where the edition has them) starts with it. With a webhook URL, the answer
    carries the secret that signs its calls, this once."""
    return await accounts.create_account(session, client, settings, resolver, principal, body)


@router.get("/accounts", response_model=list[AccountOut], responses=responses(403))
async def list_accounts(session: Session, principal: CurrentPrincipal) -> list[AccountOut]:
    """Every account (a customer key sees its own)."""
    return await accounts.list_accounts(session, principal)


@router.get("/accounts/{account_id}", response_model=AccountDetail, responses=responses(403, 404))
async def get_account(
    account_id: int, session: Session, principal: CurrentPrincipal
) -> AccountDetail:
    """An account with its contacts."""
    return await accounts.account_detail(session, principal, account_id)


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
    return await accounts.update_account(session, settings, resolver, principal, account_id, body)


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
    return await accounts.rotate_webhook_secret(session, settings, principal, account_id)


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
    return await accounts.add_contact(session, principal, account_id, body)


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
    return await accounts.update_contact(session, principal, account_id, contact_id, body)


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
    await accounts.remove_contact(session, principal, account_id, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/accounts/{account_id}/contacts/{contact_id}/portal-invitation",
    response_model=ContactOut,
    responses=responses(403, 404, 409, 503),
)
async def invite_to_portal(
    account_id: int,
    contact_id: int,
    session: Session,
    settings: AppSettings,
    principal: SuccessManager,
) -> Contact:
    """Give a contact the customer portal and e-mail them how to sign in (by a link sent to
    their address; there is no password). Inviting again sends the mail again."""
    contact, account = await accounts.invite_to_portal(session, principal, account_id, contact_id)
    await session.commit()
    subject, body = user_mail.portal_invitation(
        settings,
        contact,
        account,
        principal.full_name,
        may_raise(get_policy(account.policy), contact),
    )
    try:
        await user_mail.send_mail(settings, contact.email, contact.name, subject, body)
    except Exception as exc:  # noqa: BLE001 - the access stands; the caller may invite again
        raise ServiceUnavailable(
            f"{contact.name} now has access to the portal, but the invitation could not be "
            f"e-mailed ({type(exc).__name__}); invite them again when mail is working"
        ) from exc
    return contact


@router.get(
    "/accounts/{account_id}/contacts",
    response_model=list[ContactOut],
    responses=responses(403, 404),
)
async def list_contacts(
    account_id: int, session: Session, principal: CurrentPrincipal
) -> list[Contact]:
    """The account's current contacts (those removed are not listed)."""
    return await accounts.list_contacts(session, principal, account_id)
