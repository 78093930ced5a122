"""Sending e-mail: SMTP when SMTP_HOST is set, otherwise .eml files in the data directory."""

from __future__ import annotations

import hashlib
import smtplib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from settings import Settings


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
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        # A key (event and recipient) gives a re-sent duplicate the same Message-ID.
        message["Message-ID"] = (
            f"<{hashlib.sha256(message_key.encode()).hexdigest()[:32]}@pledge.local>"
            if message_key
            else make_msgid(domain="pledge.local")
        )
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        for filename, content, mime in attachments:
            maintype, _, subtype = mime.partition("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
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
