"""The Content-Disposition of every file the API hands out (RFC 6266).

Starlette encodes headers as Latin-1, so a raw non-Latin-1 filename is a 500, and a `"` in one
ends the quoted string early. Every download goes through this one helper: an ASCII fallback in
`filename`, the real name percent-encoded as UTF-8 in `filename*` (RFC 8187).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from reports.filenames import ascii_filename

# RFC 8187 attr-char, less the letters and digits quote() keeps anyway.
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(
    filename: str, disposition: Literal["attachment", "inline"] = "attachment"
) -> dict[str, str]:
    """The header, as a dict to pass as a response's `headers`."""
    encoded = quote(filename, safe=_ATTR_CHARS, encoding="utf-8")
    return {
        "Content-Disposition": f'{disposition}; filename="{ascii_filename(filename)}"; '
        f"filename*=UTF-8''{encoded}"
    }
