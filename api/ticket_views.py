"""Tickets as the API shows them: from the read model, or from the workflow's own view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sla
from api.schemas import ClockOut, EventOut, Person, SatisfactionOut, TicketDetail, TicketOut
from db.models import Ticket, TicketClock
from reports.dates import duration
from sla.ticket import ClockState
from sla.time_left import describe_left, describe_paused, unit_of
from sla.units import Clock
from workflows.ticket_messages import TicketView


def _remaining(clock: TicketClock, policy: sla.Policy, now: datetime) -> float | None:
    if clock.state == ClockState.PAUSED:
        return clock.paused_remaining_seconds
    if clock.state != ClockState.RUNNING or clock.due is None:
        return None
    if clock.clock == Clock.BUSINESS:
        left = policy.calendar(clock.calendar).business_between(now, clock.due)
    else:
        left = clock.due - now
    return left.total_seconds()


def _words(
    policy: sla.Policy,
    calendar: str | None,
    target: str,
    due: datetime | None,
    state: str,
    remaining: float | None,
    now: datetime,
) -> str | None:
    """The time left in the unit the clock counts in ('2 working days', '3 h of business
    time'); None when nothing is left to count."""
    unit = unit_of(target)
    if unit is None or remaining is None:
        return None
    try:
        cal = policy.calendar(calendar)
        if state == ClockState.PAUSED:
            return describe_paused(cal, unit, now, timedelta(seconds=remaining))
        if due is None:
            return None
        return describe_left(cal, unit, now, due)
    except (sla.UnknownCalendar, ValueError):
        # A calendar the preset has since dropped, or a due at the edge of the years the
        # engine counts: the plain duration, which the due beside it makes exact.
        return duration(remaining)


def _clock_out(  # type: ignore[no-untyped-def]
    target: str, due, state, remaining: float | None, met_at, words: str | None
) -> ClockOut:
    return ClockOut(
        target=target,
        due=due,
        state=state,
        remaining_seconds=remaining,
        remaining=words,
        met_at=met_at,
    )


def clocks_from_rows(
    ticket: Ticket, rows: Sequence[TicketClock], now: datetime | None = None
) -> dict[str, ClockOut]:
    policy = sla.get_policy(ticket.policy)
    now = now or datetime.now(UTC)
    order = {"first_response": 0, "resolution": 1}
    clocks = {}
    for row in sorted(rows, key=lambda r: (order.get(r.name, 2), r.name)):
        left = _remaining(row, policy, now)
        words = _words(policy, row.calendar, row.target, row.due, row.state, left, now)
        clocks[row.name] = _clock_out(row.target, row.due, row.state, left, row.met_at, words)
    return clocks


def _calendar_key(policy: str, calendar: str | None) -> str:
    return calendar or sla.get_policy(policy).default_calendar


def _assignee(name: str | None, email: str | None) -> Person | None:
    return Person(name=name, email=email) if name else None


def ticket_out(ticket: Ticket, clocks: Sequence[TicketClock]) -> TicketOut:
    return TicketOut(
        reference=ticket.reference,
        account_id=ticket.account_id,
        contact_id=ticket.contact_id,
        subject=ticket.subject,
        channel=ticket.channel,
        type=ticket.type,  # type: ignore[arg-type]
        policy=ticket.policy,
        policy_version=ticket.policy_version,
        calendar=_calendar_key(ticket.policy, ticket.calendar),
        priority=ticket.priority,
        status=ticket.status,  # type: ignore[arg-type]
        line=ticket.line,
        assignee=_assignee(ticket.assignee_name, ticket.assignee_email),
        routed_to=ticket.routed_to,
        received_at=ticket.received_at,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        next_due=ticket.next_due,
        breached=ticket.breached,
        clocks=clocks_from_rows(ticket, clocks),
    )


def ticket_detail(
    ticket: Ticket,
    clocks: Sequence[TicketClock],
    events: list[EventOut],
    releases: list[str],
    satisfaction: SatisfactionOut | None = None,
) -> TicketDetail:
    return TicketDetail(
        **ticket_out(ticket, clocks).model_dump(),
        description=ticket.description,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        releases=releases,
        events=events,
        satisfaction=satisfaction,
    )


def ticket_from_view(
    view: TicketView,
    *,
    account_id: int,
    contact_id: int | None,
    subject: str,
    channel: str,
    policy: str,
    calendar: str | None,
) -> TicketOut:
    """The answer to an action: the workflow's view, with the facts it does not carry."""
    rules, now = sla.get_policy(policy), datetime.now(UTC)
    return TicketOut(
        reference=view.reference,
        type=view.type,
        priority=view.priority,
        status=view.status,
        line=view.line,
        assignee=_assignee(view.assignee_name, view.assignee_email),
        received_at=view.received_at,
        first_response_due=view.first_response_due,
        resolution_due=view.resolution_due,
        next_due=view.next_due,
        breached=view.breached,
        clocks={
            name: _clock_out(
                c.target,
                c.due,
                c.state,
                c.remaining_seconds,
                c.met_at,
                _words(rules, c.calendar, c.target, c.due, c.state, c.remaining_seconds, now),
            )
            for name, c in view.clocks.items()
        },
        account_id=account_id,
        contact_id=contact_id,
        subject=subject,
        channel=channel,
        policy=policy,
        policy_version=view.policy_version,
        calendar=_calendar_key(policy, calendar),
        routed_to=view.type.route_to,
    )
