"""/static: the console's own CSS and JavaScript, and the vendored libraries.

Vendored files live in directories named with their version, so they never change under a
URL: browsers keep them a year without asking. The console's own files change with Pledge,
so browsers check them each time (a 304 when unchanged).
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).resolve().parent / "static"
FOREVER = "public, max-age=31536000, immutable"
CHECK_EACH_TIME = "no-cache"


class CachedStatic(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            vendored = path.replace("\\", "/").startswith("vendor/")
            response.headers["Cache-Control"] = FOREVER if vendored else CHECK_EACH_TIME
        return response


def static_files() -> CachedStatic:
    return CachedStatic(directory=STATIC)
