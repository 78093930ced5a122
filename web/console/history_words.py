"""A ticket's history as the console shows it: the events' own words, with deadlines as
instants the page localises and priorities by the policy's names rather than their keys.

The workflow writes each event's summary once, in plain text, and keeps its facts beside it
(`due`, `old`, `new`); the page words those facts for its reader. An event without them (or
of a kind not reworded here) shows its summary as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from reports.customer_words import priority_label
from web.console.clocks import clock_name, iso, utc_text


def history_words(kind: str, summary: str, data: dict[str, Any], policy: str) -> Markup:
    def label(key: object) -> str:
        return priority_label(policy, str(key))

    due = _instant(data.get("due"))
    clock = str(data.get("clock") or "")
    match kind:
        case "breach" if due and clock:
            line = data.get("line")
            escalated = f"; escalated to line {line}" if line else ""
            return Markup("Deadline missed: the {} was due {}{}").format(
                clock_name(clock).lower(), _time(due), escalated
            )
        case "warning" if due and clock:
            return Markup("Deadline near: the {} is due {}").format(
                clock_name(clock).lower(), _time(due)
            )
        case "priority_changed" if data.get("old") and data.get("new"):
            return Markup(
                "Priority changed from {} to {}; deadlines recomputed from receipt"
            ).format(label(data["old"]), label(data["new"]))
        case "regraded" if data.get("old") and data.get("new"):
            delayed = " and marked Delayed" if summary.endswith("marked Delayed") else ""
            return Markup("Waiting on the customer: re-graded from {} to {}{}").format(
                label(data["old"]), label(data["new"]), delayed
            )
        case "opened" if data.get("priority"):
            key = str(data["priority"])
            return escape(summary.replace(f"priority {key}", f"priority {label(key)}"))
    return escape(summary)


def _instant(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _time(at: datetime) -> Markup:
    """As the timeline's own instants: UTC without a script, the reader's zone with it."""
    return Markup('<time datetime="{}" title="{}" data-local>{}</time>').format(
        iso(at), iso(at), utc_text(at)
    )
