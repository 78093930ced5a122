"""SLA figures over a period: medians and attainment against the policy's goals.

One computation serves GET /metrics/sla and the monthly reports, so the two always agree.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from db.models import Ticket, TicketClock

CLOCKS = ("first_response", "resolution")


class Attainment(BaseModel):
    met: int = Field(description="Tickets whose timed target was met in time")
    met_by_release: int = Field(
        0,
        description="Tickets whose target is a release (a hot fix or maintenance release) and "
        "was met when it shipped; not part of `attainment`, which counts clock targets only",
    )
    breached: int = Field(description="Tickets whose target was missed")
    open: int = Field(description="Tickets whose target is still running or paused")
    attainment: float | None = Field(
        description="met / (met + breached), timed targets only; null with neither"
    )
    goal: float | None = Field(description="The share the policy promises, e.g. 0.85")
    meets_goal: bool | None


class FigureRow(BaseModel):
    policy: str | None
    priority: str | None
    tickets: int
    median_first_response_seconds: float | None = Field(
        description="From receipt to the first agent reply"
    )
    median_time_to_close_seconds: float | None = Field(description="From receipt to resolution")
    first_response: Attainment
    resolution: Attainment


class SlaFigures(BaseModel):
    account_id: int | None
    start: datetime
    end: datetime
    overall: FigureRow
    by_priority: list[FigureRow]


@dataclass
class _Tally:
    tickets: int = 0
    first_response: list[float] = field(default_factory=list)
    to_close: list[float] = field(default_factory=list)
    states: dict[str, dict[str, int]] = field(
        default_factory=lambda: {name: defaultdict(int) for name in CLOCKS}
    )

    def add(self, ticket: Ticket, clocks: dict[str, tuple[str, str]]) -> None:
        self.tickets += 1
        if ticket.first_response_at is not None:
            self.first_response.append(
                (ticket.first_response_at - ticket.received_at).total_seconds()
            )
        if ticket.resolved_at is not None:
            self.to_close.append((ticket.resolved_at - ticket.received_at).total_seconds())
        for name in CLOCKS:
            kind, state = clocks.get(name, ("", None))
            if state is None:
                continue
            if state in ("running", "paused"):
                state = "open"
            elif kind == "release" and state == "met":
                # No clock ran: the target was a release, and it shipped. Counted apart, so a
                # share "in time" only ever counts targets that had a time.
                state = "met_by_release"
            self.states[name][state] += 1

    def row(self, policy: str | None, priority: str | None, goals: dict[str, float]) -> FigureRow:
        def attainment(name: str) -> Attainment:
            counts = self.states[name]
            met, breached = counts["met"], counts["breached"]
            share = met / (met + breached) if met + breached else None
            goal = goals.get(name)
            return Attainment(
                met=met,
                met_by_release=counts["met_by_release"],
                breached=breached,
                open=counts["open"],
                attainment=round(share, 4) if share is not None else None,
                goal=goal,
                meets_goal=share >= goal if share is not None and goal is not None else None,
            )

        return FigureRow(
            policy=policy,
            priority=priority,
            tickets=self.tickets,
            median_first_response_seconds=_median(self.first_response),
            median_time_to_close_seconds=_median(self.to_close),
            first_response=attainment("first_response"),
            resolution=attainment("resolution"),
        )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


async def sla_figures(
    session: AsyncSession,
    *,
    account_id: int | None,
    start: datetime,
    end: datetime,
    policy: str | None = None,
) -> SlaFigures:
    """Figures for incident tickets received in [start, end), for one account or all.

    `policy` gives the overall row its goals (an account's policy); across accounts under
    several policies the goals are only per priority.
    """
    conditions = [Ticket.type == "incident", Ticket.received_at >= start, Ticket.received_at < end]
    if account_id is not None:
        conditions.append(Ticket.account_id == account_id)
    tickets = list(await session.scalars(select(Ticket).where(*conditions)))
    states: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    if tickets:
        rows = await session.execute(
            select(TicketClock.ticket_id, TicketClock.name, TicketClock.kind, TicketClock.state)
            .join(Ticket, Ticket.id == TicketClock.ticket_id)
            .where(TicketClock.name.in_(CLOCKS), *conditions)
        )
        for ticket_id, name, kind, state in rows:
            states[ticket_id][name] = (kind, state)

    overall = _Tally()
    groups: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for ticket in tickets:
        overall.add(ticket, states[ticket.id])
        groups[(ticket.policy, ticket.priority)].add(ticket, states[ticket.id])

    policies = {key for key, _ in groups}
    only_policy = policy or (next(iter(policies)) if len(policies) == 1 else None)
    rows_out = []
    for (policy_key, priority), tally in groups.items():
        rules = sla.get_policy(policy_key)
        row = tally.row(policy_key, priority, rules.attainment_goals)
        rows_out.append((policy_key, rules.rank(priority), row))
    rows_out.sort(key=lambda item: (item[0], item[1]))
    overall_goals = sla.get_policy(only_policy).attainment_goals if only_policy else {}
    return SlaFigures(
        account_id=account_id,
        start=start,
        end=end,
        overall=overall.row(only_policy, None, overall_goals),
        by_priority=[row for _, _, row in rows_out],
    )
