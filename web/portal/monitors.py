"""The portal's view of the customer's own websites we watch: /portal/monitors (each site, up
or down since when, 90 days of bars) and /portal/monitors/{id} (uptime, response times and the
outages with their requests). Only the session's account's sites: services/monitors.py answers
another account's, and our own services, as not found, and this page answers both alike."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

import sla
from api.deps import Session
from api.errors import NotFound
from api.schemas import MonitorOut
from db import uptime
from db.models import Account
from reports.customer_words import near_time
from reports.dates import spelled_duration
from services import monitor_pages, monitors
from web import uptime_view
from web.portal.viewer import PortalViewer, portal_not_found, portal_page

router = APIRouter(include_in_schema=False)


def _zone(account: Account) -> str:
    return sla.get_policy(account.policy).calendar(account.calendar).timezone


def state_words(m: MonitorOut, zone: str, now: datetime) -> str:
    """'up', 'down since 10:32 today (UK time)': how the customer reads the site's state."""
    since = f" since {near_time(m.state_since, zone, now)}" if m.state_since else ""
    if m.paused:
        # Pausing ends no outage (it stays open, as the API says): say both.
        if m.state == "down":
            return f"down{since}, and not being watched just now"
        return "not being watched just now"
    return {
        "up": f"up{since}",
        "down": f"down{since}",
        "pending": "up, though its last answer was slow or wrong; we are checking again",
        "unknown": "not checked yet",
    }[m.state]


@router.get("/portal/monitors", response_class=HTMLResponse)
async def monitors_page(request: Request, viewer: PortalViewer, session: Session) -> Response:
    account = await session.get(Account, viewer.account_id)
    assert account is not None
    zone = _zone(account)
    now = datetime.now(UTC)
    sites = await monitors.listing(session, viewer, monitors.MonitorQuery())
    days = {
        m.id: await uptime.daily(session, m.id, days=90, zone=ZoneInfo(zone), now=now)
        for m in sites
    }
    return await portal_page(
        request,
        session,
        viewer,
        "portal/monitors.html",
        sites=sites,
        days=days,
        state=lambda m: state_words(m, zone, now),
    )


@router.get("/portal/monitors/{monitor_id}", response_class=HTMLResponse)
async def monitor_page(
    monitor_id: str, request: Request, viewer: PortalViewer, session: Session
) -> Response:
    account = await session.get(Account, viewer.account_id)
    assert account is not None
    zone = _zone(account)
    now = datetime.now(UTC)
    try:
        d = await monitor_pages.detail(session, viewer, monitor_id, zone, now)
    except NotFound:
        return await portal_not_found(request, session, viewer)
    return await portal_page(
        request,
        session,
        viewer,
        "portal/monitor.html",
        d=d,
        chart=uptime_view.chart_of(d, ZoneInfo(zone)),
        m=d.monitor,
        state=state_words(d.monitor, zone, now),
        share=monitor_pages.share,
        at=lambda instant: near_time(instant, zone, now),
        duration=spelled_duration,
    )
