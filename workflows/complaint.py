"""A complaint as a durable workflow (complaint-<reference>): statutory clocks as real timers.

The rules live in sla.complaint.ComplaintSla; this workflow applies actions, keeps the read
model current, renders and sends letters through activities, and wakes for each reminder and
deadline so they fire on time whatever restarts in between.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.complaints import (
        ComplaintActivities,
        ComplaintNotice,
        ComplaintRecord,
        LetterDelivery,
        LetterRequest,
        last_day,
    )
    from activities.history import EventRow
    from reports.dates import long_date
    from sla import SlaLookupError
    from sla.complaint import (
        Breach,
        ComplaintSla,
        ComplaintStatus,
        InvalidExtension,
        Refused,
    )
    from workflows.complaint_messages import (
        Act,
        AssignHandler,
        ComplaintCarry,
        ComplaintClockView,
        ComplaintStart,
        ComplaintView,
        Extend,
        ExtensionView,
        LetterView,
        Opened,
        Reply,
    )
    from workflows.errors import IDEMPOTENCY_MISMATCH, INVALID, REFUSED
    from workflows.journal import Journal, SideJobs

RECORD_TIMEOUT = timedelta(seconds=30)
RENDER_TIMEOUT = timedelta(minutes=2)
SEND_TIMEOUT = timedelta(minutes=2)
SEND_HEARTBEAT = timedelta(seconds=20)
SEND_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)


def _by(due: datetime) -> str:
    """How the history names a deadline: 'the end of Monday 23 November 2026'."""
    return f"the end of {long_date(last_day(due))}"


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=REFUSED, non_retryable=True)


@workflow.defn
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, start: ComplaintStart) -> None:
        self._opening = o = start.opening
        carry = start.carry
        if carry is not None:
            self._sla = carry.restore()
            self._handler = (carry.handler_name, carry.handler_email)
            self._version, self._opened_at = carry.record_version, carry.opened_at
            self._letters = list(carry.letters)
            self._journal = Journal(o.reference, carry.seq)
        else:
            # Counted from the terms the complaint was logged under, so an edited regime cannot
            # re-date it; a run started without them (before snapshots) reads the regime file.
            self._sla = ComplaintSla.open(
                regime=o.regime,
                jurisdiction=o.jurisdiction,
                received_at=o.received_at,
                terms=o.terms,
            )
            self._handler = (o.handler_name, o.handler_email)
            self._version, self._opened_at = 0, workflow.now()
            self._letters: list[LetterView] = []
            self._journal = Journal(o.reference)
        self._side_jobs = SideJobs()
        self._lock = asyncio.Lock()
        self._ready = carry is not None
        self._changed = False
        self._roll_over = False

    @workflow.run
    async def run(self, start: ComplaintStart) -> ComplaintView:
        if start.carry is None:
            o = self._opening
            self._journal.add(
                "received",
                o.opened_by,
                f"Complaint logged by {o.opened_by} ({o.channel}) under the "
                f"{self._sla.rules().name}",
                channel=o.channel,
                regime=o.regime,
                jurisdiction=o.jurisdiction,
            )
            await self._save()
            async with self._lock:
                await self._act_on_clocks()
            self._ready = True
        while True:
            async with self._lock:
                await self._act_on_clocks()
            if self._sla.finished(workflow.now()):
                await self._side_jobs.drain()
                if self._sla.finished(workflow.now()):  # nothing reopened it meanwhile
                    break
                continue
            if self._roll_over or workflow.info().is_continue_as_new_suggested():
                await self._side_jobs.drain()
                workflow.continue_as_new(self._carry_over())
            self._changed = False
            now = workflow.now()
            with contextlib.suppress(TimeoutError):  # the timeout is the timer firing
                await workflow.wait_condition(
                    lambda: self._changed, timeout=self._sla.next_wake(now) - now
                )
        return self._view()

    async def _act_on_clocks(self) -> None:
        """Record every reminder and missed deadline whose time has come, each exactly once."""
        actions = self._sla.due_actions(workflow.now())
        if not actions:
            return
        notices = []
        for action in actions:
            self._sla.record(action)
            what = "acknowledgement" if action.clock == "acknowledgement" else "full reply"
            if isinstance(action, Breach):
                event = self._journal.add(
                    "breach",
                    "pledge",
                    f"Deadline missed: the {what} was due by {_by(action.due)}",
                    clock=action.clock,
                    due=action.due.isoformat(),
                )
            else:
                event = self._journal.add(
                    "reminder",
                    "pledge",
                    f"Reminder sent: the {what} is due by {_by(action.due)}",
                    clock=action.clock,
                    due=action.due.isoformat(),
                )
            notices.append(
                ComplaintNotice(
                    event_id=event,
                    reference=self._opening.reference,
                    kind=action.kind,
                    clock=action.clock,
                    due=action.due,
                    handler_email=self._handler[1],
                )
            )
        await self._save()
        for notice in notices:
            self._side_jobs.start(
                workflow.execute_activity_method(
                    ComplaintActivities.notify_complaint,
                    notice,
                    start_to_close_timeout=SEND_TIMEOUT,
                    heartbeat_timeout=SEND_HEARTBEAT,
                    retry_policy=SEND_RETRY,
                )
            )

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def opened(self, request: Opened) -> ComplaintView:
        """The answer to POST /complaints (and to its retries)."""
        await workflow.wait_condition(lambda: self._ready)
        return self._view()

    @opened.validator
    def _check_opened(self, request: Opened) -> None:
        if request.fingerprint != self._opening.fingerprint:
            raise ApplicationError(
                f"the Idempotency-Key was already used for complaint {self._opening.reference} "
                "with a different request",
                type=IDEMPOTENCY_MISMATCH,
                non_retryable=True,
            )

    @workflow.query
    def view(self) -> ComplaintView:
        return self._view()

    @workflow.signal
    def continue_as_new_now(self) -> None:
        """Start a fresh run at the next safe point, carrying the whole state over, as happens
        anyway when the history grows long (see TicketWorkflow.continue_as_new_now)."""
        self._roll_over = True
        self._changed = True

    @workflow.update
    async def acknowledge(self, act: Act) -> ComplaintView:
        async def apply(now: datetime) -> None:
            self._sla.acknowledge(now)
            event = self._journal.add(
                "acknowledged", act.actor, "Acknowledgement sent", note=act.note
            )
            await self._letter("acknowledgement", event, act.actor, now)

        return await self._act(apply)

    @acknowledge.validator
    def _check_acknowledge(self, act: Act) -> None:
        self._dry_run(lambda c, now: c.acknowledge(now))

    @workflow.update
    async def extend(self, extend: Extend) -> ComplaintView:
        async def apply(now: datetime) -> None:
            extension = self._sla.extend(now, extend.reason, extend.new_due)
            late = "" if extension.in_time else " (after the deadline had passed)"
            event = self._journal.add(
                "extended",
                extend.actor,
                f"Holding response sent{late}: the reply is now due by {_by(extension.new_due)}",
                reason=extend.reason,
                previous_due=extension.previous_due.isoformat(),
                new_due=extension.new_due.isoformat(),
            )
            await self._letter(
                "holding_response",
                event,
                extend.actor,
                now,
                reason=extend.reason,
                previous_due=extension.previous_due,
            )

        return await self._act(apply)

    @extend.validator
    def _check_extend(self, extend: Extend) -> None:
        self._dry_run(lambda c, now: c.extend(now, extend.reason, extend.new_due))

    @workflow.update
    async def reply(self, reply: Reply) -> ComplaintView:
        async def apply(now: datetime) -> None:
            met = self._sla.reply(now)
            also = " (it also acknowledges the complaint)" if "acknowledgement" in met else ""
            event = self._journal.add("replied", reply.actor, f"Full reply sent{also}")
            await self._letter("reply", event, reply.actor, now, body=reply.body)

        return await self._act(apply)

    @reply.validator
    def _check_reply(self, reply: Reply) -> None:
        self._dry_run(lambda c, now: c.reply(now))

    @workflow.update
    async def close(self, act: Act) -> ComplaintView:
        async def apply(now: datetime) -> None:
            self._sla.close(now)
            self._journal.add("closed", act.actor, "Closed", note=act.note)

        return await self._act(apply)

    @close.validator
    def _check_close(self, act: Act) -> None:
        self._dry_run(lambda c, now: c.close(now))

    @workflow.update
    async def reopen(self, act: Act) -> ComplaintView:
        async def apply(now: datetime) -> None:
            self._sla.reopen(now)
            self._journal.add(
                "reopened",
                act.actor,
                f"Reopened: a new full reply is due by {_by(self._sla.reply_due)}",
                note=act.note,
            )

        return await self._act(apply)

    @reopen.validator
    def _check_reopen(self, act: Act) -> None:
        self._dry_run(lambda c, now: c.reopen(now))

    @workflow.update
    async def assign(self, assign: AssignHandler) -> ComplaintView:
        async def apply(now: datetime) -> None:
            if self._sla.status is ComplaintStatus.CLOSED:
                raise Refused("cannot assign a closed complaint")
            self._handler = (assign.name, assign.email)
            self._journal.add(
                "assigned", assign.actor, f"Assigned to {assign.name}", name=assign.name
            )

        return await self._act(apply)

    @assign.validator
    def _check_assign(self, assign: AssignHandler) -> None:
        if self._sla.status is ComplaintStatus.CLOSED:
            raise _refused("cannot assign a closed complaint")

    # ------------------------------------------------------------------ helpers

    async def _act(self, apply: Any) -> ComplaintView:
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            try:
                await apply(workflow.now())
            except InvalidExtension as exc:
                raise ApplicationError(str(exc), type=INVALID, non_retryable=True) from None
            except (Refused, SlaLookupError) as exc:
                raise _refused(str(exc)) from None
            await self._save()
            await self._act_on_clocks()
            self._changed = True
            return self._view()

    def _dry_run(self, action: Any) -> None:
        try:
            action(self._sla.model_copy(deep=True), workflow.now())
        except InvalidExtension as exc:
            raise ApplicationError(str(exc), type=INVALID, non_retryable=True) from None
        except (Refused, SlaLookupError) as exc:
            raise _refused(str(exc)) from None

    async def _letter(
        self, kind: str, event_id: str, actor: str, now: datetime, **content: Any
    ) -> None:
        """Render and keep the letter (awaited: the answer lists it), then e-mail it."""
        o = self._opening
        regime = self._sla.rules()
        await workflow.execute_activity_method(
            ComplaintActivities.render_letter,
            LetterRequest(
                letter_id=event_id,
                reference=o.reference,
                kind=kind,  # type: ignore[arg-type]
                complainant_name=o.complainant_name,
                complainant_address=o.complainant_address,
                summary=o.summary,
                regime=o.regime,
                received_at=o.received_at,
                sent_at=now,
                reply_due=self._sla.reply_due,
                signatory=self._handler[0] or actor,
                reply_days=regime.reply.amount
                if regime.reply.counted_from == "acknowledged"
                else None,
                **content,
            ),
            start_to_close_timeout=RENDER_TIMEOUT,
        )
        self._letters.append(LetterView(id=event_id, kind=kind, sent_at=now))
        self._side_jobs.start(
            workflow.execute_activity_method(
                ComplaintActivities.send_letter,
                LetterDelivery(letter_id=event_id, reference=o.reference, event_id=event_id),
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            )
        )

    async def _save(self) -> None:
        self._version += 1
        await workflow.execute_local_activity_method(
            ComplaintActivities.record_complaint,
            self._record(self._journal.take()),
            start_to_close_timeout=RECORD_TIMEOUT,
        )

    def _carry_over(self) -> ComplaintStart:
        return ComplaintStart(
            opening=self._opening,
            carry=ComplaintCarry.of(
                self._sla,
                handler=self._handler,
                record_version=self._version,
                seq=self._journal.seq,
                opened_at=self._opened_at,
                letters=self._letters,
            ),
        )

    def _record(self, events: list[EventRow]) -> ComplaintRecord:
        o, c = self._opening, self._sla
        ack = c.clocks.get("acknowledgement")
        return ComplaintRecord(
            reference=o.reference,
            account_id=o.account_id,
            complainant_name=o.complainant_name,
            complainant_email=o.complainant_email,
            complainant_address=o.complainant_address,
            summary=o.summary,
            channel=o.channel,
            jurisdiction=o.jurisdiction,
            regime=o.regime,
            status=c.status.value,
            handler_name=self._handler[0],
            handler_email=self._handler[1],
            received_at=c.received_at,
            opened_at=self._opened_at,
            opened_by=o.opened_by,
            acknowledged_at=c.acknowledged_at,
            replied_at=c.replied_at,
            closed_at=c.closed_at,
            acknowledgement_due=c.acknowledgement_due,
            reply_due=c.reply_due,
            original_reply_due=c.original_reply_due(),
            acknowledgement_state=ack.state.value if ack else None,
            reply_state=c.clocks["reply"].state.value,
            extensions=len(c.extensions),
            reply_kept=c.reply_kept(),
            next_due=c.next_due(),
            overdue=c.overdue,
            version=self._version,
            updated_at=workflow.now(),
            events=events,
        )

    def _view(self) -> ComplaintView:
        c = self._sla
        return ComplaintView(
            reference=self._opening.reference,
            status=c.status,
            regime=c.regime,
            jurisdiction=c.jurisdiction,
            received_at=c.received_at,
            acknowledgement_due=c.acknowledgement_due,
            reply_due=c.reply_due,
            original_reply_due=c.original_reply_due(),
            next_due=c.next_due(),
            overdue=c.overdue,
            handler_name=self._handler[0],
            handler_email=self._handler[1],
            clocks={
                name: ComplaintClockView(due=clock.due, state=clock.state, met_at=clock.met_at)
                for name, clock in c.clocks.items()
            },
            extensions=[
                ExtensionView(
                    at=e.at,
                    reason=e.reason,
                    previous_due=e.previous_due,
                    new_due=e.new_due,
                    in_time=e.in_time,
                )
                for e in c.extensions
            ],
            letters=list(self._letters),
            version=self._version,
        )
