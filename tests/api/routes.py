"""The app's routes, enumerated from the app itself (so a new route is never left out)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api.auth import authenticate


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    dependant: Dependant
    in_schema: bool

    @property
    def needs_key(self) -> bool:
        return _calls(self.dependant, authenticate)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _calls(dependant: Dependant, call: object) -> bool:
    return dependant.call is call or any(_calls(d, call) for d in dependant.dependencies)


def operations(app: FastAPI) -> list[Operation]:
    """Every method of every API route, included routers flattened."""
    found = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue  # the docs' static files
        for method in sorted(context.methods):
            found.append(
                Operation(method, context.path, context.dependant, context.include_in_schema)
            )
    return found
