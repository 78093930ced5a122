"""make run heals: a worker or Temporal dev server killed outright is started again by the
launcher (after a back-off, saying so), the API keeps answering, and workflows go on."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_run import STARTED, Launch, _env, _start


class Output:
    """The launcher's output, read on a thread so the test can wait for a line."""

    def __init__(self, launch: Launch) -> None:
        self.launch = launch
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        stdout = self.launch.process.stdout
        assert stdout is not None
        for line in stdout:
            self.launch.output.append(line)

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.launch.text()):
                return match
            assert self.launch.process.poll() is None, f"run.py ended:\n{self.launch.text()}"
            time.sleep(0.2)
        raise AssertionError(f"run.py never printed {pattern!r}:\n{self.launch.text()}")


def _request(launch: Launch, method: str, path: str, key: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    request = urllib.request.Request(
        f"{launch.api}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _child(launch: Launch, needle: str) -> int:
    """The pid of the launcher's child whose command line contains `needle`."""
    found = subprocess.run(
        ["pgrep", "-P", str(launch.process.pid), "-f", needle], capture_output=True, text=True
    )
    pids = [int(pid) for pid in found.stdout.split()]
    assert len(pids) == 1, f"children matching {needle!r}: {pids}"
    return pids[0]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[tuple[Launch, Output]]:
    env = _env(tmp_path / ".data", PLEDGE_DEMO_DATA="false")
    started = _start(env, wait_for=STARTED)
    output = Output(started)
    yield started, output
    if started.process.poll() is None:
        started.process.send_signal(signal.SIGINT)
        try:
            started.process.wait(60)
        except subprocess.TimeoutExpired:
            started.process.kill()
            started.process.wait()
    output.thread.join(10)


def _eventually_ok(launch: Launch, method: str, path: str, key: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    """The first 2xx answer within a minute (a 503 while a child is back on its feet is fine)."""
    deadline = time.monotonic() + 60
    while True:
        status, answer = _request(launch, method, path, key, body)
        if status < 300 or time.monotonic() > deadline:
            return status, answer
        assert status == 503, (status, answer)
        time.sleep(0.5)


def test_a_killed_worker_and_temporal_are_restarted_and_work_goes_on(
    launch: tuple[Launch, Output], tmp_path: Path
) -> None:
    run, output = launch
    key = (tmp_path / ".data" / "admin-api-key").read_text().strip()
    status, account = _request(
        run, "POST", "/accounts", key, {"name": "Healing Ltd", "policy": "spotler"}
    )
    assert status == 201, account
    ticket_body = {
        "account_id": account["id"],
        "subject": "Opened before the crash",
        "description": "The worker is about to be killed.",
        "channel": "phone",
    }
    status, ticket = _request(run, "POST", "/tickets", key, ticket_body)
    assert status == 201, ticket

    os.kill(_child(run, "worker.py"), signal.SIGKILL)
    output.wait_for(r"the worker stopped unexpectedly with exit code -9; restarting it in 1 s")
    # The API stays up while the worker is away.
    assert run.get("/health")[0] == 200
    output.wait_for(r"the worker restarted \(restart 1\)")
    # The ticket opened before the crash still takes its updates: its workflow goes on.
    status, assigned = _eventually_ok(
        run, "POST", f"/tickets/{ticket['reference']}/assign", key,
        {"name": "Alex", "email": "alex@pledge.example.com"},
    )  # fmt: skip
    assert status == 200, assigned
    assert assigned["assignee"]["name"] == "Alex"

    os.kill(_child(run, "server start-dev"), signal.SIGKILL)
    output.wait_for(
        r"the Temporal dev server stopped unexpectedly with exit code -9 \(see .*temporal\.log\); "
        r"restarting it in 1 s"
    )
    output.wait_for(r"the Temporal dev server restarted \(restart 1\)")
    status, check = _eventually_ok(run, "POST", "/system/checks", key)
    assert status == 200, check
    status, answered = _eventually_ok(
        run, "POST", f"/tickets/{ticket['reference']}/responses", key, {"body": "Back again"}
    )
    assert status == 200, answered
    assert answered["clocks"]["first_response"]["state"] == "met"
    assert run.process.poll() is None, "the launcher itself is still running"


def test_a_child_that_keeps_dying_is_restarted_ever_more_slowly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from run import RESTART_MAX_SECONDS, Launcher, Process, _popen
    from settings import Settings

    command = [sys.executable, "-c", "raise SystemExit(3)"]
    launcher = Launcher(Settings(data_dir=tmp_path), embedded_temporal=False)
    launcher.processes.append(Process("worker", _popen(command, None, None), command))
    child = launcher.processes[0]
    now, pauses = time.monotonic(), []
    for _ in range(7):
        child.popen.wait()
        launcher.heal(now)  # notices the death, schedules the restart
        assert child.restart_at is not None
        pauses.append(child.restart_at - now)
        launcher.heal(now + pauses[-1] - 0.01)  # not yet
        assert child.restart_at is not None
        now += pauses[-1]
        launcher.heal(now)  # starts it again
        assert child.restart_at is None
    assert pauses == [1, 2, 4, 8, 16, RESTART_MAX_SECONDS, RESTART_MAX_SECONDS]
    # Once it stayed up a while, a death starts the back-off from the beginning again.
    child.popen.wait()
    launcher.heal(now + 61)
    assert child.restart_at == now + 61 + 1
    printed = capsys.readouterr().out
    assert printed.count("the worker stopped unexpectedly with exit code 3; restarting") == 8
    assert "the worker restarted (restart 7)" in printed
