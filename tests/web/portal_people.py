"""Customers for the portal's tests: an account, a contact with access, and signing them in
through the real path (a link mailed to the real SMTP listener, then the button pressed)."""

from __future__ import annotations

import re
import secrets
from email.message import EmailMessage

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Contact, Edition
from tests.conftest import Inbox

LINK = re.compile(r"https?://[^\s]+/portal/link/([A-Za-z0-9_\-]+)")


async def make_customer(
    session: AsyncSession,
    policy: str = "spotler",
    *,
    name: str = "Jordan Reed",
    access: bool | None = True,
    representative: bool = False,
    edition: Edition = Edition.STANDARD,
) -> tuple[Account, Contact]:
    """An account under `policy` and one contact at it, committed."""
    account = Account(name=f"Customer {secrets.token_hex(3)}", policy=policy, edition=edition)
    session.add(account)
    await session.flush()
    contact = Contact(
        account_id=account.id,
        name=name,
        email=f"jordan.{secrets.token_hex(3)}@customer.example.com",
        is_representative=representative,
        portal_access=access,
    )
    session.add(contact)
    await session.commit()
    return account, contact


def link_token(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, "the mail carries no sign-in link"
    return found.group(1)


async def ask_for_link(http: httpx.AsyncClient, inbox: Inbox, email: str) -> str:
    """Ask for a link as a customer does, and read it out of the mail that arrives."""
    address = email.lower()
    before = len(inbox.to(address))
    answer = await http.post("/portal/login", data={"email": email})
    assert answer.status_code == 200, answer.text
    await inbox.wait_for(lambda m: len(inbox.to(address)) > before)
    return link_token(inbox.to(address)[-1])


async def portal_sign_in(http: httpx.AsyncClient, inbox: Inbox, email: str) -> httpx.Response:
    """Sign in through a mailed link; the answer to pressing the button (a 303 into /portal)."""
    token = await ask_for_link(http, inbox, email)
    return await http.post(f"/portal/link/{token}")
