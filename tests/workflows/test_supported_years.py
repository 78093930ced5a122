"""sla.LATEST_START is where a workflow stops being able to count: proved in a real sandbox."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import sla
from settings import ROOT


def test_workflows_count_up_to_latest_start_and_not_far_past_it() -> None:
    last = sla.LATEST_START - timedelta(seconds=1)
    early = sla.EARLIEST_START
    beyond = sla.LATEST_START + timedelta(days=350)
    probe = subprocess.run(
        [sys.executable, "-m", "tests.workflows.supported_years_probe"]
        + [instant.isoformat() for instant in (early, last, beyond)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-2000:]
    # Only the probe's own lines: the SDK logs its warnings to the same stream.
    asked = {instant.isoformat() for instant in (early, last, beyond)}
    outcomes = dict(
        line.split(" ", 1) for line in probe.stdout.splitlines() if line.split(" ", 1)[0] in asked
    )
    assert outcomes == {
        early.isoformat(): "counts",
        last.isoformat(): "counts",
        # The year after the last preloaded one: the holidays package, called for it inside the
        # sandbox, reads the clock, and the workflow task fails on every attempt.
        beyond.isoformat(): "fails: RestrictedWorkflowAccessError",
    }
