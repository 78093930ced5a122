"""Helpers for complaint workflow tests: logging a complaint, reading what was recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from api.references import new_reference
from db.models import Complaint, ComplaintEvent, Letter
from sla import RegimeSnapshot
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import ComplaintOpening, ComplaintStart, ComplaintView, Opened


async def log_complaint(
    client: Client,
    task_queue: str,
    *,
    received_at: datetime,
    regime: str = "standard",
    jurisdiction: str = "england-and-wales",
    handler_email: str | None = "handler@pledge.example.com",
    complainant_email: str | None = "jane@example.com",
    handler_title: str | None = None,
) -> ComplaintView:
    opening = ComplaintOpening(
        reference=new_reference("C"),
        account_id=None,
        complainant_name="Jane Doe",
        complainant_email=complainant_email,
        complainant_address="14 Acacia Avenue\nLeeds LS1 4AB",
        summary="Unsubscribed contacts still received the December newsletter",
        channel="letter",
        jurisdiction=jurisdiction,
        regime=regime,
        received_at=received_at,
        opened_by="Hana Handler",
        handler_name="Hana Handler",
        handler_email=handler_email,
        handler_title=handler_title,
        fingerprint="f",
        terms=RegimeSnapshot.of(regime, jurisdiction),  # as the API logs one
    )
    start = WithStartWorkflowOperation(
        ComplaintWorkflow.run,
        ComplaintStart(opening=opening),
        id=f"complaint-{opening.reference}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    return await client.execute_update_with_start_workflow(
        ComplaintWorkflow.opened, Opened(fingerprint="f"), start_workflow_operation=start
    )


async def complaint_kinds(engine: AsyncEngine, reference: str) -> list[str]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(ComplaintEvent.kind)
                .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
                .where(Complaint.reference == reference)
                .order_by(ComplaintEvent.seq)
            )
        )


async def complaint_row(engine: AsyncEngine, reference: str) -> Complaint | None:
    async with AsyncSession(engine) as session:
        return await session.scalar(select(Complaint).where(Complaint.reference == reference))


async def letters(engine: AsyncEngine, reference: str) -> list[Letter]:
    async with AsyncSession(engine) as session:
        return list(
            await session.scalars(
                select(Letter)
                .join(Complaint, Complaint.id == Letter.complaint_id)
                .where(Complaint.reference == reference)
                .order_by(Letter.created_at)
            )
        )
