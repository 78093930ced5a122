"""Reports on an account: listed, downloaded, and produced on demand."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.orm import defer
from temporalio.service import RPCError

import sla
from api.auth import StaffOrCustomer, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, responses
from api.routes.accounts import load_account
from api.schemas import ReportCreate, ReportOut
from db.models import Report
from sla.periods import BadPeriod, month_bounds
from workflows.report import MonthlyReportWorkflow
from workflows.report_messages import ReportRequest

router = APIRouter(tags=["reports"])

# Gathering and rendering take a second or two; past this the worker is not there.
WAIT_SECONDS = 60


@router.post(
    "/accounts/{account_id}/reports",
    response_model=ReportOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 503),
)
async def produce_report(
    account_id: int,
    body: ReportCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
) -> Report:
    """Produce the monthly report for a period now; 409 when the account's edition does not
    include monthly reporting (its `services` say which do)."""
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


@router.get(
    "/accounts/{account_id}/reports",
    response_model=list[ReportOut],
    responses=responses(403, 404),
)
async def list_reports(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> list[Report]:
    """The account's reports, newest first (without their PDFs: see each one's url)."""
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Report)
            .options(defer(Report.content))
            .where(Report.account_id == account_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
        )
    )


@router.get(
    "/reports/{report_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(403, 404)},
)
async def download_report(report_id: int, session: Session, principal: StaffOrCustomer) -> Response:
    """A report as the customer received it (PDF)."""
    report = await session.get(Report, report_id)
    if report is None or not principal.can_see_account(report.account_id):
        raise NotFound(f"No report with id {report_id}")
    return Response(
        report.content,
        media_type="application/pdf",
        headers=content_disposition(report.filename),
    )
