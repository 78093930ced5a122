"""One check of every path, query and header parameter, before any route sees it.

Request bodies are checked by their schemas (api/schemas.py: `Strict`, `Id`). Parameters are
plain `int` and `str` in the route signatures, so they are checked here, once for every route,
whoever writes the next one: no NUL character anywhere (PostgreSQL refuses the whole statement
that carries one), and no integer the database's 32-bit integer columns cannot hold (PostgreSQL
refuses those too; SQLite overflows past 64 bits). Either would otherwise be a 500.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant

from api.errors import InvalidInput
from api.schemas import NUL_MESSAGE
from db.types import MAX_INTEGER


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {arg for arg in get_args(annotation) if arg is not type(None)}
        return kinds == {int}
    return False


def _int_parameters(dependant: Dependant) -> Iterator[tuple[str, str]]:
    """(location, name) of every integer parameter of a route and of its dependencies."""
    for location, fields in (
        ("path", dependant.path_params),
        ("query", dependant.query_params),
        ("header", dependant.header_params),
    ):
        for field in fields:
            if _is_int(field.field_info.annotation):
                yield location, field.alias
    for sub in dependant.dependencies:
        yield from _int_parameters(sub)


_INT_PARAMETERS: dict[int, list[tuple[str, str]]] = {}


def _int_parameters_of(route: Any) -> list[tuple[str, str]]:
    found = _INT_PARAMETERS.get(id(route))
    if found is None:
        dependant = getattr(route, "dependant", None)
        found = list(_int_parameters(dependant)) if dependant is not None else []
        _INT_PARAMETERS[id(route)] = found
    return found


def _raw(request: Request, location: str, name: str) -> list[str]:
    if location == "path":
        value = request.path_params.get(name)
        return [] if value is None else [str(value)]
    if location == "query":
        return request.query_params.getlist(name)
    return request.headers.getlist(name)


def _out_of_range(raw: str) -> bool:
    try:
        return abs(int(raw.strip())) > MAX_INTEGER
    except ValueError:
        return False  # not a number at all: the route's own validation says so


async def check_parameters(request: Request) -> None:
    """Refuse, with 422 naming the parameter, what the database could not take."""
    sources = (
        ("path", request.path_params.items()),
        ("query", request.query_params.multi_items()),
        ("header", request.headers.items()),
    )
    for location, items in sources:
        for name, value in items:
            if "\x00" in str(name) or "\x00" in str(value):
                raise InvalidInput.for_field(f"{location}.{name}", NUL_MESSAGE)
    for location, name in _int_parameters_of(request.scope.get("route")):
        if any(_out_of_range(raw) for raw in _raw(request, location, name)):
            raise InvalidInput.for_field(
                f"{location}.{name}",
                f"must be between {-MAX_INTEGER} and {MAX_INTEGER}; no record has such a number",
            )
