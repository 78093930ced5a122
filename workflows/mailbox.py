"""A support mailbox read continuously as a durable workflow (mailbox-<id>).

It only orchestrates, moving ids: an activity reads the folder and records each mail in the
database (deduplicated on the mailbox and Message-ID) before anything marks it seen or moves
it; another acts on each recorded mail (a ticket, a reply, a complaint, the inbox); a third
moves what was acted on to the handled folder. Then it waits: an IDLE activity where the
server offers IDLE, a timer otherwise. A crash anywhere repeats only steps that are safe to
repeat (docs/inbound.md). Agents' decisions on the inbox (assign, release) come as updates.
It continues as new when Temporal suggests, so a mailbox runs for years on a short history.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.mailboxes import MailboxActivities
    from workflows.errors import INVALID, REFUSED, key_reused
    from workflows.journal import RECORD_RETRY, RECORD_TIMEOUT
    from workflows.mailbox_messages import (
        Decision,
        Fetched,
        FetchRequest,
        Handled,
        IdleRequest,
        MailboxAct,
        MailboxCarry,
        MailboxRecord,
        MailboxStart,
        MailboxView,
        MoveRequest,
        Reconfigure,
        Recorded,
    )

# Reading a batch: a connection, a search and up to a batch of messages, recorded one by one
# with a heartbeat each. Retried a few times, then the round ends and the next one tries again.
FETCH_TIMEOUT = timedelta(minutes=5)
FETCH_HEARTBEAT = timedelta(seconds=60)
FETCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3)
# Acting on one mail opens a ticket or a complaint (a round trip to its workflow) and stores
# its files; a mail that keeps failing stays in the folder, tried again next round.
HANDLE_TIMEOUT = timedelta(minutes=2)
HANDLE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5)
# Short: a cancelled wait (a change, a pause) ends at the next heartbeat the SDK sends.
IDLE_HEARTBEAT = timedelta(seconds=10)
PAUSED_WAKE = timedelta(days=1)


@workflow.defn
class MailboxWorkflow:
    @workflow.init
    def __init__(self, start: MailboxStart) -> None:
        self._config = start.config
        self._created_by = start.created_by
        self._fingerprint = start.fingerprint
        carry = start.carry
        if carry is not None:
            self._paused = carry.paused
            self._version = carry.record_version
            self._created_at = carry.created_at
        else:
            self._paused = False
            self._version = 0
            self._created_at = workflow.now()
        self._deleted_at: datetime | None = None
        self._ready = carry is not None
        self._changed = False
        self._roll_over = False

    @workflow.run
    async def run(self, start: MailboxStart) -> MailboxView:
        if start.carry is None:
            await self._record()
            self._ready = True
        while self._deleted_at is None:
            if self._roll_over or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._deleted_at is None:
                    workflow.continue_as_new(self._carry_over())
                break
            self._changed = False
            if self._paused:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._changed, timeout=PAUSED_WAKE)
                continue
            fetched = await self._fetch()
            for mail_id in fetched.mail_ids:
                await self._handle(mail_id)
            if fetched.mail_ids:
                await self._move(fetched.mail_ids)
            if fetched.more or self._changed:
                continue
            if fetched.idle and fetched.error is None:
                await self._idle(fetched)
            else:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self._changed, timeout=timedelta(seconds=fetched.poll_seconds)
                    )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    # ------------------------------------------------------------------ the rounds

    async def _fetch(self) -> Fetched:
        try:
            return await workflow.execute_activity_method(
                MailboxActivities.fetch,
                FetchRequest(mailbox_id=self._config.mailbox_id),
                start_to_close_timeout=FETCH_TIMEOUT,
                heartbeat_timeout=FETCH_HEARTBEAT,
                retry_policy=FETCH_RETRY,
            )
        except ActivityError as exc:
            # A fault of ours (the database away): the mail stays unread in its folder.
            workflow.logger.warning("mailbox %s: %s", self._config.mailbox_id, exc.cause)
            return Fetched(error=str(exc.cause))

    async def _handle(self, mail_id: str) -> None:
        try:
            await workflow.execute_activity_method(
                MailboxActivities.handle,
                mail_id,
                start_to_close_timeout=HANDLE_TIMEOUT,
                retry_policy=HANDLE_RETRY,
            )
        except ActivityError as exc:
            # Left pending and in the folder: the next round acts on it again.
            workflow.logger.warning("mail %s was not acted on: %s", mail_id, exc.cause)

    async def _move(self, mail_ids: list[str]) -> None:
        try:
            await workflow.execute_activity_method(
                MailboxActivities.move,
                MoveRequest(mailbox_id=self._config.mailbox_id, mail_ids=mail_ids),
                start_to_close_timeout=FETCH_TIMEOUT,
                retry_policy=FETCH_RETRY,
            )
        except ActivityError as exc:
            # Recorded and acted on, so reading them again finds their rows and moves them.
            workflow.logger.warning("mailbox %s moved nothing: %s", self._config.mailbox_id, exc)

    async def _idle(self, fetched: Fetched) -> None:
        """Wait for new mail on the server's word (IDLE), or a change here, or the time."""
        waiting = workflow.start_activity_method(
            MailboxActivities.idle,
            IdleRequest(
                mailbox_id=self._config.mailbox_id,
                uid_validity=fetched.uid_validity,
                highest_uid=fetched.highest_uid,
                seconds=fetched.idle_seconds,
            ),
            start_to_close_timeout=timedelta(seconds=fetched.idle_seconds + 60),
            heartbeat_timeout=IDLE_HEARTBEAT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        await workflow.wait_condition(lambda: self._changed or waiting.done())
        if not waiting.done():
            waiting.cancel()
        try:
            await waiting
        except (ActivityError, asyncio.CancelledError) as exc:
            if not self._changed:
                # IDLE failed (the server went away): wait as a poll would before reading.
                workflow.logger.info("mailbox %s: idle ended: %s", self._config.mailbox_id, exc)
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self._changed, timeout=timedelta(seconds=fetched.poll_seconds)
                    )

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def recorded(self, request: Recorded) -> MailboxView:
        """The answer to POST /mailboxes (and its retries): the mailbox once its row exists."""
        await workflow.wait_condition(lambda: self._ready)
        return self._view()

    @recorded.validator
    def _check_recorded(self, request: Recorded) -> None:
        if request.fingerprint != self._fingerprint:
            raise key_reused(f"mailbox {self._config.mailbox_id}")

    @workflow.query
    def state(self) -> MailboxView:
        return self._view()

    @workflow.update
    async def configure(self, change: Reconfigure) -> MailboxView:
        """New settings (PATCH): the next round reads with them."""
        await workflow.wait_condition(lambda: self._ready)
        self._config = change.config
        return await self._changed_and_recorded()

    @configure.validator
    def _check_configure(self, change: Reconfigure) -> None:
        self._check_live()
        if change.config.mailbox_id != self._config.mailbox_id:
            raise ApplicationError("that is another mailbox's configuration", type=REFUSED)

    @workflow.update
    async def pause(self, act: MailboxAct) -> MailboxView:
        await workflow.wait_condition(lambda: self._ready)
        self._paused = True
        return await self._changed_and_recorded()

    @pause.validator
    def _check_pause(self, act: MailboxAct) -> None:
        self._check_live()

    @workflow.update
    async def resume(self, act: MailboxAct) -> MailboxView:
        await workflow.wait_condition(lambda: self._ready)
        self._paused = False
        return await self._changed_and_recorded()

    @resume.validator
    def _check_resume(self, act: MailboxAct) -> None:
        self._check_live()

    @workflow.update
    async def delete(self, act: MailboxAct) -> MailboxView:
        """Stop reading for good: the row and the mail read are kept, the workflow ends."""
        await workflow.wait_condition(lambda: self._ready)
        self._deleted_at = workflow.now()
        return await self._changed_and_recorded()

    @delete.validator
    def _check_delete(self, act: MailboxAct) -> None:
        self._check_live()

    @workflow.update
    async def decide(self, decision: Decision) -> Handled:
        """An agent names the account of an unmatched mail, or releases a held one."""
        await workflow.wait_condition(lambda: self._ready)
        try:
            handled = await workflow.execute_activity_method(
                MailboxActivities.decide,
                decision,
                start_to_close_timeout=HANDLE_TIMEOUT,
                retry_policy=HANDLE_RETRY,
            )
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type in (REFUSED, INVALID):
                raise ApplicationError(cause.message, type=cause.type) from None
            raise
        return handled

    @decide.validator
    def _check_decide(self, decision: Decision) -> None:
        self._check_live()

    @workflow.signal
    def continue_as_new_now(self) -> None:
        """Start a fresh run at the next safe point (operators, and the tests that prove
        nothing is lost)."""
        self._roll_over = True
        self._changed = True

    def _check_live(self) -> None:
        if self._deleted_at is not None:
            raise ApplicationError(
                f"mailbox {self._config.name} has been removed", type=REFUSED, non_retryable=True
            )

    async def _changed_and_recorded(self) -> MailboxView:
        await self._record()
        self._changed = True
        return self._view()

    # ------------------------------------------------------------------ helpers

    async def _record(self) -> None:
        self._version += 1
        c = self._config
        await workflow.execute_local_activity_method(
            MailboxActivities.record_mailbox,
            MailboxRecord(
                id=c.mailbox_id,
                name=c.name,
                host=c.host,
                port=c.port,
                tls=c.tls,
                folder=c.folder,
                moved_to=c.moved_to,
                username=c.username,
                password_sealed=c.password_sealed,
                creates=c.creates,
                priority=c.priority,
                paused=self._paused,
                created_by=self._created_by,
                created_at=self._created_at,
                updated_at=workflow.now(),
                deleted_at=self._deleted_at,
                version=self._version,
            ),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    def _carry_over(self) -> MailboxStart:
        return MailboxStart(
            config=self._config,
            created_by=self._created_by,
            fingerprint=self._fingerprint,
            carry=MailboxCarry(
                paused=self._paused, record_version=self._version, created_at=self._created_at
            ),
        )

    def _view(self) -> MailboxView:
        return MailboxView(
            mailbox_id=self._config.mailbox_id,
            paused=self._paused,
            deleted=self._deleted_at is not None,
        )
