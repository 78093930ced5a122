"""The uptime roll-up (uptime-rollup): one workflow for all monitors that, each hour, rolls up
the hours and days just completed and deletes raw results once rolled up and 30 days old.

worker.py starts it (or finds it running) with the worker, on the monitors' task queue. It only
orchestrates: the activity does the work, and is safe to repeat, so a retry, a missed hour or a
worker down for a week is caught up by the next call. A loop with a timer rather than a
Schedule, like the accounts' monthly work: testable with time skipping.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.uptime import SETTLE, UptimeActivities
    from sla.uptime import floor_hour
    from workflows.journal import record_failure
    from workflows.uptime_messages import RollupDone, RollupRequest, RollupStart

WORKFLOW_ID = "uptime-rollup"
ROLLUP_TIMEOUT = timedelta(minutes=15)
ROLLUP_HEARTBEAT = timedelta(minutes=2)
ROLLUP_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=5)
# Hours a run lasts before it continues as new (about 10 events an hour: a short history).
RUNS_PER_HISTORY = 24 * 7


@workflow.defn
class UptimeRollupWorkflow:
    def __init__(self) -> None:
        self._last: RollupDone | None = None

    @workflow.run
    async def run(self, start: RollupStart) -> None:
        runs = 0
        while runs < RUNS_PER_HISTORY and not workflow.info().is_continue_as_new_suggested():
            done = await self._roll_up()
            runs += 1
            if done is not None and not done.caught_up:
                continue  # a backlog: the next batch at once
            now = workflow.now()
            # Just after the next hour has settled.
            # The hour under way settles SETTLE after it ends; at 16:03 the hour to 16:00
            # settles at 16:10, so the next wake is this hour's, else the next one's.
            wake = floor_hour(now) + SETTLE
            if wake <= now:
                wake += timedelta(hours=1)
            await workflow.sleep(wake - now)
        workflow.continue_as_new(RollupStart(runs=start.runs + runs))

    async def _roll_up(self) -> RollupDone | None:
        try:
            self._last = await workflow.execute_activity_method(
                UptimeActivities.roll_up,
                RollupRequest(now=workflow.now()),
                start_to_close_timeout=ROLLUP_TIMEOUT,
                heartbeat_timeout=ROLLUP_HEARTBEAT,
                retry_policy=ROLLUP_RETRY,
            )
        except ActivityError as exc:
            # Kept where people see it; the next hour tries again, and catches up.
            await record_failure(
                f"rollup-{workflow.now():%Y%m%d%H}",
                kind="data",
                subject="uptime history",
                what="rolling up the monitors' hours",
                exc=exc,
                policy=ROLLUP_RETRY,
            )
            return None
        return self._last

    @workflow.query
    def last(self) -> RollupDone | None:
        """What the latest roll-up did."""
        return self._last
