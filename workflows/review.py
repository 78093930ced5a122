"""A quarterly business review, its workflow id the review's key (account-<id>-review-…):
invite, pack before, held after; reschedulable and cancellable until it happens.

The workflow is the review row's writer: it records the row itself when started with a
proposal (from the API, by update-with-start of `proposed`, or as the account workflow's
child), and its activities make every later change. Updates and the loop's own steps take
turns (one lock), and the workflow ends only once every update it accepted has answered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.reports import ReportActivities
    from activities.reviews import ReviewActivities
    from sla.reviews import is_working_day, outside_working_hours, pack_due
    from workflows.errors import IDEMPOTENCY_MISMATCH, REFUSED
    from workflows.journal import delivered_or_recorded, record_failure
    from workflows.report_messages import (
        ReportRequest,
        Reschedule,
        ReviewAct,
        ReviewStart,
        ReviewView,
    )
    from workflows.review_messages import NewReview, Proposed, Recommendations
    from workflows.terms import calendar_of

TIMEOUT = timedelta(minutes=5)
SEND_HEARTBEAT = timedelta(seconds=30)
SEND_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)
# A pack that cannot be made (a template error after a bad deploy) is retried for about half an
# hour, then recorded; the meeting does not wait for it.
RENDER_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=12)
# Runs from before this patch replay as they ran: no lock, no wait for handlers at the end.
LOCKED = "review-handlers-locked"


@workflow.defn
class ReviewWorkflow:
    @workflow.init
    def __init__(self, start: ReviewStart) -> None:
        self._start = start
        self._review_id = start.review_id
        self._calendar = calendar_of(start.policy, start.calendar, start.terms)
        self._starts_at = start.starts_at
        self._sequence = 0
        self._status = "scheduled"
        self._packed_for: datetime | None = None
        self._pack_report_id: int | None = None
        self._changed = False
        self._lock = asyncio.Lock()
        self._locking = False

    @workflow.run
    async def run(self, start: ReviewStart) -> str:
        self._locking = workflow.patched(LOCKED)
        if start.review_id is None:
            await self._record()
        await self._invite()
        while True:
            async with self._turn():
                outcome = await self._step()
            if outcome is not None:
                break
            now = workflow.now()
            ends = self._starts_at + timedelta(minutes=start.duration_minutes)
            wake = ends
            if self._packed_for != self._starts_at:
                wake = min(wake, pack_due(self._calendar, self._starts_at))
            self._changed = False
            with contextlib.suppress(TimeoutError):  # the timeout is a date arriving
                await workflow.wait_condition(
                    lambda: self._changed, timeout=max(wake - now, timedelta(seconds=1))
                )
        if self._locking:
            await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    async def _step(self) -> str | None:
        """Whatever the time or a change calls for; the review's end when it has come."""
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
            if now >= self._starts_at + timedelta(minutes=self._start.duration_minutes):
                self._status = "held"
                await workflow.execute_activity_method(
                    ReviewActivities.set_review_status, args=[self._review_id, "held"],
                    start_to_close_timeout=TIMEOUT,
                )  # fmt: skip
                return "held"
            return None

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if not self._locking:
            yield
            return
        async with self._lock:
            yield

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def proposed(self, request: Proposed) -> ReviewView:
        """The answer to POST /accounts/{id}/reviews (and to its retries): once recorded."""
        await workflow.wait_condition(lambda: self._review_id is not None)
        return self.view()

    @proposed.validator
    def _check_proposed(self, request: Proposed) -> None:
        proposal = self._start.proposal
        if proposal is None or proposal.fingerprint != request.fingerprint:
            raise ApplicationError(
                "the Idempotency-Key was already used for another review request",
                type=IDEMPOTENCY_MISMATCH,
                non_retryable=True,
            )

    @workflow.update
    async def reschedule(self, request: Reschedule) -> ReviewView:
        async with self._turn():
            self._check_open("reschedule")  # again: the review may have moved on meanwhile
            self._sequence = await workflow.execute_activity_method(
                ReviewActivities.reschedule_review,
                args=[self._review_id, request.starts_at],
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
        # Validators do not run on replay: refusing more here changes no recorded history.
        refusal = outside_working_hours(
            self._calendar, request.starts_at, self._start.duration_minutes
        )
        if refusal:
            raise ApplicationError(refusal, type=REFUSED, non_retryable=True)

    @workflow.update
    async def cancel(self, act: ReviewAct) -> ReviewView:
        async with self._turn():
            self._check_open("cancel")
            await workflow.execute_activity_method(
                ReviewActivities.set_review_status, args=[self._review_id, "cancelled"],
                start_to_close_timeout=TIMEOUT,
            )  # fmt: skip
            self._status = "cancelled"
            self._sequence += 1
            self._changed = True
            return self.view()

    @cancel.validator
    def _check_cancel(self, act: ReviewAct) -> None:
        self._check_open("cancel")

    @workflow.update
    async def recommend(self, request: Recommendations) -> ReviewView:
        """The success manager's recommendations, for the pack."""
        async with self._turn():
            self._check_open("change the recommendations of")
            await workflow.execute_activity_method(
                ReviewActivities.set_recommendations, args=[self._review_id, request.text],
                start_to_close_timeout=TIMEOUT,
            )  # fmt: skip
            return self.view()

    @recommend.validator
    def _check_recommend(self, request: Recommendations) -> None:
        self._check_open("change the recommendations of")

    def _check_open(self, action: str) -> None:
        if self._status != "scheduled":
            raise ApplicationError(
                f"cannot {action} a review that is {self._status}", type=REFUSED, non_retryable=True
            )
        if self._review_id is None:
            raise ApplicationError(
                f"cannot {action} a review still being recorded; try again",
                type=REFUSED,
                non_retryable=True,
            )

    @workflow.query
    def view(self) -> ReviewView:
        return ReviewView(
            review_id=self._review_id,
            status=self._status,
            starts_at=self._starts_at,
            sequence=self._sequence,
            pack_due=pack_due(self._calendar, self._starts_at),
            pack_report_id=self._pack_report_id,
        )

    # ------------------------------------------------------------------ side effects

    async def _record(self) -> None:
        proposal = self._start.proposal
        if proposal is None:
            raise ApplicationError("a review without an id needs a proposal", non_retryable=True)
        self._review_id = await workflow.execute_activity_method(
            ReviewActivities.record_review,
            NewReview(
                key=workflow.info().workflow_id,
                account_id=self._start.account_id,
                quarter=proposal.quarter,
                starts_at=self._start.starts_at,
                duration_minutes=self._start.duration_minutes,
                created_by=proposal.created_by,
            ),
            start_to_close_timeout=TIMEOUT,
        )

    async def _invite(self) -> None:
        await delivered_or_recorded(
            workflow.execute_activity_method(
                ReviewActivities.send_invite,
                self._review_id,
                start_to_close_timeout=TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            ),
            f"invite-{self._sequence}",
            subject=f"review {self._review_id}",
            what="the review invitation",
            policy=SEND_RETRY,
        )

    async def _pack(self) -> None:
        """Gather and render the pack for the meeting as now scheduled, and send it."""
        packing_for = self._starts_at
        content = await workflow.execute_activity_method(
            ReviewActivities.gather_pack, self._review_id, start_to_close_timeout=TIMEOUT
        )
        request = ReportRequest(
            account_id=self._start.account_id,
            period=content.quarter,
            key=f"{workflow.info().workflow_id}-pack-{packing_for.isoformat()}",
            requested_by="Pledge (review pack)",
        )
        try:
            self._pack_report_id = await workflow.execute_activity_method(
                ReviewActivities.render_pack,
                args=[request, content],
                start_to_close_timeout=TIMEOUT,
                retry_policy=RENDER_RETRY,
            )
        except ActivityError as exc:
            # Recorded, and not tried again for this date: the review itself goes ahead.
            await record_failure(
                f"pack-{packing_for.isoformat()}", kind="report",
                subject=f"review {self._review_id}", what="the review pack", exc=exc,
                policy=RENDER_RETRY,
            )  # fmt: skip
            self._packed_for = packing_for
            return
        if content.recipients:
            await delivered_or_recorded(
                workflow.execute_activity_method(
                    ReportActivities.send_report,
                    args=[self._pack_report_id, content.recipients],
                    start_to_close_timeout=TIMEOUT,
                    heartbeat_timeout=SEND_HEARTBEAT,
                    retry_policy=SEND_RETRY,
                ),
                f"pack-sent-{packing_for.isoformat()}",
                subject=f"review {self._review_id}",
                what="the review pack's e-mail",
                policy=SEND_RETRY,
            )
        self._packed_for = packing_for
