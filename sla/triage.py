"""Triage and waiting rules: which priority a ticket gets, and what waiting on the customer does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .instants import require_aware
from .policy import Policy


def triage(
    policy: Policy, received_at: datetime, facts: Mapping[str, datetime | None]
) -> str | None:
    """The priority the policy's triage rules give, or None when the policy has no triage.

    Each rule matches when the dated fact (e.g. campaign_scheduled_at) falls no later than its
    window after receipt; a date already past counts as inside every window. The first match
    wins; a missing fact, or one beyond every window, gives the default.
    """
    rules = policy.triage
    if rules is None:
        return None
    received = require_aware(received_at, "received_at")
    value = facts.get(rules.field)
    if value is None:
        return rules.default
    value = require_aware(value, rules.field)
    cal = policy.calendar()
    for rule in rules.rules:
        limit = rule.within.due(cal, received)
        if limit is not None and value <= limit:
            return rule.priority
    return rules.default


class WaitingAction(BaseModel):
    """What happens to a ticket of a given priority while it waits on the customer."""

    model_config = ConfigDict(frozen=True)

    pause: bool  # the clocks stop until the customer answers
    regrade_to: str | None = None  # recompute every deadline from receipt at this priority
    mark_delayed: bool = False


def on_waiting(policy: Policy, priority: str) -> WaitingAction:
    """The policy's rule for waiting on the customer, applied to a ticket at `priority`."""
    rule = policy.waiting_on_customer
    rank = policy.rank(priority)
    if rule.action == "regrade" and rule.regrade_to is not None:
        target_rank = policy.rank(rule.regrade_to)
        applies = (
            rule.applies_to
            if rule.applies_to is not None
            else [key for key in policy.priorities if policy.rank(key) < target_rank]
        )
        if priority in applies and rank != target_rank:
            return WaitingAction(
                pause=False, regrade_to=rule.regrade_to, mark_delayed=rule.mark_delayed
            )
        return WaitingAction(pause=rule.otherwise == "pause")
    return WaitingAction(pause=True)
