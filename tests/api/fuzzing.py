"""A schemathesis pass over the OpenAPI document against a real, served Pledge.

Every operation is called with bounded, derandomised examples (valid and invalid), with an
admin key. Nothing is raised mid-run: every request is counted and every failure recorded with
its cause, so one run reports all of them at once, grouped, with an example request each.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import free_port

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
PROJECT = str(Path(__file__).resolve().parents[2])


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="fuzz-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


class ServerErrors(logging.Handler):
    """Tracebacks the app logged (our 500 handler, or uvicorn for what escaped it)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        taken, self.records = self.records, []
        return taken


def cause(records: list[logging.LogRecord]) -> str:
    """Exception type, message and the innermost project frame: what tells causes apart."""
    for record in records:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = [
                f"{Path(f.filename).relative_to(PROJECT)}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(exc.__traceback__)
                if f.filename.startswith(PROJECT) and "/.venv/" not in f.filename
            ]
            where = frames[-1] if frames else "outside the project"
            message = " ".join(str(exc).split())[:160]
            return f"{type(exc).__name__}: {message} [{where}]"
    return "no traceback logged"


@dataclass
class Finding:
    count: int = 0
    example: str = ""


@dataclass
class Fuzz:
    base_url: str
    headers: dict[str, str]
    examples: int
    # Where a generated webhook URL is pointed instead: the worker calls loopback only.
    webhook_url: str
    requests: int = 0
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[str, Finding] = field(default_factory=lambda: defaultdict(Finding))

    def run(self, document: dict[str, Any]) -> None:
        schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
        errors = ServerErrors()
        watched = [logging.getLogger(name) for name in ("pledge.api", "uvicorn.error")]
        for logger in watched:
            logger.addHandler(errors)
        session = requests.Session()
        try:
            for result in schema.get_all_operations():
                operation = result.ok()
                self.operations += 1
                for mode in MODES:
                    self._explore(operation, mode, session, errors)
        finally:
            for logger in watched:
                logger.removeHandler(errors)
            session.close()

    def _explore(self, operation, mode, session, errors) -> None:  # type: ignore[no-untyped-def]
        @settings(
            max_examples=self.examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def explore(case: schemathesis.Case) -> None:
            self._call(case, session, errors)

        try:
            explore()
        except Unsatisfiable:
            # Nothing to make invalid (GET /health takes no input): only valid requests exist.
            if mode is not GenerationMode.NEGATIVE:
                raise

    def _call(self, case: schemathesis.Case, session: requests.Session, errors) -> None:  # type: ignore[no-untyped-def]
        if isinstance(case.body, dict) and "webhook_url" in case.body:
            case.body["webhook_url"] = self.webhook_url
        errors.take()
        self.requests += 1
        try:
            response = case.call(
                base_url=self.base_url, session=session, headers=dict(self.headers), timeout=60
            )
        except requests.RequestException as exc:
            self._found(f"no response: {type(exc).__name__}: {exc}", case)
            session.close()  # a dropped connection: start afresh
            return
        self.statuses[response.status_code] += 1
        logged = errors.take()
        try:
            case.validate_response(response, checks=CHECKS, headers=dict(self.headers))
        except FailureGroup as group:
            failures = list(group.exceptions)
        except Failure as failure:
            failures = [failure]
        else:
            return
        label = case.operation.label
        if response.status_code >= 500:
            # One finding per 5xx: its cause, not each check it also fails.
            self._found(f"{response.status_code} on {label}: {cause(logged)}", case)
            return
        for failure in failures:
            message = " ".join(str(failure.message).split())[:200]
            self._found(f"{failure.title} on {label}: {message}", case)

    def _found(self, key: str, case: schemathesis.Case) -> None:
        finding = self.findings[key]
        finding.count += 1
        if not finding.example:
            finding.example = case.as_curl_command(headers={"Authorization": "Bearer <admin>"})

    def report(self) -> str:
        lines = [
            f"{self.operations} operations, {self.requests} requests, "
            f"statuses {dict(sorted(self.statuses.items()))}"
        ]
        for key, finding in sorted(self.findings.items(), key=lambda kv: -kv[1].count):
            lines.append(f"- {finding.count} x {key}\n    e.g. {finding.example[:600]}")
        return "\n".join(lines)
