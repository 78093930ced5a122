"""A schemathesis pass over the OpenAPI document against a real, served Pledge.

Every operation is called with bounded, derandomised examples (valid and invalid), with an
admin key. Nothing is raised mid-run: every request is counted and every failure recorded with
its cause, so one run reports all of them at once, grouped, with an example request each.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
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
# The last line of a traceback: what an exception was.
EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?\w+(?:Error|Exception|Failure): .*$", re.MULTILINE)
KNOWN = 2  # existing records aimed at per operation in the second pass
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
    # Where a generated webhook or monitor URL is pointed instead: the worker calls
    # loopback only (a monitor probes its URL, which would look up any name generated).
    webhook_url: str
    requests: int = 0
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[str, Finding] = field(default_factory=lambda: defaultdict(Finding))
    records: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))

    def run(self, document: dict[str, Any]) -> None:
        """Two passes: everything generated; then again on records the first pass created."""
        schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
        operations = [result.ok() for result in schema.get_all_operations()]
        self.operations = len(operations)
        errors = ServerErrors()
        watched = [logging.getLogger(name) for name in ("pledge.api", "uvicorn.error")]
        for logger in watched:
            logger.addHandler(errors)
        session = requests.Session()
        try:
            for operation in operations:
                for mode in MODES:
                    self._explore(operation, mode, session, errors, self.examples, {})
            # Generated ids rarely name a record: aim at ones that exist, to reach the code
            # behind the lookup (renders, workflow updates, downloads).
            for operation in operations:
                for known in self._known_paths(operation):
                    for mode in MODES:
                        self._explore(operation, mode, session, errors, self.examples // 2, known)
        finally:
            for logger in watched:
                logger.removeHandler(errors)
            session.close()

    def _known_paths(self, operation) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        """Path parameters naming existing records, a few per operation."""
        segments = operation.path.strip("/").split("/")
        choices: dict[str, list[Any]] = {}
        for before, segment in itertools.pairwise(segments):
            name = segment.strip("{}")
            if segment.startswith("{") and self.records.get(before):
                choices[name] = sorted(self.records[before], key=str)[:KNOWN]
        if not choices:
            return []
        names = list(choices)
        return [
            dict(zip(names, values, strict=True))
            for values in itertools.islice(itertools.product(*choices.values()), KNOWN)
        ]

    def _harvest(self, case: schemathesis.Case, response: requests.Response) -> None:
        """Remember the ids a successful answer names, by the collection they belong to."""
        if not 200 <= response.status_code < 300:
            return
        try:
            body = response.json()
        except ValueError:
            return
        collection = next(
            (s for s in reversed(case.operation.path.strip("/").split("/")) if "{" not in s), ""
        )
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict):
                found = item.get("reference", item.get("id", item.get("key")))
                if isinstance(found, int | str) and not isinstance(found, bool):
                    self.records[collection].add(found)

    def _explore(self, operation, mode, session, errors, examples, known) -> None:  # type: ignore[no-untyped-def]
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=known))
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
        if (
            case.operation.path.startswith("/monitors")
            and isinstance(case.body, dict)
            and isinstance(case.body.get("url"), str)
        ):
            case.body["url"] = self.webhook_url
        if (
            case.operation.path.startswith("/mailboxes")
            and isinstance(case.body, dict)
            and isinstance(case.body.get("host"), str)
        ):
            # A mailbox is read from its host: only ever loopback (no IMAP server answers).
            case.body["host"] = "127.0.0.1"
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
        self._harvest(case, response)
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

    def report(self, worker_log: str = "") -> str:
        lines = [
            f"{self.operations} operations, {self.requests} requests, "
            f"statuses {dict(sorted(self.statuses.items()))}"
        ]
        for key, finding in sorted(self.findings.items(), key=lambda kv: -kv[1].count):
            lines.append(f"- {finding.count} x {key}\n    e.g. {finding.example[:600]}")
        failed = Counter(EXCEPTION_LINE.findall(worker_log))
        if failed:
            lines.append("the worker logged (context for the 5xx above):")
            lines += [f"  {count} x {line[:300]}" for line, count in failed.most_common(20)]
        return "\n".join(lines)
