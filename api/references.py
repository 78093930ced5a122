"""Human-friendly references (T-7K2M-4F9Q): short, unambiguous to read out on the phone."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

# Crockford's base32: no I, L, O or U, so nothing is misread as 1, 0 or a rude word.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(number: int) -> str:
    chars = []
    for _ in range(8):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    code = "".join(reversed(chars))
    return f"{code[:4]}-{code[4:]}"


def new_reference(prefix: str) -> str:
    """A random reference; 40 bits, so a clash is rare and simply retried."""
    return f"{prefix}-{_encode(secrets.randbits(40))}"


def reference_for_key(prefix: str, scope: str, key: str) -> str:
    """The reference an Idempotency-Key always maps to, so a retried POST finds its ticket."""
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).digest()
    return f"{prefix}-{_encode(int.from_bytes(digest[:5], 'big'))}"


def fingerprint(payload: dict[str, Any]) -> str:
    """A digest of a request body, to tell a true retry from a reused key."""
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
