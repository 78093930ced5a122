"""An account's onboarding (account-<id>-onboarding): its objectives kept to their dates.

Each objective is achieved the moment a measurement reaches its target, and missed when its
date passes first; its owner is reminded a few working days before. When every objective is
decided, onboarding ends: the objectives become the account management plan reviews report on.
An objective added afterwards starts a new onboarding run, which ends in a new plan.

The workflow is the one writer of the account's objectives and readings: the API sends each
as an update (with start, when no run is going) and the workflow's activities write the row.
A run that was started only to record readings, with no objective to keep, ends once they are
recorded.

Continue-as-new happens when Temporal suggests it or when the `compact` signal asks for it
(tests use it to force one mid-life; an operator may too), at a safe point: every handler
finished, and everything not yet acted on carried in an OnboardingCarry.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.objectives import ObjectiveActivities
    from sla.objectives import deadline, reached, reminder_at
    from workflows.errors import IDEMPOTENCY_MISMATCH
    from workflows.journal import NOTICE_RETRY, delivered_or_recorded
    from workflows.onboarding_messages import (
        CarriedObjective,
        CarriedReading,
        Decision,
        Measured,
        MeasurementRequest,
        ObjectiveAdded,
        ObjectiveRequest,
        OnboardingCarry,
        OnboardingStart,
        PlanRequest,
        TrackedObjective,
    )
    from workflows.terms import calendar_of

ACTIVITY_TIMEOUT = timedelta(minutes=2)


def workflow_id(account_id: int) -> str:
    return f"account-{account_id}-onboarding"


@workflow.defn
class OnboardingWorkflow:
    @workflow.init
    def __init__(self, start: OnboardingStart) -> None:
        self._start = start
        self._calendar = calendar_of(start.policy, start.calendar, start.terms)
        self._objectives: dict[int, TrackedObjective] = {
            t.spec.objective_id: t for t in start.carry
        }
        self._measurements: list[Measured] = []
        if start.state is not None:
            self._restore(start.state)
        self._changed = False
        self._compact = False
        self._heard = start.state is not None or bool(start.carry)

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def add_objective(self, request: ObjectiveRequest) -> int:
        """Record the objective (once per request key) and keep it; answers its id."""
        self._heard = True
        try:
            recorded = await workflow.execute_activity_method(
                ObjectiveActivities.record_objective,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
        except ActivityError as exc:
            raise _refusal(exc) from None
        if recorded.status == "open":  # a retry of one decided in an earlier run: nothing to do
            self._objectives.setdefault(
                recorded.spec.objective_id, TrackedObjective(spec=recorded.spec)
            )
        self._changed = True
        return recorded.spec.objective_id

    @workflow.update
    async def record_measurement(self, request: MeasurementRequest) -> int:
        """Record the reading (once per request key) and apply it; answers its id."""
        self._heard = True
        try:
            recorded = await workflow.execute_activity_method(
                ObjectiveActivities.record_measurement,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
        except ActivityError as exc:
            raise _refusal(exc) from None
        # Applied again on a retry: harmless, an objective is decided once.
        self._measurements.append(recorded.reading)
        self._changed = True
        return recorded.measurement_id

    @workflow.signal
    def objective_added(self, spec: ObjectiveAdded) -> None:
        """From an API that wrote the row itself (runs started before the update existed)."""
        self._heard = True
        self._objectives.setdefault(spec.objective_id, TrackedObjective(spec=spec))
        self._changed = True

    @workflow.signal
    def measured(self, reading: Measured) -> None:
        self._heard = True
        self._measurements.append(reading)
        self._changed = True

    @workflow.signal
    def compact(self) -> None:
        """Continue as new at the next safe point (tests force one; operators may)."""
        self._compact = True
        self._changed = True

    @workflow.query
    def objectives(self) -> list[TrackedObjective]:
        return list(self._objectives.values())

    @workflow.query
    def carry(self) -> OnboardingCarry:
        """What a continue-as-new would hand on now."""
        return self._carry()

    # ------------------------------------------------------------------ the loop

    @workflow.run
    async def run(self, start: OnboardingStart) -> int | None:
        while True:
            await self._take_measurements()
            await self._act_on_dates()
            if self._objectives and all(t.status != "open" for t in self._objectives.values()):
                plan_id = await workflow.execute_activity_method(
                    ObjectiveActivities.make_plan,
                    PlanRequest(
                        account_id=start.account_id,
                        key=workflow.info().run_id,
                        objective_ids=list(self._objectives),
                    ),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                )
                await workflow.wait_condition(workflow.all_handlers_finished)
                if any(t.status == "open" for t in self._objectives.values()):
                    # Added while the plan was made: the next run keeps them, to a plan of
                    # their own (the one just made holds only the decided ones).
                    self._objectives = {
                        i: t for i, t in self._objectives.items() if t.status == "open"
                    }
                    workflow.continue_as_new(self._next_start())
                return plan_id
            if self._nothing_to_keep():
                return None  # started to record readings only: they are recorded
            if self._compact or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._next_start())
            self._changed = False
            wake = self._next_wake()
            with contextlib.suppress(TimeoutError):  # the timeout is a date arriving
                if wake is None:
                    await workflow.wait_condition(lambda: self._changed or self._nothing_to_keep())
                else:
                    await workflow.wait_condition(
                        lambda: self._changed,
                        timeout=max(wake - workflow.now(), timedelta(seconds=1)),
                    )

    async def _take_measurements(self) -> None:
        while self._measurements:
            reading = self._measurements.pop(0)
            # A copy: an objective added while a decision is written must not break the loop.
            for tracked in list(self._objectives.values()):
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
        for tracked in list(self._objectives.values()):
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
                await delivered_or_recorded(
                    workflow.execute_activity_method(
                        ObjectiveActivities.remind_objective_owner,
                        spec.objective_id,
                        start_to_close_timeout=ACTIVITY_TIMEOUT,
                        retry_policy=NOTICE_RETRY,
                    ),
                    f"reminder-{spec.objective_id}",
                    subject=f"objective {spec.objective_id}",
                    what="the objective's reminder",
                )

    def _nothing_to_keep(self) -> bool:
        """No objective, and every message taken in: the run has done its work."""
        return (
            not self._objectives
            and self._heard
            and not self._measurements
            and workflow.all_handlers_finished()
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

    # ------------------------------------------------------------------ continue-as-new

    def _carry(self) -> OnboardingCarry:
        return OnboardingCarry(
            objectives=[
                CarriedObjective(
                    objective_id=t.spec.objective_id,
                    name=t.spec.name,
                    metric=t.spec.metric,
                    target=t.spec.target,
                    direction=t.spec.direction,
                    due_on=t.spec.due_on,
                    reminded=t.reminded,
                    status=t.status,
                )
                for t in self._objectives.values()
            ],  # fmt: skip
            readings=[
                CarriedReading(name=m.name, value=m.value, at=m.at) for m in self._measurements
            ],
        )

    def _restore(self, state: OnboardingCarry) -> None:
        if state.version > 1:
            # Carried by newer code (a rolling deploy): fail the task, not the workflow, so a
            # newer worker takes it; extra fields would otherwise be dropped without a word.
            raise RuntimeError(f"onboarding carry version {state.version} is newer than 1")
        for o in state.objectives:
            spec = ObjectiveAdded(
                objective_id=o.objective_id, name=o.name, metric=o.metric, target=o.target,
                direction=o.direction, due_on=o.due_on,
            )  # fmt: skip
            self._objectives[o.objective_id] = TrackedObjective(
                spec=spec, reminded=o.reminded, status=o.status
            )
        self._measurements = [Measured(name=r.name, value=r.value, at=r.at) for r in state.readings]

    def _next_start(self) -> OnboardingStart:
        return OnboardingStart(
            account_id=self._start.account_id,
            policy=self._start.policy,
            calendar=self._start.calendar,
            state=self._carry(),
            terms=self._start.terms,
        )


def _refusal(exc: ActivityError) -> BaseException:
    """A reused Idempotency-Key is the client's mistake: the update fails with it (409)."""
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type == IDEMPOTENCY_MISMATCH:
        return ApplicationError(cause.message, type=IDEMPOTENCY_MISMATCH, non_retryable=True)
    return exc
