"""Signed tracking links and Message-IDs, and subjects that never fold to start with a space."""

from __future__ import annotations

import os
import re
import stat
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path

import pytest

from activities.mail import Mailer
from outbound.ticket_links import (
    foreign_message_id,
    later_part,
    link_secret,
    mail_domain,
    message_id,
    root_part,
    ticket_of,
    track_token,
    track_token_ok,
)
from settings import Settings
from tests.conftest import Inbox

REF = "T-7B1X-9BKN"


def test_the_secret_is_made_once_in_the_data_directory_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = link_secret(settings)
    assert len(first) == 64 and link_secret(settings) == first
    assert stat.S_IMODE(os.stat(settings.link_secret_file).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path / "data")) == ["link-secret"]  # no spare file left
    configured = Settings(data_dir=tmp_path / "other", link_secret="s" * 40)
    assert link_secret(configured) == b"s" * 40
    assert not (tmp_path / "other").exists()


def test_a_tracking_token_opens_its_own_ticket_only() -> None:
    secret = b"k" * 32
    token = track_token(secret, REF)
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert track_token_ok(secret, REF, token)
    for wrong in (None, "", token[:-1], token + "0", token.upper(), track_token(b"x" * 32, REF)):
        assert not track_token_ok(secret, REF, wrong), wrong
    assert not track_token_ok(secret, "T-0000-0000", token)


def test_message_ids_name_their_ticket_and_only_ours_are_believed() -> None:
    secret = b"k" * 32
    root = message_id(secret, "example.com", REF, root_part("Casey@Customer.example.com"))
    later = message_id(secret, "example.com", REF, later_part(f"{REF}:4:email:casey@x"))
    assert root == message_id(secret, "example.com", REF, root_part("casey@customer.example.com"))
    assert root != message_id(secret, "example.com", REF, root_part("robin@customer.example.com"))
    assert later == message_id(secret, "example.com", REF, later_part(f"{REF}:4:email:casey@x"))
    assert re.fullmatch(rf"<{REF}\.[a-z0-9]+\.[0-9a-f]{{20}}@example\.com>", later)
    assert ticket_of(secret, root) == ticket_of(secret, later) == REF
    assert ticket_of(secret, f"  {later[1:-1]}  ") == REF  # as some clients quote it
    assert ticket_of(b"x" * 32, later) is None
    assert ticket_of(secret, later.replace(REF, "T-0000-0000")) is None
    assert ticket_of(secret, "<CAF=abc@mail.gmail.com>") is None


@pytest.mark.parametrize(
    ("mail_from", "domain"),
    [
        ("Support <help@Support.Example.com>", "support.example.com"),
        ("help@example.com", "example.com"),
        ("Pledge", "localhost"),
    ],
)
def test_ids_use_the_senders_domain(mail_from: str, domain: str) -> None:
    assert mail_domain(Settings(mail_from=mail_from)) == domain


LONG_FIRST_WORD = "A" * 70 + " " + "b" * 70
SUBJECTS = [
    LONG_FIRST_WORD,
    f"[{REF}] " + "Supercalifragilisticexpialidocious-and-unbroken-" * 3 + " then words",
    "x" * 300 + " tail",
    f"[{REF}] Réponse à votre demande " + "é" * 90,
    f"[{REF}] " + " ".join(["word"] * 60),
]


@pytest.mark.parametrize("subject", SUBJECTS, ids=range(len(SUBJECTS)))
async def test_a_long_subject_never_folds_to_start_with_a_space(
    smtp: tuple[Inbox, int], tmp_path: Path, subject: str
) -> None:
    inbox, port = smtp
    address = f"fold-{abs(hash(subject)) % 10**8}@customer.example.com"
    mailer = Mailer(Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port))
    mailer.send(mailer.compose(address, subject, "Hello\n", message_key=address))
    [message] = await inbox.wait_for(lambda m: address in m["X-Envelope-To"])
    raw = inbox.raw_of(message)
    header = raw[raw.index(b"\nSubject:") + 1 :].split(b"\n")
    assert re.match(rb"Subject: \S", header[0]), header[0]
    assert str(message["Subject"]) == subject
    assert str(BytesParser(policy=email_policy).parsebytes(raw)["Subject"]) == subject
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("CAF=abc+1@mail.gmail.invalid", "<CAF=abc+1@mail.gmail.invalid>"),
        ("  <AM9PR07MB1234@outlook.invalid>  ", "<AM9PR07MB1234@outlook.invalid>"),
        (None, None),
        ("", None),
        ("<>", None),
        ("two words@x.invalid", None),
        ("id@x.invalid>\r\nBcc: victim@x.invalid", None),  # a header smuggled in
        ("a<b@x.invalid", None),
        ("caf\u00e9@x.invalid", None),
        ("x" * 901, None),
    ],
)
def test_a_customers_message_id_is_named_only_when_it_cannot_break_a_header(
    given: str | None, named: str | None
) -> None:
    assert foreign_message_id(given) == named


def test_references_list_the_thread_oldest_first(tmp_path: Path) -> None:
    mailer = Mailer(Settings(data_dir=tmp_path))
    theirs, root = "<c@customer.invalid>", "<T-1.r1.s@pledge.invalid>"
    message = mailer.compose("a@b.invalid", "s", "b", in_reply_to=root, references=[theirs, root])
    assert (message["In-Reply-To"], message["References"]) == (root, f"{theirs} {root}")
    alone = mailer.compose("a@b.invalid", "s", "b", in_reply_to=root)
    assert (alone["In-Reply-To"], alone["References"]) == (root, root)
    first = mailer.compose("a@b.invalid", "s", "b")
    assert first["In-Reply-To"] is None and first["References"] is None
