"""Sending e-mail: SMTP when SMTP_HOST is set, otherwise .eml files in the data directory."""

from __future__ import annotations

import hashlib
import re
import smtplib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from settings import Settings

# Line breaks of every kind (and the other control characters) end a header line, or make the
# email package refuse the header outright: a ticket subject or an account name carrying one
# would stop every notice about it. They are folded into a single space instead.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """`text` fit for a mail header: line breaks and control characters become one space."""
    return _BREAKS.sub(" ", text).strip()


def recipient(address: str, name: str | None = None) -> Address:
    """An address with an optional display name that the header quotes properly, whatever the
    name holds (a `"`, a comma, non-ASCII letters)."""
    return Address(display_name=one_line(name or ""), addr_spec=one_line(address))


class Mailer:
    """Blocking on purpose: activities call it through a thread so the event loop stays free."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def compose(
        self,
        to: str,
        subject: str,
        body: str,
        *,
        attachments: Sequence[tuple[str, bytes, str]] = (),
        headers: dict[str, str] | None = None,
        message_key: str | None = None,
        to_name: str | None = None,
    ) -> EmailMessage:
        """A message whose headers hold whatever text they are given: every value that comes
        from people (subjects, names) passes through one_line() here, once for every mail."""
        message = EmailMessage()
        message["From"] = one_line(self._settings.mail_from)
        message["To"] = recipient(to, to_name)
        message["Subject"] = one_line(subject)
        message["Date"] = formatdate(localtime=False)
        # A key (event and recipient) gives a re-sent duplicate the same Message-ID.
        message["Message-ID"] = (
            f"<{hashlib.sha256(message_key.encode()).hexdigest()[:32]}@pledge.local>"
            if message_key
            else make_msgid(domain="pledge.local")
        )
        for name, value in (headers or {}).items():
            message[name] = one_line(value)
        message.set_content(body)
        for filename, content, mime in attachments:
            maintype, _, subtype = mime.partition("/")
            message.add_attachment(
                content, maintype=maintype, subtype=subtype, filename=one_line(filename)
            )
        return message

    def send(self, message: EmailMessage) -> str:
        """Deliver one message; returns where it went (for the notification record)."""
        if self._settings.smtp_host:
            with smtplib.SMTP(
                self._settings.smtp_host, self._settings.smtp_port, timeout=15
            ) as smtp:
                smtp.send_message(message)
            return f"smtp://{self._settings.smtp_host}:{self._settings.smtp_port}"
        outbox = self._settings.outbox_dir
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        return str(path)
