"""A minimal TNEF stream (winmail.dat), built by hand: no package on PyPI writes TNEF.

The layout is MS-OXTNEF's: the signature 0x223E9F78, a 16-bit key, then attributes, each
`level (1 byte) | id (16 bits) | type (16 bits) | length (32 bits) | data | checksum (16 bits,
the sum of the data bytes)`. Outlook writes the version and code page first, the message's
own attributes (here its plain body, attBody), then for each file attAttachRendData (which
opens an attachment), attAttachTitle (its name) and attAttachData (its bytes). Real
winmail.dat files carry more (MAPI property blocks, rendering data); tnefparse reads those
too, and this is the smallest stream that exercises the same path through it.
"""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
MESSAGE, ATTACHMENT = 1, 2
# attribute id, type (MS-OXTNEF 2.1.3.1)
TNEF_VERSION = (0x9006, 0x0008)
OEM_CODEPAGE = (0x9007, 0x0006)
BODY = (0x800C, 0x0002)
ATTACH_REND_DATA = (0x9002, 0x0006)
ATTACH_TITLE = (0x8010, 0x0001)
ATTACH_DATA = (0x800F, 0x0006)


def attribute(level: int, kind: tuple[int, int], data: bytes) -> bytes:
    ident, typ = kind
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, ident, typ, len(data)) + data + struct.pack("<H", checksum)


def winmail(body: str, files: list[tuple[str, bytes]]) -> bytes:
    out = struct.pack("<IH", SIGNATURE, 0x0001)
    out += attribute(MESSAGE, TNEF_VERSION, struct.pack("<I", 0x00010000))
    out += attribute(MESSAGE, OEM_CODEPAGE, struct.pack("<II", 1252, 0))
    out += attribute(MESSAGE, BODY, body.encode("cp1252") + b"\x00")
    for name, data in files:
        out += attribute(ATTACHMENT, ATTACH_REND_DATA, b"\x01\x00" + b"\xff" * 4 + b"\x00" * 8)
        out += attribute(ATTACHMENT, ATTACH_TITLE, name.encode("cp1252") + b"\x00")
        out += attribute(ATTACHMENT, ATTACH_DATA, data)
    return out
