"""Bad requests get a clear 4xx problem document naming the problem, never a 500."""

from __future__ import annotations

import httpx

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


async def test_unknown_route_is_404_naming_the_path(
    client: httpx.AsyncClient, admin_headers
) -> None:
    body = assert_problem(await client.get("/no/such/thing", headers=admin_headers), 404)
    assert body["detail"] == "No such endpoint: GET /no/such/thing"


async def test_malformed_json_body_is_422_saying_so(
    client: httpx.AsyncClient, admin_headers
) -> None:
    response = await client.post(
        "/keys",
        content=b'{"name": "x", "role": ',
        headers={**admin_headers, "content-type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert "not valid JSON" in body["detail"]


async def test_wrong_type_is_422_naming_the_field(client: httpx.AsyncClient, admin_headers) -> None:
    response = await client.post(
        "/keys",
        json={"name": "x", "role": "customer", "account_id": "seven"},
        headers=admin_headers,
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body.account_id"
    assert "integer" in body["errors"][0]["message"]
    assert "body.account_id" in body["detail"]


async def test_missing_and_unknown_fields_are_named(
    client: httpx.AsyncClient, admin_headers
) -> None:
    response = await client.post(
        "/keys", json={"nmae": "typo", "role": "agent"}, headers=admin_headers
    )
    body = assert_problem(response, 422)
    fields = {problem["field"]: problem["message"] for problem in body["errors"]}
    assert fields["body.name"] == "is required"
    assert fields["body.nmae"] == "is not a field this endpoint accepts"


async def test_bad_enum_lists_the_allowed_values(client: httpx.AsyncClient, admin_headers) -> None:
    response = await client.post(
        "/keys", json={"name": "x", "role": "wizard"}, headers=admin_headers
    )
    body = assert_problem(response, 422)
    assert "admin" in body["detail"] and "complaints_handler" in body["detail"]


async def test_wrong_method_is_405(client: httpx.AsyncClient, admin_headers) -> None:
    body = assert_problem(await client.delete("/health", headers=admin_headers), 405)
    assert "DELETE" in body["detail"]


async def test_wrong_path_parameter_type_is_422(client: httpx.AsyncClient, admin_headers) -> None:
    body = assert_problem(await client.post("/keys/abc/revoke", headers=admin_headers), 422)
    assert body["errors"][0]["field"] == "path.key_id"
