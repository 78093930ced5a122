"""Invitations and password resets: mailed single-use links that set a password."""

from __future__ import annotations

import re
import secrets

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.conftest import Inbox
from tests.web.people import PASSWORD, make_user, sign_in

LINK = re.compile(r"http://\S+/(invitations|password/reset)/(\S+)")


def _link(inbox: Inbox, address: str) -> str:
    [message] = inbox.to(address)
    found = LINK.search(message.get_content())
    assert found, message.get_content()
    return found.group(0).split("/", 3)[3]


async def _signed_in_admin(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, Role.ADMIN, full_name="Ada Lovelace", job_title="Head")
    assert (await sign_in(client, admin.email)).status_code == 303


async def test_an_invited_person_chooses_a_password_once_and_signs_in(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    await _signed_in_admin(client, session)
    address = f"Sam.Lee.{secrets.token_hex(3)}@Example.com"  # the inbox outlives the test
    invited = await client.post(
        "/console/admin/users",
        data={
            "email": address,
            "full_name": "Sam Lee",
            "job_title": "Support Agent",
            "roles": ["agent", "complaints_handler"],
        },
    )
    assert invited.status_code == 303, invited.text
    assert invited.headers["location"] == "/console/admin?notice=invited"
    # Sent before the answer; the domain of the address is written in lower case.
    [mail] = inbox.to(address.replace("Example.com", "example.com"))
    text = mail.get_content()
    assert mail["Subject"] == "Ada Lovelace has invited you to e-shot's console"
    assert text.startswith("Hello Sam,")
    assert "The link works once, for the next 7 days" in text
    path = "/" + _link(inbox, address.replace("Example.com", "example.com"))
    client.cookies.clear()  # the invitee's own browser

    form = await client.get(path)
    assert form.status_code == 200 and address.replace("Example.com", "example.com") in form.text
    short = await client.post(path, data={"password": "short", "password_again": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    differ = await client.post(path, data={"password": PASSWORD, "password_again": PASSWORD + "x"})
    assert differ.status_code == 422 and "not the same" in differ.text
    done = await client.post(path, data={"password": PASSWORD, "password_again": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/login?notice=password-set"
    # Used once: the same link again is gone.
    again = await client.post(path, data={"password": PASSWORD, "password_again": PASSWORD})
    assert again.status_code == 404 and "no longer works" in again.text
    # The address is one person whatever its case.
    assert (await sign_in(client, address.lower())).status_code == 303
    page = await client.get("/console/admin")
    assert page.status_code == 403  # an agent and complaints handler, not an admin


async def test_the_invitation_form_keeps_what_was_typed_and_names_the_problem(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _signed_in_admin(client, session)
    refused = await client.post(
        "/console/admin/users",
        data={"email": "not an address", "full_name": "Kim Park", "job_title": "Agent"},
    )
    assert refused.status_code == 422
    assert 'value="Kim Park"' in refused.text and 'value="not an address"' in refused.text
    assert 'id="email-error"' in refused.text and 'id="roles-error"' in refused.text
    assert "choose at least one role" in refused.text


async def test_a_reset_link_goes_only_to_an_account_and_the_answer_is_the_same(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    # Kept in hand: a refused request rolls the shared test session back, expiring the row.
    email = (await make_user(session, Role.AGENT, full_name="Jo Bloggs")).email
    known = await client.post("/password/forgot", data={"email": email})
    unknown = await client.post("/password/forgot", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(email, "X") == unknown.text.replace("nobody@example.com", "X")
    await inbox.wait_for(lambda m: email in m["X-Envelope-To"])
    assert not inbox.to("nobody@example.com")
    [mail] = inbox.to(email)
    assert mail["Subject"] == "Resetting your password"
    assert "Hello Jo," in mail.get_content()

    await sign_in(client, email)
    old_session = dict(client.cookies)
    path = "/" + _link(inbox, email)
    new = "a different passphrase"
    done = await client.post(path, data={"password": new, "password_again": new})
    assert done.status_code == 303
    # The session from before the change has ended; the old password no longer works.
    client.cookies.clear()
    client.cookies.update(old_session)
    assert (await client.get("/console/admin")).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 401
    assert (await sign_in(client, email, new)).status_code == 303


async def test_unknown_links_say_so(client: httpx.AsyncClient) -> None:
    for path in ("/invitations/nothing-like-a-token", "/password/reset/nothing-like-a-token"):
        answer = await client.get(path)
        assert answer.status_code == 404 and "no longer works" in answer.text
