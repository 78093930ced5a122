"""The console's complaints, releases and dashboard pages, tested over HTTP with bearer keys
against the real app, a worker on the dev server and committed data (tests/api's `live`)."""

from tests.api.conftest import live  # noqa: F401  (the fixture, shared)
