"""One report (account-<id>-monthly-<period>, or an on-demand one): gather, render, send."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.reports import ReportActivities
    from workflows.journal import record_failure
    from workflows.report_messages import ReportRequest, ReportResult

GATHER_TIMEOUT = timedelta(minutes=2)
RENDER_TIMEOUT = timedelta(minutes=5)
SEND_TIMEOUT = timedelta(minutes=5)
SEND_HEARTBEAT = timedelta(seconds=30)
SEND_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)
# A report that cannot be made (a template error after a bad deploy) fails its workflow where
# people see it, rather than retrying for ever, and is kept in GET /system/failures.
MAKE_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=2), maximum_attempts=10)


@workflow.defn
class MonthlyReportWorkflow:
    @workflow.run
    async def run(self, request: ReportRequest) -> ReportResult:
        try:
            return await self._make(request)
        except ActivityError as exc:
            sending = exc.activity_type == "send_report"
            await record_failure(
                "send" if sending else "make",
                kind="notice" if sending else "report",
                subject=f"account {request.account_id}",
                what=f"{'e-mailing' if sending else 'making'} the report for {request.period}",
                exc=exc,
                policy=SEND_RETRY if sending else MAKE_RETRY,
            )
            raise

    async def _make(self, request: ReportRequest) -> ReportResult:
        content = await workflow.execute_activity_method(
            ReportActivities.gather_monthly,
            request,
            start_to_close_timeout=GATHER_TIMEOUT,
            retry_policy=MAKE_RETRY,
        )
        if content is None:
            return ReportResult(report_id=None, skipped=f"account {request.account_id} is gone")
        report_id = await workflow.execute_activity_method(
            ReportActivities.render_monthly,
            args=[request, content],
            start_to_close_timeout=RENDER_TIMEOUT,
            retry_policy=MAKE_RETRY,
        )
        emailed: list[str] = []
        if request.send and content.recipients:
            emailed = await workflow.execute_activity_method(
                ReportActivities.send_report,
                args=[report_id, content.recipients],
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            )
        return ReportResult(report_id=report_id, emailed_to=emailed)
