"""Every operation declares the problem documents it can answer, in one place.

Routes name the statuses particular to them with `api.errors.responses(...)`; what applies to
a whole class of route is added here, after the routers are included, so a new route cannot
forget it:

- every operation: 422 (bad input), 429 (too many requests), 500 and 503 (an outage);
- where an API key (or a feed token in the path) is needed: 401 and 403;
- where the path names a record: 404;
- every action (a method other than GET): 409, a conflict with the record's current state;
- where there is a request body: 400, a body that cannot be read (not UTF-8, say).

Each is a `Problem` under `application/problem+json`, the media type the handlers in
api/errors.py send; FastAPI's own 422 schema is replaced, as its handler is.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from api.errors import PROBLEM_JSON, Problem

EVERYWHERE = frozenset({422, 429, 500, 503})
AUTHENTICATED = frozenset({401, 403})
ADDRESSED = frozenset({404})
ACTION = frozenset({409})
UNREADABLE = frozenset({400})
READS = frozenset({"get", "head", "options"})
PROBLEM_REF = "#/components/schemas/Problem"
# Schemas FastAPI adds for its own 422 body, which Pledge never sends.
FASTAPI_VALIDATION = ("#/components/schemas/HTTPValidationError",)


def problem_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses an operation can answer, from what kind of route it is."""
    statuses = set(EVERYWHERE)
    parameters = operation.get("parameters", [])
    if operation.get("security") or any(p.get("name") == "token" for p in parameters):
        statuses |= AUTHENTICATED
    if any(p.get("in") == "path" for p in parameters) or "{" in path:
        statuses |= ADDRESSED
    if method not in READS:
        statuses |= ACTION
    if "requestBody" in operation:
        statuses |= UNREADABLE
    return statuses


def _is_own_body(response: dict[str, Any]) -> bool:
    """A status declared with a body of the route's own (GET /health's 503 is its report)."""
    for media in response.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref")
        if ref and ref != PROBLEM_REF and ref not in FASTAPI_VALIDATION:
            return True
    return False


def declare_problems(schema: dict[str, Any]) -> None:
    """Add the problem responses to every operation of an OpenAPI document, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))  # FieldProblem
    components["Problem"] = problem
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            for status in sorted(declared | problem_statuses(path, method, operation)):
                response = responses.setdefault(str(status), {})
                if _is_own_body(response):
                    continue
                response["description"] = response.get("description") or HTTPStatus(status).phrase
                if status == 422 and response["description"] == "Validation Error":
                    response["description"] = HTTPStatus(422).phrase
                response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
            operation["responses"] = dict(sorted(responses.items()))
    if not any(ref in str(schema.get("paths")) for ref in FASTAPI_VALIDATION):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def install_problem_responses(app: FastAPI) -> None:
    """Make `app.openapi()` declare the problem responses (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            declare_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
