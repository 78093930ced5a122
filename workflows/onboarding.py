"""An account's onboarding (account-<id>-onboarding): its objectives kept to their dates.

Each objective is achieved the moment a measurement reaches its target, and missed when its
date passes first; its owner is reminded a few working days before. When every objective is
decided, onboarding ends: the objectives become the account management plan reviews report on.
An objective added afterwards starts a new onboarding run, which ends in a new plan.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import sla
    from activities.objectives import ObjectiveActivities
    from sla.objectives import deadline, reached, reminder_at
    from workflows.onboarding_messages import (
        Decision,
        Measured,
        ObjectiveAdded,
        OnboardingStart,
        PlanRequest,
        TrackedObjective,
    )

ACTIVITY_TIMEOUT = timedelta(minutes=2)


def workflow_id(account_id: int) -> str:
    return f"account-{account_id}-onboarding"


@workflow.defn
class OnboardingWorkflow:
    @workflow.init
    def __init__(self, start: OnboardingStart) -> None:
        self._start = start
        self._calendar = sla.get_policy(start.policy).calendar(start.calendar)
        self._objectives: dict[int, TrackedObjective] = {
            t.spec.objective_id: t for t in start.carry
        }
        self._measurements: list[Measured] = []
        self._changed = False

    @workflow.signal
    def objective_added(self, spec: ObjectiveAdded) -> None:
        self._objectives.setdefault(spec.objective_id, TrackedObjective(spec=spec))
        self._changed = True

    @workflow.signal
    def measured(self, reading: Measured) -> None:
        self._measurements.append(reading)
        self._changed = True

    @workflow.query
    def objectives(self) -> list[TrackedObjective]:
        return list(self._objectives.values())

    @workflow.run
    async def run(self, start: OnboardingStart) -> int | None:
        while True:
            await self._take_measurements()
            await self._act_on_dates()
            if self._objectives and all(t.status != "open" for t in self._objectives.values()):
                return await workflow.execute_activity_method(
                    ObjectiveActivities.make_plan,
                    PlanRequest(account_id=start.account_id, key=workflow.info().run_id),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                )
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    OnboardingStart(
                        account_id=start.account_id,
                        policy=start.policy,
                        calendar=start.calendar,
                        carry=list(self._objectives.values()),
                    )
                )
            self._changed = False
            wake = self._next_wake()
            with contextlib.suppress(TimeoutError):  # the timeout is a date arriving
                if wake is None:
                    await workflow.wait_condition(lambda: self._changed)
                else:
                    await workflow.wait_condition(
                        lambda: self._changed,
                        timeout=max(wake - workflow.now(), timedelta(seconds=1)),
                    )

    async def _take_measurements(self) -> None:
        while self._measurements:
            reading = self._measurements.pop(0)
            for tracked in self._objectives.values():
                spec = tracked.spec
                if (
                    tracked.status == "open"
                    and spec.metric == reading.name
                    and reading.at < deadline(self._calendar, spec.due_on)
                    and reached(reading.value, spec.target, spec.direction)
                ):
                    tracked.status = "achieved"
                    await self._decide(Decision(
                        objective_id=spec.objective_id, status="achieved", at=reading.at,
                        value=reading.value,
                    ))  # fmt: skip

    async def _act_on_dates(self) -> None:
        now = workflow.now()
        for tracked in self._objectives.values():
            if tracked.status != "open":
                continue
            spec = tracked.spec
            if now >= deadline(self._calendar, spec.due_on):
                tracked.status = "missed"
                await self._decide(
                    Decision(
                        objective_id=spec.objective_id,
                        status="missed",
                        at=deadline(self._calendar, spec.due_on),
                    )
                )
            elif not tracked.reminded and now >= reminder_at(self._calendar, spec.due_on):
                tracked.reminded = True
                await workflow.execute_activity_method(
                    ObjectiveActivities.remind_objective_owner,
                    spec.objective_id,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                )

    def _next_wake(self) -> datetime | None:
        times = []
        for tracked in self._objectives.values():
            if tracked.status == "open":
                times.append(deadline(self._calendar, tracked.spec.due_on))
                if not tracked.reminded:
                    times.append(reminder_at(self._calendar, tracked.spec.due_on))
        return min(times, default=None)

    async def _decide(self, decision: Decision) -> None:
        await workflow.execute_activity_method(
            ObjectiveActivities.decide_objective, decision, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
