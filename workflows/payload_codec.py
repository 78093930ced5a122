"""Temporal payloads encrypted with AES-GCM, so history holds no complainant or ticket text.

Temporal keeps every workflow's inputs, updates, activity arguments and results in its history
for as long as the namespace retains it; those include complainants' names, addresses and
complaint texts, ticket descriptions and replies. The codec encrypts each payload on the way to
the server and decrypts it on the way back, in the client and the worker alike.

Keys have ids: the first key encrypts, every listed key decrypts, so a key is rotated by
putting a new one first and keeping the old one until no history needs it. A payload without
this codec's encoding (histories recorded before it, or a client without it) passes through
unchanged, so old workflows still replay.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12


class PayloadKeyError(ValueError):
    """The keys are missing or malformed, or a payload was encrypted with an unknown key."""


@dataclass(frozen=True)
class PayloadKey:
    id: str
    secret: bytes  # 16, 24 or 32 bytes: AES-128, -192 or -256

    def __repr__(self) -> str:  # never print key material in a log or a traceback
        return f"PayloadKey(id={self.id!r})"


def parse_keys(text: str) -> list[PayloadKey]:
    """`id:base64key` entries separated by commas or new lines; the first one encrypts."""
    keys: list[PayloadKey] = []
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for entry in ",".join(lines).split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise PayloadKeyError(f"a payload key entry must be id:base64key, not {key_id!r}…")
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise PayloadKeyError(f"payload key {key_id!r} is not valid base64") from None
        if len(secret) not in (16, 24, 32):
            raise PayloadKeyError(
                f"payload key {key_id!r} is {len(secret)} bytes; AES-GCM needs 16, 24 or 32"
            )
        if any(k.id == key_id for k in keys):
            raise PayloadKeyError(f"payload key id {key_id!r} is listed twice")
        keys.append(PayloadKey(key_id, secret))
    if not keys:
        raise PayloadKeyError("no payload keys are configured")
    return keys


def new_key_entry() -> str:
    """A fresh `id:base64key` entry (AES-256) with a random id."""
    return f"k{secrets.token_hex(4)}:{base64.b64encode(os.urandom(32)).decode('ascii')}"


def load_or_create_key_file(path: Path) -> list[PayloadKey]:
    """The keys kept in `path`, written there (mode 600) on first use.

    The API and the worker start at the same moment under `make run`: the file is written
    aside and linked into place, so exactly one key wins and both processes read it.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        spare = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(
                "# Temporal payload keys, id:base64key; the first encrypts, all decrypt.\n"
                "# Losing this file makes encrypted workflow history unreadable.\n"
                f"{new_key_entry()}\n"
            )
        try:
            os.link(spare, path)
        except FileExistsError:
            pass  # another process got there first: use its key
        finally:
            spare.unlink()
    os.chmod(path, 0o600)
    return parse_keys(path.read_text())


class EncryptionCodec(PayloadCodec):
    """AES-GCM per payload, the key id in the metadata; unknown encodings pass through."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise PayloadKeyError("no payload keys are configured")
        self._encrypting = keys[0]
        self._ciphers = {key.id: AESGCM(key.secret) for key in keys}

    @property
    def key_id(self) -> str:
        return self._encrypting.id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._encrypting.id]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            encoded.append(
                Payload(
                    metadata={
                        "encoding": ENCODING,
                        KEY_ID_METADATA: self._encrypting.id.encode("utf-8"),
                    },
                    data=nonce + cipher.encrypt(nonce, payload.SerializeToString(), None),
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)  # recorded before encryption, or not ours
                continue
            key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("utf-8", "replace")
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise PayloadKeyError(
                    f"a payload is encrypted with key {key_id!r}, which is not configured "
                    "(PLEDGE_PAYLOAD_KEYS or the payload-keys file)"
                )
            try:
                plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
            except InvalidTag:
                raise PayloadKeyError(
                    f"a payload does not decrypt with key {key_id!r}: the key is wrong or the "
                    "payload was altered"
                ) from None
            decoded.append(Payload.FromString(plain))
        return decoded
