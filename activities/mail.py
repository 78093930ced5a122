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
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid

from settings import Settings

# Line breaks of every kind (and the other control characters) end a header line, or make the
# email package refuse the header outright: a ticket subject or an account name carrying one
# would stop every notice about it. They are folded into a single space instead.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class _NoBreakAfterName(EmailPolicy):
    """The default policy, except that a header is never folded straight after its name.

    Python folds a header whose first word does not fit on the name's line (a long subject
    that begins with a long word) as `Subject:` CRLF ` word…`; unfolded, the value then starts
    with a space, which mail clients show. The first word stays on the name's line instead:
    that line may pass 78 characters, well inside the 998 every mail system takes.
    """

    def fold(self, name: str, value: str) -> str:
        return _join_first(name, super().fold(name, value), self.linesep)

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = super().fold_binary(name, value)
        return _join_first(name, folded.decode("ascii", "surrogateescape"), self.linesep).encode(
            "ascii", "surrogateescape"
        )


def _join_first(name: str, folded: str, linesep: str) -> str:
    head = f"{name}:"
    rest = folded[len(head) :]
    if folded.startswith(head) and rest.startswith(linesep):
        return head + " " + rest[len(linesep) :].lstrip(" \t")
    return folded


MAIL_POLICY = _NoBreakAfterName()


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
        message_id: str | None = None,
        in_reply_to: str | None = None,
        references: Sequence[str] = (),
        to_name: str | None = None,
    ) -> EmailMessage:
        """A message whose headers hold whatever text they are given: every value that comes
        from people (subjects, names) passes through one_line() here, once for every mail.

        `message_id` is used as given (a ticket's mail signs its own, outbound.ticket_links);
        `in_reply_to` threads the message under that earlier one (In-Reply-To, and References
        unless `references` gives the thread's ids, oldest first).
        """
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = one_line(self._settings.mail_from)
        message["To"] = recipient(to, to_name)
        message["Subject"] = one_line(subject)
        message["Date"] = formatdate(localtime=False)
        # A key (event and recipient) gives a re-sent duplicate the same Message-ID.
        message["Message-ID"] = message_id or (
            f"<{hashlib.sha256(message_key.encode()).hexdigest()[:32]}@pledge.local>"
            if message_key
            else make_msgid(domain="pledge.local")
        )
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
            message["References"] = " ".join(references) or in_reply_to
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
