"""What the API, the account workflows and the report activities say to each other."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from db.account_figures import AccountMonth
from sla.snapshot import PolicySnapshot
from workflows.review_messages import ActionsCarry, Outcome, ReviewProposal


class ReportRequest(BaseModel):
    account_id: int
    period: str  # YYYY-MM
    key: str  # the requesting workflow's id: one report per key, whatever retries
    requested_by: str
    send: bool = True  # e-mail it to the account's representatives


class MonthlyContent(BaseModel):
    """A monthly report's data, gathered once, rendered from."""

    account_id: int
    account_name: str
    policy: str
    edition: str
    success_manager_name: str | None
    timezone: str
    period: str
    partial: bool  # the month is not over yet
    gathered_at: datetime
    month: AccountMonth
    recipients: list[str]


class ReportResult(BaseModel):
    report_id: int | None
    emailed_to: list[str] = []
    skipped: str | None = None  # why nothing was produced


class AccountServicesView(BaseModel):
    """What an account's success workflow needs each cycle, read afresh."""

    account_id: int
    policy: str
    calendar: str | None
    edition: str
    monthly_reporting: bool
    quarterly_business_review: bool = False
    # The policy it counts under (workflows/terms.py); None in runs started before.
    terms: PolicySnapshot | None = None


class IncidentRequest(BaseModel):
    reference: str  # the ticket
    key: str  # the child workflow's id: one report per resolution
    impact: str
    cause: str
    actions: list[str]
    requested_by: str


class TimelineEntry(BaseModel):
    at: datetime
    actor: str
    summary: str


class IncidentClock(BaseModel):
    name: str
    target: str
    due: datetime | None
    state: str
    met_at: datetime | None


class IncidentContent(BaseModel):
    """An incident report's data, gathered once, rendered from."""

    account_id: int
    account_name: str
    policy: str
    edition: str
    success_manager_name: str | None
    timezone: str
    reference: str
    subject: str
    description: str
    priority: str
    priority_name: str
    received_at: datetime
    resolved_at: datetime | None
    clocks: list[IncidentClock]
    timeline: list[TimelineEntry]
    impact: str
    cause: str
    actions: list[str]
    gathered_at: datetime
    recipients: list[str]


class ReviewStart(BaseModel):
    review_id: int | None  # None: the workflow records the review from `proposal`
    account_id: int
    policy: str
    calendar: str | None
    starts_at: datetime
    duration_minutes: int
    proposal: ReviewProposal | None = None
    # The policy it counts under (workflows/terms.py); None in runs started before.
    terms: PolicySnapshot | None = None


class ProposeReview(BaseModel):
    account_id: int
    quarter: str
    key: str
    starts_at: datetime
    duration_minutes: int = 60
    # The policy it counts under (workflows/terms.py); None in runs started before.
    terms: PolicySnapshot | None = None


class Reschedule(BaseModel):
    actor: str
    starts_at: datetime


class ReviewAct(BaseModel):
    actor: str


class ReviewView(BaseModel):
    review_id: int | None  # None only until the workflow has recorded it
    status: str
    starts_at: datetime
    sequence: int
    pack_due: datetime
    pack_report_id: int | None


class PackContent(BaseModel):
    """A review pack's data: the quarter's figures, objectives, metric trends, advice."""

    review_id: int
    account_id: int
    account_name: str
    policy: str
    edition: str
    success_manager_name: str | None
    timezone: str
    quarter: str
    starts_at: datetime
    gathered_at: datetime
    quarter_figures: AccountMonth
    objectives: list[dict[str, Any]]
    metrics: dict[str, list[tuple[datetime, float]]]
    recommendations: str
    recipients: list[str]


class TrackedAction(BaseModel):
    action_id: int
    due_on: date
    reminded: bool = False
    overdue: bool = False
    done: bool = False


class ActionsStart(BaseModel):
    review_id: int
    policy: str
    calendar: str | None
    actions: list[TrackedAction] = []
    outcome: Outcome | None = None  # to record first (its actions become `actions`)
    carry: ActionsCarry | None = None  # from the previous run, after continue-as-new
    # The policy it counts under (workflows/terms.py); None in runs started before.
    terms: PolicySnapshot | None = None
