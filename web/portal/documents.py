"""The portal's reports and reviews: the session's account's monthly and incident reports,
its business reviews with their invitations and packs, its objectives and plan.

Every download goes through the services with the customer's principal, which answer 404
for anything not of the session's account; the pages answer an unknown reference and another
account's alike, with the same page. Ids are taken as text, so a malformed one is that same
page too, not a validation error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

import sla
from api.auth import Principal
from api.deps import AppSettings, Session
from api.downloads import content_disposition
from api.errors import NotFound
from db.models import Account, AccountPlan, Measurement, Objective, Report, Review
from db.types import MAX_INTEGER
from reports.filenames import file_slug
from reports.words import metric_name
from services import objectives, reports, reviews
from sla.periods import BadPeriod, month_label, quarter_label
from web.portal.support_words import zone_words
from web.portal.viewer import PortalViewer, portal_not_found, portal_page

router = APIRouter(include_in_schema=False)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _day(day: date) -> str:
    """'Tuesday 1 December 2026'."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {day:%B %Y}"


def _number(value: float) -> str:
    """5000.0 -> '5,000'; 0.85 -> '0.85'."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _id(text: str) -> int | None:
    """A path's id, or None for anything that cannot be one (answered as not found)."""
    if not text.isascii() or not text.isdigit() or int(text) > MAX_INTEGER:
        return None
    return int(text)


@dataclass(frozen=True)
class ReportRow:
    title: str
    made: str
    href: str
    reference: str = ""  # an incident report's ticket
    subject: str = ""


@dataclass(frozen=True)
class ReviewRow:
    title: str
    when: str
    status: str
    invite_href: str
    pack_href: str | None
    outcome: str | None


@dataclass(frozen=True)
class ObjectiveRow:
    name: str
    target: str
    latest: str
    verdict: str
    met: bool | None  # None while it is still open


class Dates:
    """Instants and days in the account's zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.words = zone_words(timezone)

    def day(self, at: datetime) -> str:
        return _day(at.astimezone(self.zone).date())

    def moment(self, at: datetime) -> str:
        local = at.astimezone(self.zone)
        return f"{_day(local.date())} at {local:%H:%M}"


def _report_href(report: Report) -> str:
    return f"/portal/documents/reports/{report.id}.pdf"


def _monthly(report: Report, dates: Dates) -> ReportRow:
    try:
        month = month_label(report.period)
    except BadPeriod:
        month = report.title
    return ReportRow(month, dates.day(report.created_at), _report_href(report))


def _incident(report: Report, dates: Dates) -> ReportRow:
    figures = report.figures or {}
    resolved = figures.get("resolved_at")
    title = "Incident report"
    if resolved:
        title = f"Incident resolved on {dates.day(datetime.fromisoformat(resolved))}"
    return ReportRow(
        title,
        dates.day(report.created_at),
        _report_href(report),
        reference=report.period,  # an incident report's period is its ticket's reference
        subject=figures.get("subject") or "",
    )


def _review(review: Review, dates: Dates) -> ReviewRow:
    try:
        quarter = quarter_label(review.quarter)
    except BadPeriod:
        quarter = review.quarter
    status = {"scheduled": "Planned", "held": "Held", "cancelled": "Cancelled"}.get(
        review.status, review.status.capitalize()
    )
    return ReviewRow(
        title=f"Review of {quarter}",
        when=f"{dates.moment(review.starts_at)}, {review.duration_minutes} minutes",
        status=status,
        invite_href=f"/portal/reviews/{review.id}/invite.ics",
        pack_href=f"/portal/reviews/{review.id}/pack.pdf" if review.pack_report_id else None,
        outcome=review.outcome,
    )


def _objective(objective: Objective, readings: list[Measurement], dates: Dates) -> ObjectiveRow:
    direction = "at least" if objective.direction == "at_least" else "at most"
    target = (
        f"{metric_name(objective.metric)} {direction} {_number(objective.target)}"
        f" by {_day(objective.due_on)}"
    )
    mine = [m for m in readings if m.name == objective.metric]
    latest = f"{_number(mine[-1].value)} on {dates.day(mine[-1].at)}" if mine else "No reading yet"
    if objective.status == "achieved":
        reached = (
            f" with {_number(objective.achieved_value)}"
            if objective.achieved_value is not None
            else ""
        )
        when = f" on {dates.day(objective.decided_at)}" if objective.decided_at else ""
        verdict = f"Met{when}," + reached if reached and when else f"Met{when}{reached}"
        return ObjectiveRow(objective.name, target, latest, verdict, True)
    if objective.status == "missed":
        return ObjectiveRow(
            objective.name, target, latest, f"Not met by {_day(objective.due_on)}", False
        )
    return ObjectiveRow(objective.name, target, latest, "Not met yet", None)


def _plan(plan: AccountPlan, dates: Dates) -> tuple[str, list[tuple[str, str]]]:
    summary = plan.summary or {}
    items = summary.get("objectives", [])
    met = sum(1 for item in items if item.get("status") == "achieved")
    said = {"achieved": "Met", "missed": "Not met"}
    line = (
        f"Onboarding ended on {dates.day(plan.created_at)}: "
        f"{met} of {len(items)} objective{'s' if len(items) != 1 else ''} met."
    )
    return line, [(item.get("name", ""), said.get(item.get("status"), "Open")) for item in items]


async def _documents(session: Session, viewer: Principal, account: Account) -> dict[str, object]:
    """What the page shows, and which sections the account's edition has."""
    policy = sla.get_policy(account.policy)
    entitled = policy.entitlements(account.edition.value)
    dates = Dates(policy.calendar(account.calendar).timezone)
    now = datetime.now(UTC)
    found = await reports.list_reports(session, viewer, account.id)
    monthly = [_monthly(r, dates) for r in found if r.kind == "monthly"]
    incidents = [_incident(r, dates) for r in found if r.kind == "incident"]
    held = await reviews.list_reviews(session, viewer, account.id)
    ahead = {r.id for r in held if r.starts_at >= now and r.status == "scheduled"}
    coming = [_review(r, dates) for r in held if r.id in ahead]
    past = [_review(r, dates) for r in reversed(held) if r.id not in ahead]
    goals = await objectives.list_objectives(session, viewer, account.id)
    readings = await objectives.list_measurements(session, viewer, account.id)
    plan = await objectives.latest_plan(session, viewer, account.id)
    sections = {
        "monthly": entitled.monthly_reporting or bool(monthly),
        "incidents": entitled.incident_reporting or bool(incidents),
        "reviews": entitled.quarterly_business_review or bool(held),
        "objectives": entitled.onboarding_objectives or bool(goals) or plan is not None,
    }
    top = next(iter(policy.priorities.values()))
    return {
        "sections": sections,
        "zone": dates.words,
        "monthly": monthly,
        "incidents": incidents,
        "coming": coming,
        "past": past,
        "objectives": [_objective(o, readings, dates) for o in goals],
        "plan": _plan(plan, dates) if plan is not None else None,
        "top_priority": top.name,
    }


@router.get("/portal/documents", response_class=HTMLResponse)
async def documents(request: Request, viewer: PortalViewer, session: Session) -> Response:
    account = await session.get(Account, viewer.account_id)
    assert account is not None
    context = await _documents(session, viewer, account)
    return await portal_page(request, session, viewer, "portal/documents.html", **context)


def _pdf(report: Report) -> Response:
    # The same answer as the API's download (api/routes/reports.py).
    return Response(
        report.content, media_type="application/pdf", headers=content_disposition(report.filename)
    )


@router.get("/portal/documents/reports/{report_id}.pdf")
async def report_pdf(
    report_id: str, request: Request, viewer: PortalViewer, session: Session
) -> Response:
    number = _id(report_id)
    try:
        if number is not None:
            return _pdf(await reports.report_pdf(session, viewer, number))
    except NotFound:
        pass
    return await portal_not_found(request, session, viewer)


@router.get("/portal/reviews/{review_id}/pack.pdf")
async def review_pack(
    review_id: str, request: Request, viewer: PortalViewer, session: Session
) -> Response:
    number = _id(review_id)
    try:
        if number is not None:
            return _pdf(await reviews.review_pack(session, viewer, number))
    except NotFound:
        pass  # another account's, or no pack yet
    return await portal_not_found(request, session, viewer)


@router.get("/portal/reviews/{review_id}/invite.ics")
async def review_invite(
    review_id: str,
    request: Request,
    viewer: PortalViewer,
    session: Session,
    settings: AppSettings,
) -> Response:
    number = _id(review_id)
    if number is None:
        return await portal_not_found(request, session, viewer)
    try:
        ics, method = await reviews.review_invite(session, settings, viewer, number)
        review, account = await reviews.load_review(session, number, viewer)
    except NotFound:
        return await portal_not_found(request, session, viewer)
    name = file_slug(f"{account.name} business review {review.quarter}")
    return Response(
        ics,
        media_type=f"text/calendar; charset=utf-8; method={method}",
        headers=content_disposition(f"{name}.ics"),
    )
