"""What of a ticket's history a customer sees: an explicit allow-list of public events.

Warnings, breaches, escalations between lines, re-grading, priority changes, assignments,
routing and the met/late verdicts of the clocks are the support team's business. So are the
names of its keys and the notes agents attach to their actions. The filter is applied in the
read itself (by kind) for customer keys, so a new kind of event stays internal until it is
added here on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.auth import Principal
from api.schemas import EventOut
from db.models import Role

# kind -> the data keys a customer may see for it.
PUBLIC_EVENTS: Mapping[str, frozenset[str]] = {
    "opened": frozenset({"channel"}),
    "response": frozenset({"author", "body"}),
    "waiting": frozenset({"message"}),
    "resumed": frozenset(),
    "resolved": frozenset(),
    "closed": frozenset({"representative"}),
    "reopened": frozenset(),
    "release_linked": frozenset({"release_id"}),
    "release_shipped": frozenset({"release_id"}),
    # A file a customer added, or one staff chose to show them ("attached_internal" is not).
    "attached": frozenset({"author", "attachment_id", "filename", "content_type", "size"}),
}
SYSTEM_ACTOR = "pledge"


def visible_kinds(principal: Principal) -> frozenset[str] | None:
    """The event kinds the principal may read; None for staff, who see every kind."""
    return frozenset(PUBLIC_EVENTS) if principal.role is Role.CUSTOMER else None


def _actor(event: Any, principal: Principal) -> str:
    if event.actor in (SYSTEM_ACTOR, principal.name):
        return str(event.actor)
    return "customer" if (event.data or {}).get("author") == "customer" else "support"


def _summary(event: Any) -> str:
    # The opening summary names the key that opened it and the internal priority key.
    if event.kind == "opened":
        channel = (event.data or {}).get("channel")
        return f"Opened via {channel}" if channel else "Opened"
    # The attaching summary names the person; the customer sees "support" or themselves.
    if event.kind == "attached":
        return f"Attached {(event.data or {}).get('filename', 'a file')}"
    return str(event.summary)


def events_for(events: Sequence[Any], principal: Principal) -> list[EventOut]:
    """The history as the principal may see it (customers: public kinds, names and data)."""
    if principal.role is not Role.CUSTOMER:
        return [EventOut.model_validate(event) for event in events]
    return [
        EventOut(
            seq=event.seq,
            kind=event.kind,
            actor=_actor(event, principal),
            at=event.at,
            summary=_summary(event),
            data={k: v for k, v in (event.data or {}).items() if k in PUBLIC_EVENTS[event.kind]},
        )
        for event in events
        if event.kind in PUBLIC_EVENTS
    ]
