"""Reports on an account: listed, made on demand, and handed out as the customer got them."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from temporalio.client import Client
from temporalio.service import RPCError

import sla
from api.auth import Principal
from api.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from api.schemas import ReportCreate
from db.models import Report
from services.accounts import load_account
from services.roles import STAFF_OR_CUSTOMER, SUCCESS_MANAGERS, allow
from settings import Settings
from sla.periods import BadPeriod, month_bounds
from workflows.report import MonthlyReportWorkflow
from workflows.report_messages import ReportRequest

# Gathering and rendering take a second or two; past this the worker is not there.
WAIT_SECONDS = 60


async def make_report(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    account_id: int,
    body: ReportCreate,
) -> Report:
    """The monthly report for a period, made now by the report workflow; 409 when the
    account's edition does not include monthly reporting."""
    allow(principal, *SUCCESS_MANAGERS)
    account = await load_account(session, account_id, principal)
    policy = sla.get_policy(account.policy)
    if not policy.entitlements(account.edition.value).monthly_reporting:
        raise Conflict(
            f"The {account.edition.value} edition of {policy.name} does not include monthly "
            "reporting; change the account's edition to one that does"
        )
    timezone = policy.calendar(account.calendar).timezone
    try:
        start, _ = month_bounds(body.period, timezone)
    except BadPeriod as exc:
        raise InvalidInput.for_field("body.period", str(exc)) from None
    if start > datetime.now(UTC):
        raise InvalidInput.for_field(
            "body.period", f"{body.period} has not begun; a report covers a month under way or past"
        )
    key = f"account-{account_id}-report-{body.period}-{secrets.token_hex(4)}"
    await session.commit()  # hold no connection while the worker renders
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            result = await client.execute_workflow(
                MonthlyReportWorkflow.run,
                ReportRequest(
                    account_id=account_id,
                    period=body.period,
                    key=key,
                    requested_by=principal.name,
                    send=body.send,
                ),
                id=key,
                task_queue=settings.temporal_task_queue,
            )
    except TimeoutError:
        raise ServiceUnavailable(
            f"No worker produced the report within {WAIT_SECONDS} s; it is listed once one has"
        ) from None
    except RPCError as exc:
        raise ServiceUnavailable(f"Temporal did not accept the request: {exc.message}") from None
    report = await session.get(Report, result.report_id) if result.report_id else None
    if report is None:
        raise NotFound(f"No account with id {account_id}")
    return report


async def list_reports(
    session: AsyncSession, principal: Principal, account_id: int
) -> list[Report]:
    """The account's reports, newest first, without their PDFs."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Report)
            .options(defer(Report.content))
            .where(Report.account_id == account_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
        )
    )


async def report_pdf(session: AsyncSession, principal: Principal, report_id: int) -> Report:
    """A report with its PDF, for whoever may see its account (404 for anyone else)."""
    allow(principal, *STAFF_OR_CUSTOMER)
    report = await session.get(Report, report_id)
    if report is None or not principal.can_see_account(report.account_id):
        raise NotFound(f"No report with id {report_id}")
    return report
