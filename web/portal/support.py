"""The portal's support hours page: open now or not, the week, holidays ahead, emergencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

import sla
from api.deps import Session
from db.models import Account
from sla.opening import cover_calendars, support_calendars
from web.portal.support_words import Desk, desk, upcoming_closures
from web.portal.viewer import PortalViewer, portal_page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Cover:
    """Help outside the usual hours: an emergency line, or a team on call for a priority."""

    desk: Desk
    serves: list[str]  # sentences: what it is for


def _cover(policy: sla.Policy, now: datetime) -> list[Cover]:
    found = []
    emergency = policy.emergency_support
    for key, priorities in cover_calendars(policy).items():
        name = policy.calendars[key].name or "Emergency support"
        serves = []
        if emergency is not None and key == emergency.calendar and emergency.description:
            serves.append(emergency.description)
        for priority_key in priorities:
            priority = policy.priorities[priority_key]
            what = f": {priority.description}" if priority.description else ""
            serves.append(f"For {priority.name.lower()} problems{what}")
        found.append(Cover(desk(policy, key, now, what=name), serves))
    return found


@router.get("/portal/support", response_class=HTMLResponse)
async def support_hours(request: Request, viewer: PortalViewer, session: Session) -> Response:
    account = await session.get(Account, viewer.account_id)
    assert account is not None
    policy = sla.get_policy(account.policy)
    now = datetime.now(UTC)
    keys = support_calendars(policy, account.calendar)
    mine = desk(policy, keys[0], now)
    return await portal_page(
        request,
        session,
        viewer,
        "portal/support.html",
        mine=mine,
        others=[desk(policy, key, now) for key in keys[1:]],
        closures=upcoming_closures(policy.calendar(keys[0]), now),
        cover=_cover(policy, now),
        channels=policy.channels,
        maintenance=policy.maintenance.note if policy.maintenance else "",
    )
