"""One thread per ticket in the customer's mail client, read back from a real SMTP listener.

A ticket opened from the customer's mail (services.tickets.open_ticket with the mail's
Message-ID, as the mailbox reader does) is confirmed in reply to that mail; every later mail
names the confirmation, and the customer's copies name their own mail first. A reply to any
of them, read by inbound.parse, names the ticket by its headers and by its subject.
"""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from api.auth import Principal
from api.schemas import TicketCreate
from db.models import Role
from inbound.matching import reference_in_headers, reference_in_subject
from inbound.message import parse
from outbound.ticket_links import link_secret
from services.tickets import open_ticket
from settings import Settings
from tests.api.conftest import Live
from tests.api.test_customer_mails import mails
from tests.conftest import Inbox

SUBJECT = "Export of the Spring campaign fails"


async def test_a_ticket_from_a_mail_threads_under_it_from_confirmation_to_resolution(
    live: Live,
    inbox: Inbox,
    settings: Settings,
    engine: AsyncEngine,
    dev_server_env: WorkflowEnvironment,
) -> None:
    # essensys: every authorised representative is sent the ticket's mails, so a colleague's
    # copies can be told apart from those of the contact who wrote in.
    account = await live.account("essensys")
    casey = await live.contact(account["id"], name="Casey Contact", is_representative=True)
    robin = await live.contact(account["id"], name="Robin Rep", is_representative=True)
    theirs = f"<CAF{secrets.token_hex(8)}=x@mail.customer.invalid>"
    agent = Principal(key_id=None, name="Mailbox reader", role=Role.AGENT, account_id=None)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        opened = await open_ticket(
            session,
            dev_server_env.client,
            settings,
            agent,
            TicketCreate(
                account_id=account["id"],
                contact_id=casey["id"],
                subject=SUBJECT,
                description="It stops at 80% every time.",
                channel="email",
                priority="p3",
            ),
            reply_to_message_id=theirs[1:-1],  # as InboundMail.message_id holds it
        )
    ref = opened.reference
    staff = live.as_("agent")
    answered = await live.http.post(
        f"/tickets/{ref}/responses", json={"body": "Which browser?"}, headers=staff
    )
    assert answered.status_code == 200, answered.text
    await mails(inbox, casey["email"], ref, 2)
    resolved = await live.http.post(f"/tickets/{ref}/resolve", json={}, headers=staff)
    assert resolved.status_code == 200, resolved.text

    confirmation, reply, resolution = await mails(inbox, casey["email"], ref, 3)
    assert [m["X-Pledge-Notice"] for m in (confirmation, reply, resolution)] == [
        "confirmation", "reply", "resolved",
    ]  # fmt: skip
    root = confirmation["Message-ID"]
    # The confirmation answers the customer's mail...
    assert confirmation["In-Reply-To"] == theirs
    assert confirmation["References"] == theirs
    # ...and every later mail answers the confirmation, naming the customer's mail first.
    for later in (reply, resolution):
        assert later["In-Reply-To"] == root
        assert later["References"].split() == [theirs, root]
        assert later["Message-ID"] not in (root, theirs)
    # One subject for the whole thread, the reference in brackets at its head.
    assert {m["Subject"] for m in (confirmation, reply, resolution)} == {f"[{ref}] {SUBJECT}"}

    # A colleague never saw the customer's mail: their thread starts at their confirmation.
    first, *rest = await mails(inbox, robin["email"], ref, 3)
    assert first["In-Reply-To"] is None and first["References"] is None
    assert first["Message-ID"] != root
    assert all(m["References"] == first["Message-ID"] for m in rest)

    # The customer answers the reply from their mail client: the mail names the ticket.
    quoted = "".join(f"> {line}\r\n" for line in str(reply.get_content()).splitlines())
    answer = parse(
        b"From: Casey Contact <" + casey["email"].upper().encode() + b">\r\n"
        b"Subject: Re: " + reply["Subject"].encode() + b"\r\n"
        b"Message-ID: <answer-" + secrets.token_hex(4).encode() + b"@mail.customer.invalid>\r\n"
        b"In-Reply-To: " + reply["Message-ID"].encode() + b"\r\n"
        b"References: " + reply["References"].encode() + b" " + reply["Message-ID"].encode()
        + b"\r\n\r\nChrome, latest.\r\n\r\nOn Tue, 3 Mar 2026, Support wrote:\r\n"
        + quoted.encode()
    )  # fmt: skip
    assert answer.sender == casey["email"].lower()
    assert answer.display_text == "Chrome, latest."
    assert reference_in_headers(answer, link_secret(settings)) == ref
    assert reference_in_subject(answer.subject) == ref
    assert answer.references[0] == theirs[1:-1]
