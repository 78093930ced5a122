"""An account's success work (account-<id>-success): a monthly report on the first working
day of each month, for as long as the account exists; one cycle per run, then continue as new.

What the account is entitled to is read afresh every cycle, so a change of edition takes
effect from the next one. The quarter's review is started by an activity, on its business
key (not as an abandoned child, which stalls the time-skipping test server); the review's
workflow records its own row.

Between cycles the `compact` signal makes the run continue as new at once (tests force one
mid-sleep; an operator may), carrying an AccountSuccessCarry (versioned): nothing the cycle
view shows is lost.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import (
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from activities.reports import ReportActivities
    from activities.reviews import ReviewActivities
    from sla.periods import (
        next_monthly_run,
        period_reported_at,
        quarter_reported_at,
        quarter_starts,
    )
    from sla.reviews import proposed_time
    from sla.snapshot import PolicySnapshot
    from workflows.report import MonthlyReportWorkflow
    from workflows.report_messages import ProposeReview, ReportRequest
    from workflows.terms import calendar_of

READ_TIMEOUT = timedelta(seconds=30)
CARRY_VERSION = 1


class AccountSuccessCarry(BaseModel):
    """What one run hands the next: when the next cycle is due and what the last ones did."""

    version: int = CARRY_VERSION
    next_run: datetime
    last_report_period: str | None = None
    last_review_key: str | None = None
    last_review_id: int | None = None


class AccountSuccessStart(BaseModel):
    account_id: int
    policy: str
    calendar: str | None
    next_run: datetime | None = None  # None: the first run after now (or the carry's)
    carry: AccountSuccessCarry | None = None
    # The policy it counts under (workflows/terms.py); None in runs started before.
    terms: PolicySnapshot | None = None


class CycleView(BaseModel):
    account_id: int
    next_run: datetime
    last_report_period: str | None
    last_review_id: int | None = None
    last_review_key: str | None = None


def workflow_id(account_id: int) -> str:
    return f"account-{account_id}-success"


@workflow.defn
class AccountSuccessWorkflow:
    @workflow.init
    def __init__(self, start: AccountSuccessStart) -> None:
        self._start = start
        calendar = calendar_of(start.policy, start.calendar, start.terms)
        carry = start.carry
        if carry is not None and carry.version > CARRY_VERSION:
            # Carried by newer code (a rolling deploy): fail the task, not the workflow, so a
            # newer worker takes it; extra fields would otherwise be dropped without a word.
            raise RuntimeError(f"account success carry version {carry.version} is newer")
        first = start.next_run or next_monthly_run(calendar, workflow.now())
        self._next_run = carry.next_run if carry else first
        self._last_period = carry.last_report_period if carry else None
        self._last_review = carry.last_review_id if carry else None
        self._last_review_key = carry.last_review_key if carry else None
        self._compact = False

    @workflow.signal
    def compact(self) -> None:
        """Continue as new now if between cycles, else at the end of this one."""
        self._compact = True

    @workflow.run
    async def run(self, start: AccountSuccessStart) -> None:
        # The same one timer as a plain sleep; the compact signal can cut it short.
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._compact,
                timeout=max(self._next_run - workflow.now(), timedelta(seconds=1)),
            )
        if self._compact and workflow.now() < self._next_run:
            workflow.continue_as_new(
                self._next_start(start, start.policy, start.calendar, start.terms)
            )
        services = await workflow.execute_activity_method(
            ReportActivities.account_services, start.account_id,
            start_to_close_timeout=READ_TIMEOUT,
        )  # fmt: skip
        if services is None:
            return  # the account is gone: nothing more to report
        calendar = calendar_of(services.policy, services.calendar, services.terms)
        if services.monthly_reporting:
            period = period_reported_at(calendar, self._next_run)
            report_id = f"account-{start.account_id}-monthly-{period}"
            # Already made (this cycle ran before a restart): one report a month.
            with contextlib.suppress(WorkflowAlreadyStartedError):
                try:
                    await workflow.execute_child_workflow(
                        MonthlyReportWorkflow.run,
                        ReportRequest(
                            account_id=start.account_id,
                            period=period,
                            key=report_id,
                            requested_by="Pledge (monthly schedule)",
                        ),
                        id=report_id,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    )
                except ChildWorkflowError as exc:
                    # The failed report is visible in Temporal; the account's next months go on.
                    workflow.logger.warning("monthly report %s failed: %s", report_id, exc.cause)
            self._last_period = period
        if (
            services.quarterly_business_review
            and quarter_starts(calendar, self._next_run)
            and workflow.patched(
                "quarterly-reviews"
            )  # cycles run before reviews replay as they ran
        ):
            await self._propose_review(
                start.account_id, services.policy, services.calendar, services.terms
            )
        self._next_run = next_monthly_run(calendar, self._next_run)
        workflow.continue_as_new(
            self._next_start(start, services.policy, services.calendar, services.terms)
        )

    def _next_start(
        self,
        start: AccountSuccessStart,
        policy: str,
        calendar: str | None,
        terms: PolicySnapshot | None,
    ) -> AccountSuccessStart:
        return AccountSuccessStart(
            account_id=start.account_id,
            policy=policy,
            calendar=calendar,
            terms=terms,
            carry=AccountSuccessCarry(
                next_run=self._next_run,
                last_report_period=self._last_period,
                last_review_key=self._last_review_key,
                last_review_id=self._last_review,
            ),
        )

    async def _propose_review(
        self,
        account_id: int,
        policy: str,
        calendar_key: str | None,
        terms: PolicySnapshot | None,
    ) -> None:
        """Propose the review of the quarter just ended, three working weeks out."""
        calendar = calendar_of(policy, calendar_key, terms)
        quarter = quarter_reported_at(calendar, self._next_run)
        starts_at = proposed_time(calendar, self._next_run)
        key = f"account-{account_id}-review-{quarter}"
        review_id: int = await workflow.execute_activity_method(
            ReviewActivities.propose_review,
            ProposeReview(
                account_id=account_id,
                quarter=quarter,
                key=key,
                starts_at=starts_at,
                terms=terms,
            ),
            start_to_close_timeout=READ_TIMEOUT,
        )
        self._last_review = review_id
        self._last_review_key = key

    @workflow.query
    def cycle(self) -> CycleView:
        return CycleView(
            account_id=self._start.account_id,
            next_run=self._next_run,
            last_report_period=self._last_period,
            last_review_id=self._last_review,
            last_review_key=self._last_review_key,
        )
