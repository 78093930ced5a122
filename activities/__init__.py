"""Every activity the worker runs, bound to the dependencies they share."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from activities.complaints import ComplaintActivities
from activities.deps import ActivityDeps
from activities.failures import FailureActivities
from activities.huddle import HuddleActivities
from activities.incidents import IncidentActivities
from activities.mailboxes import MailboxActivities
from activities.maintenance import MaintenanceActivities
from activities.monitors import MonitorActivities
from activities.objectives import ObjectiveActivities
from activities.on_call import OnCallActivities
from activities.reports import ReportActivities
from activities.reviews import ReviewActionActivities, ReviewActivities
from activities.system import SystemActivities
from activities.tickets import TicketActivities
from activities.uptime import UptimeActivities

ACTIVITY_CLASSES: list[type] = [
    SystemActivities,
    TicketActivities,
    ComplaintActivities,
    ReportActivities,
    ObjectiveActivities,
    ReviewActivities,
    ReviewActionActivities,
    MaintenanceActivities,
    FailureActivities,
    IncidentActivities,
    OnCallActivities,
    HuddleActivities,
    MailboxActivities,
]


# The monitors' task queue runs these: the probes and outages, the uptime roll-up, and keeping
# a failure.
MONITOR_ACTIVITY_CLASSES: list[type] = [MonitorActivities, UptimeActivities, FailureActivities]


def build_activities(
    deps: ActivityDeps, classes: list[type] = ACTIVITY_CLASSES
) -> list[Callable[..., Any]]:
    """Instantiate each activity class once and return all its activity methods."""
    bound: list[Callable[..., Any]] = []
    for activity_class in classes:
        instance = activity_class(deps)
        for _, method in inspect.getmembers(instance, inspect.ismethod):
            if hasattr(method, "__temporal_activity_definition"):
                bound.append(method)
    return bound
