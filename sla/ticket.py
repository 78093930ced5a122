"""A ticket's SLA state: its clocks, its lifecycle, and what each action does to them.

Pure and deterministic, so a Temporal workflow can hold it and replay it: every method takes
the instant it happens at, nothing reads a clock or does I/O. The workflow turns the actions
returned here into timers and activities; the API uses the same rules to read clocks back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from .deadlines import TicketDeadlines, compute_deadlines
from .loader import get_policy
from .policy import Policy
from .snapshot import PolicySnapshot
from .triage import on_waiting
from .units import Clock

MAX_LINE = 3
# With nothing scheduled the workflow still wakes this often, so a wait always has a timeout.
IDLE_WAKE = timedelta(days=7)


class TicketType(StrEnum):
    """Incidents carry clocks; enhancement requests and advice are routed, with no clock."""

    INCIDENT = "incident"
    ENHANCEMENT = "enhancement"
    ADVICE = "advice"

    @property
    def route_to(self) -> str | None:
        return {"enhancement": "development", "advice": "account_manager"}.get(self.value)


class TicketStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"  # on the customer, clocks paused (or running where the policy says)
    DELAYED = "delayed"  # re-graded while waiting on the customer (Spotler)
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE = (TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.DELAYED)


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class Refused(Exception):
    """An action the ticket's state does not allow; the message says why."""


class ClockRecord(BaseModel):
    """One target's clock: its current due, and what has happened to it."""

    name: str
    kind: Literal["clock", "release"]
    clock: Clock
    calendar: str
    target: str  # e.g. "8 business_hours", "hotfix release"
    due: datetime | None = None
    warnings: list[datetime] = []
    warned: list[datetime] = []
    met_at: datetime | None = None
    breached_due: datetime | None = None  # the due whose breach was recorded
    paused_remaining: timedelta | None = None  # clock time left when the pause began

    def state(self, paused: bool) -> ClockState:
        if self.met_at is not None:
            if self.due is None or self.met_at <= self.due:
                return ClockState.MET
            return ClockState.BREACHED
        if self.breached_due is not None and self.breached_due == self.due:
            return ClockState.BREACHED
        if paused and self.kind == "clock":
            return ClockState.PAUSED
        return ClockState.RUNNING

    @property
    def settled(self) -> bool:
        return self.met_at is not None

    @property
    def release(self) -> str | None:
        """The kind of release a release target waits for ('hotfix', 'maintenance')."""
        if self.kind != "release":
            return None
        return release_kind(self.target)


def release_kind(label: str) -> str:
    """'hotfix' from a release target's label, 'hotfix release' (policy.Target.label)."""
    return label.removesuffix(" release")


class Warn(BaseModel):
    kind: Literal["warning"] = "warning"
    clock: str
    at: datetime
    due: datetime


class Breach(BaseModel):
    kind: Literal["breach"] = "breach"
    clock: str
    due: datetime


ClockAction = Warn | Breach


class TicketSla(BaseModel):
    """Everything the SLA needs to know about one ticket."""

    policy: str
    # The policy as it stood when the ticket was opened; every rule is read from it. None only
    # for tickets opened before snapshots existed, which look their policy up by key.
    terms: PolicySnapshot | None = None
    calendar: str | None = None  # the account's region; None for the policy's default
    type: TicketType = TicketType.INCIDENT
    priority: str
    received_at: datetime
    status: TicketStatus = TicketStatus.OPEN
    line: int = 1
    pauses: list[tuple[datetime, datetime | None]] = []
    clocks: dict[str, ClockRecord] = {}
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    releases: list[str] = Field([], description="linked release ids")
    shipped_releases: list[str] = []

    # -------------------------------------------------------------------- construction

    @classmethod
    def open(
        cls,
        *,
        policy: str,
        priority: str,
        received_at: datetime,
        calendar: str | None = None,
        type: TicketType = TicketType.INCIDENT,
        terms: PolicySnapshot | None = None,
    ) -> TicketSla:
        """A new ticket; raises the engine's lookup errors for an unknown priority or calendar.

        `terms` is the snapshot of `policy` to keep for the ticket's whole life.
        """
        if terms is not None and terms.key != policy:
            raise ValueError(f"the terms are policy {terms.key!r}, not {policy!r}")
        ticket = cls(
            policy=policy,
            terms=terms,
            calendar=calendar,
            type=type,
            priority=priority,
            received_at=received_at,
        )
        ticket.recompute()
        return ticket

    def rules(self) -> Policy:
        """The policy this ticket runs under: its snapshot, not the preset as it is now."""
        if self.terms is not None:
            return self.terms.policy()
        return get_policy(self.policy)

    def recompute(self) -> None:
        """Bring every due up to date with the priority and the pauses; keep what happened."""
        if self.type is not TicketType.INCIDENT:
            self.clocks = {}
            return
        deadlines = self._deadlines(self.pauses)
        # While paused the dues are unknown; what is known is the clock time that was left
        # when the pause began, i.e. against the dues the earlier pauses alone give.
        before_pause = self._deadlines(self.pauses[:-1]) if self.paused else None
        clocks: dict[str, ClockRecord] = {}
        for name, deadline in deadlines.deadlines.items():
            if deadline.status not in ("clock", "release") or deadline.target is None:
                continue
            old = self.clocks.get(name)
            record = ClockRecord(
                name=name,
                kind=deadline.status,
                clock=deadline.target.clock,
                calendar=deadline.calendar or self.rules().default_calendar,
                target=deadline.target.label(),
                due=deadline.due,
                warnings=list(deadline.warnings),
            )
            if before_pause is not None:
                record.paused_remaining = self._remaining(
                    record, self.pauses[-1][0], before_pause.due(name)
                )
            if old is not None:
                record.warned = [w for w in old.warned if w in record.warnings]
                record.breached_due = old.breached_due
                if old.met_at is not None:
                    # A met promise keeps the due it was met against.
                    record.met_at, record.due, record.warnings = old.met_at, old.due, old.warnings
            clocks[name] = record
        self.clocks = clocks

    # -------------------------------------------------------------------- reading

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    @property
    def delayed(self) -> bool:
        return self.status is TicketStatus.DELAYED

    def clock_state(self, name: str) -> ClockState:
        return self.clocks[name].state(self.paused)

    @property
    def breached(self) -> bool:
        return any(self.clock_state(name) is ClockState.BREACHED for name in self.clocks)

    def due(self, name: str) -> datetime | None:
        record = self.clocks.get(name)
        return record.due if record is not None else None

    def next_due(self) -> datetime | None:
        """The earliest due of a clock still to be met, for ordering work queues."""
        dues = [
            c.due
            for c in self.clocks.values()
            if c.due is not None and not c.settled and c.breached_due != c.due
        ]
        return min(dues, default=None)

    @property
    def finished(self) -> bool:
        """Closed, with no release promise still waiting for its release to ship."""
        return self.status is TicketStatus.CLOSED and not any(
            c.kind == "release" and not c.settled for c in self.clocks.values()
        )

    # -------------------------------------------------------------------- timers

    def _live(self) -> list[ClockRecord]:
        if self.status not in ACTIVE or self.paused:
            return []
        return [c for c in self.clocks.values() if c.kind == "clock" and not c.settled]

    def due_actions(self, now: datetime) -> list[ClockAction]:
        """Warnings and breaches whose instant has come and that are not yet recorded."""
        actions: list[ClockAction] = []
        for clock in self._live():
            if clock.due is None:
                continue
            if clock.due <= now:
                if clock.breached_due != clock.due:
                    actions.append(Breach(clock=clock.name, due=clock.due))
                continue
            for at in clock.warnings:
                if at <= now and at not in clock.warned:
                    actions.append(Warn(clock=clock.name, at=at, due=clock.due))
        return actions

    def record(self, action: ClockAction) -> None:
        """Mark a warning or breach as recorded; a breach escalates the ticket a line."""
        clock = self.clocks[action.clock]
        if isinstance(action, Warn):
            clock.warned.append(action.at)
        else:
            clock.breached_due = action.due
            self.line = min(MAX_LINE, self.line + 1)

    def next_wake(self, now: datetime) -> datetime:
        """When the workflow must next look at its clocks."""
        upcoming = [
            at
            for clock in self._live()
            if clock.due is not None
            for at in (*clock.warnings, clock.due)
            if at > now
        ]
        return min(upcoming, default=now + IDLE_WAKE)

    # -------------------------------------------------------------------- actions

    def _require(self, allowed: tuple[TicketStatus, ...], action: str) -> None:
        if self.status not in allowed:
            raise Refused(f"cannot {action} a ticket that is {self.status.value}")

    def respond(self, author: Literal["agent", "customer"], at: datetime) -> list[str]:
        """Record a reply; the first agent reply meets the first-response clock.

        A customer's reply to a ticket waiting on them (or Delayed for it) resumes it: they
        have given what was asked for. Returns the clocks met.
        """
        if self.status is TicketStatus.CLOSED:
            raise Refused("cannot add a response to a closed ticket")
        met: list[str] = []
        if author == "agent":
            if self.first_response_at is None:
                self.first_response_at = at
            met = self._meet(["first_response"], at)
        elif self.status in (TicketStatus.WAITING, TicketStatus.DELAYED):
            self.resume(at)
        return met

    def wait(self, at: datetime) -> Literal["paused", "regraded", "running"]:
        """Waiting on the customer: pause the clocks, or re-grade and mark Delayed."""
        if self.status is TicketStatus.WAITING:
            raise Refused("the ticket is already waiting on the customer")
        if self.status is TicketStatus.DELAYED:
            raise Refused("the ticket is already delayed waiting on the customer")
        self._require((TicketStatus.OPEN,), "wait on the customer for")
        action = on_waiting(self.rules(), self.priority)
        if action.regrade_to is not None:
            self.priority = action.regrade_to
            self.status = TicketStatus.DELAYED if action.mark_delayed else TicketStatus.WAITING
            self.recompute()
            return "regraded"
        self.status = TicketStatus.WAITING
        if not action.pause:
            return "running"
        self.pauses.append((at, None))
        self.recompute()
        return "paused"

    def resume(self, at: datetime) -> None:
        """The customer answered (or access was given): clocks run again."""
        if self.status not in (TicketStatus.WAITING, TicketStatus.DELAYED):
            raise Refused(f"cannot resume a ticket that is {self.status.value}, not waiting")
        self._end_pause(at)
        self.status = TicketStatus.OPEN
        self.recompute()

    def change_priority(self, priority: str, at: datetime) -> None:
        """Recompute every deadline as if `priority` had applied from receipt."""
        self._require(ACTIVE, "change the priority of")
        if priority == self.priority:
            raise Refused(f"the ticket is already {priority}")
        self.rules().priority(priority)  # UnknownPriority for a key the policy lacks
        self.priority = priority
        self.recompute()

    def move_terms(self, terms: PolicySnapshot) -> None:
        """Run under another version of the policy from now on: every deadline is recomputed
        from receipt under it, with the same priority, calendar and pauses."""
        self._require(ACTIVE, "move")
        if terms.key != self.policy:
            raise Refused(f"the ticket runs under policy {self.policy!r}, not {terms.key!r}")
        rules = terms.policy()
        if self.priority not in rules.priorities:
            raise Refused(f"that version has no priority {self.priority!r}")
        if self.calendar is not None and self.calendar not in rules.calendars:
            raise Refused(f"that version has no calendar {self.calendar!r}")
        breached = [n for n, c in self.clocks.items() if c.breached_due and c.met_at is None]
        self.terms = terms
        self.recompute()
        for name in breached:
            if name in self.clocks:
                # A breach recorded (and escalated) stays the one breach: a move neither takes
                # it back nor records it again against the new due.
                self.clocks[name].breached_due = self.clocks[name].due

    def escalate(self) -> int:
        """Move the ticket to the next support line; returns the new line."""
        self._require(ACTIVE, "escalate")
        if self.line >= MAX_LINE:
            raise Refused(f"the ticket is already at line {MAX_LINE}, the last one")
        self.line += 1
        return self.line

    def resolve(self, at: datetime) -> list[str]:
        """The fix is delivered: meets the resolution (and a first response not yet given)."""
        self._require(ACTIVE, "resolve")
        self._end_pause(at)
        self.status = TicketStatus.RESOLVED
        self.resolved_at = at
        if self.first_response_at is None:
            self.first_response_at = at
        self.recompute()
        return self._meet(["first_response", "resolution"], at, releases_too=False)

    def close(self, at: datetime, *, representative_agreed: bool) -> None:
        """Close a resolved ticket; some policies need a representative's agreement."""
        if self.status is TicketStatus.CLOSED:
            raise Refused("the ticket is already closed")
        if self.status is not TicketStatus.RESOLVED:
            raise Refused(f"cannot close a ticket that is {self.status.value}: resolve it first")
        if self.rules().tickets.close_requires_representative and not representative_agreed:
            raise Refused(
                f"policy {self.policy} closes a case only with an authorised representative's "
                "agreement"
            )
        self.status = TicketStatus.CLOSED
        self.closed_at = at

    def reopen(self, at: datetime) -> None:
        """A resolution that did not hold: the resolution clock runs again against its due."""
        if self.status is TicketStatus.CLOSED:
            raise Refused("a closed ticket cannot be reopened: open a new ticket referring to it")
        self._require((TicketStatus.RESOLVED,), "reopen")
        self.status = TicketStatus.OPEN
        self.resolved_at = None
        resolution = self.clocks.get("resolution")
        if resolution is not None and resolution.kind == "clock":
            resolution.met_at = None
        self.recompute()

    def link_release(self, release_id: str) -> None:
        if self.status is TicketStatus.CLOSED and self.finished:
            raise Refused("cannot link a release to a closed ticket")
        if release_id in self.releases:
            raise Refused(f"the ticket is already linked to release {release_id}")
        self.releases.append(release_id)

    def release_shipped(self, release_id: str, at: datetime, kind: str | None = None) -> list[str]:
        """A linked release of `kind` shipped: the release targets naming that kind are met.

        A hot fix meets "hot fix release" promises and a maintenance release "maintenance
        release" ones, as the seeds word them (e-shot P1/P2 final resolution by hot fix, P3/P4
        by the next maintenance release). `kind` None is a shipment recorded before releases
        said their kind: it meets every release target, as it always did.
        """
        if release_id not in self.releases:
            raise Refused(f"the ticket is not linked to release {release_id}")
        if release_id not in self.shipped_releases:
            self.shipped_releases.append(release_id)
        return self._meet(
            [
                name
                for name, c in self.clocks.items()
                if c.kind == "release" and (kind is None or c.release == kind)
            ],
            at,
            releases_too=True,
        )

    # -------------------------------------------------------------------- helpers

    def _meet(self, names: list[str], at: datetime, releases_too: bool = True) -> list[str]:
        met = []
        for name in names:
            clock = self.clocks.get(name)
            if clock is None or clock.settled:
                continue
            if clock.kind == "release" and not releases_too:
                continue
            clock.met_at = at
            met.append(name)
        return met

    def _end_pause(self, at: datetime) -> None:
        if self.paused:
            begin, _ = self.pauses[-1]
            self.pauses[-1] = (begin, max(begin, at))

    def _deadlines(self, pauses: list[tuple[datetime, datetime | None]]) -> TicketDeadlines:
        return compute_deadlines(
            self.rules(), self.priority, self.received_at, calendar=self.calendar, pauses=pauses
        )

    def _remaining(
        self, clock: ClockRecord, at: datetime, due: datetime | None = None
    ) -> timedelta | None:
        due = due if due is not None else clock.due
        if due is None or clock.kind != "clock":
            return None
        if clock.clock is Clock.BUSINESS:
            return self.rules().calendar(clock.calendar).business_between(at, due)
        return due - at

    def remaining(self, name: str, now: datetime) -> timedelta | None:
        """Clock time left on a target (negative once overdue; frozen while paused)."""
        clock = self.clocks[name]
        state = clock.state(self.paused)
        if state is ClockState.PAUSED:
            return clock.paused_remaining
        if state is not ClockState.RUNNING:
            return None
        return self._remaining(clock, now)
