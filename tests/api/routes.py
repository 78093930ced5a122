"""The app's routes, enumerated from the app itself (so a new route is never left out)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Route

from api.auth import authenticate


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    dependant: Dependant | None  # None for a plain Starlette route (/openapi.json)
    in_schema: bool

    @property
    def needs_key(self) -> bool:
        return self.dependant is not None and _calls(self.dependant, authenticate)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _calls(dependant: Dependant, call: object) -> bool:
    return dependant.call is call or any(_calls(d, call) for d in dependant.dependencies)


def operations(app: FastAPI) -> list[Operation]:
    """Every method of every route, included routers flattened (HEAD left to its GET)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute | Route):
            continue  # the docs' static files, a mount
        dependant = context.dependant if isinstance(route, APIRoute) else None
        for method in sorted(set(context.methods) - {"HEAD"}):
            found.append(Operation(method, context.path, dependant, context.include_in_schema))
    return found
