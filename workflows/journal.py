"""What every promise-keeping workflow does alike: number its history, let side jobs run, and
keep what could not be done where people see it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    FailureError,
    RetryState,
)
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

with workflow.unsafe.imports_passed_through():
    from activities.failures import FailureActivities, FailureNote
    from activities.history import EventRow
    from sla.loader import PRELOAD_YEARS
    from workflows.errors import INVALID

# Keeping the note of a failure must not itself be lost: it retries until the database is back,
# and since it runs outside every lock it holds up no clock meanwhile.
FAILURE_TIMEOUT = timedelta(seconds=30)
FAILURE_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))

# What the pure deadline maths raises for data it cannot count with: a fault of the input,
# which no retry of the workflow task can mend. A date past the years the worker preloads
# (sla.loader.PRELOAD_YEARS) needs holiday tables the sandbox forbids reading in a workflow.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    ArithmeticError,
    RestrictedWorkflowAccessError,
)


class Journal:
    """History events numbered by the workflow (so a retried write is a no-op), held until the
    next save writes them."""

    def __init__(self, reference: str, seq: int = 0) -> None:
        self.reference = reference
        self.seq = seq
        self._pending: list[EventRow] = []
        # True while a save has failed and none has succeeded since: the events wait here.
        self.unsaved = False
        # ... and the failure was the database's absence, not a refusal of the data: the
        # workflow tries again soon rather than waiting for its next change.
        self.resave = False

    def add(self, kind: str, actor: str, summary: str, **data: Any) -> str:
        """Record an event now; returns its id, which also keys the notices it causes."""
        self.seq += 1
        event_id = f"{self.reference}:{self.seq}"
        self._pending.append(
            EventRow(
                id=event_id,
                seq=self.seq,
                kind=kind,
                actor=actor,
                at=workflow.now(),
                summary=summary,
                data={key: value for key, value in data.items() if value not in (None, "")},
            )
        )
        return event_id

    def take(self) -> list[EventRow]:
        """The events since the last save, handed to it."""
        events, self._pending = self._pending, []
        return events

    def put_back(self, events: list[EventRow], failure: BaseException) -> bool:
        """A save failed: its events go to the next one. True if this starts a run of failed
        saves (which is then worth recording once)."""
        self._pending = [*events, *self._pending]
        first, self.unsaved = not self.unsaved, True
        refused = failure.cause if isinstance(failure, ActivityError) else failure
        self.resave = not (isinstance(refused, ApplicationError) and refused.non_retryable)
        return first

    def saved(self) -> None:
        self.unsaved = self.resave = False


# How a local activity's last failure reaches the workflow: wrapped in an ActivityError, or
# (a non-retryable one) as the activity raised it.
SAVE_FAILURES: tuple[type[BaseException], ...] = (ActivityError, ApplicationError)


def uncountable(noun: str, exc: BaseException) -> ApplicationError:
    """The refusal (422 at the API) of an action leaving dates the clocks cannot count."""
    if isinstance(exc, RestrictedWorkflowAccessError):
        reason = f"give a date before {PRELOAD_YEARS.stop}"
    else:
        reason = str(exc)
    return ApplicationError(
        f"the {noun}'s deadlines could not be counted to that date ({reason})",
        type=INVALID,
        non_retryable=True,
    )


OnFailure = Callable[[BaseException], Awaitable[None]]


class SideJobs:
    """Activities started without waiting (e-mail, webhooks, letters) that must end before the
    run does. A job that still fails after its retries is handed to its `on_failure`, which
    records it; nothing ends silently."""

    def __init__(self) -> None:
        self._running: list[asyncio.Future[Any]] = []

    def start(self, job: Awaitable[Any], on_failure: OnFailure | None = None) -> None:
        self._running.append(
            asyncio.ensure_future(job if on_failure is None else _guarded(job, on_failure))
        )

    async def drain(self) -> None:
        """Wait for running handlers and side jobs (each failure was recorded by its job)."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        while self._running:
            running, self._running = self._running, []
            for outcome in await asyncio.gather(*running, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    workflow.logger.error("a side job failed unrecorded: %s", describe(outcome)[0])


async def _guarded(job: Awaitable[Any], on_failure: OnFailure) -> Any:
    try:
        return await job
    except FailureError as exc:  # the activity's or child's retries are spent
        await on_failure(exc)
        return None


# Notices awaited in line (invitations, reminders, chasers, packs): retried for hours, not for
# ever, so one that cannot be delivered is recorded and the workflow's other dates go on.
NOTICE_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)


async def delivered_or_recorded(
    job: Awaitable[Any], key: str, *, subject: str, what: str, policy: RetryPolicy = NOTICE_RETRY
) -> bool:
    """Await a notice; when its retries are spent, record the failure and answer False."""
    try:
        await job
    except FailureError as exc:
        await record_failure(key, kind="notice", subject=subject, what=what, exc=exc, policy=policy)
        return False
    return True


def describe(exc: BaseException, policy: RetryPolicy | None = None) -> tuple[str, int | None]:
    """The error as a person reads it (the innermost cause), and how many attempts were made
    when that is known."""
    attempts = None
    if (
        isinstance(exc, ActivityError | ChildWorkflowError)
        and exc.retry_state is RetryState.MAXIMUM_ATTEMPTS_REACHED
        and policy is not None
        and policy.maximum_attempts
    ):
        attempts = policy.maximum_attempts
    # The first application error is what the activity raised; what it was raised from may
    # quote the very data that failed.
    cause: BaseException = exc
    while (
        isinstance(cause, FailureError)
        and not isinstance(cause, ApplicationError)
        and cause.cause is not None
    ):
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        text = f"{cause.type}: {cause.message}" if cause.type else cause.message
    elif isinstance(cause, FailureError):
        text = cause.message
    else:
        text = f"{type(cause).__name__}: {cause}"
    return text or type(cause).__name__, attempts


async def record_failure(
    key: str,
    *,
    kind: str,
    subject: str,
    what: str,
    exc: BaseException | str,
    policy: RetryPolicy | None = None,
) -> None:
    """Keep one failure of this workflow (`key` names it within the workflow) in the failures
    table and the worker's log."""
    error, attempts = (exc, None) if isinstance(exc, str) else describe(exc, policy)
    workflow_id = workflow.info().workflow_id
    workflow.logger.warning("%s failed for %s: %s", what, subject, error)
    await workflow.execute_activity_method(
        FailureActivities.record_failure,
        FailureNote(
            id=f"{workflow_id}:{key}",
            at=workflow.now(),
            workflow_id=workflow_id,
            kind=kind,
            subject=subject,
            what=what,
            error=error,
            attempts=attempts,
        ),
        start_to_close_timeout=FAILURE_TIMEOUT,
        retry_policy=FAILURE_RETRY,
    )


class CaseFailures:
    """A case's (a ticket's, a complaint's) failures: each kept in the failures table and told
    in the case's own history, in words its handlers understand."""

    def __init__(
        self,
        subject: str,
        lock: asyncio.Lock,
        journal: Journal,
        save: Callable[[], Awaitable[None]],
    ) -> None:
        self._subject, self._lock, self._journal, self._save = subject, lock, journal, save

    def on(
        self, key: str, kind: str, what: str, summary: str, policy: RetryPolicy | None
    ) -> OnFailure:
        """The `on_failure` of a side job: `summary` is the line the history gets."""

        async def failed(exc: BaseException) -> None:
            await self.record(key, kind, what, summary, exc, policy)

        return failed

    async def record(
        self,
        key: str,
        kind: str,
        what: str,
        summary: str,
        exc: BaseException,
        policy: RetryPolicy | None,
    ) -> None:
        await record_failure(
            key, kind=kind, subject=self._subject, what=what, exc=exc, policy=policy
        )
        async with self._lock:
            self._journal.add("failure", "pledge", summary, what=what)
            await self._save()


RECORD_TIMEOUT = timedelta(seconds=30)
# A save is tried for about half a minute (a database restarting), under the lock the clocks
# need; a database away longer costs a recorded failure, and the events wait for the resave
# below. Data the database refuses fails at once (activities.failures). Backing off stays
# under the SDK's local retry threshold, so no timer is added to the history.
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=4,
)
# A save that failed for want of a database is tried again this soon, whatever else happens.
RESAVE_AFTER = timedelta(minutes=10)


async def save_events(
    journal: Journal,
    side_jobs: SideJobs,
    save: Callable[[list[EventRow]], Awaitable[Any]],
    *,
    version: int,
    subject: str,
    what: str,
) -> None:
    """Write a case's read model with its journal's new events; one the database cannot take
    (after bounded retries, or at once for data it refuses) is recorded, and its events wait
    for the next save."""
    events = journal.take()
    try:
        await save(events)
    except SAVE_FAILURES as exc:
        if journal.put_back(events, exc):
            side_jobs.start(
                record_failure(
                    f"save:{version}",
                    kind="data",
                    subject=subject,
                    what=what,
                    exc=exc,
                    policy=RECORD_RETRY,
                )
            )
        return
    journal.saved()
