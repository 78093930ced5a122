"""Customers sign in to the portal with an e-mailed link: once, briefly, and only by pressing."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PortalLink, PortalSession, Role
from db.types import utcnow
from tests.conftest import Inbox
from tests.web.portal_people import ask_for_link, make_customer, portal_sign_in
from web import sessions


async def test_a_mailed_link_opens_a_button_and_only_pressing_it_signs_in(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    account, contact = await make_customer(session)
    form = await client.get("/portal/login")
    assert form.status_code == 200 and 'name="email"' in form.text

    token = await ask_for_link(client, inbox, contact.email.upper())
    mail = inbox.to(contact.email)[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Jordan" in text and account.name in text and "15 minutes" in text

    # A mail scanner opens the link: a page with a button, and nobody signed in.
    opened = await client.get(f"/portal/link/{token}")
    assert opened.status_code == 200
    assert "Jordan Reed" in opened.text and "<button" in opened.text
    assert sessions.PORTAL.plain_cookie not in opened.headers.get("set-cookie", "")
    assert (
        await session.scalar(select(PortalSession).where(PortalSession.contact_id == contact.id))
        is None
    )
    assert (await client.get("/portal")).status_code == 303

    pressed = await client.post(f"/portal/link/{token}")
    assert pressed.status_code == 303 and pressed.headers["location"] == "/portal"
    cookie = pressed.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.PORTAL.plain_cookie}=") and "HttpOnly" in cookie
    home = await client.get("/portal")
    assert home.status_code == 200 and account.name in home.text

    # Once only: the same link again signs nobody in.
    fresh = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with fresh:
        again = await fresh.post(f"/portal/link/{token}")
        assert again.status_code == 404 and "no longer works" in again.text
        assert "set-cookie" not in again.headers


async def test_asking_answers_the_same_whether_or_not_the_address_may_sign_in(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    _, known = await make_customer(session)
    _, without_access = await make_customer(session, access=False)
    answers = []
    for email in (known.email, without_access.email, "nobody@customer.example.com"):
        answer = await client.post("/portal/login", data={"email": email})
        assert answer.status_code == 200
        answers.append(answer.text.replace(email, "ADDRESS").replace(quote(email), "ADDRESS"))
    assert answers[0] == answers[1] == answers[2]
    await inbox.wait_for(lambda m: known.email in m["To"])
    assert inbox.to(without_access.email) == []
    assert inbox.to("nobody@customer.example.com") == []

    empty = await client.post("/portal/login", data={"email": "not an address"})
    assert empty.status_code == 422 and "e-mail address" in empty.text


async def test_representatives_have_access_by_default_and_others_when_given_it(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    _, representative = await make_customer(session, "essensys", access=None, representative=True)
    _, other = await make_customer(session, "essensys", access=None, representative=False)
    assert representative.may_use_portal and not other.may_use_portal
    assert (await portal_sign_in(client, inbox, representative.email)).status_code == 303


async def test_an_expired_link_signs_nobody_in(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    _, contact = await make_customer(session)
    token = await ask_for_link(client, inbox, contact.email)
    await session.execute(
        update(PortalLink)
        .where(PortalLink.contact_id == contact.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    assert (await client.get(f"/portal/link/{token}")).status_code == 404
    assert (await client.post(f"/portal/link/{token}")).status_code == 404
    assert (await client.get("/portal")).status_code == 303


async def test_removing_the_contact_or_their_access_ends_their_session_at_once(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox, admin_headers: dict[str, str]
) -> None:
    account, contact = await make_customer(session)
    assert (await portal_sign_in(client, inbox, contact.email)).status_code == 303
    assert (await client.get("/portal")).status_code == 200

    changed = await client.patch(
        f"/accounts/{account.id}/contacts/{contact.id}",
        json={"portal_access": False},
        headers=admin_headers,
    )
    assert changed.status_code == 200 and changed.json()["portal_access"] is False
    gone = await client.get("/portal")
    assert gone.status_code == 303 and gone.headers["location"] == "/portal/login?next=/portal"
    rows = list(
        await session.scalars(select(PortalSession).where(PortalSession.contact_id == contact.id))
    )
    assert rows and all(row.revoked_at is not None for row in rows)

    # Given access again, they sign in again; removing the contact ends that session too.
    await client.patch(
        f"/accounts/{account.id}/contacts/{contact.id}",
        json={"portal_access": True},
        headers=admin_headers,
    )
    assert (await portal_sign_in(client, inbox, contact.email)).status_code == 303
    assert (await client.get("/portal")).status_code == 200
    removed = await client.delete(
        f"/accounts/{account.id}/contacts/{contact.id}", headers=admin_headers
    )
    assert removed.status_code == 204
    assert (await client.get("/portal")).status_code == 303


async def test_a_success_manager_invites_a_contact_who_then_signs_in(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    from tests.conftest import bearer

    account, contact = await make_customer(session, access=None)
    assert not contact.may_use_portal
    agent = await bearer(session, Role.AGENT)
    refused = await client.post(
        f"/accounts/{account.id}/contacts/{contact.id}/portal-invitation", headers=agent
    )
    assert refused.status_code == 403
    manager = await bearer(session, Role.SUCCESS_MANAGER)
    invited = await client.post(
        f"/accounts/{account.id}/contacts/{contact.id}/portal-invitation", headers=manager
    )
    assert invited.status_code == 200, invited.text
    assert invited.json()["portal_access"] is True and invited.json()["portal_invited_at"]
    mail = (await inbox.wait_for(lambda m: contact.email in m["To"]))[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "/portal/login" in text and account.name in text and "Jordan" in text
    assert (await portal_sign_in(client, inbox, contact.email)).status_code == 303


async def test_signing_out_ends_the_session_and_next_paths_stay_in_the_portal(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    _, contact = await make_customer(session)
    page = await client.get("/portal/login?next=https://evil.invalid/")
    assert 'value="/portal"' in page.text
    page = await client.get("/portal/login?next=/console/admin")
    assert 'value="/portal"' in page.text
    await client.post("/portal/login", data={"email": contact.email, "next": "/portal/documents"})
    mail = (await inbox.wait_for(lambda m: contact.email in m["To"]))[-1]
    from tests.web.portal_people import link_token

    pressed = await client.post(f"/portal/link/{link_token(mail)}")
    assert pressed.headers["location"] == "/portal/documents"
    out = await client.post("/portal/logout")
    assert out.status_code == 303
    assert (await client.get("/portal")).status_code == 303


async def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(
    client: httpx.AsyncClient,
) -> None:
    # Signed out (or expired) while a reply was being typed: after signing in the person lands
    # on the page the form was on, not on the form's address (a GET there would be a 405).
    answer = await client.post(
        "/portal/tickets/T-ABCD-1234/reply",
        data={"body": "Here is the log you asked for."},
        headers={"Referer": "http://pledge.test/portal/tickets/T-ABCD-1234"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/login?next=/portal/tickets/T-ABCD-1234"
    # A form from elsewhere (or none) goes home instead.
    answer = await client.post(
        "/portal/tickets/T-ABCD-1234/reply",
        data={"body": "x"},
        headers={"Referer": "https://evil.invalid/portal/tickets/T-ABCD-1234"},
    )
    assert answer.headers["location"] == "/portal/login?next=/portal"
    page = await client.get("/console/tickets/T-ABCD-1234")
    assert page.headers["location"] == "/login?next=/console/tickets/T-ABCD-1234"


async def test_a_non_representative_is_invited_to_follow_not_to_raise(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    from tests.conftest import bearer

    account, contact = await make_customer(session, "essensys", access=None)
    manager = await bearer(session, Role.SUCCESS_MANAGER)
    invited = await client.post(
        f"/accounts/{account.id}/contacts/{contact.id}/portal-invitation", headers=manager
    )
    assert invited.status_code == 200, invited.text
    mail = (await inbox.wait_for(lambda m: contact.email in m["To"]))[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    text = " ".join(text.split())
    assert "New requests are raised by your organisation's authorised representatives" in text
    assert "you can raise" not in text
    # A key without a person's name signs as the organisation, never as "Administrator".
    assert text.rstrip().endswith("e-shot") and "test success_manager" not in text
    assert (await portal_sign_in(client, inbox, contact.email)).status_code == 303
    home = await client.get("/portal")
    assert home.status_code == 200 and "Raise a request" not in home.text


def test_possessives_follow_the_name() -> None:
    from reports.words import possessive

    assert possessive("Bluebell Florists") == "Bluebell Florists'"
    assert possessive("Brightwell Software") == "Brightwell Software's"
