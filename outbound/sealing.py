"""Secrets Pledge must keep to use later but never show: a mailbox's password.

Sealed with AES-GCM under keys of their own (PLEDGE_MAILBOX_KEYS, or <data dir>/mailbox-keys,
generated on first use, mode 600), in the payload keys' `id:base64key` form: the first key
seals, every key opens, so a key is rotated by putting a new one first. The sealed text names
its key and is bound to what it belongs to (the mailbox's id is the associated data), so a
sealed password copied onto another mailbox does not open. The database, the workflow history
and the API only ever hold the sealed text.
"""

from __future__ import annotations

import base64
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from settings import Settings
from workflows.payload_codec import PayloadKey, new_key_entry, parse_keys

VERSION = "s1"
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed secret cannot be opened: unknown key, damaged, or another record's."""


def keys(settings: Settings) -> list[PayloadKey]:
    """PLEDGE_MAILBOX_KEYS, or the keys file in the data directory (made on first use)."""
    if settings.mailbox_keys is not None:
        return parse_keys(settings.mailbox_keys)
    path = settings.mailbox_keys_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        spare = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(
                "# Keys sealing the mailboxes' passwords, id:base64key; the first seals.\n"
                "# Losing this file means typing every mailbox's password again.\n"
                f"{new_key_entry()}\n"
            )
        try:
            os.link(spare, path)  # the API and a worker starting together agree on one key
        except FileExistsError:
            pass
        finally:
            spare.unlink()
    return parse_keys(path.read_text())


def seal(secret: str, owner: str, ring: list[PayloadKey]) -> str:
    """`s1:<key id>:<base64 nonce+ciphertext>`, opened only for the same `owner`."""
    key = ring[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.secret).encrypt(nonce, secret.encode("utf-8"), owner.encode("utf-8"))
    return f"{VERSION}:{key.id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def open_sealed(text: str, owner: str, ring: list[PayloadKey]) -> str:
    """The secret `seal` sealed for `owner`; SealError (saying nothing of it) otherwise."""
    version, _, rest = text.partition(":")
    key_id, _, body = rest.partition(":")
    if version != VERSION or not body:
        raise SealError("the sealed secret is not in a form Pledge wrote")
    key = next((k for k in ring if k.id == key_id), None)
    if key is None:
        raise SealError(f"the secret was sealed with key {key_id!r}, which is not configured")
    try:
        raw = base64.b64decode(body, validate=True)
        plain = AESGCM(key.secret).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode("utf-8")
        )
    except (InvalidTag, ValueError):
        raise SealError("the sealed secret does not open (damaged, or another's)") from None
    return plain.decode("utf-8")
