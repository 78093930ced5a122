"""Saved histories of real runs replay against the current workflow code.

A worker that picks up a ticket opened before a deploy replays that ticket's history with the
new code; a change that makes the code issue different commands for the same history
(non-determinism) would fail those tickets in production. The histories under histories/ were
recorded by `python -m tests.workflows.record_histories`; see that script for when (rarely) to
re-record.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory

from worker import build_replayer
from workflows.registry import WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))
HOW = "record them with `.venv/bin/python -m tests.workflows.record_histories`"


def load(path: Path) -> WorkflowHistory:
    # The file holds the events only; the workflow id plays no part in a replay.
    return WorkflowHistory.from_json(path.stem, path.read_text())


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def test_every_workflow_type_has_a_saved_history() -> None:
    assert SAVED, f"no saved histories in {HISTORIES}: {HOW}"
    saved = {workflow_type(load(path)) for path in SAVED}
    registered = {workflow._Definition.must_from_class(cls).name for cls in WORKFLOWS}
    assert not registered - saved, f"no saved history for {sorted(registered - saved)}: {HOW}"


# With no files, one case that fails rather than an empty (skipped) parametrisation.
@pytest.mark.parametrize("path", SAVED or [HISTORIES / "none.json"], ids=lambda path: path.stem)
async def test_saved_history_replays_without_non_determinism(path: Path) -> None:
    assert path.exists(), f"no saved histories in {HISTORIES}: {HOW}"
    history = load(path)
    assert history.events, f"{path.name} holds no events"
    replayer = build_replayer()
    # Raises (NondeterminismError among others) when the code no longer matches the history.
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
