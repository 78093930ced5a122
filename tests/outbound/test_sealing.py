"""Sealed secrets: they open for their owner only, under the keys that sealed them."""

from __future__ import annotations

import os
import stat

import pytest

from outbound import sealing
from settings import Settings
from workflows.payload_codec import new_key_entry, parse_keys


def test_a_sealed_secret_opens_for_its_owner_only(tmp_path) -> None:
    ring = sealing.keys(Settings(data_dir=tmp_path))
    sealed = sealing.seal("hunter2-password", "B-1111-1111", ring)
    assert "hunter2" not in sealed
    assert sealing.open_sealed(sealed, "B-1111-1111", ring) == "hunter2-password"
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(sealed, "B-2222-2222", ring)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(tampered, "B-1111-1111", ring)


def test_the_key_file_is_made_once_and_private(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = sealing.keys(settings)
    assert sealing.keys(settings) == first
    assert stat.S_IMODE(os.stat(settings.mailbox_keys_file).st_mode) == 0o600


def test_a_rotated_ring_still_opens_what_the_old_key_sealed() -> None:
    old = parse_keys(new_key_entry())
    sealed = sealing.seal("pw", "B-1", old)
    rotated = parse_keys(new_key_entry()) + old
    assert sealing.open_sealed(sealed, "B-1", rotated) == "pw"
    assert sealing.seal("pw", "B-1", rotated).split(":")[1] == rotated[0].id
    with pytest.raises(sealing.SealError, match="not configured"):
        sealing.open_sealed(sealed, "B-1", parse_keys(new_key_entry()))
