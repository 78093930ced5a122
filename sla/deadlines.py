"""Every deadline a ticket gets under a policy: the one entry point workflows and the API call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .calendar import Calendar
from .clock import Pause, extend_for_pauses, warn_at
from .instants import require_aware
from .policy import Policy, Target
from .units import Unit

Status = Literal["clock", "release", "not_promised", "no_clock"]


# Plain frozen dataclasses, not pydantic models: they are rebuilt for every open ticket whenever
# anything changes, and pydantic (FastAPI, the Temporal data converter) serialises them as they are.
@dataclass(frozen=True, slots=True)
class Deadline:
    """One target of one ticket: what applied and when it is due."""

    name: str
    status: Status  # clock: due is set; release: met when a release ships; not_promised; no_clock
    target: Target | None = None  # the target that applied (the out-of-hours one when it did)
    out_of_hours: bool = False
    calendar: str | None = None
    due: datetime | None = None
    warnings: tuple[datetime, ...] = ()
    attainment_goal: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, instants as ISO 8601 with offset."""
        return {
            "name": self.name,
            "status": self.status,
            "target": self.target.model_dump(mode="json", exclude_none=True)
            if self.target is not None
            else None,
            "out_of_hours": self.out_of_hours,
            "calendar": self.calendar,
            "due": _iso(self.due),
            "warnings": [w.isoformat() for w in self.warnings],
            "attainment_goal": self.attainment_goal,
        }


@dataclass(frozen=True, slots=True)
class TicketDeadlines:
    """All deadlines of a ticket received at an instant, in UTC."""

    policy: str
    priority: str
    received_at: datetime
    calendar: str
    open_at_receipt: bool
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    request_type: str | None = None

    def due(self, name: str) -> datetime | None:
        """The due of a named target (None when it has no clock or is not promised)."""
        deadline = self.deadlines.get(name)
        return deadline.due if deadline is not None else None

    @property
    def first_response_due(self) -> datetime | None:
        """When the first response is due."""
        return self.due("first_response")

    @property
    def resolution_due(self) -> datetime | None:
        """When the resolution is due."""
        return self.due("resolution")

    def summary(self) -> dict[str, str | None]:
        """{'first_response_due': ISO 8601 or None, 'resolution_due': ..., one per target}."""
        return {f"{name}_due": _iso(d.due) for name, d in self.deadlines.items()}

    def to_json(self) -> dict[str, Any]:
        """The preview answer: the summary's *_due keys, then the details of every deadline."""
        return {
            **self.summary(),
            "policy": self.policy,
            "priority": self.priority,
            "received_at": self.received_at.isoformat(),
            "calendar": self.calendar,
            "open_at_receipt": self.open_at_receipt,
            "request_type": self.request_type,
            "deadlines": {name: d.to_json() for name, d in self.deadlines.items()},
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def compute_deadlines(
    policy: Policy,
    priority: str,
    received_at: datetime,
    *,
    calendar: str | None = None,
    request_type: str | None = None,
    pauses: Iterable[Pause] = (),
) -> TicketDeadlines:
    """The deadline of every target of `priority` for a ticket received at `received_at`.

    `calendar` is the ticket's calendar key (an account's region), used unless the priority
    or the target names its own. A target with an out-of-hours alternative uses it when the
    ticket arrives while its calendar is closed. Paused time is excluded (see clock.py).
    After a priority change, call again with the new priority and the same received_at.
    """
    received = require_aware(received_at, "received_at")
    prio = policy.priority(priority)
    rtype = policy.request_type(request_type) if request_type is not None else None
    ticket_calendar = policy.calendar_key_for(priority, None, calendar)
    pauses = list(pauses)
    names = ["first_response", "resolution"] + [
        n for n in prio.targets if n not in ("first_response", "resolution")
    ]
    deadlines: dict[str, Deadline] = {}
    for name in names:
        goal = policy.attainment_goals.get(name)
        target = prio.targets.get(name)
        if rtype is not None and not rtype.clock:
            deadlines[name] = Deadline(name=name, status="no_clock", attainment_goal=goal)
        elif target is None:
            deadlines[name] = Deadline(name=name, status="not_promised", attainment_goal=goal)
        else:
            cal_key = policy.calendar_key_for(priority, target, calendar)
            deadlines[name] = _deadline(policy, name, target, cal_key, received, pauses, goal)
    return TicketDeadlines(
        policy=policy.key,
        priority=priority,
        received_at=received,
        calendar=ticket_calendar,
        open_at_receipt=policy.calendar(ticket_calendar).is_open(received),
        request_type=request_type,
        deadlines=deadlines,
    )


def complaint_deadlines(
    policy: Policy, received_at: datetime, *, pauses: Iterable[Pause] = ()
) -> dict[str, Deadline]:
    """Deadlines of the policy's complaint targets (acknowledge, full reply, ...); {} if none."""
    if policy.complaints is None:
        return {}
    received = require_aware(received_at, "received_at")
    cal_key = policy.complaints.calendar or policy.default_calendar
    return {
        name: _deadline(
            policy,
            name,
            target,
            target.calendar or cal_key,
            received,
            list(pauses),
            policy.attainment_goals.get(name),
        )
        for name, target in policy.complaints.targets.items()
    }


def target_deadline(
    calendar: Calendar,
    received_at: datetime,
    target: Target,
    *,
    pauses: Iterable[Pause] = (),
    warnings: Iterable[float] = (0.75,),
) -> tuple[datetime | None, tuple[datetime, ...], bool]:
    """(due, warning instants, whether the out-of-hours target applied) of one target."""
    received = require_aware(received_at, "received_at")
    applied = target
    if target.out_of_hours is not None and not calendar.is_open(received):
        applied = target.out_of_hours
    fractions = applied.warnings or target.warnings or tuple(warnings)
    due, instants = _due_and_warnings(calendar, received, applied, list(pauses), fractions)
    return due, instants, applied is not target


def _due_and_warnings(
    calendar: Calendar,
    received: datetime,
    target: Target,
    pauses: list[Pause],
    fractions: Iterable[float],
) -> tuple[datetime | None, tuple[datetime, ...]]:
    if target.unit is Unit.RELEASE:
        return None, ()
    nominal = target.due(calendar, received)
    assert nominal is not None
    clock = target.clock
    due = nominal
    if pauses:
        due = extend_for_pauses(calendar, received, nominal, pauses, clock)
        if due is not None and due != nominal and target.unit is Unit.END_OF_WORKING_DAY:
            due = calendar.end_of_day(due)
    instants: list[datetime] = []
    for fraction in fractions:
        at: datetime | None = warn_at(calendar, received, nominal, fraction, clock)
        if pauses and at is not None:
            at = extend_for_pauses(calendar, received, at, pauses, clock)
        if at is not None:
            instants.append(at)
    return due, tuple(instants)


def _deadline(
    policy: Policy,
    name: str,
    target: Target,
    cal_key: str,
    received: datetime,
    pauses: list[Pause],
    goal: float | None,
) -> Deadline:
    applied = target
    if target.out_of_hours is not None and not policy.calendar(cal_key).is_open(received):
        applied = target.out_of_hours
        cal_key = applied.calendar or cal_key
    fractions = applied.warnings or target.warnings or policy.warning_thresholds
    due, warnings = _due_and_warnings(
        policy.calendar(cal_key), received, applied, pauses, fractions
    )
    return Deadline(
        name=name,
        status="release" if applied.unit is Unit.RELEASE else "clock",
        target=applied,
        out_of_hours=applied is not target,
        calendar=cal_key,
        due=due,
        warnings=warnings,
        attainment_goal=goal,
    )
