"""Real clients' mail (fixtures/*.eml, shaped as Gmail, Outlook, Apple Mail, Exchange and
Postfix write them) read into what a ticket needs, and looked at as a person reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbound.html import to_text
from inbound.message import InboundAttachment, InboundMail, parse
from tests.inbound.tnef_build import winmail

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = "T-7B1X-9BKN.rc31bb4ec07a7.b280e85f150096d1581f@support.pledge.invalid"
LATER = "T-7B1X-9BKN.m3f2020a87d9d5b8d.9ccb3f0d229964066406@support.pledge.invalid"


def fixture(name: str) -> InboundMail:
    return parse((FIXTURES / name).read_bytes())


def test_a_gmail_reply_shows_its_new_words_and_keeps_the_history() -> None:
    mail = fixture("gmail_reply.eml")
    assert mail.message_id == "CAF7x9Qm+bN3kRz=oW5vL0Yq8dJc4eHsT2pGfA1uXn6@mail.gmail.invalid"
    assert mail.in_reply_to == LATER
    assert mail.references == (ROOT, LATER)
    assert mail.subject == "Re: [T-7B1X-9BKN] Newsletter images missing in Outlook"
    assert (mail.sender, mail.sender_name) == ("casey@customer.invalid", "Casey Contact")
    assert mail.date == datetime(2026, 3, 3, 10, 11, 2, tzinfo=UTC)
    assert mail.automatic is None
    assert mail.display_text == (
        "Thanks, the images show now in Outlook too.\n\n"
        "One more thing: the footer links still go to the old domain. Could you look?\n\n"
        "Casey"
    )
    # The original keeps the quoted history, as sent (quoted-printable decoded).
    assert "> Our support team has replied to your request:" in mail.text
    assert "wrote:" in mail.text
    assert mail.html is not None and "gmail_quote" not in mail.html  # classes are dropped
    assert "<blockquote>" in mail.html and "Could you send us the campaign" in mail.html
    assert mail.attachments == ()


def test_gmail_html_alone_trims_the_same_way() -> None:
    mail = fixture("gmail_reply.eml")
    assert mail.html is not None
    text = to_text(mail.html)
    assert "> Dear Casey Contact," in text  # the blockquote reads as a quote
    from inbound.quotes import trim

    assert trim(text) == mail.display_text


def test_an_outlook_reply_in_html_loses_its_header_block_and_keeps_its_logo_as_a_file() -> None:
    mail = fixture("outlook_reply.eml")
    assert (mail.sender, mail.sender_name) == ("ines@cliente.invalid", "Inés García")
    assert mail.subject == "RE: [T-3M8Q-2ZKD] Bounce rate report empty"
    # Outlook puts X-Auto-Response-Suppress on everyday mail: a person still wrote this one.
    assert mail.automatic is None
    assert mail.display_text == (
        "Hi,\n\nYes - please go ahead and close it. Thanks for the quick fix!\n\n"
        "Kind regards,\nInés García\nMarketing Manager | Cliente S.L."
    )
    assert "From: Acme Support" in mail.text and "We have resolved your request" in mail.text
    [logo] = mail.attachments
    assert (logo.filename, logo.content_type) == ("image001.png", "image/png")
    assert logo.data.startswith(b"\x89PNG")
    assert mail.html is not None
    assert 'src="cid:image001.png@01DAB2C3.4D5E6F70"' in mail.html  # the mail's own picture
    for gone in ("<style", "<head", "<meta", "o:OfficeDocumentSettings", "style=", "class="):
        assert gone not in mail.html, gone
    from inbound.quotes import trim

    html_text = to_text(mail.html)
    assert "Yes – please go ahead and close it." in html_text
    assert trim(html_text).endswith("Marketing Manager | Cliente S.L.\n\n[Cliente logo]")


def test_an_apple_mail_reply_loses_sent_from_my_iphone_and_the_quote() -> None:
    mail = fixture("apple_mail_reply.eml")
    assert mail.references == (ROOT, LATER)  # folded over two lines
    assert mail.message_id == "4E1D2C3B-5A69-4F78-8E9D-0A1B2C3D4E5F@customer.invalid"
    assert mail.display_text == (
        "Still happening on the staging site, I'm afraid. Screens attached in the portal."
    )
    assert "Sent from my iPhone" in mail.text


def test_attachments_keep_their_names_types_and_bytes_and_reply_to_is_not_the_sender() -> None:
    mail = fixture("attachment.eml")
    assert (mail.sender, mail.sender_name) == ("pat@customer.invalid", "Buyer, Pat")
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("export-report.pdf", "application/pdf"),
        ("journal d'événements.log", "text/plain"),  # RFC 2231, UTF-8
    ]
    assert mail.attachments[0].data.startswith(b"%PDF-1.4")
    assert mail.attachments[1].data == (
        b"2026-03-04 09:00:01 ERROR render failed: template 'spring' missing\n"
    )
    # An attached text file is a file, not part of what the customer wrote.
    assert mail.text == (
        "The export of the Spring campaign fails every time. The report and the log are attached."
    )


def test_winmail_dat_is_opened_into_its_files() -> None:
    mail = fixture("winmail.eml")
    assert [(a.filename, a.content_type, a.data) for a in mail.attachments] == [
        ("export.csv", "text/csv", b"id,name\r\n1,Widget\r\n"),
        ("notes.txt", "text/plain", b"Call back after 3pm."),
    ]
    assert mail.text == "Please find the export attached.\n\nRegards,\nInes"


def test_a_body_sent_only_inside_winmail_dat_is_read_from_it() -> None:
    blob = winmail("Rich text only, caf\xe9.", [("a.txt", b"A")])
    raw = _mixed("application/ms-tnef", "winmail.dat", blob, text=None)
    mail = parse(raw)
    assert mail.text == "Rich text only, café."
    assert [a.filename for a in mail.attachments] == ["a.txt"]


def test_a_damaged_winmail_dat_is_kept_as_it_came() -> None:
    mail = parse(_mixed("application/ms-tnef", "winmail.dat", b"not TNEF at all"))
    assert mail.attachments == (
        InboundAttachment("winmail.dat", "application/ms-tnef", b"not TNEF at all"),
    )
    truncated = winmail("Body", [("a.txt", b"A" * 100)])[:30]
    [kept] = parse(_mixed("application/ms-tnef", "winmail.dat", truncated)).attachments
    assert kept.filename == "winmail.dat" and kept.data == truncated


def test_latin_1_and_windows_1252_read_as_written() -> None:
    mail = fixture("latin1.eml")
    assert mail.subject == "Rapport d'activité vide en février"
    assert mail.sender_name == "Renée Lefèvre"
    # Declared iso-8859-1, holds windows-1252's curly apostrophe: read as the sender meant.
    assert "Le rapport d’activité de février est vide" in mail.text
    assert mail.date == datetime(2026, 3, 5, 7, 45, tzinfo=UTC)


def test_iso_2022_jp_reads_as_japanese_including_a_subject_split_over_two_words() -> None:
    mail = fixture("iso2022jp.eml")
    assert mail.subject == "請求書のダウンロードができません"
    assert mail.sender_name == "山田 健二"
    assert mail.text.splitlines()[2] == "請求書のPDFがダウンロードできません。"


def test_hostile_html_is_shown_without_script_handlers_styles_frames_or_remote_images() -> None:
    mail = fixture("html_script.eml")
    assert mail.html is not None
    lowered = mail.html.lower()
    for bad in (
        "<script", "onerror", "onload", "onclick", "javascript:", "<style", "style=",
        "<iframe", "<form", "<input", "<svg", "track.evil.invalid", "evil.invalid", "position",
        "document.cookie", "alert(",
    ):  # fmt: skip
        assert bad not in lowered, bad
    assert '<a href="https://portal.customer.invalid/invoices"' in mail.html
    assert 'rel="noopener noreferrer nofollow"' in mail.html
    assert mail.text == (
        "Hello support,\n\nOur invoice page shows an error since this morning. [screenshot]\n\n"
        "Please click here or see the page (https://portal.customer.invalid/invoices).\n\n"
        "Thanks,\nPat"
    )
    assert mail.date == datetime(2026, 3, 4, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "src",
    [
        "cid:part1.ABC@x.invalid",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_only_images_the_mail_carries_keep_their_source(src: str) -> None:
    raw = _html(f'<p>see <img src="{src}" alt="shot"> and <a href="{src}">this</a></p>')
    html = parse(raw).html or ""
    assert f'<img src="{src}"' in html
    assert "<a href" not in html  # a link never opens cid: or data: (data:text/html runs)


def test_a_missing_or_broken_date_is_none_and_no_zone_is_utc() -> None:
    assert parse(b"Subject: x\r\n\r\nbody").date is None
    assert parse(b"Date: the day after tomorrow\r\n\r\nbody").date is None
    assert parse(b"Date: Tue, 3 Mar 2026 10:00:00 -0000\r\n\r\nb").date == datetime(
        2026, 3, 3, 10, tzinfo=UTC
    )


def test_ids_without_brackets_and_with_comments_are_read() -> None:
    mail = parse(
        b"Message-ID: plain-id@x.invalid\r\n"
        b"In-Reply-To: <parent@x.invalid> (Casey's message of Tue)\r\n"
        b"References: <a@x.invalid>\r\n\t<b@x.invalid> <a@x.invalid>\r\n\r\nbody"
    )
    assert mail.message_id == "plain-id@x.invalid"
    assert mail.in_reply_to == "parent@x.invalid"
    assert mail.references == ("a@x.invalid", "b@x.invalid")


def test_a_forwarded_message_attached_is_a_file_not_the_body() -> None:
    inner = b"From: someone@x.invalid\r\nSubject: Original\r\n\r\nThe forwarded words.\r\n"
    raw = (
        b"From: casey@customer.invalid\r\nSubject: Fwd: Original\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee below.\r\n--b\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner + b"--b--\r\n"
    )
    mail = parse(raw)
    assert mail.text == "See below."
    [eml] = mail.attachments
    assert (eml.filename, eml.content_type) == ("forwarded message.eml", "message/rfc822")
    assert b"The forwarded words." in eml.data and b"Subject: Original" in eml.data


def test_bad_bytes_unknown_charsets_and_nul_never_break_the_text() -> None:
    raw = (
        b"From: =?x-nonsense?Q?Na=EFve?= <N@X.invalid>\r\n"
        b"Subject: caf\xe9 \xff =?utf-8?B?not base64!?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"ok \xff\xfe bad\x00 bytes"
    )
    mail = parse(raw)
    assert mail.sender == "n@x.invalid"
    assert "\x00" not in mail.text and mail.text.startswith("ok ")
    assert "\ufffd" in mail.text  # replaced, not dropped silently
    assert mail.subject.startswith("café")


def test_file_names_lose_folders_and_control_characters() -> None:
    raw = _mixed("application/pdf", "..\\..\\evil/../../etc/passwd\x07.pdf", b"%PDF")
    [file] = parse(raw).attachments
    assert file.filename == "passwd.pdf"


def _html(body: str) -> bytes:
    return (
        "From: pat@customer.invalid\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + body
    ).encode()


def _mixed(kind: str, filename: str, data: bytes, text: str | None = "Body") -> bytes:
    import base64

    parts = b""
    if text is not None:
        parts += b"--b\r\nContent-Type: text/plain\r\n\r\n" + text.encode() + b"\r\n"
    parts += (
        f'--b\r\nContent-Type: {kind}; name="{filename}"\r\n'
        f'Content-Disposition: attachment; filename="{filename}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(data)
    return (
        b"From: ines@cliente.invalid\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + b"--b--\r\n"
    )
