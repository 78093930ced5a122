"""The actions agreed at a review (<review key>-actions), tracked to done: each owner is
reminded on the action's last working day and chased, with the success manager, once it is
overdue. The workflow ends when every action is done."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import sla
    from activities.reviews import ReviewActionActivities
    from sla.reviews import action_overdue_at, action_reminder_at
    from workflows.report_messages import ActionsStart

TIMEOUT = timedelta(minutes=2)


@workflow.defn
class ReviewActionsWorkflow:
    @workflow.init
    def __init__(self, start: ActionsStart) -> None:
        self._calendar = sla.get_policy(start.policy).calendar(start.calendar)
        self._actions = {a.action_id: a for a in start.actions}
        self._changed = False

    @workflow.signal
    def done(self, action_id: int) -> None:
        if action_id in self._actions:
            self._actions[action_id].done = True
            self._changed = True

    @workflow.run
    async def run(self, start: ActionsStart) -> int:
        while True:
            now = workflow.now()
            wakes = []
            for action in self._actions.values():
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
                return len(self._actions)
            self._changed = False
            with contextlib.suppress(TimeoutError):  # the timeout is a date arriving
                if wakes:
                    await workflow.wait_condition(
                        lambda: self._changed, timeout=max(min(wakes) - now, timedelta(seconds=1))
                    )
                else:  # every open action is overdue: wait for them to be done
                    await workflow.wait_condition(lambda: self._changed)

    async def _chase(self, action_id: int, kind: str) -> None:
        await workflow.execute_activity_method(
            ReviewActionActivities.chase_action, args=[action_id, kind],
            start_to_close_timeout=TIMEOUT,
        )  # fmt: skip
