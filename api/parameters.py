"""One check of every path, query and header parameter, before any route sees it.

Request bodies are checked by their schemas (api/schemas.py: `Strict`, `Id`). Parameters are
plain `int` and `str` in the route signatures, so they are checked here, once for every route,
whoever writes the next one: no NUL character anywhere (PostgreSQL refuses the whole statement
that carries one), no integer the database's 32-bit integer columns cannot hold (PostgreSQL
refuses those too; SQLite overflows past 64 bits), and no instant that has no UTC equivalent
(year 9999 at -12:00 is year 10000 in UTC). Each would otherwise be a 500.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import TypeAdapter, ValidationError

from api.errors import InvalidInput
from api.schemas import NUL_MESSAGE
from db.types import MAX_INTEGER

_CHECKED = (int, datetime)
_INSTANT = TypeAdapter(datetime)


def _checked_type(annotation: Any) -> type | None:
    """int or datetime for a parameter of that type (optional or not), else None."""
    if annotation in _CHECKED:
        return annotation  # type: ignore[no-any-return]
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {arg for arg in get_args(annotation) if arg is not type(None)}
        if len(kinds) == 1 and (kind := kinds.pop()) in _CHECKED:
            return kind  # type: ignore[no-any-return]
    return None


Parameter = tuple[str, str, type]


def _parameters(dependant: Dependant) -> Iterator[Parameter]:
    """(location, name, type) of the checked parameters of a route and of its dependencies."""
    for location, fields in (
        ("path", dependant.path_params),
        ("query", dependant.query_params),
        ("header", dependant.header_params),
    ):
        for field in fields:
            kind = _checked_type(field.field_info.annotation)
            if kind is not None:
                yield location, field.alias, kind
    for sub in dependant.dependencies:
        yield from _parameters(sub)


def _parameters_of(route: Any) -> list[Parameter]:
    # Walked on each request: a few dozen fields, cheaper than keeping a cache keyed by routes
    # (which are not hashable, and every app, and every test's app, has its own).
    dependant = getattr(route, "dependant", None)
    return list(_parameters(dependant)) if dependant is not None else []


def _raw(request: Request, location: str, name: str) -> list[str]:
    if location == "path":
        value = request.path_params.get(name)
        return [] if value is None else [str(value)]
    if location == "query":
        return request.query_params.getlist(name)
    return request.headers.getlist(name)


def _int_problem(raw: str) -> str | None:
    try:
        number = int(raw.strip())
    except ValueError:
        return None  # not a number at all: the route's own validation says so
    if abs(number) > MAX_INTEGER:
        return f"is out of range: no record has a number beyond ±{MAX_INTEGER}"
    return None


def _instant_problem(raw: str) -> str | None:
    try:
        instant = _INSTANT.validate_python(raw)
    except ValidationError:
        return None  # the route's own validation says what is wrong
    try:
        if instant.tzinfo is not None:
            instant.astimezone(UTC)
    except OverflowError:
        return "is outside the years 1 to 9999 once converted to UTC"
    return None


async def check_parameters(request: Request) -> None:
    """Refuse, with 422 naming the parameter, what the database could not take."""
    # Texts first: a NUL anywhere, whatever the parameter's type.
    sources = (
        ("path", request.path_params.items()),
        ("query", request.query_params.multi_items()),
        ("header", request.headers.items()),
    )
    for location, items in sources:
        for name, value in items:
            if "\x00" in str(name) or "\x00" in str(value):
                raise InvalidInput.for_field(f"{location}.{name}", NUL_MESSAGE)
    for location, name, kind in _parameters_of(request.scope.get("route")):
        check = _int_problem if kind is int else _instant_problem
        for raw in _raw(request, location, name):
            problem = check(raw)
            if problem is not None:
                raise InvalidInput.for_field(f"{location}.{name}", problem)
