"""A round trip through every part: the API starts it, a worker runs it, an activity writes."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.system import SystemActivities, SystemCheckRequest, SystemCheckResult


@workflow.defn
class SystemCheckWorkflow:
    """Proves that a workflow can be started, run by a worker and leave a row in the database."""

    @workflow.run
    async def run(self, request: SystemCheckRequest) -> SystemCheckResult:
        return await workflow.execute_activity_method(
            SystemActivities.record_system_check,
            request,
            start_to_close_timeout=timedelta(seconds=10),
        )
