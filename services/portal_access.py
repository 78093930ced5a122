"""Who may use the customer portal, their e-mailed sign-in links, and ending their sessions.

A contact may sign in when given access (a success manager or admin invites them) or, with
access left unset, when they are an authorised representative. Links are 256-bit random
strings of which only the SHA-256 is kept; one signs in once, within PLEDGE_PORTAL_LINK_MINUTES,
and only when the page it opens is submitted. Removing a contact or their access ends their
sessions at once (and a session is checked against the contact on every request anyway).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.keys import hash_secret
from db.models import Account, Contact, PortalLink, PortalSession, Role
from db.types import utcnow


class LinkNotValid(Exception):
    """A sign-in link that is unknown, used, expired, or whose contact may no longer sign in."""


def principal_of(contact: Contact) -> Principal:
    """The principal a signed-in customer acts as: the customer rules every route keeps."""
    return Principal(
        key_id=None,
        name=contact.name,
        role=Role.CUSTOMER,
        account_id=contact.account_id,
        # Scopes their Idempotency-Keys (a resent "raise a ticket" form), per person.
        key_prefix=f"contact{contact.id}",
        full_name=contact.name,
        contact_id=contact.id,
    )


async def contacts_for_email(session: AsyncSession, email: str) -> list[tuple[Contact, Account]]:
    """Every contact with this address (any case) who may sign in, with their account."""
    query = (
        select(Contact, Account)
        .join(Account, Account.id == Contact.account_id)
        .where(func.lower(Contact.email) == email.strip().lower(), Contact.removed_at.is_(None))
        .order_by(Account.name)
    )
    return [(c, a) for c, a in (await session.execute(query)).all() if c.may_use_portal]


async def issue_link(
    session: AsyncSession, contact: Contact, lifetime: timedelta, next_path: str | None
) -> str:
    """A new sign-in link for `contact`; the token for the mail, which exists nowhere else."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PortalLink(
            contact_id=contact.id,
            token_hash=hash_secret(token),
            next_path=next_path,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return token


async def link_contact(session: AsyncSession, token: str) -> tuple[Contact, Account]:
    """Whose a still-valid link is, without using it up (opening it signs nobody in)."""
    row = await session.scalar(
        select(PortalLink).where(PortalLink.token_hash == hash_secret(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise LinkNotValid
    contact = await session.get(Contact, row.contact_id)
    if contact is None or not contact.may_use_portal:
        raise LinkNotValid
    account = await session.get(Account, contact.account_id)
    assert account is not None  # a contact's account is never deleted
    return contact, account


async def use_link(session: AsyncSession, token: str) -> tuple[Contact, str | None]:
    """Use the link up, once: of two presses at the same moment exactly one signs in."""
    contact, _ = await link_contact(session, token)
    now = utcnow()
    used = await session.execute(
        update(PortalLink)
        .where(
            PortalLink.token_hash == hash_secret(token),
            PortalLink.used_at.is_(None),
            PortalLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(PortalLink.next_path)
    )
    row = used.first()
    if row is None:
        raise LinkNotValid
    return contact, row[0]


async def contact_principal(session: AsyncSession, contact_id: int) -> Principal | None:
    """The principal of a session's contact, while they may still sign in."""
    contact = await session.get(Contact, contact_id)
    if contact is None or not contact.may_use_portal:
        return None
    return principal_of(contact)


async def revoke_sessions(session: AsyncSession, contact_id: int) -> None:
    """End every portal session and unused link of a contact, now."""
    now = utcnow()
    await session.execute(
        update(PortalSession)
        .where(PortalSession.contact_id == contact_id, PortalSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(PortalLink)
        .where(PortalLink.contact_id == contact_id, PortalLink.used_at.is_(None))
        .values(used_at=now)
    )
