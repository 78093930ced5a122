"""Mail waiting in the inbox, as a mailbox's workflow records it (for pages that read rows)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from db.models import Mailbox, ReceivedMail

NOW = datetime.now(UTC).replace(microsecond=0)


def mailbox_row() -> Mailbox:
    return Mailbox(
        id=f"B-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        name="Support", host="imap.mail.invalid", port=993, tls=True, folder="INBOX",
        moved_to="Pledge", username="support", password_sealed="s1:k:none", creates="tickets",
        priority=None, paused=False, created_by="test", created_at=NOW, updated_at=NOW,
        version=1,
    )  # fmt: skip


def waiting_mail(mailbox: Mailbox, outcome: str, subject: str, sender: str) -> ReceivedMail:
    note = (
        "the sender is not a contact at any account: waiting for someone to name the account"
        if outcome == "unmatched"
        else f"{sender} opened 5 or more tickets, complaints or inbox items in the hour before"
        " this arrived: held until someone releases it"
    )
    return ReceivedMail(
        id=secrets.token_hex(16), mailbox_id=mailbox.id, dedupe_key=f"id:{secrets.token_hex(8)}",
        uid=1, uid_validity=1, arrived_at=NOW - timedelta(minutes=30), recorded_at=NOW,
        message_id=None, sender=sender, sender_name="Sam Stranger", subject=subject,
        automatic=None, display_text="Our newsletter did not go out this morning.",
        raw=b"Subject: x\r\n\r\ny", outcome=outcome, outcome_note=note,
    )  # fmt: skip
