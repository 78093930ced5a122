"""A maintenance window as a durable workflow (maintenance-<id>): announce it, remind people
before it, move it to in progress at its start and to completed at its end.

It only orchestrates, with real timers: the notices and the row are its activities' work. A
change before the start (PATCH) or a cancellation arrives as an update: the row is rewritten,
everyone is told again (the calendar entry's SEQUENCE rises), and the timers follow the new
times. Updates and the loop's own steps take turns (one lock), and the workflow ends only once
every update it accepted has answered.

The reminder goes REMINDER_BEFORE the start, when the notice was given earlier than that (a
window announced with less time to go gets the notice alone).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.maintenance import MaintenanceActivities
    from workflows.errors import REFUSED, key_reused
    from workflows.journal import NOTICE_RETRY, RECORD_RETRY, RECORD_TIMEOUT, record_failure
    from workflows.maintenance_messages import (
        Change,
        MaintenanceAct,
        MaintenanceStart,
        MaintenanceView,
        Notice,
        NoticeKind,
        Recorded,
        State,
        WindowConfig,
        WindowRecord,
    )

REMINDER_BEFORE = timedelta(hours=24)
NOTICE_TIMEOUT = timedelta(minutes=10)
NOTICE_HEARTBEAT = timedelta(seconds=30)


@workflow.defn
class MaintenanceWorkflow:
    @workflow.init
    def __init__(self, start: MaintenanceStart) -> None:
        self._config = start.config
        self._created_by = start.created_by
        self._signed_by = start.signed_by
        self._fingerprint = start.fingerprint
        now = workflow.now()
        self._created_at = now
        self._announced_at = now
        self._state: State = "scheduled"
        self._sequence = 0
        self._cancelled_at: datetime | None = None
        self._remind_at = self._reminder_time()
        self._version = 0
        self._ready = False
        self._changed = False
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: MaintenanceStart) -> MaintenanceView:
        async with self._lock:
            await self._record()
            self._ready = True
            await self._notify("notice")
        while True:
            async with self._lock:
                over = await self._step()
            if over:
                break
            now = workflow.now()
            self._changed = False
            # Always a timeout, never shorter than a second; an update wakes the loop sooner.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._changed, timeout=max(self._wake() - now, timedelta(seconds=1))
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    def _wake(self) -> datetime:
        c = self._config
        if self._state == "scheduled":
            return self._remind_at if self._remind_at is not None else c.starts_at
        return c.ends_at

    async def _step(self) -> bool:
        """Whatever the time calls for; True once the window is over (or cancelled)."""
        if self._state == "cancelled":
            return True
        now = workflow.now()
        if self._state == "scheduled" and self._remind_at is not None and now >= self._remind_at:
            self._remind_at = None
            await self._notify("reminder")
        if self._state == "scheduled" and now >= self._config.starts_at:
            self._state = "in_progress"
            await self._record()
        if self._state == "in_progress" and now >= self._config.ends_at:
            self._state = "completed"
            await self._record()
            return True
        return False

    def _reminder_time(self) -> datetime | None:
        at = self._config.starts_at - REMINDER_BEFORE
        return at if at > self._announced_at else None

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def recorded(self, request: Recorded) -> MaintenanceView:
        """The answer to POST /maintenance (and to its retries): once its row exists."""
        await workflow.wait_condition(lambda: self._ready)
        return self._view()

    @recorded.validator
    def _check_recorded(self, request: Recorded) -> None:
        if request.fingerprint != self._fingerprint:
            raise key_reused(f"maintenance {self._config.window_id}")

    @workflow.query
    def state(self) -> MaintenanceView:
        return self._view()

    @workflow.update
    async def change(self, change: Change) -> MaintenanceView:
        """New times or words before the start: recorded, and everyone told again."""
        async with self._lock:
            self._check_not_started("changed")  # again: it may have started meanwhile
            moved = (change.config.starts_at, change.config.ends_at) != (
                self._config.starts_at,
                self._config.ends_at,
            )
            self._config = change.config
            self._signed_by = change.signed_by
            self._sequence += 1
            self._announced_at = workflow.now()
            self._remind_at = self._reminder_time()
            await self._record()
            await self._notify("moved" if moved else "notice")
            self._changed = True
            return self._view()

    @change.validator
    def _check_change(self, change: Change) -> None:
        self._check_not_started("changed")
        if change.config.window_id != self._config.window_id:
            raise ApplicationError("that is another window", type=REFUSED, non_retryable=True)
        if change.config.starts_at <= workflow.now():
            raise ApplicationError(
                "a window cannot be moved to start in the past", type=REFUSED, non_retryable=True
            )

    @workflow.update
    async def cancel(self, act: MaintenanceAct) -> MaintenanceView:
        """Off before it starts: recorded, and everyone told."""
        async with self._lock:
            self._check_not_started("cancelled")
            self._state = "cancelled"
            self._signed_by = act.signed_by
            self._sequence += 1
            self._cancelled_at = workflow.now()
            self._remind_at = None
            await self._record()
            await self._notify("cancelled")
            self._changed = True
            return self._view()

    @cancel.validator
    def _check_cancel(self, act: MaintenanceAct) -> None:
        self._check_not_started("cancelled")

    def _check_not_started(self, what: str) -> None:
        if self._state == "scheduled" and workflow.now() < self._config.starts_at:
            return
        said = {
            "cancelled": "has been cancelled",
            "completed": "is over",
        }.get(self._state, "has already started")
        raise ApplicationError(
            f"maintenance {self._config.title!r} {said}, so it cannot be {what}",
            type=REFUSED,
            non_retryable=True,
        )

    # ------------------------------------------------------------------ helpers

    async def _notify(self, kind: NoticeKind) -> None:
        notice = Notice(window_id=self._config.window_id, sequence=self._sequence, kind=kind)
        try:
            await workflow.execute_activity_method(
                MaintenanceActivities.send_notices,
                notice,
                start_to_close_timeout=NOTICE_TIMEOUT,
                heartbeat_timeout=NOTICE_HEARTBEAT,
                retry_policy=NOTICE_RETRY,
            )
        except ActivityError as exc:
            await record_failure(
                f"{kind}-{self._sequence}",
                kind="notice",
                subject=self._config.title,
                what=f"the maintenance {kind} mail",
                exc=exc,
                policy=NOTICE_RETRY,
            )

    async def _record(self) -> None:
        self._version += 1
        await workflow.execute_local_activity_method(
            MaintenanceActivities.record_window,
            self._as_record(),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    def _as_record(self) -> WindowRecord:
        c: WindowConfig = self._config
        return WindowRecord(
            id=c.window_id,
            title=c.title,
            description=c.description,
            services=c.services,
            policy=c.policy,
            account_ids=c.account_ids,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            timezone=c.timezone,
            state=self._state,
            sequence=self._sequence,
            announced_at=self._announced_at,
            created_by=self._created_by,
            signed_by=self._signed_by,
            created_at=self._created_at,
            updated_at=workflow.now(),
            cancelled_at=self._cancelled_at,
            version=self._version,
        )

    def _view(self) -> MaintenanceView:
        return MaintenanceView(
            window_id=self._config.window_id,
            state=self._state,
            sequence=self._sequence,
            starts_at=self._config.starts_at,
            ends_at=self._config.ends_at,
            remind_at=self._remind_at,
        )
