"""What the daily huddle looks at: one selection, shared by the morning mail (activities/
huddle.py, sent by workflows/huddle.py) and the console page (/console/huddle).

"Today" and "this week" are the team calendar's (PLEDGE_TEAM_CALENDAR): today runs from local
midnight to midnight, the week from Monday to Monday; "tonight" from 18:00 today to 06:00
tomorrow, local time, which holds e-shot's 20:00-02:00 maintenance window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from api.auth import Principal
from db import maintenance, monitor_reads
from db.models import Account, Complaint, Monitor, Review, Role, Ticket, TicketClock, TicketEvent
from reports.customer_words import priority_label
from services.roles import STAFF, allow
from settings import Settings
from sla.calendar import Calendar
from sla.team import monday_of, team_calendar

OPEN = ("open", "waiting", "delayed")
WAITING = ("waiting", "delayed")
TONIGHT = (time(18, 0), time(6, 0))


@dataclass(frozen=True)
class Missed:
    """A deadline a ticket missed: its clock (first_response, resolution) and when it was due."""

    clock: str
    due: datetime


@dataclass(frozen=True)
class TicketLine:
    reference: str
    account: str
    subject: str
    priority: str  # the policy's name for it: Urgent, High
    due: datetime | None  # the next deadline still to come (or running late)
    since: datetime | None = None  # waiting on the customer since
    # For a breached ticket, the deadlines it missed, earliest first: what the huddle is about.
    missed: tuple[Missed, ...] = ()


@dataclass(frozen=True)
class ComplaintLine:
    reference: str
    complainant: str
    what: str  # "acknowledgement" or "full reply"
    due: datetime
    overdue: bool = False  # due before the huddle: said as overdue, and listed first


@dataclass(frozen=True)
class ReviewLine:
    review_id: int
    account: str
    starts_at: datetime


@dataclass(frozen=True)
class MonitorLine:
    monitor_id: str
    name: str
    account: str | None
    since: datetime | None


@dataclass(frozen=True)
class Huddle:
    day: date
    at: datetime
    zone: str
    waiting_days: float
    breaching_today: list[TicketLine] = field(default_factory=list)
    breached: list[TicketLine] = field(default_factory=list)
    waiting_too_long: list[TicketLine] = field(default_factory=list)
    complaints_this_week: list[ComplaintLine] = field(default_factory=list)
    reviews_this_week: list[ReviewLine] = field(default_factory=list)
    monitors_down: list[MonitorLine] = field(default_factory=list)
    maintenance_tonight: list[maintenance.MaintenancePeriod] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.breaching_today,
                self.breached,
                self.waiting_too_long,
                self.complaints_this_week,
                self.reviews_this_week,
                self.monitors_down,
                self.maintenance_tonight,
            )
        )


def _local(calendar: Calendar, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=calendar.tzinfo).astimezone(UTC)


async def gather(session: AsyncSession, settings: Settings, now: datetime) -> Huddle:
    """Everything the huddle on `now`'s local day lists (read-only)."""
    calendar = team_calendar(settings.team_calendar)
    day = now.astimezone(calendar.tzinfo).date()
    today_ends = _local(calendar, day + timedelta(days=1), time(0))
    monday = monday_of(day)
    week = (
        _local(calendar, monday, time(0)),
        _local(calendar, monday + timedelta(weeks=1), time(0)),
    )
    names = dict((await session.execute(select(Account.id, Account.name))).all())

    def line(
        t: Ticket, since: datetime | None = None, missed: tuple[Missed, ...] = ()
    ) -> TicketLine:
        return TicketLine(
            t.reference,
            names.get(t.account_id, ""),
            t.subject,
            priority_label(t.policy, t.priority),
            t.next_due,
            since,
            missed,
        )

    breaching = await session.scalars(
        select(Ticket)
        .where(Ticket.status.in_(OPEN), Ticket.breached.is_(False))
        .where(Ticket.next_due.is_not(None), Ticket.next_due < today_ends)
        .order_by(Ticket.next_due)
    )
    breached = list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.status.in_(OPEN), Ticket.breached.is_(True))
            .order_by(Ticket.received_at)
        )
    )
    # What each breached ticket missed, from its clocks' records (the one writer, the
    # ticket's workflow, keeps the missed due there): its next_due is what is still to come.
    missed: dict[int, list[Missed]] = {}
    if breached:
        for ticket_id, clock, due in await session.execute(
            select(TicketClock.ticket_id, TicketClock.name, TicketClock.breached_due)
            .where(TicketClock.ticket_id.in_([t.id for t in breached]))
            .where(TicketClock.breached_due.is_not(None))
            .order_by(TicketClock.breached_due)
        ):
            missed.setdefault(ticket_id, []).append(Missed(clock, due))
    waiting_since = (
        select(TicketEvent.ticket_id, func.max(TicketEvent.at).label("since"))
        .where(TicketEvent.kind == "waiting")
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    cutoff = now - timedelta(days=settings.huddle_waiting_days)
    waiting = await session.execute(
        select(Ticket, waiting_since.c.since)
        .join(waiting_since, waiting_since.c.ticket_id == Ticket.id)
        .where(Ticket.status.in_(WAITING), waiting_since.c.since < cutoff)
        .order_by(waiting_since.c.since)
    )
    complaints = await session.scalars(
        select(Complaint)
        .where(Complaint.closed_at.is_(None))
        .where(
            or_(
                and_(
                    Complaint.acknowledged_at.is_(None),
                    Complaint.acknowledgement_due.is_not(None),
                    Complaint.acknowledgement_due < week[1],
                ),
                and_(Complaint.replied_at.is_(None), Complaint.reply_due < week[1]),
            )
        )
        .order_by(Complaint.next_due)
    )
    complaint_lines = []
    for c in complaints:
        if c.acknowledged_at is None and c.acknowledgement_due and c.acknowledgement_due < week[1]:
            what, due = "acknowledgement", c.acknowledgement_due
        elif c.replied_at is None and c.reply_due < week[1]:
            what, due = "full reply", c.reply_due
        else:
            continue
        overdue = due <= now
        complaint_lines.append(ComplaintLine(c.reference, c.complainant_name, what, due, overdue))
    # Overdue first, longest overdue at the top; then what falls due this week, soonest first.
    complaint_lines.sort(key=lambda c: (not c.overdue, c.due))
    reviews = await session.scalars(
        select(Review)
        .where(Review.status == "scheduled", Review.starts_at >= week[0])
        .where(Review.starts_at < week[1])
        .order_by(Review.starts_at)
    )
    down = await monitor_reads.search(session, monitor_reads.MonitorFilter(state="down"))
    tonight = await maintenance.periods_between(
        session,
        _local(calendar, day, TONIGHT[0]),
        _local(calendar, day + timedelta(days=1), TONIGHT[1]),
    )
    return Huddle(
        day=day,
        at=now,
        zone=calendar.timezone,
        waiting_days=settings.huddle_waiting_days,
        breaching_today=[line(t) for t in breaching],
        breached=[line(t, missed=tuple(missed.get(t.id, ()))) for t in breached],
        waiting_too_long=[line(t, since) for t, since in waiting],
        complaints_this_week=complaint_lines,
        reviews_this_week=[
            ReviewLine(r.id, names.get(r.account_id, ""), r.starts_at) for r in reviews
        ],
        monitors_down=[_monitor(m, names) for m in down],
        maintenance_tonight=list(tonight),
    )


def _monitor(m: Monitor, names: dict[int, str]) -> MonitorLine:
    return MonitorLine(
        m.id, m.name, names.get(m.account_id) if m.account_id else None, m.state_since
    )


# -- reading, for the console page ---------------------------------------------------------------


async def today(
    session: AsyncSession, settings: Settings, principal: Principal, now: datetime | None = None
) -> Huddle:
    """The huddle as it stands now, for staff."""
    allow(principal, *STAFF, Role.COMPLAINTS_HANDLER)
    return await gather(session, settings, now or datetime.now(UTC))


# -- the morning schedule ------------------------------------------------------------------------

WORKFLOW_ID = "huddle"


async def start_schedule(client: Client, settings: Settings) -> None:
    """Start the huddle's long-running workflow unless it runs already (the worker calls this
    at start-up, as often as it likes). A changed PLEDGE_TEAM_CALENDAR or PLEDGE_HUDDLE_TIME is
    taken up at the run's next continue-as-new."""
    from workflows.huddle import HuddleStart, HuddleWorkflow

    await client.start_workflow(
        HuddleWorkflow.run,
        HuddleStart(calendar=settings.team_calendar, at=settings.huddle_time),
        id=WORKFLOW_ID,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
