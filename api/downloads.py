"""The Content-Disposition of every file the API hands out (RFC 6266).

Starlette encodes headers as Latin-1, so a raw non-Latin-1 filename is a 500, and a `"` in one
ends the quoted string early. Every download goes through this one helper: an ASCII fallback in
`filename`, the real name percent-encoded as UTF-8 in `filename*` (RFC 8187).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi.responses import Response

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


# A file people sent: never rendered by the browser, whatever it holds. `nosniff` keeps the
# stored type, `attachment` makes it a download, and should it be opened in a tab anyway the
# sandbox runs no script in it and lets it load nothing.
ATTACHMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def attachment_response(filename: str, content_type: str, content: bytes) -> Response:
    """A ticket's file as a download: its clean name, its stored type, never inline."""
    return Response(
        content,
        media_type=content_type,
        headers={**content_disposition(filename), **ATTACHMENT_HEADERS},
    )
