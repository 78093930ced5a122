"""Count deadlines inside a real workflow sandbox, in a fresh worker process, and print them.

`python -m tests.workflows.supported_years_probe <instant>...` preloads the calendars as the
worker does, then asks a workflow to count from each instant with every preset calendar and
UK jurisdiction. A fresh process matters: in a test session other tests have already filled the
calendars' caches outside the sandbox, which hides the years a worker could not count.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    import sla
    from worker import SANDBOX
    from workflows.connection import exit_without_teardown, installed_binary


def calendars() -> list[sla.Calendar]:
    found = [
        policy.calendar(key) for policy in sla.load_presets().values() for key in policy.calendars
    ]
    return found + [sla.uk_working_days(name) for name in sla.UK_JURISDICTIONS]


@workflow.defn(sandboxed=True)
class CountFrom:
    @workflow.run
    async def run(self, instant: str) -> str:
        start = datetime.fromisoformat(instant)
        try:
            for calendar in calendars():
                calendar.add_business(start, timedelta(hours=16))
                calendar.add_working_days(start, 20)
                calendar.end_of_working_day(start, 20)
        except Exception as exc:  # noqa: BLE001 - reported, as the workflow would fail on it
            return f"fails: {type(exc).__name__}"
        return "counts"


async def main(instants: list[str]) -> None:
    sla.preload()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(installed_binary("temporal-test-server"))
    )
    try:
        # The worker's own sandbox: what passes through it decides which years can be counted.
        # debug_mode: building a year's tables may take a loaded machine past the deadlock
        # detector's 2 s, which would make the outcome depend on the machine's load.
        async with Worker(
            env.client, task_queue="probe", workflows=[CountFrom], workflow_runner=SANDBOX,
            debug_mode=True,
        ):  # fmt: skip
            for instant in instants:
                outcome = await env.client.execute_workflow(
                    CountFrom.run,
                    instant,
                    id=f"probe-{uuid.uuid4()}",
                    task_queue="probe",
                )
                print(instant, outcome, flush=True)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
    # As the worker does: the SDK's threads can crash the interpreter's teardown.
    exit_without_teardown(0)
