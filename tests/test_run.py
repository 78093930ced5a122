"""make run's launcher: starts everything, keeps state across restarts, stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from settings import ROOT
from tests import readme_examples
from tests.conftest import dev_server_address, free_port
from workflows.connection import DATA_CONVERTER

STARTED = "Press Ctrl-C to stop everything."


@dataclass
class Launch:
    process: subprocess.Popen[str]
    output: list[str]
    api: str
    env: dict[str, str]

    def text(self) -> str:
        return "".join(self.output)

    def get(self, path: str, key: str | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        request = urllib.request.Request(f"{self.api}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        remaining, _ = self.process.communicate(timeout=60)
        self.output.append(remaining)
        return self.process.returncode


def _env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "TEMPORAL_ADDRESS", "PLEDGE_BOOTSTRAP_API_KEY")
    }
    env.update(
        PYTHONUNBUFFERED="1",
        PLEDGE_DATA_DIR=str(data_dir),
        PLEDGE_API_PORT=str(free_port()),
        TEMPORAL_DEV_PORT=str(free_port()),
        TEMPORAL_UI_PORT=str(free_port()),
        PLEDGE_METRICS_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    env.update(overrides)
    return env


def _start(env: dict[str, str], wait_for: str = STARTED, timeout: float = 120) -> Launch:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if wait_for in line:
            return Launch(process, output, f"http://127.0.0.1:{env['PLEDGE_API_PORT']}", env)
    process.kill()
    process.wait()
    raise AssertionError(f"run.py never printed {wait_for!r}:\n{''.join(output)}")


@pytest.fixture
def launches() -> Iterator[list[Launch]]:
    started: list[Launch] = []
    yield started
    for launch in started:
        if launch.process.poll() is None:
            launch.process.kill()
            launch.process.wait()


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        # As a restarting server would: connections in TIME_WAIT do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _system_checks(address: str) -> int:
    client = await Client.connect(address, data_converter=DATA_CONVERTER)
    return len([w async for w in client.list_workflows("WorkflowType='SystemCheckWorkflow'")])


def _the_ui_decodes_payloads_through_the_api(data: Path, env: dict[str, str], run: Launch) -> None:
    """The embedded UI is given the API's codec endpoint, and may call it from its origin."""
    token_file = data / "codec-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    endpoint = f"{run.api}/codec/ui/{token_file.read_text().strip()}"
    ui = f"http://127.0.0.1:{env['TEMPORAL_UI_PORT']}"
    with urllib.request.urlopen(f"{ui}/api/v1/settings", timeout=10) as answer:
        assert json.load(answer)["Codec"]["Endpoint"] == endpoint
    plain = {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "IjEi"}  # json/plain "1"
    request = urllib.request.Request(
        f"{endpoint}/decode",
        data=json.dumps({"payloads": [plain]}).encode(),
        headers={"Content-Type": "application/json", "Origin": ui},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Access-Control-Allow-Origin"] == ui
        assert json.load(answer) == {"payloads": [plain]}


async def test_embedded_run_serves_keeps_state_and_stops_cleanly(
    tmp_path: Path, launches: list[Launch]
) -> None:
    env = _env(tmp_path / ".data")
    first = _start(env)
    launches.append(first)
    key_file = tmp_path / ".data" / "admin-api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert key in first.text(), "the generated admin key is printed"
    assert f"http://127.0.0.1:{env['TEMPORAL_UI_PORT']}" in first.text()
    assert f"{first.api}/docs" in first.text()

    status, health = first.get("/health")
    assert (status, health["status"]) == (200, "ok"), health
    seeded = re.search(r"demo data: 5 accounts, (\d+) tickets", first.text())
    assert seeded, first.text()
    status, queue = first.get("/tickets?limit=100", key)
    assert status == 200 and queue["total"] == int(seeded[1]) >= 9
    assert {t["status"] for t in queue["tickets"]} >= {"open", "delayed", "resolved", "closed"}
    assert any(t["breached"] for t in queue["tickets"])
    complaints = re.search(r"(\d+) complaints", first.text())
    assert complaints, first.text()
    status, board = first.get("/complaints", key)
    assert status == 200 and board["total"] == int(complaints[1]) >= 4
    assert board["complaints"][0]["overdue"] is True  # the overdue one tops the board
    assert {c["status"] for c in board["complaints"]} >= {"received", "acknowledged"}
    status, accounts = first.get("/accounts", key)
    [eshot] = [a for a in accounts if a["policy"] == "e-shot"]
    status, reports = first.get(f"/accounts/{eshot['id']}/reports", key)
    assert status == 200 and [r["kind"] for r in reports] == ["monthly"]
    status, objectives = first.get(f"/accounts/{eshot['id']}/objectives", key)
    assert [o["status"] for o in objectives] == ["open"]
    [atlas] = [a for a in accounts if a["policy"] == "essensys"]
    status, reviews = first.get(f"/accounts/{atlas['id']}/reviews", key)
    assert [r["status"] for r in reviews] == ["scheduled"]
    assert first.get("/me", key) == (
        200,
        {
            "key_id": 1,
            "name": "generated admin",
            "full_name": None,
            "job_title": None,
            "role": "admin",
            "account_id": None,
        },
    )
    assert first.get("/me")[0] == 401
    temporal = f"127.0.0.1:{env['TEMPORAL_DEV_PORT']}"
    assert await _system_checks(temporal) == 1
    _the_ui_decodes_payloads_through_the_api(tmp_path / ".data", env, first)
    examples = readme_examples.run(first.api, tmp_path, env)
    assert examples.returncode == 0, (examples.stdout[-4000:], examples.stderr[-4000:])

    assert first.stop() == 0
    assert "pledge: stopped" in first.text()
    assert "Traceback" not in first.text()
    for port in (env["PLEDGE_API_PORT"], env["TEMPORAL_DEV_PORT"]):
        assert _port_is_free(int(port)), f"port {port} still held after Ctrl-C"
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftovers.stdout == "", "a child process outlived Ctrl-C"

    # Same data directory: the key is kept and Temporal's history survived the restart.
    second = _start(env)
    launches.append(second)
    assert f"kept in {key_file}" in second.text()
    assert "demo data" not in second.text()  # never seeded twice
    assert await _system_checks(temporal) == 2
    assert second.stop() == 0


async def test_configured_database_and_temporal_are_used_instead_of_embedded(
    tmp_path: Path,
    launches: list[Launch],
    postgresql_url: str,
    dev_server_env: WorkflowEnvironment,
) -> None:
    bootstrap = "pledge_bootstrap_" + "x" * 24
    env = _env(
        tmp_path / ".data",
        DATABASE_URL=postgresql_url,
        TEMPORAL_ADDRESS=dev_server_address(dev_server_env),
        TEMPORAL_TASK_QUEUE=f"run-test-{free_port()}",
        PLEDGE_BOOTSTRAP_API_KEY=bootstrap,
    )
    launch = _start(env)
    launches.append(launch)
    assert "from PLEDGE_BOOTSTRAP_API_KEY" in launch.text()
    assert "(external" in launch.text()
    assert launch.get("/me", bootstrap)[1]["role"] == "admin"
    assert launch.get("/health")[1]["database"]["detail"] == "postgresql"
    assert not (tmp_path / ".data" / "temporal.db").exists()
    assert not (tmp_path / ".data" / "pledge.db").exists()
    assert launch.stop() == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DATABASE_URL": "postgresql://user@host:notaport/db"}, "DATABASE_URL is malformed"),
        ({"DATABASE_URL": "mysql://root@localhost/pledge"}, "DATABASE_URL uses 'mysql'"),
        (
            {"DATABASE_URL": "postgresql://postgres@127.0.0.1:{port}/pledge"},
            "cannot use the database postgresql+psycopg://postgres@127.0.0.1:{port}/pledge",
        ),
        (
            {"TEMPORAL_ADDRESS": "127.0.0.1:{port}"},
            "cannot reach Temporal at 127.0.0.1:{port}: connection refused",
        ),
        ({"PLEDGE_BOOTSTRAP_API_KEY": "short"}, "PLEDGE_BOOTSTRAP_API_KEY: must be at least"),
    ],
)
def test_bad_configuration_ends_with_one_clear_line(
    tmp_path: Path, overrides: dict[str, str], expected: str
) -> None:
    port = str(free_port())
    env = _env(tmp_path / ".data", **{k: v.format(port=port) for k, v in overrides.items()})
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 1
    output = (done.stdout + done.stderr).strip().splitlines()
    problems = [line for line in output if "is at the newest schema" not in line]
    assert problems == [f"pledge: {problems[0].removeprefix('pledge: ')}"], output
    assert expected.format(port=port) in problems[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = _env(tmp_path / ".data", PLEDGE_API_PORT=str(port))
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.strip() == (
        f"pledge: the API cannot listen on 127.0.0.1:{port}: address already in use "
        "(another Pledge still running? or set PLEDGE_API_PORT)"
    )
