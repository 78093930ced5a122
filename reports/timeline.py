"""A ticket's history told to its customer: plain sentences, and only what concerns them.

Internal steps (routing, warnings, breaches, clock bookkeeping, notices) and notes stay out;
people are named only where they are the customer's own (the contact) or a person's name
given to the ticket (its assignee); our staff speak as "we", never by a key's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CHANNELS = {
    "phone": " by phone",
    "email": " by e-mail",
    "web": " on the web",
    "chat": " by live chat",
    "letter": " by letter",
    "in-person": " in person",
    "monitor": " through our site monitoring",
}
LINES = {2: "our second-line team", 3: "our third-line team"}


@dataclass(frozen=True)
class Told:
    at: datetime
    who: str  # the person the sentence names, or "" for us
    sentence: str


def customer_timeline(
    events: list[Any],
    *,
    contact: str | None,
    priority_names: Mapping[str, str],
    received_at: datetime | None = None,
) -> list[Told]:
    """Each event (kind, actor, at, summary, data) a customer should see, as a sentence.

    A ticket logged after the fact (a phone call typed in later) was reported when it was
    received: the report's "Reported" time, not when it was typed in, dates that sentence.
    """
    you = contact or "You"
    told: list[Told] = []
    for event in events:
        data = event.data or {}
        sentence, who = _sentence(event.kind, event.summary, data, you, priority_names)
        if sentence:
            at = received_at if event.kind == "opened" and received_at else event.at
            told.append(Told(at=at, who=who, sentence=sentence))
    return told


def _sentence(
    kind: str, summary: str, data: dict[str, Any], you: str, names: Mapping[str, str]
) -> tuple[str | None, str]:
    def label(key: Any) -> str:
        return names.get(str(key), str(key))

    match kind:
        case "opened":
            return f"{you} reported the problem{CHANNELS.get(data.get('channel', ''), '')}.", you
        case "response" if data.get("author") == "customer":
            return f"{you} replied.", you
        case "response":
            return "We replied.", ""
        case "waiting":
            return "We asked for more information and waited for the reply.", ""
        case "regraded":
            delayed = " and marked the problem Delayed" if "Delayed" in summary else ""
            return (
                "We asked for more information; while we waited we set the priority to "
                f"{label(data.get('new'))}{delayed}.",
                "",
            )
        case "resumed" if summary.startswith("The customer replied"):
            return None, ""  # the reply itself is already told
        case "resumed":
            return "Work resumed.", ""
        case "priority_changed":
            return (
                f"The priority was changed from {label(data.get('old'))} to "
                f"{label(data.get('new'))}.",
                "",
            )
        case "escalated":
            team = LINES.get(int(data.get("line") or 0), "a senior team")
            return f"We escalated the problem to {team}.", ""
        case "assigned" if data.get("name"):
            return f"{data['name']} took charge of the problem.", str(data["name"])
        case "resolved":
            return "We resolved the problem.", ""
        case "closed" if data.get("representative"):
            return f"The case was closed with the agreement of {data['representative']}.", ""
        case "closed":
            return "The case was closed.", ""
        case "reopened":
            return "The problem was reopened.", ""
        case "release_linked":
            return f"We scheduled the fix for {summary.removeprefix('Linked to release ')}.", ""
        case "release_shipped":
            name = summary.removeprefix("Release ").removesuffix(" shipped")
            return f"{name} shipped, with the fix.", ""
    return None, ""
