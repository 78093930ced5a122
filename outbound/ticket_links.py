"""What ties a customer's mail back to their ticket: links to it, and Message-IDs.

A portal user's link is their ticket's portal page, behind their own sign-in. The others'
links (signed tracking links), the rating link of the resolution mail and the Message-IDs are
HMAC-SHA256 with one secret Pledge keeps (PLEDGE_LINK_SECRET, or a file generated in the data
directory), each over its own labelled text so a token of one kind is never valid as another.
docs/customer-mail.md describes the formats; inbound mail (a reply quoting one of our
Message-IDs) can be matched to its ticket with `ticket_of` without any database lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from email.utils import parseaddr
from pathlib import Path

from settings import Settings

# 128 bits: enough that a link cannot be guessed, short enough to read in a URL.
TOKEN_HEX = 32
SIGNATURE_HEX = 20
_MESSAGE_ID = re.compile(
    r"^<?(?P<ref>[A-Z]-[0-9A-Z]{4}-[0-9A-Z]{4})\.(?P<part>[a-z0-9]+)\.(?P<sig>[0-9a-f]+)@[^>]+>?$"
)


def link_secret(settings: Settings) -> bytes:
    """The secret from the settings, or the one kept in the data directory (made on first
    use, mode 600, linked into place so the API and a worker starting together agree)."""
    if settings.link_secret:
        return settings.link_secret.encode("utf-8")
    path = settings.link_secret_file
    if not path.exists():
        _write_once(path, secrets.token_hex(32))
    return path.read_text().strip().encode("ascii")


def _write_once(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(value + "\n")
    try:
        os.link(spare, path)
    except FileExistsError:
        pass  # another process got there first: use its secret
    finally:
        spare.unlink()


def _sign(secret: bytes, label: str, text: str) -> str:
    return hmac.new(secret, f"{label}:{text}".encode(), hashlib.sha256).hexdigest()


# -- tracking links ---------------------------------------------------------------------------


def track_token(secret: bytes, reference: str) -> str:
    return _sign(secret, "track", reference)[:TOKEN_HEX]


def track_token_ok(secret: bytes, reference: str, token: str | None) -> bool:
    """Constant-time: the time taken says nothing about how much of a token was right."""
    return hmac.compare_digest(track_token(secret, reference), (token or "")[: TOKEN_HEX * 2])


def track_url(settings: Settings, secret: bytes, reference: str) -> str:
    token = track_token(secret, reference)
    return f"{settings.effective_public_url}/track/{reference}?token={token}"


# -- rating links -----------------------------------------------------------------------------
# Only in the mail that asks the ticket's contact how it went: the tracking link (which their
# colleagues may be sent too) is signed over another label and never opens the rating page.


def rate_token(secret: bytes, reference: str) -> str:
    return _sign(secret, "rate", reference)[:TOKEN_HEX]


def rate_token_ok(secret: bytes, reference: str, token: str | None) -> bool:
    return hmac.compare_digest(rate_token(secret, reference), (token or "")[: TOKEN_HEX * 2])


def rate_path(secret: bytes, reference: str) -> str:
    return f"/rate/{reference}?token={rate_token(secret, reference)}"


def rate_url(settings: Settings, secret: bytes, reference: str) -> str:
    return settings.effective_public_url + rate_path(secret, reference)


# -- portal links ------------------------------------------------------------------------------


def portal_path(reference: str) -> str:
    """The ticket's page in the customer portal (signing in first comes back to it)."""
    return f"/portal/tickets/{reference}"


def portal_url(settings: Settings, reference: str) -> str:
    return f"{settings.effective_public_url}{portal_path(reference)}"


def customer_url(settings: Settings, secret: bytes, reference: str, *, portal: bool) -> str:
    """Where a customer's mail about a ticket sends them: its portal page for someone who may
    sign in to the portal (where they can answer), else the signed read-only tracking page."""
    return portal_url(settings, reference) if portal else track_url(settings, secret, reference)


# -- Message-IDs --------------------------------------------------------------------------------


def mail_domain(settings: Settings) -> str:
    """The domain of the From address, so our ids look like the mail they come with."""
    _, address = parseaddr(settings.mail_from)
    if "@" not in address:
        return "localhost"
    return address.rpartition("@")[2].strip().lower() or "localhost"


def message_id(secret: bytes, domain: str, reference: str, part: str) -> str:
    """`<T-XXXX-XXXX.<part>.<signature>@domain>`: the ticket, which mail, and a signature over
    both, so a reply's In-Reply-To names a ticket only Pledge could have named."""
    signature = _sign(secret, "message-id", f"{reference}.{part}")[:SIGNATURE_HEX]
    return f"<{reference}.{part}.{signature}@{domain}>"


def root_part(recipient: str) -> str:
    """A ticket's thread begins with its confirmation; each recipient has their own root
    (a mail has one Message-ID, and each recipient's copy is worded for them)."""
    return "r" + hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:12]


def later_part(message_key: str) -> str:
    """A later mail's id part: from its event and recipient, so a re-sent duplicate keeps it."""
    return "m" + hashlib.sha256(message_key.encode()).hexdigest()[:16]


_FOREIGN_ID = re.compile(r"^[!-;=?-~]{1,900}$")  # printable ASCII, no spaces, no < or >


def foreign_message_id(value: str | None) -> str | None:
    """Someone else's Message-ID (a customer's mail), `<…>`, fit to name in our In-Reply-To
    and References; None when there is none or it could break a header (spaces, controls,
    brackets inside, a length no header line takes)."""
    bare = (value or "").strip().removeprefix("<").removesuffix(">")
    return f"<{bare}>" if _FOREIGN_ID.match(bare) else None


def ticket_of(secret: bytes, header: str) -> str | None:
    """The reference a Message-ID (or an In-Reply-To / References entry) of ours names, or
    None when it is not ours or its signature does not match."""
    found = _MESSAGE_ID.match(header.strip())
    if found is None:
        return None
    expected = _sign(secret, "message-id", f"{found['ref']}.{found['part']}")[:SIGNATURE_HEX]
    return found["ref"] if hmac.compare_digest(expected, found["sig"]) else None
