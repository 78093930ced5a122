"""Two guards in front of every request: cross-site request forgery, and the pages' headers.

Forgery: a browser sends the session cookie with a form another site makes it post. Unsafe
requests (POST, PUT, PATCH, DELETE) are refused with 403 when the browser says they come
from elsewhere, with the rule Go 1.25's net/http.CrossOriginProtection uses:
`Sec-Fetch-Site` must be `same-origin` or `none` (typed, or a bookmark); a browser too old
to send it is judged by `Origin`, whose host must be this app's. A request with neither
header is not from a browser and passes (it carries no cookie a browser attached), and so
does one with an Authorization header: a bearer key is never sent by a browser on its own.
Origins in PLEDGE_CODEC_CORS_ORIGINS (the Temporal UI calling the codec endpoint) are
trusted, as Go's AddTrustedOrigin does. SameSite=Lax on the cookie is the second wall.

Headers: every HTML answer gets a Content-Security-Policy allowing only this origin (no
inline scripts or styles, no framing), `nosniff` and a same-origin referrer policy; a page
that set stricter ones itself (the customer's tracking page: no-referrer) keeps them. The
API docs (Swagger UI and ReDoc) start with inline scripts, so they are left as they were.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import UNSAFE_METHODS
from api.errors import problem_response
from web.pages import page

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
REFUSAL = (
    "This form was sent from another website, so Pledge did not act on it. If you meant to "
    "do this, go back to Pledge, reload the page and send the form again from there."
)


def _host_of(origin: str) -> str | None:
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def cross_origin(scope: Scope, trusted: frozenset[str], own_hosts: frozenset[str]) -> bool:
    """Whether an unsafe request comes from another site (see the module's docstring)."""
    headers = Headers(scope=scope)
    if headers.get("authorization"):
        return False
    origin = headers.get("origin")
    if origin is not None and origin.rstrip("/") in trusted:
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    if origin is None:
        return False
    host = (headers.get("host") or "").lower()
    origin_host = _host_of(origin)
    return origin_host is None or (origin_host != host and origin_host not in own_hosts)


class BrowserGuard:
    """Pure ASGI, outside the routes: refusals happen before any route or session runs."""

    def __init__(self, app: ASGIApp, *, unstyled_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.unstyled_paths = unstyled_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in UNSAFE_METHODS:
            settings = getattr(scope["app"].state, "settings", None)  # None before start-up
            trusted = frozenset(settings.codec_origins) if settings else frozenset()
            public = _host_of(settings.effective_public_url) if settings else None
            own = frozenset({public}) if public else frozenset()
            if cross_origin(scope, trusted, own):
                await self._refuse(scope, receive, send)
                return
        if scope["path"] in self.unstyled_paths:
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    for name, value in PAGE_HEADERS.items():
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = Headers(scope=scope).get("accept", "")
        if "text/html" in accept:
            response = page(
                "signin/refused.html",
                status_code=403,
                title="Sent from another website",
                detail=REFUSAL,
            )
            response.headers.update(PAGE_HEADERS)
        else:
            response = problem_response(403, REFUSAL)
        await response(scope, receive, send)
