"""Reading what an HTML form posted (application/x-www-form-urlencoded, as the console's send)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request


def fields(raw: str) -> dict[str, str]:
    """The form's fields; a repeated name keeps its last value (the forms never repeat one)."""
    return dict(parse_qsl(raw, keep_blank_values=True))


async def posted(request: Request) -> dict[str, str]:
    """The posted form's fields, as typed."""
    return fields((await request.body()).decode("utf-8", errors="replace"))
