"""A mail names its ticket by our signed Message-IDs or by its subject's [reference]."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from inbound.matching import new_ticket_subject, reference_in_headers, reference_in_subject
from inbound.message import parse
from outbound.ticket_links import later_part, message_id, root_part

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = b"fixture-secret-" + b"k" * 20  # the secret the fixtures' Message-IDs were signed with


@pytest.mark.parametrize(
    ("subject", "reference"),
    [
        ("Re: [T-7B1X-9BKN] Newsletter images missing in Outlook", "T-7B1X-9BKN"),
        ("AW: WG: [T-7B1X-9BKN] Bilder", "T-7B1X-9BKN"),
        ("RE: [EXTERNAL] [t-7b1x-9bkn] lower case", "T-7B1X-9BKN"),
        ("Re: [ T-7B1X-9BKN ] spaced", "T-7B1X-9BKN"),
        ("Automatic reply: [T-3M8Q-2ZKD] x", "T-3M8Q-2ZKD"),
        ("About T-7B1X-9BKN, without brackets", None),
        ("Re: [C-7B1X-9BKN] a complaint, not a ticket", None),
        ("Re: [T-7B1X-9BKI] I is not in the alphabet", None),
        ("Re: [T-7B1X-9BKN-X] longer", None),
        ("", None),
    ],
)
def test_reference_in_subject(subject: str, reference: str | None) -> None:
    assert reference_in_subject(subject) == reference


def test_complaints_are_found_when_asked_for() -> None:
    assert reference_in_subject("Re: [C-7B1X-9BKN] x", prefixes="C") == "C-7B1X-9BKN"
    assert reference_in_subject("[T-1111-1111] [C-2222-2222]", prefixes="TC") == "T-1111-1111"


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("gmail_reply.eml", "T-7B1X-9BKN"),
        ("apple_mail_reply.eml", "T-7B1X-9BKN"),
        ("outlook_reply.eml", "T-3M8Q-2ZKD"),
        ("exchange_ooo.eml", "T-7B1X-9BKN"),  # named, but machine mail: the caller ignores it
        ("attachment.eml", None),
        ("bounce_dsn.eml", None),  # our id is inside the returned headers, not a reply's
    ],
)
def test_reference_in_headers_of_real_replies(name: str, reference: str | None) -> None:
    mail = parse((FIXTURES / name).read_bytes())
    assert reference_in_headers(mail, SECRET) == reference
    assert reference_in_headers(mail, SECRET.decode()) == reference  # str secrets too


def test_in_reply_to_first_then_references_newest_first_and_forgeries_name_nothing() -> None:
    mail = parse((FIXTURES / "gmail_reply.eml").read_bytes())
    ours = message_id(SECRET, "support.pledge.invalid", "T-2222-2222", later_part("k"))[1:-1]
    forged = ours.replace("T-2222-2222", "T-3333-3333")
    other = message_id(SECRET, "support.pledge.invalid", "T-4444-4444", root_part("a@b"))[1:-1]
    assert reference_in_headers(replace(mail, in_reply_to=ours), SECRET) == "T-2222-2222"
    assert reference_in_headers(replace(mail, in_reply_to=forged), SECRET) == "T-7B1X-9BKN"
    only_refs = replace(mail, in_reply_to=None, references=(other, ours, forged))
    assert reference_in_headers(only_refs, SECRET) == "T-2222-2222"
    nothing = replace(mail, in_reply_to=forged, references=(forged, "CAF=abc@mail.invalid"))
    assert reference_in_headers(nothing, SECRET) is None
    assert reference_in_headers(mail, b"another secret" * 3) is None


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("Re: [T-SJ8K-MM7S] Our order form is broken", "Our order form is broken"),
        (
            "[T-Q5GX-ZZDF] Re: [T-Z3FR-GHY8] Campaign report looks wrong",
            "Campaign report looks wrong",
        ),
        ("Fwd: RE: Invoice 2291", "Invoice 2291"),
        ("AW: WG: Termin am Montag", "Termin am Montag"),
        ("Reply needed by Friday", "Reply needed by Friday"),
        ("Re: [T-SJ8K-MM7S]", ""),
    ],
)
def test_a_new_tickets_title_drops_other_references_and_reply_prefixes(
    subject: str, title: str
) -> None:
    assert new_ticket_subject(subject) == title
