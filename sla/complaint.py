"""A complaint's statutory clocks: acknowledgement and reply, extensions, reminders, breaches.

Pure like sla.ticket: every method takes the instant it happens at, so a workflow can hold the
state and replay it. Dates are counted on the jurisdiction's working days (docs/deadlines.md,
end_of_working_day); whole-day deadlines fall due at 00:00 local time after their last day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from .calendar import Calendar
from .regimes import Regime, get_regime, jurisdiction_calendar
from .snapshot import RegimeSnapshot

IDLE_WAKE = timedelta(days=7)
# A closed complaint can be reopened (taken to the next stage, say) for this long.
REOPEN_WINDOW = timedelta(days=365)
REMINDER_TIME = time(9, 0)  # reminders go out at the start of a working day


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    REPLIED = "replied"
    CLOSED = "closed"
    REOPENED = "reopened"


ACTIVE = (ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.REOPENED)


class ClockState(StrEnum):
    RUNNING = "running"
    MET = "met"
    BREACHED = "breached"


class Refused(Exception):
    """The complaint's state or regime does not allow the action (409); says why."""


class InvalidExtension(ValueError):
    """An extension whose new date cannot be accepted (422), naming what is wrong."""


class Extension(BaseModel):
    at: datetime
    reason: str
    previous_due: datetime
    new_due: datetime

    @property
    def in_time(self) -> bool:
        """Sent before the date it moves: the promise is kept if the new date is."""
        return self.at <= self.previous_due


class ComplaintClock(BaseModel):
    name: Literal["acknowledgement", "reply"]
    due: datetime
    met_at: datetime | None = None
    breached_due: datetime | None = None
    reminded: list[datetime] = []

    @property
    def state(self) -> ClockState:
        if self.met_at is not None:
            return ClockState.MET if self.met_at <= self.due else ClockState.BREACHED
        if self.breached_due is not None:
            return ClockState.BREACHED
        return ClockState.RUNNING


class Remind(BaseModel):
    kind: Literal["reminder"] = "reminder"
    clock: str
    at: datetime
    due: datetime


class Breach(BaseModel):
    kind: Literal["breach"] = "breach"
    clock: str
    due: datetime


ClockAction = Remind | Breach


class ComplaintSla(BaseModel):
    """Everything the clocks of one complaint depend on."""

    regime: str
    jurisdiction: str
    # The regime and working days as they stood at receipt; every deadline is counted from
    # them. None only for complaints logged before snapshots existed (looked up by key).
    terms: RegimeSnapshot | None = None
    received_at: datetime
    status: ComplaintStatus = ComplaintStatus.RECEIVED
    acknowledged_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    extensions: list[Extension] = []
    clocks: dict[str, ComplaintClock] = {}

    # -------------------------------------------------------------------- construction

    @classmethod
    def open(
        cls,
        *,
        regime: str,
        jurisdiction: str,
        received_at: datetime,
        terms: RegimeSnapshot | None = None,
    ) -> ComplaintSla:
        """A new complaint; raises UnknownRegime / UnknownJurisdiction naming the known ones.

        `terms` is the snapshot of `regime` in `jurisdiction` to keep for the complaint's life.
        """
        if terms is None:
            get_regime(regime)
            jurisdiction_calendar(jurisdiction)
        elif (terms.key, terms.jurisdiction) != (regime, jurisdiction):
            raise ValueError(
                f"the terms are regime {terms.key!r} in {terms.jurisdiction!r}, "
                f"not {regime!r} in {jurisdiction!r}"
            )
        complaint = cls(
            regime=regime, jurisdiction=jurisdiction, terms=terms, received_at=received_at
        )
        complaint._recompute()
        return complaint

    def rules(self) -> Regime:
        """The regime this complaint runs under: its snapshot, not the file as it is now."""
        return self.terms.rules() if self.terms is not None else get_regime(self.regime)

    def working_days(self) -> Calendar:
        """The jurisdiction's working days as they stood when the complaint was received."""
        if self.terms is not None:
            return self.terms.working_days()
        return jurisdiction_calendar(self.jurisdiction)

    def original_reply_due(self) -> datetime:
        """The reply date before any extension."""
        regime, calendar = self.rules(), self.working_days()
        start = self.reopened_at or self.received_at
        if regime.reply.counted_from == "acknowledged" and self.reopened_at is None:
            ack = self.clocks.get("acknowledgement")
            # Until it is sent, count from the acknowledgement's last day (not the midnight
            # after it, which would already be the next day).
            start = self.acknowledged_at or (_last_moment(ack.due) if ack else self.received_at)
        return regime.reply.after(calendar, start)

    def _recompute(self) -> None:
        regime, calendar = self.rules(), self.working_days()
        if regime.acknowledgement is not None and "acknowledgement" not in self.clocks:
            self.clocks["acknowledgement"] = ComplaintClock(
                name="acknowledgement", due=regime.acknowledgement.after(calendar, self.received_at)
            )
        due = self.original_reply_due()
        if self.extensions and regime.extension.moves_deadline:
            # An extension granted is kept, through a reopening too: the reply is not owed
            # before the latest date the complainant was given (before any reopening this is
            # always the later of the two, as an extension must move the date on).
            due = max(due, self.extensions[-1].new_due)
        reply = self.clocks.get("reply")
        if reply is None:
            self.clocks["reply"] = ComplaintClock(name="reply", due=due)
        elif reply.met_at is None:
            reply.due = due
            reply.reminded = [r for r in reply.reminded if r < due]

    # -------------------------------------------------------------------- reading

    @property
    def acknowledgement_due(self) -> datetime | None:
        clock = self.clocks.get("acknowledgement")
        return clock.due if clock else None

    @property
    def reply_due(self) -> datetime:
        return self.clocks["reply"].due

    def next_due(self) -> datetime | None:
        """The earliest deadline still owed, passed or not: what the handler must do next."""
        return min((c.due for c in self.clocks.values() if c.met_at is None), default=None)

    @property
    def overdue(self) -> bool:
        """A deadline has been missed and its letter is still owed."""
        return any(c.met_at is None and c.breached_due is not None for c in self.clocks.values())

    def finished(self, now: datetime) -> bool:
        """Closed, and past the time it could be reopened in: nothing more can happen."""
        return (
            self.status is ComplaintStatus.CLOSED
            and self.closed_at is not None
            and now >= self.closed_at + REOPEN_WINDOW
        )

    def reply_kept(self) -> bool | None:
        """Was the reply promise kept? An extension sent in time keeps it; None while open."""
        reply = self.clocks["reply"]
        if reply.met_at is None:
            return False if reply.breached_due is not None else None
        return reply.met_at <= reply.due and all(e.in_time for e in self.extensions)

    def reminder_at(self, due: datetime) -> datetime | None:
        """09:00 local on the working day `reminder_working_days` before the due's last day."""
        days = self.rules().reminder_working_days
        if days == 0:
            return None
        calendar = self.working_days()
        zone = ZoneInfo(calendar.timezone)
        day: date = (due - timedelta(microseconds=1)).astimezone(zone).date()
        counted = 0
        while counted < days:
            day -= timedelta(days=1)
            if calendar.is_working_day(day):
                counted += 1
        return datetime.combine(day, REMINDER_TIME, zone)

    # -------------------------------------------------------------------- timers

    def _live(self) -> list[ComplaintClock]:
        if self.status not in ACTIVE:
            return []
        return [c for c in self.clocks.values() if c.state is ClockState.RUNNING]

    def due_actions(self, now: datetime) -> list[ClockAction]:
        """Reminders and breaches whose time has come and that are not yet recorded."""
        actions: list[ClockAction] = []
        for clock in self._live():
            if clock.due <= now:
                actions.append(Breach(clock=clock.name, due=clock.due))
                continue
            remind = self.reminder_at(clock.due)
            # A complaint logged after its reminder time still gets the reminder, at once.
            if remind is not None and remind <= now and remind not in clock.reminded:
                actions.append(Remind(clock=clock.name, at=remind, due=clock.due))
        return actions

    def record(self, action: ClockAction) -> None:
        clock = self.clocks[action.clock]
        if isinstance(action, Remind):
            clock.reminded.append(action.at)
        else:
            clock.breached_due = action.due

    def next_wake(self, now: datetime) -> datetime:
        upcoming = []
        if self.status is ComplaintStatus.CLOSED and self.closed_at is not None:
            upcoming.append(self.closed_at + REOPEN_WINDOW)
        for clock in self._live():
            remind = self.reminder_at(clock.due)
            upcoming += [at for at in (remind, clock.due) if at is not None]
        return min((at for at in upcoming if at > now), default=now + IDLE_WAKE)

    # -------------------------------------------------------------------- actions

    def _require_active(self, action: str) -> None:
        if self.status not in ACTIVE:
            raise Refused(f"cannot {action} a complaint that is {self.status.value}")

    def acknowledge(self, at: datetime) -> None:
        """Send the acknowledgement; the reply may then be counted from it (housing)."""
        self._require_active("acknowledge")
        if self.acknowledged_at is not None:
            raise Refused(
                f"the complaint was already acknowledged on {self.acknowledged_at:%Y-%m-%d}"
            )
        self.acknowledged_at = at
        self.status = ComplaintStatus.ACKNOWLEDGED
        clock = self.clocks.get("acknowledgement")
        if clock is not None:
            clock.met_at = at
        self._recompute()

    def extend(self, at: datetime, reason: str, new_due: datetime) -> Extension:
        """A holding response: the reason and a later reply date, within the regime's limits."""
        self._require_active("extend")
        rule = self.rules().extension
        if not rule.allowed:
            raise Refused(f"the {self.rules().name} does not allow extending the reply date")
        if rule.max_count is not None and len(self.extensions) >= rule.max_count:
            raise Refused(
                f"the {self.rules().name} allows {rule.max_count} extension(s), already used"
            )
        current = self.reply_due
        if new_due <= current:
            raise InvalidExtension(
                f"the new reply date must be later than the current one ({current.isoformat()})"
            )
        if rule.max_total is not None:
            # "A further two months", "10 more working days": counted on from the original
            # reply date's last day, and due at the end of the day reached.
            calendar = self.working_days()
            reached = rule.max_total.after(calendar, _last_moment(self.original_reply_due()))
            limit = calendar.end_of_day(reached)
            if new_due > limit:
                raise InvalidExtension(
                    f"the {self.rules().name} allows extending to {limit.isoformat()} at most"
                )
        if not rule.moves_deadline:
            # The holding response names the date the reply is expected; the clock keeps its
            # own (previous_due is the deadline that stands, new_due the date expected).
            current = self.extensions[-1].new_due if self.extensions else current
            if new_due <= current:
                raise InvalidExtension(
                    f"the date a reply is expected must be later than {current.isoformat()}"
                )
        extension = Extension(at=at, reason=reason, previous_due=self.reply_due, new_due=new_due)
        self.extensions.append(extension)
        self._recompute()
        return extension

    def reply(self, at: datetime) -> list[str]:
        """The full reply; it also counts as the acknowledgement if none was sent."""
        self._require_active("reply to")
        met = []
        if self.acknowledged_at is None:
            self.acknowledged_at = at
            ack = self.clocks.get("acknowledgement")
            if ack is not None and ack.met_at is None:
                ack.met_at = at
                met.append("acknowledgement")
        self.replied_at = at
        self.status = ComplaintStatus.REPLIED
        self.clocks["reply"].met_at = at
        met.append("reply")
        return met

    def close(self, at: datetime) -> None:
        if self.status is ComplaintStatus.CLOSED:
            raise Refused("the complaint is already closed")
        if self.status is not ComplaintStatus.REPLIED:
            raise Refused(
                f"cannot close a complaint that is {self.status.value}: send the full reply first"
            )
        self.status = ComplaintStatus.CLOSED
        self.closed_at = at

    def reopen(self, at: datetime, *, keep_extensions: bool = True) -> None:
        """Back under consideration: a new reply is owed, counted from the reopening.

        The extensions granted so far are kept: the new reply is not due before the latest
        date the complainant was given, and they count towards the regime's limits (a
        subject access request extended once cannot be extended again). keep_extensions=False
        is how complaints reopened before this was so behave (workflows replaying them).
        """
        if self.status is not ComplaintStatus.CLOSED:
            raise Refused(
                f"only a closed complaint can be reopened; this one is {self.status.value}"
            )
        if self.closed_at is not None and at >= self.closed_at + REOPEN_WINDOW:
            raise Refused(
                "the complaint was closed more than a year ago and can no longer be reopened: "
                "log a new complaint that refers to it"
            )
        self.status = ComplaintStatus.REOPENED
        self.reopened_at = at
        self.closed_at = None
        self.replied_at = None
        if not keep_extensions:
            self.extensions = []
        self.clocks.pop("reply")
        self._recompute()


def _last_moment(due: datetime) -> datetime:
    """The last instant of a whole-day deadline's day (it falls due at the midnight after)."""
    return due - timedelta(microseconds=1)
