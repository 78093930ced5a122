"""A quarterly business review, its workflow id the review's key (account-<id>-review-…):
invite, pack before, held after; reschedulable and cancellable until it happens."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import sla
    from activities.reports import ReportActivities
    from activities.reviews import ReviewActivities
    from sla.reviews import is_working_day, pack_due
    from workflows.errors import REFUSED
    from workflows.report_messages import (
        ReportRequest,
        Reschedule,
        ReviewAct,
        ReviewStart,
        ReviewView,
    )

TIMEOUT = timedelta(minutes=5)
SEND_HEARTBEAT = timedelta(seconds=30)
SEND_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)


@workflow.defn
class ReviewWorkflow:
    @workflow.init
    def __init__(self, start: ReviewStart) -> None:
        self._start = start
        self._calendar = sla.get_policy(start.policy).calendar(start.calendar)
        self._starts_at = start.starts_at
        self._sequence = 0
        self._status = "scheduled"
        self._packed_for: datetime | None = None
        self._pack_report_id: int | None = None
        self._changed = False

    @workflow.run
    async def run(self, start: ReviewStart) -> str:
        await self._invite()
        while True:
            if self._status == "cancelled":
                await self._invite()  # the CANCEL, with the raised SEQUENCE
                return "cancelled"
            now = workflow.now()
            if self._packed_for != self._starts_at and now >= pack_due(
                self._calendar, self._starts_at
            ):
                await self._pack()
                continue  # rescheduled while packing: look again
            ends = self._starts_at + timedelta(minutes=start.duration_minutes)
            if now >= ends:
                self._status = "held"
                await workflow.execute_activity_method(
                    ReviewActivities.set_review_status, args=[start.review_id, "held"],
                    start_to_close_timeout=TIMEOUT,
                )  # fmt: skip
                return "held"
            wake = ends
            if self._packed_for != self._starts_at:
                wake = min(wake, pack_due(self._calendar, self._starts_at))
            self._changed = False
            with contextlib.suppress(TimeoutError):  # the timeout is a date arriving
                await workflow.wait_condition(
                    lambda: self._changed, timeout=max(wake - now, timedelta(seconds=1))
                )

    @workflow.update
    async def reschedule(self, request: Reschedule) -> ReviewView:
        self._sequence = await workflow.execute_activity_method(
            ReviewActivities.reschedule_review,
            args=[self._start.review_id, request.starts_at],
            start_to_close_timeout=TIMEOUT,
        )
        self._starts_at = request.starts_at
        await self._invite()
        self._changed = True
        return self.view()

    @reschedule.validator
    def _check_reschedule(self, request: Reschedule) -> None:
        self._check_open("reschedule")
        if request.starts_at <= workflow.now():
            raise ApplicationError(
                "a review cannot be moved into the past", type=REFUSED, non_retryable=True
            )
        if not is_working_day(self._calendar, request.starts_at):
            raise ApplicationError(
                "a review is held on a working day of the account's calendar",
                type=REFUSED,
                non_retryable=True,
            )

    @workflow.update
    async def cancel(self, act: ReviewAct) -> ReviewView:
        await workflow.execute_activity_method(
            ReviewActivities.set_review_status, args=[self._start.review_id, "cancelled"],
            start_to_close_timeout=TIMEOUT,
        )  # fmt: skip
        self._status = "cancelled"
        self._sequence += 1
        self._changed = True
        return self.view()

    @cancel.validator
    def _check_cancel(self, act: ReviewAct) -> None:
        self._check_open("cancel")

    def _check_open(self, action: str) -> None:
        if self._status != "scheduled":
            raise ApplicationError(
                f"cannot {action} a review that is {self._status}", type=REFUSED, non_retryable=True
            )

    @workflow.query
    def view(self) -> ReviewView:
        return ReviewView(
            review_id=self._start.review_id,
            status=self._status,
            starts_at=self._starts_at,
            sequence=self._sequence,
            pack_due=pack_due(self._calendar, self._starts_at),
            pack_report_id=self._pack_report_id,
        )

    async def _invite(self) -> None:
        await workflow.execute_activity_method(
            ReviewActivities.send_invite,
            self._start.review_id,
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=SEND_HEARTBEAT,
            retry_policy=SEND_RETRY,
        )

    async def _pack(self) -> None:
        """Gather and render the pack for the meeting as now scheduled, and send it."""
        packing_for = self._starts_at
        content = await workflow.execute_activity_method(
            ReviewActivities.gather_pack, self._start.review_id, start_to_close_timeout=TIMEOUT
        )
        request = ReportRequest(
            account_id=self._start.account_id,
            period=content.quarter,
            key=f"{workflow.info().workflow_id}-pack-{packing_for.isoformat()}",
            requested_by="Pledge (review pack)",
        )
        self._pack_report_id = await workflow.execute_activity_method(
            ReviewActivities.render_pack, args=[request, content], start_to_close_timeout=TIMEOUT
        )
        if content.recipients:
            await workflow.execute_activity_method(
                ReportActivities.send_report,
                args=[self._pack_report_id, content.recipients],
                start_to_close_timeout=TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            )
        self._packed_for = packing_for
