"""Machine mail is named as such (and why); a person's mail is not, whatever Outlook adds."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbound.message import parse

FIXTURES = Path(__file__).parent / "fixtures"
PERSON = "From: Casey <casey@customer.invalid>\r\nSubject: {subject}\r\n{headers}\r\nHello\r\n"


def mail(headers: str = "", subject: str = "Re: [T-7B1X-9BKN] Images") -> bytes:
    lines = "".join(f"{h}\r\n" for h in headers.split("|") if h)
    return PERSON.format(subject=subject, headers=lines).encode()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("exchange_ooo.eml", "auto-reply"),
        ("bounce_dsn.eml", "bounce"),
        ("mailing_list.eml", "list"),
        ("gmail_reply.eml", None),
        ("outlook_reply.eml", None),
        ("apple_mail_reply.eml", None),
        ("attachment.eml", None),
        ("html_script.eml", None),
    ],
)
def test_fixtures(name: str, why: str | None) -> None:
    assert parse((FIXTURES / name).read_bytes()).automatic == why


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ("Auto-Submitted: auto-replied", "auto-reply"),
        ("Auto-Submitted: auto-generated", "auto-generated"),
        ("Auto-Submitted: auto-notified; owner-email=x@y.invalid", "auto-generated"),
        ("Auto-Submitted: AUTO-REPLIED (vacation)", "auto-reply"),
        ("X-Autoreply: yes", "auto-reply"),
        ("X-Autorespond: Vacation", "auto-reply"),
        ("Precedence: auto_reply", "auto-reply"),
        ("Precedence: bulk", "bulk"),
        ("Precedence: junk", "bulk"),
        ("Precedence: list", "list"),
        ("List-Id: <news.vendor.invalid>", "list"),
        ("List-Unsubscribe: <https://vendor.invalid/u>", "bulk"),
        ("Return-Path: <>", "auto-generated"),
        ("X-Failed-Recipients: nobody@customer.invalid", "bounce"),
        ("X-Loop: helpdesk@customer.invalid", "loop"),
        # A person: these say nothing about who wrote the mail.
        ("Auto-Submitted: no", None),
        ("Precedence: normal", None),
        ("X-Auto-Response-Suppress: All", None),  # Outlook sets it on everyday mail
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply", None),
        ("Return-Path: <casey@customer.invalid>", None),
        ("Reply-To: noreply@customer.invalid", None),
    ],
)
def test_headers(headers: str, why: str | None) -> None:
    assert parse(mail(headers)).automatic == why


def test_exchange_out_of_office_needs_both_its_subject_and_the_suppress_header() -> None:
    ooo = "Automatic reply: [T-7B1X-9BKN] Images"
    assert parse(mail("X-Auto-Response-Suppress: All", ooo)).automatic == "auto-reply"
    assert parse(mail("X-Auto-Response-Suppress: All", "Out of Office: x")).automatic
    assert parse(mail("", ooo)).automatic is None  # a person may write those words


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.customer.invalid", "postmaster@customer.invalid"]
)
def test_mail_daemons_are_bounces(sender: str) -> None:
    raw = f"From: {sender}\r\nSubject: Returned mail\r\n\r\nfailed\r\n".encode()
    assert parse(raw).automatic == "bounce"


def test_read_receipts_are_machine_mail() -> None:
    raw = (
        b"From: casey@customer.invalid\r\nSubject: Read: [T-7B1X-9BKN] Images\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; "
        b'report-type=disposition-notification; boundary="r"\r\n\r\n--r\r\n'
        b"Content-Type: text/plain\r\n\r\nYour message was read.\r\n--r\r\n"
        b"Content-Type: message/disposition-notification\r\n\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n--r--\r\n"
    )
    mail_ = parse(raw)
    assert mail_.automatic == "receipt"
    assert mail_.text == "Your message was read." and mail_.attachments == ()
