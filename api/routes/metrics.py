"""GET /metrics/sla: medians and attainment against the policy's goals, per priority; GET
/metrics/complaints; GET /metrics/satisfaction: how customers said their tickets went."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

import sla
from api.auth import ComplaintsHandler, Principal, StaffOrCustomer
from api.deps import Session
from api.errors import Forbidden, InvalidInput, NotFound, responses
from db.complaint_figures import ComplaintFigures, complaint_figures
from db.models import Account, Role
from db.satisfaction import SatisfactionFigures, satisfaction_figures
from db.sla_figures import SlaFigures, sla_figures
from sla.periods import BadPeriod, month_bounds

router = APIRouter(tags=["metrics"])


def _bounds(
    period: str | None, start: date | None, end: date | None, timezone: str
) -> tuple[datetime, datetime]:
    if period is not None:
        if start is not None or end is not None:
            raise InvalidInput.for_field("query.period", "give a period or from/to, not both")
        try:
            return month_bounds(period, timezone)
        except BadPeriod as exc:
            raise InvalidInput.for_field("query.period", str(exc)) from None
    if start is None or end is None:
        raise InvalidInput.for_field("query.period", "give a period (2026-11) or both from and to")
    if end <= start:
        raise InvalidInput.for_field("query.to", f"must be after from ({start.isoformat()})")
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(start, time(), zone).astimezone(UTC),
        datetime.combine(end, time(), zone).astimezone(UTC),
    )


async def _scope(session: Session, account_id: int | None, principal: Principal) -> Account | None:
    if principal.role is Role.CUSTOMER:
        if account_id not in (None, principal.account_id):
            raise Forbidden("A customer key sees its own account's figures only")
        account_id = principal.account_id
    if account_id is None:
        return None
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}")
    return account


@router.get("/metrics/sla", response_model=SlaFigures, responses=responses(403, 404))
async def sla_metrics(
    session: Session,
    principal: StaffOrCustomer,
    account_id: int | None = None,
    period: Annotated[str | None, Query(description="A month, YYYY-MM")] = None,
    start: Annotated[date | None, Query(alias="from", description="First day, inclusive")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, exclusive")] = None,
) -> SlaFigures:
    """Median first response and time to close, and the share of tickets meeting their first
    response and resolution targets beside the policy's goals, per priority. Periods are in
    the account's time zone (UTC across all accounts); tickets count by when they arrived.
    A target that is a release (e-shot's hot fix or maintenance release) has no time to be met
    in: once its release ships it counts as `met_by_release`, outside `attainment`."""
    account = await _scope(session, account_id, principal)
    timezone = (
        sla.get_policy(account.policy).calendar(account.calendar).timezone if account else "UTC"
    )
    first, last = _bounds(period, start, end, timezone)
    return await sla_figures(
        session,
        account_id=account.id if account else None,
        start=first,
        end=last,
        policy=account.policy if account else None,
    )


@router.get("/metrics/complaints", response_model=ComplaintFigures, responses=responses(403))
async def complaint_metrics(
    session: Session,
    _: ComplaintsHandler,
    period: Annotated[str | None, Query(description="A month, YYYY-MM")] = None,
    start: Annotated[date | None, Query(alias="from", description="First day, inclusive")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, exclusive")] = None,
) -> ComplaintFigures:
    """The share of complaints acknowledged and answered in time (an extension sent in time
    keeps the promise), and the median days to each; per regime. Periods are UK dates and
    complaints count by when they arrived."""
    first, last = _bounds(period, start, end, "Europe/London")
    return await complaint_figures(session, start=first, end=last)


@router.get(
    "/metrics/satisfaction", response_model=SatisfactionFigures, responses=responses(403, 404)
)
async def satisfaction_metrics(
    session: Session,
    principal: StaffOrCustomer,
    account_id: int | None = None,
    period: Annotated[str | None, Query(description="A month, YYYY-MM")] = None,
    start: Annotated[date | None, Query(alias="from", description="First day, inclusive")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, exclusive")] = None,
) -> SatisfactionFigures:
    """How the contacts asked at their tickets' resolution said it went: answers given in the
    period, good and bad, the score good / (good + bad) (null when nobody answered, never 0%),
    how many were asked, and the latest comments. Periods are in the account's time zone
    (UTC across all accounts), as for GET /metrics/sla; answers count by when they were given."""
    account = await _scope(session, account_id, principal)
    timezone = (
        sla.get_policy(account.policy).calendar(account.calendar).timezone if account else "UTC"
    )
    first, last = _bounds(period, start, end, timezone)
    return await satisfaction_figures(
        session, account_id=account.id if account else None, start=first, end=last
    )
