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
from temporalio.exceptions import ActivityError, ApplicationError

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
        Correspondence,
        Extend,
        ExtensionView,
        LetterView,
        Opened,
        Reply,
    )
    from workflows.errors import IDEMPOTENCY_MISMATCH, INVALID, REFUSED
    from workflows.journal import (
        DATA_ERRORS,
        RECORD_RETRY,
        RECORD_TIMEOUT,
        RESAVE_AFTER,
        CaseFailures,
        Journal,
        SideJobs,
        describe,
        record_failure,
        save_events,
        uncountable,
    )

RENDER_TIMEOUT = timedelta(minutes=2)
SEND_TIMEOUT = timedelta(minutes=2)
SEND_HEARTBEAT = timedelta(seconds=20)
SEND_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=30)
# A letter that cannot be made (a template or font error after a bad deploy) is retried for
# about half an hour, outside the lock the clocks need, then recorded as a failure.
RENDER_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=12)
# How long an action's answer waits for its letter; past it, the letter is listed once made.
LETTER_WAIT = timedelta(seconds=20)
# A clock whose dates cannot be counted is looked at again this often (for the others' sake).
UNCOUNTABLE_RECHECK = timedelta(days=1)
# Runs that rendered letters under the lock replay that way; new ones render outside it.
LETTERS_APART = "letters-outside-the-lock"
# Runs that reopened dropping their extensions replay that way; new ones keep them.
REOPEN_KEEPS_EXTENSIONS = "reopen-keeps-extensions"
LETTER_NAMES = {
    "acknowledgement": "acknowledgement letter",
    "holding_response": "holding response",
    "reply": "full reply letter",
}


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
            self._handler_title = carry.handler_title
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
            self._handler_title = o.handler_title
            self._version, self._opened_at = 0, workflow.now()
            self._letters: list[LetterView] = []
            self._journal = Journal(o.reference)
        self._side_jobs = SideJobs()
        self._unrendered: list[LetterRequest] = []  # letters to make once the lock is free
        self._uncountable: dict[str, str] = {}  # clocks whose dates cannot be counted: why
        self._told: set[str] = set()  # ... and those already recorded as failures
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
            # Events a save could not write yet (the database away) are not dropped by
            # ending or continuing as new: the run waits for the save that writes them.
            if self._sla.finished(workflow.now()) and not self._journal.resave:
                await self._side_jobs.drain()
                if self._sla.finished(workflow.now()):  # nothing reopened it meanwhile
                    break
                continue
            if not self._journal.resave and (
                self._roll_over or workflow.info().is_continue_as_new_suggested()
            ):
                await self._side_jobs.drain()
                workflow.continue_as_new(self._carry_over())
            self._changed = False
            now = workflow.now()
            with contextlib.suppress(TimeoutError):  # the timeout is the timer firing
                await workflow.wait_condition(lambda: self._changed, timeout=self._wake(now) - now)
        return self._view()

    def _wake(self, now: datetime) -> datetime:
        wake = self._clocks(now)[1]
        return min(wake, now + RESAVE_AFTER) if self._journal.resave else wake

    def _clocks(self, now: datetime) -> tuple[list[Any], datetime]:
        """The reminders and breaches due now, and when to wake next.

        A clock whose dates the calendars cannot count (bad data that got past the validators)
        would fail every workflow task for good; it is left out instead, and noted for the
        history, so the other clocks keep going.
        """
        try:
            return self._sla.due_actions(now), self._sla.next_wake(now)
        except DATA_ERRORS:
            pass
        actions: list[Any] = []
        wakes = [now + UNCOUNTABLE_RECHECK]
        for name in list(self._sla.clocks):
            alone = self._sla.model_copy(deep=True)
            alone.clocks = {name: alone.clocks[name]}
            try:
                actions += alone.due_actions(now)
                wakes.append(alone.next_wake(now))
            except DATA_ERRORS as exc:
                self._uncountable.setdefault(
                    f"{name}@{alone.clocks[name].due.isoformat()}", describe(exc)[0]
                )
        return actions, min(wakes)

    def _tell_uncountable(self) -> bool:
        """Record each clock that cannot be counted, once: in the history and as a failure."""
        told = False
        for key, error in self._uncountable.items():
            if key in self._told:
                continue
            self._told.add(key)
            told = True
            name, _, due = key.partition("@")
            what = "acknowledgement" if name == "acknowledgement" else "full reply"
            self._journal.add(
                "failure",
                "pledge",
                f"The {what} deadline ({due[:10]}) is beyond the dates Pledge can count to, so "
                "no reminder or breach will be recorded for it; the team has been told",
                clock=name,
                due=due,
            )
            self._side_jobs.start(
                record_failure(
                    f"clock:{key}",
                    kind="data",
                    subject=self._opening.reference,
                    what=f"counting the {what} deadline",
                    exc=error,
                )
            )
        return told

    async def _act_on_clocks(self) -> None:
        """Record every reminder and missed deadline whose time has come, each exactly once."""
        actions, _ = self._clocks(workflow.now())
        if (self._tell_uncountable() or self._journal.resave) and not actions:
            await self._save()
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
            what = "acknowledgement" if notice.clock == "acknowledgement" else "full reply"
            self._tell(notice, f"the {notice.kind} e-mail about the {what}")

    def _tell(self, notice: ComplaintNotice, what: str) -> None:
        """Send the handler's (or the manager's) e-mail beside the run; `what` names it in the
        history and the failures should it never be delivered."""
        self._side_jobs.start(
            workflow.execute_activity_method(
                ComplaintActivities.notify_complaint,
                notice,
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            ),
            self._failures().on(
                f"{notice.event_id}:notice",
                "notice",
                what,
                f"{what[0].upper()}{what[1:]} could not be delivered; the team has been told",
                SEND_RETRY,
            ),
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
            await self._letter("acknowledgement", event, act, now)

        return await self._act(apply)

    @acknowledge.validator
    def _check_acknowledge(self, act: Act) -> None:
        self._dry_run(lambda c, now: c.acknowledge(now))

    @workflow.update
    async def extend(self, extend: Extend) -> ComplaintView:
        async def apply(now: datetime) -> None:
            extension = self._sla.extend(now, extend.reason, extend.new_due)
            late = "" if extension.in_time else " (after the deadline had passed)"
            moved = self._sla.rules().extension.moves_deadline
            then = (
                f"the reply is now due by {_by(extension.new_due)}"
                if moved
                else f"the reply is expected by {_by(extension.new_due)}; the deadline "
                f"of {_by(extension.previous_due)} stands"
            )
            event = self._journal.add(
                "extended",
                extend.actor,
                f"Holding response sent{late}: {then}",
                reason=extend.reason,
                previous_due=extension.previous_due.isoformat(),
                new_due=extension.new_due.isoformat(),
            )
            await self._letter(
                "holding_response",
                event,
                extend,
                now,
                reason=extend.reason,
                previous_due=extension.previous_due,
                expected_due=None if moved else extension.new_due,
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
            await self._letter("reply", event, reply, now, body=reply.body)

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
            # Complaints reopened before this kept no extensions, and their replay must not
            # move the reply's timers.
            keep = workflow.patched(REOPEN_KEEPS_EXTENSIONS)
            self._sla.reopen(now, keep_extensions=keep)
            self._journal.add(
                "reopened",
                act.actor,
                f"Reopened: a new full reply is due by {_by(self._sla.reply_due)}",
                note=act.note,
                kept_extensions=keep,
            )

        return await self._act(apply)

    @reopen.validator
    def _check_reopen(self, act: Act) -> None:
        self._dry_run(lambda c, now: c.reopen(now))

    @workflow.update
    async def correspond(self, said: Correspondence) -> ComplaintView:
        """The complainant wrote again: kept in the history and the handler told. No deadline
        moves; whether it reopens a closed complaint is the handler's decision."""

        async def apply(now: datetime) -> None:
            event = self._journal.add(
                "correspondence", said.actor, f"{said.actor} wrote by e-mail", body=said.body
            )
            notice = ComplaintNotice(
                event_id=event,
                reference=self._opening.reference,
                kind="correspondence",
                clock="",
                due=now,
                handler_email=self._handler[1],
                text=said.body,
            )
            self._tell(notice, "the e-mail telling the handler the complainant wrote")

        return await self._act(apply)

    @workflow.update
    async def assign(self, assign: AssignHandler) -> ComplaintView:
        async def apply(now: datetime) -> None:
            if self._sla.status is ComplaintStatus.CLOSED:
                raise Refused("cannot assign a closed complaint")
            self._handler = (assign.name, assign.email)
            self._handler_title = assign.job_title
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
            letters, self._unrendered = self._unrendered, []
            if not letters:
                return self._view()
        # The letter is made outside the lock, so reminders and breaches are recorded on time
        # however long it takes; the answer lists it if it is made within LETTER_WAIT.
        wanted = {letter.letter_id for letter in letters}
        for letter in letters:
            self._side_jobs.start(self._make_letter(letter))
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: wanted <= {letter.id for letter in self._letters}, timeout=LETTER_WAIT
            )
        return self._view()

    def _dry_run(self, action: Any) -> None:
        """Validators refuse an action before it is accepted into history, including one
        leaving dates the clocks cannot count to (which would fail every workflow task)."""
        now = workflow.now()
        trial = self._sla.model_copy(deep=True)
        try:
            action(trial, now)
        except InvalidExtension as exc:
            raise ApplicationError(str(exc), type=INVALID, non_retryable=True) from None
        except (Refused, SlaLookupError) as exc:
            raise _refused(str(exc)) from None
        try:
            trial.due_actions(now)
            trial.next_wake(now)
        except DATA_ERRORS as exc:
            raise uncountable("complaint", exc) from None

    def _signatory(self, act: Act) -> tuple[str | None, str | None]:
        """Who signs a letter: the complaint's handler, else the person who sent it; (None,
        None) when neither is a named person (the letter is signed by the team, never by a
        key's name)."""
        if self._handler[0]:
            return self._handler[0], self._handler_title
        if act.signer is not None:
            return act.signer.name, act.signer.title
        return None, None

    async def _letter(
        self, kind: str, event_id: str, act: Act, now: datetime, **content: Any
    ) -> None:
        """Render and keep the letter, then e-mail it (or send it to be posted)."""
        o = self._opening
        regime = self._sla.rules()
        signatory, title = self._signatory(act)
        request = LetterRequest(
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
            signatory=signatory,
            signatory_title=title,
            reply_days=regime.reply.amount if regime.reply.counted_from == "acknowledged" else None,
            **content,
        )
        if workflow.patched(LETTERS_APART):
            self._unrendered.append(request)  # made by _act once the lock is released
            return
        await workflow.execute_activity_method(
            ComplaintActivities.render_letter,
            request,
            start_to_close_timeout=RENDER_TIMEOUT,
            retry_policy=RENDER_RETRY,
        )
        self._letters.append(
            LetterView(id=event_id, kind=kind, sent_at=now, delivery=self._delivery())
        )
        self._send_letter(request)

    async def _make_letter(self, request: LetterRequest) -> None:
        """Render and keep a letter with bounded retries; one that cannot be made is recorded
        as a failure, in the history and in GET /system/failures."""
        name = LETTER_NAMES[request.kind]
        try:
            await workflow.execute_activity_method(
                ComplaintActivities.render_letter,
                request,
                start_to_close_timeout=RENDER_TIMEOUT,
                retry_policy=RENDER_RETRY,
            )
        except ActivityError as exc:
            await self._failures().record(
                f"{request.letter_id}:letter",
                "letter",
                f"the {name}",
                f"The {name} could not be produced; the team has been told",
                exc,
                RENDER_RETRY,
            )
            return
        self._letters.append(
            LetterView(
                id=request.letter_id,
                kind=request.kind,
                sent_at=request.sent_at,
                delivery=self._delivery(),
            )
        )
        self._send_letter(request)

    def _delivery(self) -> str:
        """A complainant with an e-mail address gets letters by e-mail; one without, by post."""
        return "email" if self._opening.complainant_email else "post"

    def _send_letter(self, request: LetterRequest) -> None:
        name = LETTER_NAMES[request.kind]
        post = self._delivery() == "post"
        self._side_jobs.start(
            workflow.execute_activity_method(
                ComplaintActivities.send_letter,
                LetterDelivery(
                    letter_id=request.letter_id,
                    reference=request.reference,
                    event_id=request.letter_id,
                ),
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            ),
            self._failures().on(
                f"{request.letter_id}:email",
                "notice",
                f"sending the {name} to be posted"
                if post
                else f"e-mailing the {name} to the complainant",
                f"The {name} could not be sent to the handler to post; the team has been told"
                if post
                else f"The {name} could not be e-mailed to the complainant; the team has been told",
                SEND_RETRY,
            ),
        )

    def _failures(self) -> CaseFailures:
        return CaseFailures(self._opening.reference, self._lock, self._journal, self._save)

    async def _save(self) -> None:
        """Write the read model; one the database cannot take (after bounded retries, or at
        once for data it refuses) is recorded, and its events wait for the next save."""
        self._version += 1
        await save_events(
            self._journal,
            self._side_jobs,
            lambda events: workflow.execute_local_activity_method(
                ComplaintActivities.record_complaint,
                self._record(events),
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            ),
            version=self._version,
            subject=self._opening.reference,
            what="saving the complaint's record",
        )

    def _carry_over(self) -> ComplaintStart:
        return ComplaintStart(
            opening=self._opening,
            carry=ComplaintCarry.of(
                self._sla,
                handler=self._handler,
                handler_title=self._handler_title,
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
            regime_version=o.regime_version,
            status=c.status.value,
            handler_name=self._handler[0],
            handler_email=self._handler[1],
            handler_title=self._handler_title,
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
            regime_version=self._opening.regime_version,
            jurisdiction=c.jurisdiction,
            received_at=c.received_at,
            acknowledgement_due=c.acknowledgement_due,
            reply_due=c.reply_due,
            original_reply_due=c.original_reply_due(),
            next_due=c.next_due(),
            overdue=c.overdue,
            handler_name=self._handler[0],
            handler_email=self._handler[1],
            handler_title=self._handler_title,
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
