"""The unsubscribe link every status mail carries: signed, so it needs no stored token.

HMAC-SHA256 with the secret tracking links use (outbound.ticket_links.link_secret), over its
own label, of the subscription's id: `<id>-<signature>`. It stays valid for as long as the
subscription exists; unsubscribing twice changes nothing.
"""

from __future__ import annotations

import hmac

from outbound.ticket_links import TOKEN_HEX, _sign, link_secret
from settings import Settings


def unsubscribe_token(secret: bytes, subscription_id: int) -> str:
    signature = _sign(secret, "status-unsubscribe", str(subscription_id))[:TOKEN_HEX]
    return f"{subscription_id}-{signature}"


def subscription_of(secret: bytes, token: str) -> int | None:
    """The subscription a token names, when its signature is right (in constant time)."""
    number, _, signature = token.partition("-")
    if not number.isdigit() or len(number) > 12:
        return None
    expected = unsubscribe_token(secret, int(number)).partition("-")[2]
    return int(number) if hmac.compare_digest(expected, signature[:TOKEN_HEX]) else None


def unsubscribe_url(settings: Settings, subscription_id: int) -> str:
    token = unsubscribe_token(link_secret(settings), subscription_id)
    return f"{settings.effective_public_url}/status/unsubscribe/{token}"
