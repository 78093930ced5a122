"""winmail.dat (Outlook's TNEF) opened into the files and body it carries."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from inbound.text import decode

# tnefparse logs every property it does not know at warning level; the mail is fine.
logging.getLogger("tnefparse").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Unpacked:
    files: tuple[tuple[str, bytes], ...]
    text: str
    html: str | None


def unpack(data: bytes) -> Unpacked | None:
    """The files (name, bytes) and body in a TNEF blob, or None when it cannot be read (the
    caller then keeps winmail.dat as it came)."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data, do_checksum=False)
        files: list[tuple[str, bytes]] = []
        for attachment in tnef.attachments:
            content = attachment.data if isinstance(attachment.data, bytes) else b""
            files.append((_name(attachment), content))
        body = tnef.body
        text = body if isinstance(body, str) else decode(body) if isinstance(body, bytes) else ""
        html = tnef.htmlbody
        if isinstance(html, bytes):
            html = decode(html)
        return Unpacked(tuple(files), text.strip("\x00"), html if isinstance(html, str) else None)
    except Exception:  # noqa: BLE001 - a damaged blob is kept whole instead
        return None


def _name(attachment: object) -> str:
    for read in (lambda: attachment.long_filename(), lambda: attachment._name):  # type: ignore[attr-defined]
        try:
            name = read()
        except Exception:  # noqa: BLE001 - tnefparse decodes names strictly
            continue
        if isinstance(name, bytes):
            name = decode(name)
        if isinstance(name, str) and name.strip("\x00 "):
            return name.strip("\x00 ")
    return ""
