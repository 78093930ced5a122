"""The outermost safety net: anything a route did not turn into a response becomes a problem
document, and the connection it came on stays usable.

Starlette's ServerErrorMiddleware sends its 500 and then raises again, so the server closes
the connection and the client's next request on it fails too. This middleware sits inside it
and answers without raising: a database that is busy or out of reach is a 503 with
Retry-After (the request's transaction was rolled back, so nothing was stored), anything else
a 500 that is logged. Temporal out of reach is a 503 too: nothing reached it.
"""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response
from api.temporal_calls import temporal_unreachable, unreachable_error
from db.busy import RETRY_AFTER_BUSY, RETRY_AFTER_UNREACHABLE, is_busy, is_unreachable

log = logging.getLogger("pledge.api")


def answer_for(error: BaseException, method: str, path: str) -> JSONResponse:
    """The problem response for an exception no handler took."""
    if is_busy(error):
        log.warning("database busy on %s %s: %s", method, path, error)
        return problem_response(
            503,
            "The database is busy with other writes; nothing was changed. Try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_BUSY)},
        )
    if is_unreachable(error):
        log.warning("database unavailable on %s %s: %s", method, path, error)
        return problem_response(
            503,
            "The database cannot be reached; nothing was changed. Try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_UNREACHABLE)},
        )
    if (reason := temporal_unreachable(error)) is not None:
        log.warning("Temporal unavailable on %s %s: %s", method, path, reason)
        refusal = unreachable_error(reason)
        return problem_response(503, refusal.detail, headers=refusal.headers)
    log.error("unhandled error on %s %s", method, path, exc_info=error)
    return problem_response(500, "Something went wrong on our side; it has been logged.")


class ProblemOnError:
    """Pure ASGI (no BaseHTTPMiddleware): streaming and background tasks are untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                # Half a response is out: only closing the connection can tell the client.
                raise
            response = answer_for(error, scope.get("method", ""), scope.get("path", ""))
            await response(scope, receive, send)
