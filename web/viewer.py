"""Who is looking at a console page, and what happens when nobody has signed in.

`page_viewer` is the one dependency every staff page takes: it answers with the same
`Principal` an API key resolves to, so every permission rule written for the JSON routes holds
unchanged on the pages. Signed-in sessions (an opaque cookie, web/sessions) resolve here; a
bearer API key in the Authorization header does too, which scripts and most page tests use.
With neither, the page redirects to /login and comes back afterwards.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from api.auth import Principal, authenticate
from api.deps import Session
from api.errors import Forbidden
from db.models import Role


class SignInRequired(Exception):
    """Raised by page dependencies when there is no session; answered with a redirect."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def sign_in_redirect(_request: Request, exc: SignInRequired) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


async def _from_session(request: Request, session: Session) -> Principal | None:
    """The principal of the request's sign-in session; None without one (sign-in lands here)."""
    return None


async def page_viewer(request: Request, session: Session) -> Principal:
    principal = await _from_session(request, session)
    if principal is not None:
        return principal
    if request.headers.get("authorization"):
        from fastapi.security import HTTPAuthorizationCredentials

        scheme, _, credentials = request.headers["authorization"].partition(" ")
        return await authenticate(
            request, session, HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)
        )
    raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))


Viewer = Annotated[Principal, Depends(page_viewer)]


def staff_page(*roles: Role):  # type: ignore[no-untyped-def]
    """A page dependency admitting staff with one of `roles` (admin always)."""
    allowed = {Role.ADMIN, *roles}

    async def check(viewer: Viewer) -> Principal:
        if viewer.role not in allowed:
            raise Forbidden("This page is not part of your role")
        return viewer

    return Depends(check)
