"""Who is looking at a console page, and what happens when nobody has signed in.

`page_viewer` is the one dependency every staff page takes: it answers with the same
`Principal` an API key resolves to, so every permission rule written for the JSON routes holds
unchanged on the pages. Signed-in sessions (an opaque cookie, web/sessions) resolve here; a
bearer API key in the Authorization header does too, which scripts and most page tests use.
With neither, the page redirects to /login and comes back afterwards.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import Principal, authenticate
from api.deps import Session
from api.errors import Forbidden
from db.models import Role
from web import banners, sessions


class SignInRequired(Exception):
    """Raised by page dependencies when there is no session; answered with a redirect."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def sign_in_redirect(request: Request, exc: SignInRequired) -> Response:
    target = f"/login?next={quote(exc.next_path, safe='/')}"
    if request.headers.get("hx-request"):
        # htmx would follow a 303 itself and swap the sign-in page into a table cell; this
        # header makes it load the sign-in page as a whole page instead.
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


class PageForbidden(Forbidden):
    """A signed-in viewer whose roles do not reach the page: a page saying so, not JSON."""


def forbidden_page(_request: Request, exc: PageForbidden) -> HTMLResponse:
    from web.pages import page

    return page(
        "signin/refused.html", status_code=403, title="Not part of your role", detail=exc.detail
    )


def return_path(request: Request, home: str) -> str:
    """Where to come back to after signing in: this page, or for a form sent after the session
    ended, the page it was sent from (coming back to a form's address would be a GET it
    does not answer), else `home`."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc in ("", request.url.netloc)
    if same_site and referer.path.startswith(home) and not referer.path.startswith("//"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return home


async def _from_session(request: Request, session: Session) -> Principal | None:
    """The principal of the request's sign-in session; None without one (sign-in lands here)."""
    token = sessions.session_token(request)
    if token is None:
        return None
    return await sessions.principal_for(session, token, request.app.state.settings)


async def page_viewer(request: Request, session: Session) -> Principal:
    principal = await _from_session(request, session)
    # The frame's maintenance banner, read here so that no page has to (web/banners.py).
    await banners.load_console(session)
    # End the lookup's transaction, as authenticate() does: a page that changes things holds
    # SQLite's write lock from here (api/deps.py), and must not keep it while it waits on
    # Temporal for a workflow whose activities need that lock.
    await session.commit()
    if principal is not None:
        return principal
    if request.headers.get("authorization"):
        scheme, _, credentials = request.headers["authorization"].partition(" ")
        return await authenticate(
            request, session, HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)
        )
    raise SignInRequired(return_path(request, "/console"))


Viewer = Annotated[Principal, Depends(page_viewer)]


def staff_page(*roles: Role):  # type: ignore[no-untyped-def]
    """A page dependency admitting staff with one of `roles` (admin always)."""
    allowed = {Role.ADMIN, *roles}

    async def check(viewer: Viewer) -> Principal:
        if not viewer.has_role(*allowed):
            raise PageForbidden(
                "This page is not part of your role. If you need it, ask an administrator."
            )
        return viewer

    return Depends(check)
