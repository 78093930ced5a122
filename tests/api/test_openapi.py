"""Every operation declares the problem documents it can answer, with the Problem schema."""

from __future__ import annotations

from api.app import create_app
from api.errors import PROBLEM_JSON
from settings import Settings
from tests.api.routes import Operation, operations

PROBLEM = {"$ref": "#/components/schemas/Problem"}
# Statuses a route answers with a body of its own rather than a problem document.
OWN_BODIES = {("GET", "/health", "503")}


def expected(operation: Operation) -> set[str]:
    """What the route can answer, worked out from the route itself, not from the document."""
    statuses = {422, 429, 500, 503}
    if operation.needs_key or "{token}" in operation.path:
        statuses |= {401, 403}
    assert operation.dependant is not None
    if operation.dependant.path_params:
        statuses.add(404)
    if operation.method != "GET":
        statuses.add(409)
    if operation.dependant.body_params:
        statuses.add(400)  # a body that cannot be read at all
    return {str(status) for status in statuses}


def test_every_operation_declares_its_problem_responses() -> None:
    app = create_app(Settings())
    document = app.openapi()
    checked = 0
    for operation in operations(app):
        if not operation.in_schema:
            continue  # the docs pages
        responses = document["paths"][operation.path][operation.method.lower()]["responses"]
        missing = expected(operation) - set(responses)
        assert not missing, f"{operation} does not declare {sorted(missing)}"
        for status, response in responses.items():
            if int(status) < 400 or (operation.method, operation.path, status) in OWN_BODIES:
                continue
            assert response["content"] == {PROBLEM_JSON: {"schema": PROBLEM}}, (
                f"{operation} {status}: {response['content']}"
            )
        checked += 1
    assert checked == sum(len(ops) for ops in document["paths"].values())
    assert checked >= 60  # all of them, not a handful
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"status", "title", "detail"}
    # FastAPI's own validation body is never sent (our handler answers 422 with a Problem).
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_route_keeps_what_it_declares_itself() -> None:
    document = create_app(Settings()).openapi()
    health = document["paths"]["/health"]["get"]["responses"]
    assert health["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }
    # GET /metrics/sla declares 404 for an unknown account_id in its query, not its path.
    assert "404" in document["paths"]["/metrics/sla"]["get"]["responses"]
