"""Which ticket a mail names: by Pledge's own signed Message-IDs, or by the reference in its
subject. Neither says the sender may add to that ticket: the caller checks who sent it."""

from __future__ import annotations

import re

from inbound.message import InboundMail
from outbound.ticket_links import ticket_of

# Every mail Pledge sends about a ticket has the subject "[T-XXXX-XXXX] …" (api/references.py:
# Crockford base32, so no I, L, O or U). Clients prefix Re:/AW:/SV: and may add their own
# [tags]; a reference written without its brackets is text about a ticket, not a reply to it.
_REFERENCE = re.compile(r"\[\s*([A-Z]-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\s*\]", re.I)


def reference_in_subject(subject: str, *, prefixes: str = "T") -> str | None:
    """The first ticket reference quoted in brackets in `subject` ("Re: [T-7K2M-4F9Q] …"),
    upper-cased; `prefixes` are the kinds of record wanted (T tickets, C complaints)."""
    for found in _REFERENCE.finditer(subject or ""):
        reference = found.group(1).upper()
        if reference[0] in prefixes.upper():
            return reference
    return None


def reference_in_headers(mail: InboundMail, secret: bytes | str) -> str | None:
    """The ticket a reply's In-Reply-To, then References (newest first), name through one of
    Pledge's signed Message-IDs; a forged or foreign id names nothing."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    candidates = [mail.in_reply_to] if mail.in_reply_to else []
    candidates += reversed(mail.references)
    for candidate in candidates:
        reference = ticket_of(key, f"<{candidate}>")
        if reference is not None:
            return reference
    return None


# Reply and forward prefixes mail clients put before a subject, in the common languages.
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rif|antw|r)\s*(?:\[\d+\])?\s*:\s*)+", re.I)


def new_ticket_subject(subject: str) -> str:
    """The subject of a ticket opened from a mail: without the references of other records
    it quotes ("Re: [T-7K2M-4F9Q] Our order form" is about a new matter: "Our order form"),
    nor the reply and forward prefixes left in front of it."""
    text = _REFERENCE.sub(" ", subject or "")
    text = _PREFIX.sub("", " ".join(text.split()))
    return _PREFIX.sub("", text).strip()
