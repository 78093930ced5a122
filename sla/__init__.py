"""Pledge's pure business-time engine: calendars, SLA policies and deadline arithmetic.

No I/O at call time (presets are read from sla/presets on first use), no clock reads, no
Temporal: safe to import inside workflows with imports_passed_through(). Every instant in is
timezone-aware and every instant out is UTC.
"""

from .calendar import UK_JURISDICTIONS, Calendar, uk_working_days
from .clock import (
    Pause,
    due_with_pauses,
    extend_for_pauses,
    merge_pauses,
    paused_time,
    remaining,
    warn_at,
)
from .closed_days import Closure, HolidaySource, parse_closure
from .deadlines import (
    Deadline,
    TicketDeadlines,
    complaint_deadlines,
    compute_deadlines,
    target_deadline,
)
from .errors import (
    PolicyError,
    SlaLookupError,
    UnknownCalendar,
    UnknownPolicy,
    UnknownPriority,
    UnknownRequestType,
)
from .loader import (
    EARLIEST_START,
    LATEST_START,
    get_policy,
    load_policy,
    load_presets,
    parse_policy,
    policy_from_data,
    policy_keys,
    preload,
    use_data_dirs,
)
from .policy import CalendarSpec, Policy, Priority, Target
from .snapshot import PolicySnapshot, RegimeSnapshot
from .triage import WaitingAction, on_waiting, triage
from .units import Clock, Unit, due

__all__ = [
    "EARLIEST_START",
    "LATEST_START",
    "Calendar",
    "CalendarSpec",
    "Clock",
    "Closure",
    "Deadline",
    "HolidaySource",
    "Pause",
    "Policy",
    "PolicyError",
    "PolicySnapshot",
    "Priority",
    "RegimeSnapshot",
    "SlaLookupError",
    "Target",
    "UK_JURISDICTIONS",
    "TicketDeadlines",
    "Unit",
    "UnknownCalendar",
    "UnknownPolicy",
    "UnknownPriority",
    "UnknownRequestType",
    "WaitingAction",
    "complaint_deadlines",
    "compute_deadlines",
    "due",
    "due_with_pauses",
    "extend_for_pauses",
    "get_policy",
    "load_policy",
    "load_presets",
    "merge_pauses",
    "on_waiting",
    "parse_closure",
    "parse_policy",
    "paused_time",
    "policy_from_data",
    "policy_keys",
    "preload",
    "remaining",
    "target_deadline",
    "triage",
    "uk_working_days",
    "use_data_dirs",
    "warn_at",
]
