"""Reports on an account: listed, downloaded, and produced on demand (services/reports.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.auth import StaffOrCustomer, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import responses
from api.schemas import ReportCreate, ReportOut
from db.models import Report
from services import reports

router = APIRouter(tags=["reports"])


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
    return await reports.make_report(session, client, settings, principal, account_id, body)


@router.get(
    "/accounts/{account_id}/reports",
    response_model=list[ReportOut],
    responses=responses(403, 404),
)
async def list_reports(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> list[Report]:
    """The account's reports, newest first (without their PDFs: see each one's url)."""
    return await reports.list_reports(session, principal, account_id)


@router.get(
    "/reports/{report_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(403, 404)},
)
async def download_report(report_id: int, session: Session, principal: StaffOrCustomer) -> Response:
    """A report as the customer received it (PDF)."""
    report = await reports.report_pdf(session, principal, report_id)
    return Response(
        report.content,
        media_type="application/pdf",
        headers=content_disposition(report.filename),
    )
