"""/console/dashboard: this month's attainment against each policy's goals, the medians
e-shot publishes, customer satisfaction, this week's breaches and the complaints due this week
(services/dashboard.py decides which parts a role may see)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.auth import Principal
from api.deps import Session
from db.models import Role
from reports.charts import Share, attainment_bars
from reports.dates import duration
from services import dashboard, tickets
from sla.periods import month_label
from web.console.desk_words import (
    STATUS_WORDS,
    VIEWER_ZONE,
    day_words,
    left_words,
    regime_words,
    week_bounds,
    when,
)
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Staff = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER)]
CLOCK_WORDS = {"first_response": "first response", "resolution": "resolution"}


def _seconds(value: float | None) -> str:
    return "—" if value is None else duration(value)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}".replace(".0%", "%")


@router.get("/console/dashboard", response_class=HTMLResponse)
async def dashboard_page(session: Session, viewer: Staff) -> HTMLResponse:
    now = datetime.now(UTC)
    week = week_bounds(now)
    board = await dashboard.overview(session, viewer, now, week)
    commented = {r.account_id for r in board.satisfaction.comments} if board.satisfaction else set()
    # Named for assistive technology by the table below it, which holds the same figures.
    chart = Markup(
        attainment_bars(
            [
                Share(
                    label=f"{row.name} {CLOCK_WORDS[row.clock]}",
                    share=row.attainment,
                    goal=row.goal,
                    by_release=row.met_by_release,
                )
                for row in board.attainment
            ]
        ).replace("<svg ", '<svg role="img" aria-labelledby="attainment-table-caption" ', 1)
    )
    return page(
        "console/dashboard/dashboard.html",
        viewer=viewer,
        d=board,
        month=month_label(board.period),
        chart=chart,
        week_start=week[0].astimezone(ZoneInfo(VIEWER_ZONE)).date(),
        day_words=day_words,
        clock_words=CLOCK_WORDS,
        seconds=_seconds,
        share=_share,
        when=when,
        left=lambda due: left_words(due, now),
        regime_words=regime_words,
        status_words=STATUS_WORDS,
        account_names=await tickets.account_names(session, commented),
    )
