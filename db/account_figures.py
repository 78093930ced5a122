"""What a monthly report says about one account and one month, read from the read models.

The SLA section is db.sla_figures, the complaints section db.complaint_figures and the
satisfaction section db.satisfaction, the very functions behind GET /metrics/sla,
/metrics/complaints and /metrics/satisfaction, so a report and the API agree.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from db.complaint_figures import ComplaintFigures, complaint_figures
from db.models import Release, ReleaseTicket, Ticket, TicketClock
from db.satisfaction import SatisfactionFigures, satisfaction_figures
from db.sla_figures import SlaFigures, sla_figures
from db.types import utcnow
from db.uptime import SiteUptime, sites_of


class PriorityActivity(BaseModel):
    priority: str
    opened: int
    resolved: int


class Breach(BaseModel):
    reference: str
    subject: str
    priority: str
    clock: str
    due: datetime


class ShippedRelease(BaseModel):
    name: str
    kind: str
    shipped_at: datetime
    notes: str
    tickets: int  # of this account's tickets it resolved


class AccountMonth(BaseModel):
    """Everything a monthly report shows, as data (kept beside the PDF)."""

    start: datetime
    end: datetime
    activity: list[PriorityActivity]
    requests: dict[str, int]  # enhancement requests and advice opened, which carry no clock
    sla: SlaFigures
    breaches: list[Breach]
    complaints: ComplaintFigures
    releases: list[ShippedRelease]
    # None in the figures of reports gathered before customers were asked how it went.
    satisfaction: SatisfactionFigures | None = None
    # The account's watched websites: empty for an account without monitors (and in the
    # figures of reports made before sites were watched), which then say nothing of them.
    sites: list[SiteUptime] = []


async def account_month(
    session: AsyncSession, *, account_id: int, policy: str, start: datetime, end: datetime
) -> AccountMonth:
    """The figures for [start, end): tickets count by when they arrived, resolutions by when
    they happened, releases by when they shipped."""
    mine = Ticket.account_id == account_id
    incident = Ticket.type == "incident"
    arrived = (Ticket.received_at >= start, Ticket.received_at < end)
    opened = await _count_by(session, Ticket.priority, mine, incident, *arrived)
    resolved = await _count_by(
        session, Ticket.priority, mine, incident, Ticket.resolved_at >= start,
        Ticket.resolved_at < end,
    )  # fmt: skip
    requests = dict(await _count_by(session, Ticket.type, mine, ~incident, *arrived))
    breaches = [
        Breach(reference=r, subject=s, priority=p, clock=c, due=d)
        for r, s, p, c, d in (
            await session.execute(
                select(
                    Ticket.reference,
                    Ticket.subject,
                    Ticket.priority,
                    TicketClock.name,
                    TicketClock.breached_due,
                )
                .join(TicketClock, TicketClock.ticket_id == Ticket.id)
                .where(mine, TicketClock.breached_due >= start, TicketClock.breached_due < end)
                .order_by(TicketClock.breached_due, Ticket.reference)
            )  # fmt: skip
        ).all()
    ]
    releases = [
        ShippedRelease(name=n, kind=k, shipped_at=at, notes=notes, tickets=count)
        for n, k, at, notes, count in (
            await session.execute(
                select(
                    Release.name,
                    Release.kind,
                    Release.shipped_at,
                    Release.notes,
                    func.count(Ticket.id),
                )
                .outerjoin(ReleaseTicket, ReleaseTicket.release_id == Release.id)
                .outerjoin(Ticket, (Ticket.id == ReleaseTicket.ticket_id) & mine)
                .where(
                    Release.policy == policy,  # only the account's product's releases
                    Release.shipped_at >= start,
                    Release.shipped_at < end,
                )
                .group_by(Release.id, Release.name, Release.kind, Release.shipped_at, Release.notes)
                .order_by(Release.shipped_at)
            )  # fmt: skip
        ).all()
    ]
    figures = await sla_figures(session, account_id=account_id, start=start, end=end, policy=policy)
    seen = set(opened) | set(resolved) | {row.priority for row in figures.by_priority}
    # In the policy's own order (P1 first), then anything it no longer names.
    priorities = [key for key in sla.get_policy(policy).priorities if key in seen]
    priorities += sorted(p for p in seen - set(priorities) if p)
    return AccountMonth(
        start=start,
        end=end,
        activity=[
            PriorityActivity(priority=p, opened=opened[p], resolved=resolved[p]) for p in priorities
        ],
        requests=requests,
        sla=figures,
        breaches=breaches,
        complaints=await complaint_figures(session, start=start, end=end, account_id=account_id),
        releases=releases,
        satisfaction=await satisfaction_figures(
            session, account_id=account_id, start=start, end=end
        ),
        sites=await sites_of(session, account_id, start, end, utcnow()),
    )


async def _count_by(session: AsyncSession, column: Any, *where: Any) -> Counter[str]:
    rows = await session.execute(select(column, func.count()).where(*where).group_by(column))
    return Counter({key: count for key, count in rows.all()})
