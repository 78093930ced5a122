"""Starting a ticket's workflow from an activity (an outage, a mail): once per opening.

The reference is derived from what caused the ticket, so a retried activity reaches the same
workflow (`USE_EXISTING`) and the `opened` update confirms it; a ticket already opened and over
is left as it is.
"""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.ticket_messages import Opened, TicketOpening, TicketStart, TicketView


async def start_ticket(opening: TicketOpening, task_queue: str) -> None:
    """Start (or reach) the ticket workflow of `opening` and wait until it has opened."""
    operation = WithStartWorkflowOperation(
        "TicketWorkflow",
        TicketStart(opening=opening),
        id=f"ticket-{opening.reference}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    with contextlib.suppress(WorkflowAlreadyStartedError):  # opened, and already over
        await activity.client().execute_update_with_start_workflow(
            "opened",
            Opened(fingerprint=opening.fingerprint),
            start_workflow_operation=operation,
            result_type=TicketView,
        )
