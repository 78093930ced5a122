"""Subscribing to the status page by e-mail: asked for, confirmed by a mailed link, ended by
the link every status mail carries.

Double opt-in: asking only mails a confirmation link (a 256-bit random string of which only
the SHA-256 is kept); the link's page has a button, and only pressing it (a POST) subscribes,
once, within CONFIRM_HOURS: mail scanners open links. Asking answers the same whether or not
the address is subscribed already (confirming again replaces its choice of services). The
unsubscribe link is signed (outbound.status_links) and works for as long as the subscription.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.keys import hash_secret
from db.idempotent import upsert_for
from db.models import StatusSubscription, StatusSubscriptionLink
from db.types import utcnow
from reports.status_words import services_words
from reports.words import possessive
from settings import Settings

CONFIRM_HOURS = 48


class LinkNotValid(Exception):
    """A confirmation link that is unknown, used or expired."""


def email_key(email: str) -> str:
    return email.strip().lower()


async def ask(session: AsyncSession, email: str, services: list[str] | None) -> str:
    """A confirmation link for `email` and its choice (None: every service); the token for
    the mail, which exists nowhere else."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StatusSubscriptionLink(
            token_hash=hash_secret(token),
            email=email_key(email),
            services=services,
            created_at=now,
            expires_at=now + timedelta(hours=CONFIRM_HOURS),
        )
    )
    await session.flush()
    return token


async def pending(session: AsyncSession, token: str) -> StatusSubscriptionLink:
    """A link still to be used, without using it (opening it subscribes nobody)."""
    row = await session.scalar(
        select(StatusSubscriptionLink).where(
            StatusSubscriptionLink.token_hash == hash_secret(token)
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise LinkNotValid
    return row


async def confirm(session: AsyncSession, token: str) -> StatusSubscription:
    """Use the link up, once, and subscribe its address with its choice."""
    await pending(session, token)
    now = utcnow()
    used = await session.execute(
        update(StatusSubscriptionLink)
        .where(
            StatusSubscriptionLink.token_hash == hash_secret(token),
            StatusSubscriptionLink.used_at.is_(None),
            StatusSubscriptionLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(StatusSubscriptionLink.email, StatusSubscriptionLink.services)
    )
    row = used.first()
    if row is None:  # pressed twice at once: the other press subscribed
        raise LinkNotValid
    email, services = row
    insert = upsert_for(session)
    statement = insert(StatusSubscription).values(
        email=email, services=services, confirmed_at=now, unsubscribed_at=None
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[StatusSubscription.email],
            set_={"services": services, "confirmed_at": now, "unsubscribed_at": None},
        )
    )
    found = await session.scalar(
        select(StatusSubscription)
        .where(StatusSubscription.email == email)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def unsubscribe(session: AsyncSession, subscription_id: int) -> StatusSubscription | None:
    """Stop the mails; doing it again changes nothing. None for no such subscription."""
    found = await session.get(StatusSubscription, subscription_id)
    if found is not None and found.unsubscribed_at is None:
        found.unsubscribed_at = utcnow()
        await session.flush()
    return found


def confirmation_mail(
    settings: Settings, token: str, services: list[str] | None, names: dict[str, str]
) -> tuple[str, str]:
    org = settings.organisation_name
    link = f"{settings.effective_public_url}/status/confirm/{token}"
    which = "any of our services" if services is None else services_words(services, names)
    subject = f"Confirm your subscription to {possessive(org)} status page"
    body = f"""Hello,

Someone, hopefully you, asked for e-mails from {possessive(org)} status page: one
when we report a problem with {which}, and one each time we have news of it.

To start these e-mails, open this link and press the button on the page:

  {link}

The link works once, for the next {CONFIRM_HOURS} hours. Every e-mail we send you will
have a link to stop them.

If it was not you, ignore this e-mail: nothing is sent to you unless the link is used.

{org}
"""
    return subject, body
