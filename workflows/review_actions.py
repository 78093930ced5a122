"""The actions agreed at a review (<review key>-actions), tracked to done: each owner is
reminded on the action's last working day and chased, with the success manager, once it is
overdue. The workflow ends when every action is done.

Started with the review's outcome (update-with-start of `recorded`), it first writes the
outcome and its actions (its activity does: the one writer), and `mark_done` writes an action
done. Continue-as-new happens when Temporal suggests it or the `compact` signal asks for it,
with an ActionsCarry (versioned) as the next run's state.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.reviews import ReviewActionActivities
    from sla.reviews import action_overdue_at, action_reminder_at
    from workflows.errors import IDEMPOTENCY_MISMATCH, REFUSED
    from workflows.journal import NOTICE_RETRY, delivered_or_recorded
    from workflows.report_messages import ActionsStart, TrackedAction
    from workflows.review_messages import (
        ActionDone,
        ActionsCarry,
        CarriedAction,
        OutcomeAsked,
        OutcomeRecorded,
        RecordOutcome,
    )
    from workflows.terms import calendar_of

TIMEOUT = timedelta(minutes=2)


@workflow.defn
class ReviewActionsWorkflow:
    @workflow.init
    def __init__(self, start: ActionsStart) -> None:
        self._start = start
        self._calendar = calendar_of(start.policy, start.calendar, start.terms)
        self._actions = {a.action_id: a for a in start.actions}
        self._fingerprint = start.outcome.fingerprint if start.outcome else None
        self._ready = start.outcome is None
        if start.carry is not None:
            self._restore(start.carry)
        self._changed = False
        self._compact = False

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def recorded(self, request: OutcomeAsked) -> OutcomeRecorded:
        """The answer to POST /reviews/{id}/outcome (and its retries): once written."""
        await workflow.wait_condition(lambda: self._ready)
        return OutcomeRecorded(action_ids=sorted(self._actions))

    @recorded.validator
    def _check_recorded(self, request: OutcomeAsked) -> None:
        if self._fingerprint is None or request.fingerprint != self._fingerprint:
            raise ApplicationError(
                f"review {self._start.review_id} already has its outcome",
                type=IDEMPOTENCY_MISMATCH,
                non_retryable=True,
            )

    @workflow.update
    async def mark_done(self, request: ActionDone) -> None:
        await workflow.execute_activity_method(
            ReviewActionActivities.mark_action_done,
            args=[request.action_id, request.actor, workflow.now()],
            start_to_close_timeout=TIMEOUT,
        )
        self._actions[request.action_id].done = True
        self._changed = True

    @mark_done.validator
    def _check_mark_done(self, request: ActionDone) -> None:
        action = self._actions.get(request.action_id)
        if action is None:
            raise ApplicationError(
                f"action {request.action_id} is not one of review {self._start.review_id}'s",
                type=REFUSED,
                non_retryable=True,
            )
        if action.done:
            raise ApplicationError(
                f"action {request.action_id} is done already", type=REFUSED, non_retryable=True
            )

    @workflow.signal
    def done(self, action_id: int) -> None:
        """From an API that wrote the row itself (runs started before `mark_done`)."""
        if action_id in self._actions:
            self._actions[action_id].done = True
            self._changed = True

    @workflow.signal
    def compact(self) -> None:
        """Continue as new at the next safe point (tests force one; operators may)."""
        self._compact = True
        self._changed = True

    @workflow.query
    def carry(self) -> ActionsCarry:
        """What a continue-as-new would hand on now."""
        return self._carry()

    # ------------------------------------------------------------------ the loop

    @workflow.run
    async def run(self, start: ActionsStart) -> int:
        if start.outcome is not None and start.carry is None:
            tracked = await workflow.execute_activity_method(
                ReviewActionActivities.record_outcome,
                RecordOutcome(review_id=start.review_id, outcome=start.outcome),
                start_to_close_timeout=TIMEOUT,
            )
            self._actions = {a.action_id: a for a in tracked}
            self._ready = True
        while True:
            now = workflow.now()
            wakes = []
            for action in list(self._actions.values()):
                if action.done:
                    continue
                overdue_at = action_overdue_at(self._calendar, action.due_on)
                remind_at = action_reminder_at(self._calendar, action.due_on)
                if not action.overdue and now >= overdue_at:
                    action.overdue = True
                    await self._chase(action.action_id, "overdue")
                elif not action.reminded and now >= remind_at:
                    action.reminded = True
                    await self._chase(action.action_id, "due")
                if not action.overdue:
                    wakes.append(overdue_at if action.reminded else remind_at)
            if all(a.done for a in self._actions.values()):
                await workflow.wait_condition(workflow.all_handlers_finished)
                return len(self._actions)
            if self._compact or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    ActionsStart(
                        review_id=start.review_id,
                        policy=start.policy,
                        calendar=start.calendar,
                        carry=self._carry(),
                        terms=start.terms,
                    )
                )
            self._changed = False
            with contextlib.suppress(TimeoutError):  # the timeout is a date arriving
                if wakes:
                    await workflow.wait_condition(
                        lambda: self._changed, timeout=max(min(wakes) - now, timedelta(seconds=1))
                    )
                else:  # every open action is overdue: wait for them to be done
                    await workflow.wait_condition(lambda: self._changed)

    async def _chase(self, action_id: int, kind: str) -> None:
        await delivered_or_recorded(
            workflow.execute_activity_method(
                ReviewActionActivities.chase_action, args=[action_id, kind],
                start_to_close_timeout=TIMEOUT, retry_policy=NOTICE_RETRY,
            ),
            f"chase-{action_id}-{kind}", subject=f"review action {action_id}",
            what=f"the action's {kind} chaser",
        )  # fmt: skip

    # ------------------------------------------------------------------ continue-as-new

    def _carry(self) -> ActionsCarry:
        return ActionsCarry(
            actions=[
                CarriedAction(
                    action_id=a.action_id,
                    due_on=a.due_on,
                    reminded=a.reminded,
                    overdue=a.overdue,
                    done=a.done,
                )
                for a in self._actions.values()
            ],  # fmt: skip
            fingerprint=self._fingerprint,
        )

    def _restore(self, carry: ActionsCarry) -> None:
        if carry.version > 1:
            # Carried by newer code (a rolling deploy): fail the task, not the workflow, so a
            # newer worker takes it; extra fields would otherwise be dropped without a word.
            raise RuntimeError(f"review actions carry version {carry.version} is newer than 1")
        self._actions = {
            a.action_id: TrackedAction(
                action_id=a.action_id, due_on=a.due_on, reminded=a.reminded,
                overdue=a.overdue, done=a.done,
            )
            for a in carry.actions
        }  # fmt: skip
        self._fingerprint = carry.fingerprint
        self._ready = True
