"""A hot fix or maintenance release (release-<id>): when it ships, linked tickets are told."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.tickets import ReleaseRecord, TicketActivities
    from workflows.errors import REFUSED
    from workflows.ticket_messages import Shipped

RECORD_TIMEOUT = timedelta(seconds=30)


class ShipRequest(BaseModel):
    actor: str


class ShipResult(BaseModel):
    shipped_at: datetime
    tickets: list[str]


@workflow.defn
class ReleaseWorkflow:
    """Lives from planning to shipping; the tickets themselves keep their links."""

    @workflow.init
    def __init__(self, release: ReleaseRecord) -> None:
        self._release = release
        self._ship: ShipRequest | None = None
        self._result: ShipResult | None = None
        self._recorded = False

    @workflow.run
    async def run(self, release: ReleaseRecord) -> ShipResult:
        await self._record()
        self._recorded = True
        await workflow.wait_condition(lambda: self._ship is not None)
        self._release.shipped_at = workflow.now()
        await self._record()
        tickets = await workflow.execute_local_activity_method(
            TicketActivities.linked_tickets, self._release.id, start_to_close_timeout=RECORD_TIMEOUT
        )
        told = []
        for reference in tickets:
            handle = workflow.get_external_workflow_handle(f"ticket-{reference}")
            try:
                await handle.signal(
                    "release_shipped",
                    Shipped(
                        release_id=self._release.id,
                        release_name=self._release.name,
                        at=self._release.shipped_at,
                        kind=self._release.kind,
                    ),
                )
                told.append(reference)
            except ApplicationError:
                # A ticket whose workflow has finished owes nothing more to this release.
                continue
        self._result = ShipResult(shipped_at=self._release.shipped_at, tickets=told)
        # The ship update answers with the result: end only once it (and any other) has.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._result

    @workflow.update
    async def recorded(self) -> ReleaseRecord:
        """The answer to POST /releases: the release once its row exists."""
        await workflow.wait_condition(lambda: self._recorded)
        return self._release

    @workflow.update
    async def ship(self, request: ShipRequest) -> ShipResult:
        self._ship = request
        await workflow.wait_condition(lambda: self._result is not None)
        assert self._result is not None
        return self._result

    @ship.validator
    def _check_ship(self, request: ShipRequest) -> None:
        if self._ship is not None:
            raise ApplicationError(
                f"release {self._release.name} has already shipped", type=REFUSED
            )

    async def _record(self) -> None:
        await workflow.execute_local_activity_method(
            TicketActivities.record_release, self._release, start_to_close_timeout=RECORD_TIMEOUT
        )
