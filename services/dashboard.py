"""The dashboard's figures: the same computations the JSON metrics answer with, per policy.

Attainment and medians come from db.sla_figures, customer satisfaction from db.satisfaction,
over this month (UTC across accounts, as GET /metrics/sla?period= and
/metrics/satisfaction?period= count it), so the dashboard and the API can never disagree. Each
part is shown only to those whose role may read it through the API: ticket figures to staff
who may read /metrics/sla, complaints to complaints handlers and admins.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from api.auth import Principal
from api.errors import Forbidden
from db import complaint_reads
from db.models import Complaint, Role, Ticket, TicketEvent
from db.satisfaction import SatisfactionFigures, satisfaction_figures
from db.sla_figures import CLOCKS, SlaFigures, sla_figures
from sla.periods import month_bounds, month_of

TICKET_READERS = (Role.ADMIN, Role.AGENT, Role.SUCCESS_MANAGER)
COMPLAINT_READERS = (Role.ADMIN, Role.COMPLAINTS_HANDLER)


@dataclass(frozen=True)
class PolicyAttainment:
    """One policy's share of targets met this month, beside the share it promises."""

    policy: str
    name: str
    clock: str
    met: int
    breached: int
    open: int
    met_by_release: int
    attainment: float | None
    goal: float | None

    @property
    def meets_goal(self) -> bool | None:
        if self.attainment is None or self.goal is None:
            return None
        return self.attainment >= self.goal


@dataclass(frozen=True)
class Breach:
    reference: str
    clock: str
    at: datetime


@dataclass
class Dashboard:
    period: str
    figures: SlaFigures | None = None
    attainment: list[PolicyAttainment] = field(default_factory=list)
    breaches_this_week: int = 0
    recent_breaches: list[Breach] = field(default_factory=list)
    complaints_due: list[Complaint] | None = None  # None: not the viewer's to see
    # How customers said their tickets went this month (GET /metrics/satisfaction's figures).
    satisfaction: SatisfactionFigures | None = None


def per_policy(figures: SlaFigures) -> list[PolicyAttainment]:
    """The per-priority rows of the figures summed per policy, for every policy with goals or
    tickets; the shares are counted as db.sla_figures counts them (met / (met + breached))."""
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in figures.by_priority:
        for clock in CLOCKS:
            counts = getattr(row, clock)
            tally = totals[(str(row.policy), clock)]
            for name in ("met", "breached", "open", "met_by_release"):
                tally[name] += getattr(counts, name)
    keys = [
        key
        for key in sla.policy_keys()
        if sla.get_policy(key).attainment_goals or any(p == key for p, _ in totals)
    ]
    found = []
    for key in keys:
        policy = sla.get_policy(key)
        for clock in CLOCKS:
            tally = totals.get((key, clock), {})
            met, breached = tally.get("met", 0), tally.get("breached", 0)
            share = round(met / (met + breached), 4) if met + breached else None
            found.append(
                PolicyAttainment(
                    policy=key,
                    name=policy.name,
                    clock=clock,
                    met=met,
                    breached=breached,
                    open=tally.get("open", 0),
                    met_by_release=tally.get("met_by_release", 0),
                    attainment=share,
                    goal=policy.attainment_goals.get(clock),
                )
            )
    return found


async def overview(
    session: AsyncSession,
    principal: Principal,
    now: datetime,
    week: tuple[datetime, datetime],
) -> Dashboard:
    """This month's figures and this week's breaches and complaint dues, as far as the
    viewer's role may read them."""
    period = month_of(now.date())
    board = Dashboard(period=period)
    if not principal.has_role(*TICKET_READERS, *COMPLAINT_READERS):
        raise Forbidden(f"The dashboard is for staff; your key has the role {principal.role}")
    if principal.has_role(*TICKET_READERS):
        start, end = month_bounds(period, "UTC")
        board.figures = await sla_figures(session, account_id=None, start=start, end=end)
        board.attainment = per_policy(board.figures)
        board.satisfaction = await satisfaction_figures(
            session, account_id=None, start=start, end=end
        )
        in_week = (
            TicketEvent.kind == "breach",
            TicketEvent.at >= week[0],
            TicketEvent.at < week[1],
        )
        board.breaches_this_week = int(
            await session.scalar(select(func.count()).select_from(TicketEvent).where(*in_week)) or 0
        )
        rows = await session.execute(
            select(Ticket.reference, TicketEvent.data, TicketEvent.at)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(*in_week)
            .order_by(TicketEvent.at.desc())
            .limit(10)
        )
        board.recent_breaches = [
            Breach(reference, str((data or {}).get("clock", "")), at)
            for reference, data, at in rows
        ]
    if principal.has_role(*COMPLAINT_READERS):
        where = complaint_reads.BoardFilter(due_before=week[1], open_only=True)
        board.complaints_due, _ = await complaint_reads.board(session, where, 50, 0)
    return board
