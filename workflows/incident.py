"""An incident on the status page (incident-<id>), from its draft to some days after it is
resolved.

It only orchestrates: it keeps the incident (title, impact, services, updates, links) and
records the whole of it after each change through one activity; once published, each update
is mailed to the subscribers by another, in the order posted. A week after it is resolved the
workflow ends: the record stays, and later changes are refused as the incident is closed.
Staff may reword it (title, impact, services; the first update's message only while it is a
draft); a draft may be discarded: its rows are deleted and the workflow ends at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.incidents import IncidentActivities
    from workflows.errors import REFUSED, key_reused
    from workflows.incident_messages import (
        Discard,
        IncidentNotice,
        IncidentRecord,
        IncidentStart,
        IncidentView,
        Links,
        Opened,
        PostUpdate,
        Publish,
        Revise,
        UpdatePosted,
    )
    from workflows.journal import NOTICE_RETRY, RECORD_RETRY, RECORD_TIMEOUT, record_failure

# How long a resolved incident still takes updates (a cause found later) and links.
KEPT_AFTER_RESOLVED = timedelta(days=7)
NOTICE_TIMEOUT = timedelta(minutes=10)
NOTICE_HEARTBEAT = timedelta(seconds=60)


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, start: IncidentStart) -> None:
        now = workflow.now()
        self._start = start
        # What staff may reword (PATCH /incidents/{id}); the start keeps what was asked for.
        self._title = start.title
        self._impact = start.impact
        self._services = list(start.services)
        self._discarded = False
        self._updates = [
            UpdatePosted(
                number=1, status=start.status, message=start.message, at=now,
                posted_by=start.created_by,
            )
        ]  # fmt: skip
        self._published_at: datetime | None = now if start.publish else None
        self._resolved_at: datetime | None = now if start.status == "resolved" else None
        self._monitors = list(dict.fromkeys(start.monitor_ids))
        self._tickets = list(dict.fromkeys(start.ticket_references))
        self._created_at = now
        self._version = 0
        self._ready = False
        self._closed = False
        self._changed = False
        self._notices: list[IncidentNotice] = []
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentView:
        await self._record()
        self._ready = True
        if self._published_at is not None:
            self._notify("published")
        while True:
            self._changed = False
            if self._discarded:  # a draft dropped: its rows are gone, nothing more to keep
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self._view()
            if self._resolved_at is None:
                await workflow.wait_condition(lambda: self._changed)
                continue
            left = self._resolved_at + KEPT_AFTER_RESOLVED - workflow.now()
            if left <= timedelta(0):
                break
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._changed, timeout=left)
        self._closed = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        await workflow.wait_condition(lambda: not self._notices)
        return self._view()

    # ------------------------------------------------------------------ messages

    @workflow.update
    async def opened(self, request: Opened) -> IncidentView:
        await workflow.wait_condition(lambda: self._ready)
        return self._view()

    @opened.validator
    def _check_opened(self, request: Opened) -> None:
        if request.fingerprint != self._start.fingerprint:
            raise key_reused(f"incident {self._start.incident_id}")

    @workflow.query
    def state(self) -> IncidentView:
        return self._view()

    @workflow.update
    async def post_update(self, update: PostUpdate) -> IncidentView:
        await workflow.wait_condition(lambda: self._ready)
        now = workflow.now()
        self._updates.append(
            UpdatePosted(
                number=len(self._updates) + 1, status=update.status, message=update.message,
                at=now, posted_by=update.actor,
            )
        )  # fmt: skip
        self._resolved_at = (self._resolved_at or now) if update.status == "resolved" else None
        await self._changed_and_recorded()
        if self._published_at is not None:
            self._notify("resolved" if update.status == "resolved" else "updated")
        return self._view()

    @post_update.validator
    def _check_post_update(self, update: PostUpdate) -> None:
        self._check_open()
        self._check_not_discarded()

    @workflow.update
    async def publish(self, request: Publish) -> IncidentView:
        await workflow.wait_condition(lambda: self._ready)
        self._published_at = workflow.now()
        await self._changed_and_recorded()
        self._notify("published")
        return self._view()

    @publish.validator
    def _check_publish(self, request: Publish) -> None:
        self._check_open()
        self._check_not_discarded()
        if self._published_at is not None:
            raise ApplicationError(
                f"incident {self._start.incident_id} is already published", type=REFUSED
            )

    @workflow.update
    async def revise(self, change: Revise) -> IncidentView:
        await workflow.wait_condition(lambda: self._ready)
        if change.title is not None:
            self._title = change.title
        if change.impact is not None:
            self._impact = change.impact
        if change.services is not None:
            self._services = list(change.services)
        if change.message is not None:
            self._updates[0] = self._updates[0].model_copy(update={"message": change.message})
        await self._changed_and_recorded()
        return self._view()

    @revise.validator
    def _check_revise(self, change: Revise) -> None:
        self._check_open()
        self._check_not_discarded()
        if change.message is not None and self._published_at is not None:
            raise ApplicationError(
                f"incident {self._start.incident_id} is published: its first update was "
                "mailed as written; post a new update instead",
                type=REFUSED,
            )

    @workflow.update
    async def discard(self, request: Discard) -> IncidentView:
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:  # after any write under way, so nothing is written after it
            await workflow.execute_local_activity_method(
                IncidentActivities.discard_incident,
                self._start.incident_id,
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        self._discarded = True
        self._changed = True
        return self._view()

    @discard.validator
    def _check_discard(self, request: Discard) -> None:
        self._check_open()
        self._check_not_discarded()
        if self._published_at is not None:
            raise ApplicationError(
                f"incident {self._start.incident_id} is published and cannot be discarded: "
                "post an update (resolved, if it was a false alarm) instead",
                type=REFUSED,
            )

    def _check_not_discarded(self) -> None:
        if self._discarded:
            raise ApplicationError(
                f"incident {self._start.incident_id} was discarded", type=REFUSED
            )

    @workflow.update
    async def link(self, links: Links) -> IncidentView:
        await workflow.wait_condition(lambda: self._ready)
        self._monitors = list(dict.fromkeys([*self._monitors, *links.monitor_ids]))
        self._tickets = list(dict.fromkeys([*self._tickets, *links.ticket_references]))
        await self._changed_and_recorded()
        return self._view()

    @link.validator
    def _check_link(self, links: Links) -> None:
        self._check_open()
        self._check_not_discarded()

    def _check_open(self) -> None:
        if self._closed:
            raise ApplicationError(
                f"incident {self._start.incident_id} was resolved more than "
                f"{KEPT_AFTER_RESOLVED.days} days ago and is closed",
                type=REFUSED,
                non_retryable=True,
            )

    # ------------------------------------------------------------------ helpers

    async def _changed_and_recorded(self) -> None:
        await self._record()
        self._changed = True

    async def _record(self) -> None:
        async with self._lock:  # one write at a time, in version order
            self._version += 1
            await workflow.execute_local_activity_method(
                IncidentActivities.record_incident,
                self._as_record(self._version),
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )

    def _notify(self, kind: str) -> None:
        """Queue a mail to the subscribers about the latest update, after those before it."""
        notice = IncidentNotice(
            incident_id=self._start.incident_id, number=len(self._updates), kind=kind
        )
        self._notices.append(notice)
        if len(self._notices) == 1:
            asyncio.ensure_future(self._send_notices())

    async def _send_notices(self) -> None:
        while self._notices:
            notice = self._notices[0]
            try:
                await workflow.execute_activity_method(
                    IncidentActivities.tell_subscribers,
                    notice,
                    start_to_close_timeout=NOTICE_TIMEOUT,
                    heartbeat_timeout=NOTICE_HEARTBEAT,
                    retry_policy=NOTICE_RETRY,
                )
            except ActivityError as exc:
                await record_failure(
                    f"notice-{notice.number}", kind="notice", subject=self._title,
                    what="mailing the status page's subscribers", exc=exc, policy=NOTICE_RETRY,
                )  # fmt: skip
            self._notices.pop(0)

    def _as_record(self, version: int) -> IncidentRecord:
        s = self._start
        return IncidentRecord(
            id=s.incident_id,
            title=self._title,
            impact=self._impact,
            services=list(self._services),
            status=self._updates[-1].status,
            created_by=s.created_by,
            created_at=self._created_at,
            published_at=self._published_at,
            resolved_at=self._resolved_at,
            updated_at=workflow.now(),
            version=version,
            updates=list(self._updates),
            monitor_ids=list(self._monitors),
            ticket_references=list(self._tickets),
        )

    def _view(self) -> IncidentView:
        return IncidentView(
            incident_id=self._start.incident_id,
            published=self._published_at is not None,
            status=self._updates[-1].status,
            updates=len(self._updates),
        )
