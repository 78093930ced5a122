"""A watched URL as a durable workflow (monitor-<id>), on a task queue of its own.

It only orchestrates: sleep until the next probe is due, run the one activity that probes and
records the result, feed the result to the confirmation rule (sla.monitor), and act on what
changed: record the new state, open the outage (and its ticket) or end it, warn of a
certificate running out. The first probe waits a share of the interval fixed by the monitor's
id, so monitors created together do not probe together. It continues as new when Temporal
suggests, carrying the rule's memory, so a monitor runs for years on a short history.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.monitors import MonitorActivities
    from sla.monitor import Machine, next_slot, start_offset, step
    from workflows.errors import REFUSED, key_reused
    from workflows.journal import NOTICE_RETRY, RECORD_RETRY, RECORD_TIMEOUT, record_failure
    from workflows.monitor_messages import (
        MonitorAct,
        MonitorCarry,
        MonitorConfig,
        MonitorRecord,
        MonitorStart,
        MonitorView,
        OutageClosing,
        OutageOpening,
        ProbeRequest,
        ProbeResult,
        Reconfigure,
        Recorded,
        TlsWarning,
    )

# Longer than the probe's own limit (activities/probe.py: 10 s) and its database write; a
# probe is retried once, then the slot is skipped: a fault of ours is not the site's outage.
PROBE_TIMEOUT = timedelta(seconds=30)
PROBE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=2)
# Opening an outage starts a ticket on the main task queue and mails the team.
OUTAGE_TIMEOUT = timedelta(minutes=2)
OUTAGE_HEARTBEAT = timedelta(seconds=30)
# A paused monitor still wakes now and then, so it can continue as new like any other.
PAUSED_WAKE = timedelta(days=1)


@workflow.defn
class MonitorWorkflow:
    @workflow.init
    def __init__(self, start: MonitorStart) -> None:
        self._config = start.config
        self._created_by = start.created_by
        self._fingerprint = start.fingerprint
        carry = start.carry
        if carry is not None:
            self._machine = carry.machine
            self._paused = carry.paused
            self._next_slot = carry.next_slot
            self._recheck_at = carry.recheck_at
            self._ticket_reference = carry.ticket_reference
            self._version = carry.record_version
            self._created_at = carry.created_at
        else:
            self._machine = Machine()
            self._paused = False
            now = workflow.now()
            self._next_slot = now + start_offset(
                start.config.monitor_id, start.config.interval_seconds
            )
            self._recheck_at: datetime | None = None
            self._ticket_reference: str | None = None
            self._version = 0
            self._created_at = now
        self._deleted_at: datetime | None = None
        self._ready = carry is not None
        self._changed = False
        self._roll_over = False
        # Outage and certificate work, one job after another (an outage's end waits for its
        # start to be recorded), beside the probes, which go on meanwhile.
        self._lane: asyncio.Future[None] | None = None

    @workflow.run
    async def run(self, start: MonitorStart) -> MonitorView:
        if start.carry is None:
            await self._record()
            self._ready = True
        while self._deleted_at is None:
            if self._roll_over or workflow.info().is_continue_as_new_suggested():
                await self._drain()
                if self._deleted_at is None:  # no handler deleted it while draining
                    workflow.continue_as_new(self._carry_over())
                break
            now = workflow.now()
            due = self._due()
            wake = due if due is not None else now + PAUSED_WAKE
            self._changed = False
            if wake > now:
                # Always a timeout, always positive; a message wakes the loop to look again.
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._changed, timeout=wake - now)
                if self._changed:
                    continue
            if due is None or self._paused or self._deleted_at is not None:
                continue
            await self._probe(due)
        await self._drain()
        return self._view()

    def _due(self) -> datetime | None:
        """When the next probe is due: the next slot, or a re-check sooner; None if paused."""
        if self._paused:
            return None
        if self._recheck_at is not None and self._recheck_at < self._next_slot:
            return self._recheck_at
        return self._next_slot

    async def _probe(self, due: datetime) -> None:
        c = self._config
        request = ProbeRequest(
            monitor_id=c.monitor_id,
            url=c.url,
            expected_status=c.expected_status,
            keyword=c.keyword,
            due_at=due,
        )
        result: ProbeResult | None
        try:
            result = await workflow.execute_activity_method(
                MonitorActivities.probe,
                request,
                start_to_close_timeout=PROBE_TIMEOUT,
                retry_policy=PROBE_RETRY,
            )
        except ActivityError as exc:
            workflow.logger.warning("monitor %s could not probe: %s", c.monitor_id, exc.cause)
            result = None
        now = workflow.now()
        self._next_slot = next_slot(self._next_slot, self._interval(), now)
        self._recheck_at = None
        if result is None:
            return
        self._machine, change = step(self._machine, result.ok, result.at)
        if change.recheck_in is not None:
            self._recheck_at = now + change.recheck_in
        if change.changed:
            await self._record()
        if change.went_down_at is not None:
            opening = OutageOpening(
                monitor_id=c.monitor_id,
                started_at=change.went_down_at,
                detected_at=result.at,
                failures=self._machine.failures,
                cause=result.error,
                last_status_code=result.status_code,
            )
            self._queue(lambda: self._open_outage(opening))
        if change.came_up is not None:
            started, ended = change.came_up
            closing = OutageClosing(monitor_id=c.monitor_id, started_at=started, ended_at=ended)
            self._queue(lambda: self._close_outage(closing))
        if result.tls_warning_days is not None and result.cert_expires_at is not None:
            warning = TlsWarning(
                monitor_id=c.monitor_id,
                cert_expires_at=result.cert_expires_at,
                days=result.tls_warning_days,
                at=result.at,
            )
            self._queue(lambda: self._warn(warning))

    # ------------------------------------------------------------------ outages and warnings

    async def _open_outage(self, opening: OutageOpening) -> None:
        key = f"outage-{opening.started_at.isoformat()}"
        try:
            opened = await workflow.execute_activity_method(
                MonitorActivities.open_outage,
                opening,
                start_to_close_timeout=OUTAGE_TIMEOUT,
                heartbeat_timeout=OUTAGE_HEARTBEAT,
                retry_policy=NOTICE_RETRY,
            )
        except ActivityError as exc:
            await self._failed(key, "recording the outage and opening its ticket", exc)
            return
        if self._machine.outage_started_at == opening.started_at:  # still the outage under way
            self._ticket_reference = opened.ticket_reference

    async def _close_outage(self, closing: OutageClosing) -> None:
        if self._machine.outage_started_at is None:
            self._ticket_reference = None
        try:
            await workflow.execute_activity_method(
                MonitorActivities.close_outage,
                closing,
                start_to_close_timeout=OUTAGE_TIMEOUT,
                heartbeat_timeout=OUTAGE_HEARTBEAT,
                retry_policy=NOTICE_RETRY,
            )
        except ActivityError as exc:
            key = f"recovery-{closing.started_at.isoformat()}"
            await self._failed(key, "recording the end of the outage", exc)

    async def _warn(self, warning: TlsWarning) -> None:
        try:
            await workflow.execute_activity_method(
                MonitorActivities.warn_certificate,
                warning,
                start_to_close_timeout=OUTAGE_TIMEOUT,
                heartbeat_timeout=OUTAGE_HEARTBEAT,
                retry_policy=NOTICE_RETRY,
            )
        except ActivityError as exc:
            key = f"tls-{warning.days}-{warning.cert_expires_at.isoformat()}"
            await self._failed(key, "the certificate expiry warning", exc)

    async def _failed(self, key: str, what: str, exc: BaseException) -> None:
        await record_failure(
            key, kind="notice", subject=self._config.name, what=what, exc=exc, policy=NOTICE_RETRY
        )

    def _queue(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` after the jobs already queued, without holding up the probes."""
        previous = self._lane

        async def after() -> None:
            if previous is not None:
                await previous
            await job()

        self._lane = asyncio.ensure_future(after())

    async def _drain(self) -> None:
        """Let every handler and queued job finish (before a new run, or the end)."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        while self._lane is not None and not self._lane.done():
            await self._lane
        await workflow.wait_condition(workflow.all_handlers_finished)

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def recorded(self, request: Recorded) -> MonitorView:
        """The answer to POST /monitors (and to its retries): the monitor once its row exists."""
        await workflow.wait_condition(lambda: self._ready)
        return self._view()

    @recorded.validator
    def _check_recorded(self, request: Recorded) -> None:
        if request.fingerprint != self._fingerprint:
            raise key_reused(f"monitor {self._config.monitor_id}")

    @workflow.query
    def state(self) -> MonitorView:
        return self._view()

    @workflow.update
    async def configure(self, change: Reconfigure) -> MonitorView:
        """New settings (PATCH): the next probe uses them; the state carries on."""
        await workflow.wait_condition(lambda: self._ready)
        old_interval = self._interval()
        self._config = change.config
        if self._interval() != old_interval:
            self._next_slot = min(self._next_slot, workflow.now() + self._interval())
        return await self._changed_and_recorded()

    @configure.validator
    def _check_configure(self, change: Reconfigure) -> None:
        self._check_live()
        if change.config.monitor_id != self._config.monitor_id:
            raise ApplicationError("that is another monitor's configuration", type=REFUSED)

    @workflow.update
    async def pause(self, act: MonitorAct) -> MonitorView:
        """No probes until resumed; the state and any outage under way are kept."""
        await workflow.wait_condition(lambda: self._ready)
        self._paused = True
        return await self._changed_and_recorded()

    @pause.validator
    def _check_pause(self, act: MonitorAct) -> None:
        self._check_live()

    @workflow.update
    async def resume(self, act: MonitorAct) -> MonitorView:
        await workflow.wait_condition(lambda: self._ready)
        self._paused = False
        self._next_slot = next_slot(self._next_slot, self._interval(), workflow.now())
        return await self._changed_and_recorded()

    @resume.validator
    def _check_resume(self, act: MonitorAct) -> None:
        self._check_live()

    @workflow.update
    async def delete(self, act: MonitorAct) -> MonitorView:
        """Stop watching for good: the row is kept, marked deleted, and the workflow ends."""
        await workflow.wait_condition(lambda: self._ready)
        self._deleted_at = workflow.now()
        return await self._changed_and_recorded()

    @delete.validator
    def _check_delete(self, act: MonitorAct) -> None:
        self._check_live()

    @workflow.signal
    def continue_as_new_now(self) -> None:
        """Start a fresh run at the next safe point, carrying the state over, as happens
        anyway when the history grows long (for operators, and the tests that prove nothing
        is lost)."""
        self._roll_over = True
        self._changed = True

    def _check_live(self) -> None:
        if self._deleted_at is not None:
            raise ApplicationError(
                f"monitor {self._config.name} has been deleted", type=REFUSED, non_retryable=True
            )

    async def _changed_and_recorded(self) -> MonitorView:
        await self._record()
        self._changed = True
        return self._view()

    # ------------------------------------------------------------------ helpers

    def _interval(self) -> timedelta:
        return timedelta(seconds=self._config.interval_seconds)

    async def _record(self) -> None:
        self._version += 1
        await workflow.execute_local_activity_method(
            MonitorActivities.record_monitor,
            self._as_record(self._version),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    def _as_record(self, version: int) -> MonitorRecord:
        c: MonitorConfig = self._config
        return MonitorRecord(
            id=c.monitor_id,
            name=c.name,
            url=c.url,
            account_id=c.account_id,
            service=c.service,
            interval_seconds=c.interval_seconds,
            expected_status=c.expected_status,
            keyword=c.keyword,
            paused=self._paused,
            state=self._machine.status.value,
            state_since=self._machine.since,
            created_by=self._created_by,
            created_at=self._created_at,
            updated_at=workflow.now(),
            deleted_at=self._deleted_at,
            version=version,
        )

    def _carry_over(self) -> MonitorStart:
        return MonitorStart(
            config=self._config,
            created_by=self._created_by,
            fingerprint=self._fingerprint,
            carry=MonitorCarry(
                machine=self._machine,
                paused=self._paused,
                next_slot=self._next_slot,
                recheck_at=self._recheck_at,
                ticket_reference=self._ticket_reference,
                record_version=self._version,
                created_at=self._created_at,
            ),
        )

    def _view(self) -> MonitorView:
        m = self._machine
        return MonitorView(
            monitor_id=self._config.monitor_id,
            status=m.status,
            since=m.since,
            paused=self._paused,
            deleted=self._deleted_at is not None,
            failures=m.failures,
            next_probe_at=self._due() if self._deleted_at is None else None,
            outage_started_at=m.outage_started_at,
            ticket_reference=self._ticket_reference if m.outage_started_at else None,
        )
