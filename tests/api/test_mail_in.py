"""Mail in, end to end: a real IMAP server (Dovecot on loopback), the app, a worker on the dev
server. Mail is delivered with IMAP APPEND and read by the mailbox's workflow."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from activities import imap
from db.models import Mailbox, ReceivedMail, Ticket
from settings import Settings
from tests import files
from tests.api.conftest import Live
from tests.conftest import Inbox
from tests.imap_server import ImapServer
from tests.waiting import eventually

MAX_PER_HOUR = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "mailbox_allowed_hosts": "127.0.0.1",
            "mailbox_poll_seconds": 1.0,
            "mailbox_idle_seconds": 5.0,
            "inbound_max_per_hour": MAX_PER_HOUR,
        }
    )


def mail(
    sender: str,
    subject: str,
    text: str,
    *,
    name: str = "Casey Contact",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = "support@pledge.invalid"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message_id = message_id or make_msgid(domain="customer.invalid")
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, kind, data in attachments:
        main, sub = kind.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return message.as_bytes(), message_id


async def a_mailbox(live: Live, server: ImapServer, **extra) -> tuple[dict, str, str]:  # type: ignore[no-untyped-def]
    user, password = server.add_user()
    body = {
        "host": server.host,
        "port": server.port,
        "tls": False,
        "username": user,
        "password": password,
        **extra,
    }
    response = await live.http.post("/mailboxes", json=body, headers=live.as_("admin"))
    assert response.status_code == 201, response.text
    return response.json(), user, password


async def outcome_of(engine: AsyncEngine, mailbox_id: str, message_id: str) -> ReceivedMail:
    """The mail's record once it is acted on and moved (waiting a bounded time)."""

    async def done() -> ReceivedMail | None:
        async with AsyncSession(engine) as session:
            row = await session.scalar(
                select(ReceivedMail).where(
                    ReceivedMail.mailbox_id == mailbox_id,
                    ReceivedMail.message_id == message_id.strip("<>"),
                )
            )
        return row if row is not None and row.moved_at is not None else None

    return await eventually(done, 60, what=f"mail {message_id} acted on and moved")


async def ticket_detail(live: Live, reference: str) -> dict:
    response = await live.http.get(f"/tickets/{reference}", headers=live.as_("agent"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_contact_s_mail_opens_a_ticket_received_when_it_arrived(
    live: Live, imap_server: ImapServer, engine: AsyncEngine, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    box, user, password = await a_mailbox(live, imap_server, priority="p3")
    arrived = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
    subject = f"Campaign stuck {secrets.token_hex(3)}"
    raw, message_id = mail(
        contact["email"].upper(),  # addresses compare without case
        subject,
        "The campaign is stuck in the queue.\n\n-- \nCasey\n",
        html="<p>The campaign is stuck in the queue.</p><script>alert('x')</script>",
        attachments=[
            ("screen.png", "image/png", files.png()),
            ("run.exe", "application/octet-stream", files.exe()),
        ],
    )
    imap_server.append(user, password, raw, at=arrived)

    row = await outcome_of(engine, box["id"], message_id)
    assert row.outcome == "ticket", row.outcome_note
    ticket = await ticket_detail(live, row.ticket_reference)
    assert ticket["subject"] == subject
    assert ticket["channel"] == "email"
    assert ticket["priority"] == "p3"
    assert ticket["contact_id"] == contact["id"]
    assert datetime.fromisoformat(ticket["received_at"]) == arrived
    assert "stuck in the queue" in ticket["description"]
    assert "script" not in ticket["description"] and "Casey\n" not in ticket["description"]
    # The image is attached; the program is refused by the portal's rules and said so.
    files_on = await live.http.get(
        f"/tickets/{row.ticket_reference}/attachments", headers=live.as_("agent")
    )
    assert [f["filename"] for f in files_on.json()] == ["screen.png"]
    notes = [e for e in ticket["events"] if e["kind"] == "note"]
    assert any("run.exe" in e["data"].get("note", "") for e in notes), ticket["events"]
    # Moved out of the inbox into the handled folder, once.
    assert imap_server.count(user, password, "INBOX") == 0
    assert imap_server.count(user, password, "Pledge") == 1
    # The contact is sent the confirmation with the reference.
    await inbox.wait_for(
        lambda m: (
            m["X-Pledge-Ticket"] == row.ticket_reference and m["X-Pledge-Notice"] == "confirmation"
        )
    )
    # The mailbox was read without fault, and its password is nowhere in what the API says.
    shown = await live.http.get(f"/mailboxes/{box['id']}", headers=live.as_("admin"))
    assert shown.json()["last_error"] is None and shown.json()["checked_at"]
    assert password not in shown.text and "password" not in shown.json()
    async with AsyncSession(engine) as session:
        stored = await session.get(Mailbox, box["id"])
    assert stored is not None and password not in stored.password_sealed


async def test_a_reply_resumes_the_ticket_and_strangers_and_machines_do_not(
    live: Live, imap_server: ImapServer, engine: AsyncEngine, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    colleague = await live.contact(account["id"], name="Robin Colleague")
    box, user, password = await a_mailbox(live, imap_server)
    raw, first_id = mail(contact["email"], "Reports are empty", "No figures since Monday.")
    imap_server.append(user, password, raw)
    reference = (await outcome_of(engine, box["id"], first_id)).ticket_reference
    confirmation = (
        await inbox.wait_for(
            lambda m: m["X-Pledge-Ticket"] == reference and m["X-Pledge-Notice"] == "confirmation"
        )
    )[0]
    waited = await live.http.post(
        f"/tickets/{reference}/wait",
        json={"message": "Which report?"},
        headers=live.as_("agent"),
    )
    assert waited.status_code == 200, waited.text

    # An out-of-office naming the ticket in every way: never a reply, never answered.
    raw, auto_id = mail(
        contact["email"],
        f"Automatic reply: [{reference}] Reports are empty",
        "I am away until Monday.",
        in_reply_to=confirmation["Message-ID"],
        headers={"Auto-Submitted": "auto-replied"},
    )
    imap_server.append(user, password, raw)
    auto = await outcome_of(engine, box["id"], auto_id)
    assert auto.outcome == "ignored" and auto.ticket_reference is None
    assert (await ticket_detail(live, reference))["status"] == "waiting"

    # A bounce (a delivery status notification) likewise.
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@customer.invalid>\r\n"
        b"To: support@pledge.invalid\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-" + secrets.token_hex(4).encode() + b"@customer.invalid>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; customer.invalid\r\n\r\n"
        b"Final-Recipient: rfc822; x@customer.invalid\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
    )
    imap_server.append(user, password, bounce)
    bounced_id = bounce.split(b"Message-ID: <")[1].split(b">")[0].decode()
    assert (await outcome_of(engine, box["id"], bounced_id)).outcome == "ignored"

    # A stranger quoting the reference starts something new: the unmatched queue.
    raw, stranger_id = mail(
        f"someone-{secrets.token_hex(3)}@elsewhere.example.com",
        f"Re: [{reference}] Reports are empty",
        "I have the same problem.",
        name="Sam Stranger",
    )
    imap_server.append(user, password, raw)
    stranger = await outcome_of(engine, box["id"], stranger_id)
    assert stranger.outcome == "unmatched" and stranger.ticket_reference is None
    assert (await ticket_detail(live, reference))["status"] == "waiting"

    # The colleague's reply (threaded by our Message-ID) is the customer's answer: resumed.
    raw, reply_id = mail(
        colleague["email"],
        "Re: Reports are empty",
        "The monthly one.\n\nOn Monday, Pledge wrote:\n> Which report?\n",
        name="Robin Colleague",
        in_reply_to=confirmation["Message-ID"],
    )
    imap_server.append(user, password, raw)
    reply = await outcome_of(engine, box["id"], reply_id)
    assert reply.outcome == "reply" and reply.ticket_reference == reference
    ticket = await ticket_detail(live, reference)
    assert ticket["status"] == "open"
    responses = [e for e in ticket["events"] if e["kind"] == "response"]
    assert [r["data"]["body"] for r in responses] == ["The monthly one."]
    assert responses[0]["data"]["author"] == "customer"

    # An agent names the stranger's account: a ticket there, received when the mail arrived.
    waiting = await live.http.get("/inbox", headers=live.as_("agent"))
    assert stranger.id in [m["id"] for m in waiting.json()]
    assigned = await live.http.post(
        f"/inbox/{stranger.id}/assign",
        json={"account_id": account["id"]},
        headers=live.as_("agent"),
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["outcome"] == "assigned"
    new = await ticket_detail(live, assigned.json()["ticket_reference"])
    assert new["reference"] != reference and new["account_id"] == account["id"]
    # Its history says who opened it: the agent who named the account.
    [opened] = [e for e in new["events"] if e["kind"] == "opened"]
    assert opened["actor"] == assigned.json()["decided_by"] != "Mail in"
    assert datetime.fromisoformat(new["received_at"]) == stranger.arrived_at
    again = await live.http.post(
        f"/inbox/{stranger.id}/assign",
        json={"account_id": account["id"]},
        headers=live.as_("agent"),
    )
    assert again.status_code == 409


async def test_a_reply_to_a_resolved_ticket_reopens_it(
    live: Live, imap_server: ImapServer, engine: AsyncEngine
) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    box, user, password = await a_mailbox(live, imap_server)
    raw, first_id = mail(contact["email"], "Login fails", "I cannot log in.")
    imap_server.append(user, password, raw)
    reference = (await outcome_of(engine, box["id"], first_id)).ticket_reference
    resolved = await live.http.post(
        f"/tickets/{reference}/resolve", json={"note": "Reset"}, headers=live.as_("agent")
    )
    assert resolved.status_code == 200, resolved.text
    raw, reply_id = mail(contact["email"], f"RE: [{reference}] Login fails", "Still failing.")
    imap_server.append(user, password, raw)
    assert (await outcome_of(engine, box["id"], reply_id)).outcome == "reply"
    ticket = await ticket_detail(live, reference)
    assert ticket["status"] == "open"
    assert [e["kind"] for e in ticket["events"]][-2:] == ["reopened", "response"]


async def test_a_sender_opening_too_many_is_held_until_released(
    live: Live, imap_server: ImapServer, engine: AsyncEngine
) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    box, user, password = await a_mailbox(live, imap_server)
    ids = []
    for n in range(MAX_PER_HOUR + 1):
        raw, message_id = mail(contact["email"], f"Problem {n}", f"Problem number {n}.")
        imap_server.append(user, password, raw)
        ids.append(message_id)
    rows = [await outcome_of(engine, box["id"], i) for i in ids]
    assert [r.outcome for r in rows] == ["ticket"] * MAX_PER_HOUR + ["held"]
    held = rows[-1]
    listed = await live.http.get("/inbox", params={"outcome": "held"}, headers=live.as_("agent"))
    assert held.id in [m["id"] for m in listed.json()]
    released = await live.http.post(f"/inbox/{held.id}/release", headers=live.as_("agent"))
    assert released.status_code == 200, released.text
    assert released.json()["outcome"] == "ticket"
    let_through = await ticket_detail(live, released.json()["ticket_reference"])
    assert let_through["subject"] == f"Problem {MAX_PER_HOUR}"
    [opened] = [e for e in let_through["events"] if e["kind"] == "opened"]
    assert opened["actor"] == released.json()["decided_by"] != "Mail in"


async def test_spam_in_the_inbox_is_discarded_unanswered_and_a_mailbox_keeps_it_till_then(
    live: Live, imap_server: ImapServer, engine: AsyncEngine, inbox: Inbox
) -> None:
    box, user, password = await a_mailbox(live, imap_server)
    spammer = f"offers-{secrets.token_hex(3)}@bulk.invalid"
    raw, message_id = mail(spammer, "Cheap watches", "Buy now.", name="Best Offers")
    imap_server.append(user, password, raw)
    spam = await outcome_of(engine, box["id"], message_id)
    assert spam.outcome == "unmatched"

    # While it waits, the mailbox stays: only its workflow decides its mail.
    kept = await live.http.delete(f"/mailboxes/{box['id']}", headers=live.as_("admin"))
    assert kept.status_code == 409 and "1 mail from mailbox" in kept.json()["detail"]

    # A reason that is not text is refused, naming the field.
    refused = await live.http.post(
        f"/inbox/{spam.id}/discard", json={"reason": 5}, headers=live.as_("agent")
    )
    assert refused.status_code == 422 and "reason" in refused.text
    discarded = await live.http.post(
        f"/inbox/{spam.id}/discard", json={"reason": "spam"}, headers=live.as_("agent")
    )
    assert discarded.status_code == 200, discarded.text
    shown = discarded.json()
    assert shown["outcome"] == "discarded" and shown["ticket_reference"] is None
    assert shown["outcome_note"].endswith("discarded it: spam") and shown["decided_by"]
    waiting = await live.http.get("/inbox", headers=live.as_("agent"))
    assert spam.id not in [m["id"] for m in waiting.json()]
    listed = await live.http.get(
        "/inbox", params={"outcome": "discarded"}, headers=live.as_("agent")
    )
    assert spam.id in [m["id"] for m in listed.json()]
    again = await live.http.post(f"/inbox/{spam.id}/discard", headers=live.as_("agent"))
    assert again.status_code == 409 and "not waiting" in again.json()["detail"]
    async with AsyncSession(engine) as session:
        opened = await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.subject == "Cheap watches")
        )
    assert opened == 0 and inbox.to(spammer) == []
    # Thrown away, it still counts towards the sender's hour: the flood is held all the same.
    more = []
    for n in range(MAX_PER_HOUR):
        raw, more_id = mail(spammer, f"Cheap watches {n}", "Buy now.", name="Best Offers")
        imap_server.append(user, password, raw)
        more.append(more_id)
    rows = [await outcome_of(engine, box["id"], i) for i in more]
    assert [r.outcome for r in rows] == ["unmatched"] * (MAX_PER_HOUR - 1) + ["held"]
    for row in rows:
        thrown = await live.http.post(f"/inbox/{row.id}/discard", headers=live.as_("agent"))
        assert thrown.status_code == 200 and thrown.json()["outcome"] == "discarded"
    # Nothing waits now: the mailbox can go.
    gone = await live.http.delete(f"/mailboxes/{box['id']}", headers=live.as_("admin"))
    assert gone.status_code == 200, gone.text


async def test_the_complaints_mailbox_logs_a_complaint_received_that_day(
    live: Live, imap_server: ImapServer, engine: AsyncEngine, inbox: Inbox
) -> None:
    box, user, password = await a_mailbox(live, imap_server, creates="complaints")
    arrived = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    jane = f"jane-{secrets.token_hex(3)}@example.invalid"
    raw, message_id = mail(
        jane,
        "Formal complaint",
        "Unsubscribed contacts still got the newsletter.",
        name="Jane Doe",
    )
    imap_server.append(user, password, raw, at=arrived)
    row = await outcome_of(engine, box["id"], message_id)
    assert row.outcome == "complaint", row.outcome_note
    shown = await live.http.get(
        f"/complaints/{row.complaint_reference}", headers=live.as_("complaints_handler")
    )
    assert shown.status_code == 200, shown.text
    complaint = shown.json()
    assert datetime.fromisoformat(complaint["received_at"]) == arrived
    assert complaint["channel"] == "email"
    assert complaint["complainant"]["name"] == "Jane Doe"

    # Her answer to our letter is hers about the same complaint: in its history, the handler
    # (here the complaints manager) told, no second complaint logged.
    reference = row.complaint_reference
    raw, answer_id = mail(
        jane,
        f"RE: [{reference}] Acknowledgement of your complaint",
        "It happened again today.\n\nOn Monday, Pledge wrote:\n> We have received it.\n",
        name="Jane Doe",
    )
    imap_server.append(user, password, raw)
    answer = await outcome_of(engine, box["id"], answer_id)
    assert answer.outcome == "reply", answer.outcome_note
    assert answer.complaint_reference == reference
    events = (
        await live.http.get(f"/complaints/{reference}", headers=live.as_("complaints_handler"))
    ).json()["events"]
    [wrote] = [e for e in events if e["kind"] == "correspondence"]
    assert wrote["actor"] == "Jane Doe" and wrote["data"]["body"] == "It happened again today."
    [told] = await inbox.wait_for(lambda m: m["Subject"] == f"[{reference}] Jane Doe wrote again")
    assert "complaints-manager@pledge.example.com" in told["X-Envelope-To"]
    assert "It happened again today." in told.get_content()
    # Someone else quoting her reference is a complaint of their own.
    raw, other_id = mail(
        f"sam-{secrets.token_hex(3)}@example.invalid",
        f"Re: [{reference}] Acknowledgement of your complaint",
        "Me too.",
        name="Sam Else",
    )
    imap_server.append(user, password, raw)
    other = await outcome_of(engine, box["id"], other_id)
    assert other.outcome == "complaint" and other.complaint_reference != reference


async def test_a_crash_between_reading_and_recording_loses_nothing(
    live: Live, imap_server: ImapServer, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker fails right after reading the folder, before anything is recorded: the mail
    is still unseen in the folder, and the retry records it once."""
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    failures: list[int] = []
    fetch = imap.Connection.fetch

    def fetch_then_crash(self, uids):  # type: ignore[no-untyped-def]
        messages = fetch(self, uids)
        if messages and len(failures) < 2:
            failures.append(len(messages))
            raise ConnectionResetError("the worker died after reading")
        return messages

    monkeypatch.setattr(imap.Connection, "fetch", fetch_then_crash)
    box, user, password = await a_mailbox(live, imap_server)
    subject = f"Crash before record {secrets.token_hex(3)}"
    raw, message_id = mail(contact["email"], subject, "Please help.")
    imap_server.append(user, password, raw)
    row = await outcome_of(engine, box["id"], message_id)
    assert failures, "the crash was never injected"
    assert row.outcome == "ticket"
    async with AsyncSession(engine) as session:
        tickets = await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.subject == subject)
        )
    assert tickets == 1


async def test_a_crash_between_recording_and_moving_makes_no_second_ticket(
    live: Live, imap_server: ImapServer, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The move fails on every try of a round (a worker dying after the ticket opened): the
    next round reads the same mail again, finds its record, and only moves it."""
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    failed: list[list[int]] = []
    move = imap.Connection.move

    def crash_on_move(self, uids, folder):  # type: ignore[no-untyped-def]
        if uids and len(failed) < 3:  # every attempt of the first round (FETCH_RETRY)
            failed.append(list(uids))
            raise ConnectionResetError("the worker died before moving")
        return move(self, uids, folder)

    monkeypatch.setattr(imap.Connection, "move", crash_on_move)
    box, user, password = await a_mailbox(live, imap_server)
    subject = f"Crash before move {secrets.token_hex(3)}"
    raw, message_id = mail(contact["email"], subject, "Please help.")
    imap_server.append(user, password, raw)
    row = await outcome_of(engine, box["id"], message_id)
    assert len(failed) == 3
    async with AsyncSession(engine) as session:
        tickets = await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.subject == subject)
        )
        records = await session.scalar(
            select(func.count())
            .select_from(ReceivedMail)
            .where(ReceivedMail.mailbox_id == box["id"])
        )
    assert (tickets, records) == (1, 1)
    assert row.outcome == "ticket"
    assert imap_server.count(user, password, "INBOX") == 0
    assert imap_server.count(user, password, "Pledge") == 1


async def test_a_mailbox_that_cannot_be_read_says_why(
    live: Live, imap_server: ImapServer, engine: AsyncEngine
) -> None:
    user, _ = imap_server.add_user()
    response = await live.http.post(
        "/mailboxes",
        json={
            "host": imap_server.host,
            "port": imap_server.port,
            "tls": False,
            "username": user,
            "password": "not-the-password",
        },
        headers=live.as_("admin"),
    )
    assert response.status_code == 201, response.text
    mailbox_id = response.json()["id"]

    async def error() -> str | None:
        shown = await live.http.get(f"/mailboxes/{mailbox_id}", headers=live.as_("admin"))
        return shown.json()["last_error"]

    said = await eventually(error, 30)
    assert "refused the user name or password" in said
    assert "not-the-password" not in said
