"""A 500, should one still happen, is a problem document, and the connection it came on stays
usable: the client's next request on it is served (Starlette's own handler re-raised, so the
server dropped the connection and the next request failed too)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from settings import Settings
from tests.conftest import free_port


class Bug(Exception):
    pass


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    """The real app under uvicorn on a loopback port, with one route that fails (this test's
    app instance only)."""
    app: FastAPI = create_app(settings)

    @app.get("/test-only/bug", include_in_schema=False)
    async def bug() -> None:
        raise Bug("a bug the routes did not foresee")

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    task = asyncio.create_task(uvicorn_server.serve())
    while not uvicorn_server.started:
        assert not task.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    await task


def _client_port(response: httpx.Response) -> int:
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


async def test_a_500_is_a_problem_and_the_connection_serves_the_next_request(
    server: str,
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=server, limits=limits) as http:
        first = await http.get("/openapi.json")
        assert first.status_code == 200
        connection = _client_port(first)
        failed = await http.get("/test-only/bug")
        assert failed.status_code == 500
        assert failed.headers["content-type"] == "application/problem+json"
        assert failed.json() == {
            "status": 500,
            "title": "Internal Server Error",
            "detail": "Something went wrong on our side; it has been logged.",
        }
        assert "a bug the routes did not foresee" not in failed.text  # no internals leak
        following = await http.get("/openapi.json")
        assert following.status_code == 200
        assert _client_port(following) == connection, "the server dropped the connection"
