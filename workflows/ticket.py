"""A support ticket as a durable workflow: its SLA clocks are real timers (ticket-<reference>).

The workflow only orchestrates. Every rule lives in sla.ticket.TicketSla; here each action is
applied, written to the read model by an activity, and the clocks' next instants become the
timeout of a wait, so warnings and breaches fire on time whatever restarts in between.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.history import EventRow
    from activities.on_call import OnCallActivities, PageRequest, PageResult
    from activities.reports import ReportActivities
    from activities.tickets import (
        ClockRow,
        TicketActivities,
        TicketNotice,
        TicketRecord,
    )
    from sla import SlaLookupError
    from sla.team import pages_on_call
    from sla.ticket import (
        Breach,
        ClockAction,
        ClockState,
        Refused,
        TicketSla,
        TicketStatus,
        TicketType,
    )
    from workflows.errors import IDEMPOTENCY_MISMATCH, REFUSED
    from workflows.journal import (
        DATA_ERRORS,
        RECORD_RETRY,
        RECORD_TIMEOUT,
        RESAVE_AFTER,
        CaseFailures,
        Journal,
        SideJobs,
        save_events,
        uncountable,
    )
    from workflows.report_messages import IncidentRequest
    from workflows.ticket_messages import (
        ATTACHED,
        ATTACHED_INTERNAL,
        Act,
        Assign,
        Attach,
        ClockView,
        Close,
        IncidentDetails,
        Link,
        MovePreview,
        MoveTerms,
        Opened,
        Reply,
        Reprioritise,
        Resolve,
        Shipped,
        TicketCarry,
        TicketStart,
        TicketView,
        Wait,
    )

NOTIFY_TIMEOUT = timedelta(minutes=2)
# A worker that dies mid-send is noticed within this, not after the whole timeout.
NOTIFY_HEARTBEAT = timedelta(seconds=20)
REPORT_TIMEOUT = timedelta(minutes=5)
NOTIFY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)
# An incident report that cannot be made (a template error after a bad deploy) is retried for
# about half an hour, then recorded as a failure: in the history and GET /system/failures.
REPORT_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=12)
DEFAULT_CHAIN = ["assignee", "account_manager"]
# Runs that reached a reply, a wait, a resolution or a closure before customers were told of
# them replay without the notice.
CUSTOMER_NOTICES = "customer-notices"
# Runs opened before on-call paging existed replay without the page (docs/workflow-changes.md).
EMERGENCY_PAGES = "emergency-pages"


@workflow.defn
class TicketWorkflow:
    @workflow.init
    def __init__(self, start: TicketStart) -> None:
        self._opening = start.opening
        carry = start.carry
        if carry is not None:
            self._sla = carry.restore()
            self._assignee: tuple[str | None, str | None] = (
                carry.assignee_name,
                carry.assignee_email,
            )
            self._version, self._opened_at = carry.record_version, carry.opened_at
            self._journal = Journal(start.opening.reference, carry.seq)
        else:
            o = start.opening
            # Counted from the terms the ticket was logged under, so an edited preset cannot
            # re-date it; a run started without them (before snapshots) reads the preset.
            self._sla = TicketSla.open(
                policy=o.policy,
                priority=o.priority,
                received_at=o.received_at,
                calendar=o.calendar,
                type=o.type,
                terms=o.terms,
            )
            self._assignee = (None, None)
            self._version, self._opened_at = 0, workflow.now()
            self._journal = Journal(start.opening.reference)
        self._side_jobs = SideJobs()
        self._lock = asyncio.Lock()
        self._ready = carry is not None
        self._changed = False
        self._roll_over = False
        # Customer notices an action owes, sent once the action is saved (the mail reads
        # the ticket's row).
        self._owed: list[tuple[str, str, dict[str, Any]]] = []

    # ------------------------------------------------------------------ the clock loop

    @workflow.run
    async def run(self, start: TicketStart) -> TicketView:
        if start.carry is None:
            await self._open()
        while True:
            async with self._lock:
                await self._act_on_clocks()
            # Events a save could not write yet (the database away) are not dropped by
            # ending or continuing as new: the run waits for the save that writes them.
            if self._sla.finished and not self._journal.resave:
                await self._side_jobs.drain()
                if self._sla.finished:  # no handler changed that while draining
                    break
                continue
            if not self._journal.resave and (
                self._roll_over or workflow.info().is_continue_as_new_suggested()
            ):
                await self._side_jobs.drain()
                workflow.continue_as_new(self._carry_over())
            self._changed = False
            now = workflow.now()
            # Always a timeout, and always a positive one: next_wake is strictly after now.
            with contextlib.suppress(TimeoutError):  # the timeout is the timer firing
                await workflow.wait_condition(lambda: self._changed, timeout=self._wake(now) - now)
        return self._view()

    def _wake(self, now: datetime) -> datetime:
        wake = self._sla.next_wake(now)
        return min(wake, now + RESAVE_AFTER) if self._journal.resave else wake

    async def _open(self) -> None:
        o = self._opening
        summary = f"Opened by {o.opened_by} via {o.channel}"
        if self._sla.type is TicketType.INCIDENT:
            summary += f", priority {o.priority}"
        else:
            summary += f", {self._sla.type.value} (no SLA clock)"
        opened = self._journal.add(
            "opened", o.opened_by, summary, channel=o.channel, priority=o.priority
        )
        route = self._sla.type.route_to
        routed = (
            self._journal.add("routed", "pledge", f"Routed to {route.replace('_', ' ')}", to=route)
            if route
            else None
        )
        await self._save()
        if o.contact_id is not None:
            self._notify("confirmation", self._customers(), opened)
        if route and routed:
            self._notify("routed", [route], routed)
        if self._pages_on_call() and workflow.patched(EMERGENCY_PAGES):
            self._side_jobs.start(
                self._page(opened),
                self._failures().on(
                    f"{opened}:page",
                    "notice",
                    "paging the person on call",
                    "The person on call could not be paged; the team has been told",
                    NOTIFY_RETRY,
                ),
            )
        async with self._lock:
            await self._act_on_clocks()
        self._ready = True

    async def _act_on_clocks(self) -> None:
        """Record every warning and breach whose time has come, each exactly once."""
        actions = self._sla.due_actions(workflow.now())
        if not actions:
            if self._journal.resave:
                await self._save()
            return
        chain = self._sla.rules().escalation or DEFAULT_CHAIN
        notices: list[tuple[ClockAction, str]] = []
        for action in actions:
            self._sla.record(action)
            clock = action.clock.replace("_", " ")
            if isinstance(action, Breach):
                event_id = self._journal.add(
                    "breach",
                    "pledge",
                    f"SLA breached: {clock} was due {action.due.isoformat()}; "
                    f"escalated to line {self._sla.line}",
                    clock=action.clock,
                    due=action.due.isoformat(),
                    line=self._sla.line,
                )
            else:
                event_id = self._journal.add(
                    "warning",
                    "pledge",
                    f"Warning: {clock} due {action.due.isoformat()}",
                    clock=action.clock,
                    due=action.due.isoformat(),
                )
            notices.append((action, event_id))
        await self._save()
        for action, event_id in notices:
            breach = isinstance(action, Breach)
            self._notify(
                "breach" if breach else "warning",
                chain,
                event_id,
                first_only=not breach,
                webhook=True,
                clock=action.clock,
                due=action.due,
                line=self._sla.line if breach else None,
            )

    def _pages_on_call(self) -> bool:
        """An emergency out of the support calendar's hours wakes the person on call."""
        o = self._opening
        return pages_on_call(
            self._sla.rules(), channel=o.channel, calendar=o.calendar, at=o.received_at
        )

    async def _page(self, opened: str) -> None:
        """Mail the person on call in the week the emergency arrived (or the team address
        when nobody is), then say on the ticket's history who was paged and when."""
        o = self._opening
        result: PageResult = await workflow.execute_activity_method(
            OnCallActivities.page_on_call,
            PageRequest(reference=o.reference, event_id=opened, at=o.received_at),
            start_to_close_timeout=NOTIFY_TIMEOUT,
            retry_policy=NOTIFY_RETRY,
        )
        if result.on_call:
            summary = f"Paged {result.name} (on call) at {result.email}"
        elif result.email:
            summary = f"Nobody was on call: paged the team address {result.email}"
        else:
            summary = "Nobody was on call and there is no team address: nobody was paged"
        async with self._lock:
            self._journal.add(
                "paged",
                "pledge",
                summary,
                paged=result.email,
                name=result.name,
                on_call=result.on_call,
            )
            await self._save()

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def opened(self, request: Opened) -> TicketView:
        """The answer to POST /tickets (also to its retries): the ticket once it is recorded."""
        await workflow.wait_condition(lambda: self._ready)
        return self._view()

    @opened.validator
    def _check_opened(self, request: Opened) -> None:
        if request.fingerprint != self._opening.fingerprint:
            raise ApplicationError(
                f"the Idempotency-Key was already used for ticket {self._opening.reference} "
                "with a different request",
                type=IDEMPOTENCY_MISMATCH,
                non_retryable=True,
            )

    @workflow.query
    def view(self) -> TicketView:
        """Live clock state, for the rare read the database cannot answer."""
        return self._view()

    @workflow.signal
    def continue_as_new_now(self) -> None:
        """Start a fresh run at the next safe point (after the clocks are acted on and every
        handler and side job has finished), carrying the whole state over, as happens anyway
        when the history grows long. For operators and for the tests that prove nothing is
        lost (docs/workflow-changes.md)."""
        self._roll_over = True
        self._changed = True

    @workflow.update
    async def respond(self, reply: Reply) -> TicketView:
        async def apply(now: datetime) -> None:
            was_waiting = self._sla.status in (TicketStatus.WAITING, TicketStatus.DELAYED)
            met = self._sla.respond(reply.author, now)
            who = "agent" if reply.author == "agent" else "customer"
            event = self._journal.add(
                "response",
                reply.actor,
                f"Response from the {who}",
                author=reply.author,
                body=reply.body,
            )
            if reply.author == "agent":
                self._owe("reply", event, body=reply.body)
            self._met(met, reply.actor)
            if was_waiting and self._sla.status is TicketStatus.OPEN:
                self._journal.add(
                    "resumed", reply.actor, "The customer replied: clocks running again"
                )

        return await self._act(apply)

    @respond.validator
    def _check_respond(self, reply: Reply) -> None:
        self._dry_run(lambda t, now: t.respond(reply.author, now))

    @workflow.update
    async def wait(self, act: Wait) -> TicketView:
        async def apply(now: datetime) -> None:
            old = self._sla.priority
            outcome = self._sla.wait(now)
            if outcome == "regraded":
                event = self._journal.add(
                    "regraded",
                    act.actor,
                    f"Waiting on the customer: re-graded from {old} to {self._sla.priority}"
                    + (" and marked Delayed" if self._sla.delayed else ""),
                    old=old,
                    new=self._sla.priority,
                    note=act.note,
                    message=act.message,
                )
            else:
                paused = " (clocks paused)" if outcome == "paused" else ""
                event = self._journal.add(
                    "waiting",
                    act.actor,
                    f"Waiting on the customer{paused}",
                    note=act.note,
                    message=act.message,
                )
            self._owe(
                "waiting", event, message=act.message, outcome=outcome, delayed=self._sla.delayed
            )

        return await self._act(apply)

    @wait.validator
    def _check_wait(self, act: Wait) -> None:
        self._dry_run(lambda t, now: t.wait(now))

    @workflow.update
    async def resume(self, act: Act) -> TicketView:
        async def apply(now: datetime) -> None:
            self._sla.resume(now)
            self._journal.add(
                "resumed", act.actor, "Work resumed: clocks running again", note=act.note
            )

        return await self._act(apply)

    @resume.validator
    def _check_resume(self, act: Act) -> None:
        self._dry_run(lambda t, now: t.resume(now))

    @workflow.update
    async def change_priority(self, change: Reprioritise) -> TicketView:
        async def apply(now: datetime) -> None:
            old = self._sla.priority
            self._sla.change_priority(change.priority, now)
            self._journal.add(
                "priority_changed",
                change.actor,
                f"Priority changed from {old} to {change.priority}; "
                "deadlines recomputed from receipt",
                old=old,
                new=change.priority,
                note=change.note,
            )

        return await self._act(apply)

    @change_priority.validator
    def _check_change_priority(self, change: Reprioritise) -> None:
        self._dry_run(lambda t, now: t.change_priority(change.priority, now))

    @workflow.query
    def preview_move(self, move: MoveTerms) -> MovePreview:
        """What `move_terms` would make of the deadlines now, computed as it computes them."""
        trial = self._sla.model_copy(deep=True)
        try:
            trial.move_terms(move.terms)
        except (Refused, SlaLookupError, *DATA_ERRORS) as exc:
            return MovePreview(refused=str(exc))
        return MovePreview(before=_dues(self._sla), after=_dues(trial))

    @workflow.update
    async def move_terms(self, move: MoveTerms) -> TicketView:
        async def apply(now: datetime) -> None:
            before, old = _dues(self._sla), self._opening.policy_version
            self._sla.move_terms(move.terms)
            self._opening = self._opening.model_copy(
                update={"terms": move.terms, "policy_version": move.version}
            )
            after = _dues(self._sla)
            moved = sorted(name for name in after if after[name] != before.get(name))
            self._journal.add(
                "terms_moved",
                move.actor,
                f"Moved from version {old or 1} to version {move.version} of the policy; "
                + (
                    "deadlines recomputed from receipt"
                    if moved
                    else "deadlines recomputed from receipt, none changed"
                ),
                policy=self._sla.policy,
                old_version=old,
                new_version=move.version,
                before={k: v.isoformat() if v else None for k, v in before.items()},
                after={k: v.isoformat() if v else None for k, v in after.items()},
            )

        return await self._act(apply)

    @move_terms.validator
    def _check_move_terms(self, move: MoveTerms) -> None:
        self._dry_run(lambda t, now: t.move_terms(move.terms))

    @workflow.update
    async def escalate(self, act: Act) -> TicketView:
        async def apply(now: datetime) -> None:
            line = self._sla.escalate()
            self._journal.add(
                "escalated", act.actor, f"Escalated to line {line}", line=line, note=act.note
            )

        return await self._act(apply)

    @escalate.validator
    def _check_escalate(self, act: Act) -> None:
        self._dry_run(lambda t, now: t.escalate())

    @workflow.update
    async def assign(self, assign: Assign) -> TicketView:
        async def apply(now: datetime) -> None:
            if self._sla.status is TicketStatus.CLOSED:
                raise Refused("cannot assign a closed ticket")
            self._assignee = (assign.name, assign.email)
            self._journal.add(
                "assigned",
                assign.actor,
                f"Assigned to {assign.name}",
                name=assign.name,
                email=assign.email,
            )

        return await self._act(apply)

    @assign.validator
    def _check_assign(self, assign: Assign) -> None:
        if self._sla.status is TicketStatus.CLOSED:
            raise _refused("cannot assign a closed ticket")

    @workflow.update
    async def add_note(self, act: Act) -> TicketView:
        """An internal note: recorded in the history for the team, never told to the customer
        (api.ticket_history keeps the kind off their allow-list). A new handler, so runs
        already in flight replay unchanged."""

        async def apply(now: datetime) -> None:
            if self._sla.status is TicketStatus.CLOSED:
                raise Refused("cannot add a note to a closed ticket")
            self._journal.add("note", act.actor, "Internal note", note=act.note)

        return await self._act(apply)

    @add_note.validator
    def _check_add_note(self, act: Act) -> None:
        if self._sla.status is TicketStatus.CLOSED:
            raise _refused("cannot add a note to a closed ticket")
        if not act.note.strip():
            raise _refused("a note needs some text")

    @workflow.update
    async def attach(self, attach: Attach) -> TicketView:
        """Files added to the ticket: an event each, from which the record activity keeps the
        ticket's list of attachments (their bytes are already stored by the API). Nothing
        else changes: a customer's file is not a reply, so no clock moves. A new handler, so
        runs already in flight replay unchanged."""

        async def apply(now: datetime) -> None:
            if self._sla.status is TicketStatus.CLOSED:
                raise Refused("cannot attach files to a closed ticket")
            for file in attach.files:
                self._journal.add(
                    ATTACHED if file.public else ATTACHED_INTERNAL,
                    attach.actor,
                    f"{attach.by} attached {file.filename}",
                    by=attach.by,
                    author=attach.author,
                    **file.model_dump(),
                )

        return await self._act(apply)

    @attach.validator
    def _check_attach(self, attach: Attach) -> None:
        if self._sla.status is TicketStatus.CLOSED:
            raise _refused("cannot attach files to a closed ticket")
        if not attach.files:
            raise _refused("no file was given to attach")

    @workflow.update
    async def resolve(self, act: Resolve) -> TicketView:
        async def apply(now: datetime) -> None:
            met = self._sla.resolve(now)
            event = self._journal.add("resolved", act.actor, "Resolved", note=act.note)
            self._owe("resolved", event)
            self._met(met, act.actor)
            # Runs resolved before incident reports existed replay without the child.
            if workflow.patched("incident-reports") and self._is_top_priority():
                self._side_jobs.start(self._incident_report(event, act))

        return await self._act(apply)

    def _is_top_priority(self) -> bool:
        return self._sla.priority == next(iter(self._sla.rules().priorities))

    async def _incident_report(self, event_id: str, act: Resolve) -> None:
        """Gather, render and send the incident report for this resolution (the activities
        check the account's edition); a side job, so the ticket's own work goes on."""
        details = act.incident or IncidentDetails()
        request = IncidentRequest(
            reference=self._opening.reference,
            key=f"ticket-{self._opening.reference}-incident-{event_id.rpartition(':')[2]}",
            impact=details.impact,
            cause=details.cause,
            actions=details.actions,
            requested_by=act.actor,
        )
        failed = self._failures().on(
            f"{event_id}:incident-report",
            "report",
            "the incident report",
            "The incident report could not be produced; the team has been told",
            REPORT_RETRY,
        )
        try:
            content = await workflow.execute_activity_method(
                ReportActivities.gather_incident,
                request,
                start_to_close_timeout=REPORT_TIMEOUT,
                retry_policy=REPORT_RETRY,
            )
            if content is None:
                return
            report_id = await workflow.execute_activity_method(
                ReportActivities.render_incident,
                args=[request, content],
                start_to_close_timeout=REPORT_TIMEOUT,
                retry_policy=REPORT_RETRY,
            )
        except ActivityError as exc:
            await failed(exc)
            return
        if content.recipients:
            try:
                await workflow.execute_activity_method(
                    ReportActivities.send_report,
                    args=[report_id, content.recipients],
                    start_to_close_timeout=REPORT_TIMEOUT,
                    heartbeat_timeout=NOTIFY_HEARTBEAT,
                    retry_policy=NOTIFY_RETRY,
                )
            except ActivityError as exc:
                await self._failures().record(
                    f"{event_id}:incident-report-email",
                    "notice",
                    "e-mailing the incident report",
                    "The incident report could not be e-mailed; the team has been told",
                    exc,
                    NOTIFY_RETRY,
                )

    @resolve.validator
    def _check_resolve(self, act: Resolve) -> None:
        self._dry_run(lambda t, now: t.resolve(now))

    @workflow.update
    async def close(self, close: Close) -> TicketView:
        async def apply(now: datetime) -> None:
            self._sla.close(now, representative_agreed=close.representative_agreed)
            agreed = (
                f" with the agreement of {close.representative}" if close.representative else ""
            )
            event = self._journal.add(
                "closed",
                close.actor,
                f"Closed{agreed}",
                representative=close.representative,
                note=close.note,
            )
            self._owe("closed", event, representative=close.representative)

        return await self._act(apply)

    @close.validator
    def _check_close(self, close: Close) -> None:
        self._dry_run(
            lambda t, now: t.close(now, representative_agreed=close.representative_agreed)
        )

    @workflow.update
    async def reopen(self, act: Act) -> TicketView:
        async def apply(now: datetime) -> None:
            self._sla.reopen(now)
            self._journal.add(
                "reopened", act.actor, "Reopened: the resolution clock runs again", note=act.note
            )

        return await self._act(apply)

    @reopen.validator
    def _check_reopen(self, act: Act) -> None:
        self._dry_run(lambda t, now: t.reopen(now))

    @workflow.update
    async def link_release(self, link: Link) -> TicketView:
        async def apply(now: datetime) -> None:
            self._sla.link_release(link.release_id)
            self._journal.add(
                "release_linked",
                link.actor,
                f"Linked to release {link.release_name}",
                release_id=link.release_id,
            )

        return await self._act(apply)

    @link_release.validator
    def _check_link(self, link: Link) -> None:
        self._dry_run(lambda t, now: t.link_release(link.release_id))

    @workflow.signal
    async def release_shipped(self, shipped: Shipped) -> None:
        """A linked release went out: release promises are met and the contact is told."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            if shipped.release_id not in self._sla.releases:
                return
            met = self._sla.release_shipped(shipped.release_id, shipped.at, shipped.kind)
            event_id = self._journal.add(
                "release_shipped",
                "pledge",
                f"Release {shipped.release_name} shipped",
                release_id=shipped.release_id,
            )
            self._met(met, "pledge")
            await self._save()
            if self._opening.contact_id is not None:
                self._notify(
                    "release_shipped",
                    self._customers(),
                    event_id,
                    release_name=shipped.release_name,
                    at=shipped.at,
                )
            self._changed = True

    # ------------------------------------------------------------------ helpers

    async def _act(self, apply: Any) -> TicketView:
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            self._owed.clear()
            try:
                await apply(workflow.now())
            except (Refused, SlaLookupError) as exc:
                # Validated, then overtaken by a concurrent action: fail this update only.
                raise _refused(str(exc)) from None
            except DATA_ERRORS as exc:
                raise uncountable("ticket", exc) from None
            await self._save()
            for kind, event_id, details in self._owed:
                self._notify(kind, self._customers(), event_id, **details)
            self._owed.clear()
            await self._act_on_clocks()
            self._changed = True
            return self._view()

    def _dry_run(self, action: Any) -> None:
        """Validators refuse an action before it is accepted into history, including one
        whose dates the clocks cannot count (it would fail every workflow task)."""
        now = workflow.now()
        trial = self._sla.model_copy(deep=True)
        try:
            action(trial, now)
            trial.due_actions(now)
            trial.next_wake(now)
        except (Refused, SlaLookupError) as exc:
            raise _refused(str(exc)) from None
        except DATA_ERRORS as exc:
            raise uncountable("ticket", exc) from None

    def _customers(self) -> list[str]:
        """Who hears of the ticket's progress: its contact, and where the policy says so the
        account's authorised representatives."""
        roles = ["contact"]
        if self._sla.rules().tickets.inform_representatives:
            roles.append("representatives")
        return roles

    def _owe(self, kind: str, event_id: str, **details: Any) -> None:
        """Tell the customer of this action once it is saved (a ticket with no contact has
        nobody to tell)."""
        if self._opening.contact_id is not None and workflow.patched(CUSTOMER_NOTICES):
            self._owed.append((kind, event_id, details))

    def _met(self, names: list[str], actor: str) -> None:
        for name in names:
            state = self._sla.clock_state(name)
            self._journal.add(
                "clock_met" if state is ClockState.MET else "clock_met_late",
                actor,
                f"{name.replace('_', ' ').capitalize()} "
                + ("met in time" if state is ClockState.MET else "delivered after its deadline"),
                clock=name,
            )

    async def _save(self) -> None:
        """Write the read model; one the database cannot take (after bounded retries, or at
        once for data it refuses) is recorded, and its events wait for the next save."""
        self._version += 1
        await save_events(
            self._journal,
            self._side_jobs,
            lambda events: workflow.execute_local_activity_method(
                TicketActivities.record_ticket,
                self._record(events),
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            ),
            version=self._version,
            subject=self._opening.reference,
            what="saving the ticket's record",
        )

    def _failures(self) -> CaseFailures:
        return CaseFailures(self._opening.reference, self._lock, self._journal, self._save)

    def _notify(self, kind: str, roles: list[str], event_id: str, **details: Any) -> None:
        notice = TicketNotice(
            event_id=event_id,
            reference=self._opening.reference,
            assignee_email=self._assignee[1],
            kind=kind,  # type: ignore[arg-type]
            roles=roles,  # type: ignore[arg-type]
            at=details.pop("at", workflow.now()),
            # None for tickets not opened from a mail (and for runs begun before this field).
            reply_to_message_id=self._opening.reply_to_message_id,
            **details,
        )
        self._side_jobs.start(
            workflow.execute_activity_method(
                TicketActivities.notify_ticket,
                notice,
                start_to_close_timeout=NOTIFY_TIMEOUT,
                heartbeat_timeout=NOTIFY_HEARTBEAT,
                retry_policy=NOTIFY_RETRY,
            ),
            self._failures().on(
                f"{event_id}:{kind}",
                "notice",
                f"the {kind.replace('_', ' ')} notice",
                f"The {kind.replace('_', ' ')} notice could not be delivered; "
                "the team has been told",
                NOTIFY_RETRY,
            ),
        )

    def _carry_over(self) -> TicketStart:
        return TicketStart(
            opening=self._opening,
            carry=TicketCarry.of(
                self._sla,
                assignee=self._assignee,
                record_version=self._version,
                seq=self._journal.seq,
                opened_at=self._opened_at,
            ),
        )

    def _record(self, events: list[EventRow]) -> TicketRecord:
        o, t = self._opening, self._sla
        paused = t.paused
        return TicketRecord(
            reference=o.reference,
            account_id=o.account_id,
            contact_id=o.contact_id,
            subject=o.subject,
            description=o.description,
            channel=o.channel,
            type=t.type.value,
            policy=t.policy,
            policy_version=o.policy_version,
            calendar=t.calendar,
            priority=t.priority,
            status=t.status.value,
            line=t.line,
            assignee_name=self._assignee[0],
            assignee_email=self._assignee[1],
            routed_to=t.type.route_to,
            campaign_scheduled_at=o.campaign_scheduled_at,
            received_at=t.received_at,
            opened_at=self._opened_at,
            opened_by=o.opened_by,
            first_response_at=t.first_response_at,
            resolved_at=t.resolved_at,
            closed_at=t.closed_at,
            first_response_due=t.due("first_response"),
            resolution_due=t.due("resolution"),
            next_due=t.next_due(),
            breached=t.breached,
            version=self._version,
            updated_at=workflow.now(),
            releases=list(t.releases),
            clocks=[
                ClockRow(
                    name=c.name,
                    kind=c.kind,
                    clock=c.clock.value,
                    calendar=c.calendar,
                    target=c.target,
                    due=c.due,
                    state=c.state(paused).value,
                    met_at=c.met_at,
                    breached_due=c.breached_due,
                    paused_remaining_seconds=c.paused_remaining.total_seconds()
                    if c.paused_remaining is not None
                    else None,
                )
                for c in t.clocks.values()
            ],
            events=events,
        )

    def _view(self) -> TicketView:
        t, now = self._sla, workflow.now()
        clocks = {}
        for name, c in t.clocks.items():
            left = t.remaining(name, now)
            clocks[name] = ClockView(
                target=c.target,
                due=c.due,
                state=t.clock_state(name),
                remaining_seconds=left.total_seconds() if left is not None else None,
                met_at=c.met_at,
                calendar=c.calendar,
            )
        return TicketView(
            reference=self._opening.reference,
            status=t.status,
            priority=t.priority,
            type=t.type,
            line=t.line,
            assignee_name=self._assignee[0],
            assignee_email=self._assignee[1],
            received_at=t.received_at,
            first_response_due=t.due("first_response"),
            resolution_due=t.due("resolution"),
            next_due=t.next_due(),
            breached=t.breached,
            clocks=clocks,
            releases=list(t.releases),
            version=self._version,
            policy_version=self._opening.policy_version,
        )


def _dues(ticket: TicketSla) -> dict[str, datetime | None]:
    return {name: clock.due for name, clock in ticket.clocks.items()}


def _refused(message: str) -> ApplicationError:
    # An ApplicationError fails only the update; any other exception in a handler would fail
    # the workflow task and retry it forever.
    return ApplicationError(message, type=REFUSED, non_retryable=True)
