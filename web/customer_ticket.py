"""A ticket as its customer sees it: on the tracking page a mail links to, and in the portal.

One selection of what is shown (api.ticket_history's public events, and the message of a
re-grading while the ticket waits: nothing else of it) and one set of words for it, so the two
pages cannot drift apart. Notes, internal events, support lines and key names never reach
either. Times are in the ticket's calendar's time zone, said as a page is read ("today",
"tomorrow"); a due instant already past is never promised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.ticket_history import PUBLIC_EVENTS
from db import ticket_reads
from reports.customer_words import (
    STATUS_WORDS,
    close_needs_agreement,
    near_time,
    priority_label,
    promise,
    release_promise,
    ticket_zone,
)

# The public events, and the re-grading of a ticket waiting on the customer (Spotler's
# Delayed) for its one public part: what the customer was asked for.
SHOWN = frozenset(PUBLIC_EVENTS) | {"regraded"}
WAITING = frozenset({"waiting", "delayed"})
ACTIVE = frozenset({"open"}) | WAITING

# Tickets our monitoring opens (activities/monitors.py): a contact is named to write to, but
# nobody at the customer raised them, and the customer is told so in these words.
MONITOR_CHANNEL = "monitor"
RAISED_BY_MONITORING = "Our monitoring of your website"

CHANNELS = {
    "phone": "by phone",
    "email": "by e-mail",
    "chat": "by live chat",
    "web": "online",
    "portal": "online",
}


@dataclass
class Entry:
    who: str
    when: str
    text: str
    body: str = ""
    ours: bool = True  # said by the support team (False: by the customer's side)


@dataclass
class CustomerTicket:
    """What either page shows of one ticket."""

    reference: str
    subject: str
    state: str  # the status key, for the page's own choices (never shown)
    status: str  # in the customer's words
    priority: str | None  # the policy's label; None for requests that have no priority
    promises: list[str]
    asked: str  # what we asked for, while the ticket waits on the customer
    conversation: list[Entry] = field(default_factory=list)
    close_needs_agreement: bool = False


# What the customer reads when the request waits on them and the agent wrote nothing for them;
# the mail of that step says the same (activities/ticket_emails.py).
WAITING_WITHOUT_WORDS = "We asked you for information we need before we can carry on."


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.capitalize())


def _entry(
    event: Any, zone: str, now: datetime, ticket: Any, names: Mapping[str, str]
) -> Entry | None:
    data = event.data or {}
    when = near_time(event.at, zone, now)
    match event.kind:
        case "opened":
            # Logged after the fact (a call typed in later): the customer raised it when it
            # was received, which is when they remember doing so.
            if ticket.received_at is not None:
                when = near_time(ticket.received_at, zone, now)
            channel = CHANNELS.get(str(data.get("channel")), "")
            if data.get("channel") == MONITOR_CHANNEL:
                return Entry("Support team", when, "Our monitoring noticed the problem.")
            who = names.get("", "You")
            raised = "You raised" if who == "You" else f"{who} raised"
            # The request in their own words (as typed, or as the agent took it down): what
            # everything after answers.
            asked = str(ticket.description or "").strip()
            said = f"{raised} this request {channel}".rstrip() + (":" if asked else ".")
            return Entry(who, when, said, asked, ours=False)
        case "response":
            if data.get("author") == "customer":
                who = names.get(str(event.actor), "You")
                said = "You wrote:" if who == "You" else f"{who} wrote:"
                return Entry(who, when, said, str(data.get("body") or ""), ours=False)
            return Entry("Support team", when, "We replied:", str(data.get("body") or ""))
        case "waiting" | "regraded":
            asked = str(data.get("message") or "").strip()
            if not asked:
                # The agent wrote nothing for the customer: the mail's words, not a dangling colon.
                return Entry("Support team", when, WAITING_WITHOUT_WORDS)
            return Entry("Support team", when, "We asked you for something:", asked)
        case "resumed":
            return Entry("Support team", when, "We carried on working on your request.")
        case "resolved":
            return Entry("Support team", when, "We resolved your request.")
        case "reopened":
            return Entry("Support team", when, "We reopened your request.")
        case "closed":
            agreed = str(data.get("representative") or "")
            if not agreed:
                return Entry("Support team", when, "We closed your request.")
            whose = "your agreement" if names.get(agreed) == "You" else f"the agreement of {agreed}"
            return Entry("Support team", when, f"We closed your request with {whose}.")
        case "attached":
            # Named; the portal's page lists the files with their links beside the conversation,
            # and the tracking link (read-only) never serves a file.
            name = str(data.get("filename") or "a file")
            if data.get("author") == "customer":
                who = names.get(str(event.actor), "You")
                said = "You sent us" if who == "You" else f"{who} sent us"
                return Entry(who, when, f"{said} {name}.", ours=False)
            return Entry("Support team", when, f"We sent you {name}.")
        case "release_linked":
            return Entry("Support team", when, "The fix was planned for a release.")
        case "release_shipped":
            return Entry("Support team", when, "The release with the fix went out.")
    return None


def promises(ticket: Any, paused: bool, zone: str, now: datetime, *, portal: bool) -> list[str]:
    """What we have done and will do, in sentences. The portal's page carries its own way to
    answer, agree or reopen; the tracking page tells the reader to write to us."""
    if ticket.type != "incident":
        return ["We have passed your request to the team that looks after such requests."]
    status = ticket.status
    said: list[str] = []
    if ticket.first_response_at is not None:
        said.append(f"We first replied at {near_time(ticket.first_response_at, zone, now)}.")
    elif status in ACTIVE:
        said.append(
            promise(ticket.first_response_due, zone, now, "We will reply", near=True)
            or "We are working on it and will reply as soon as possible."
        )
    if ticket.resolved_at is not None:
        said.append(f"We resolved it at {near_time(ticket.resolved_at, zone, now)}.")
    elif status in ACTIVE:
        said.append(_fix(ticket, zone, now) or "")
    if status == "waiting" and paused:
        said.append("While we wait for your answer, the clock on our target times is paused.")
    if status == "resolved" and not portal:
        said.append(
            "If you are satisfied, please reply to our e-mail so that one of your authorised "
            "representatives agrees that we close it; if the problem is still there, tell us."
            if close_needs_agreement(ticket.policy)
            else "If the problem is still there, reply to our e-mail or contact us quoting "
            f"{ticket.reference} before we close the request, and we will reopen it."
        )
    if status == "closed" and not portal:
        said.append(
            f"This request is closed. If the problem comes back, please raise a new request "
            f"and mention {ticket.reference}."
        )
    if status == "delayed":
        said.append(
            "As our service terms set out, a request waiting on information or access from "
            "you is re-graded and marked Delayed; we will carry on as soon as you answer."
        )
    return [line for line in said if line]


def _fix(ticket: Any, zone: str, now: datetime) -> str | None:
    fix = promise(ticket.resolution_due, zone, now, "We aim to resolve it", near=True)
    release = release_promise(ticket.policy, ticket.priority)
    if fix:
        return fix
    if release and ticket.resolution_due is None:
        return release
    if ticket.resolution_due is not None:
        return "We are working on a resolution and will resolve it as soon as we can."
    return None


def next_promise(ticket: Any, paused: bool, now: datetime | None = None) -> str:
    """The one thing a list of tickets says about each: what happens next, and by when."""
    now = now or datetime.now(UTC)
    zone = ticket_zone(ticket.policy, ticket.calendar)
    status = ticket.status
    if status == "closed":
        return f"Closed at {near_time(ticket.closed_at, zone, now)}." if ticket.closed_at else ""
    if status == "resolved":
        resolved = near_time(ticket.resolved_at, zone, now) if ticket.resolved_at else ""
        ask = (
            "Tell us whether it is fixed."
            if not close_needs_agreement(ticket.policy)
            else "We close it when a representative agrees it is fixed."
        )
        return f"Resolved at {resolved}. {ask}" if resolved else ask
    if status in WAITING:
        if paused:
            return "Our clock is paused until you answer."
        return "We will carry on as soon as you answer."
    if ticket.type != "incident":
        return "Passed to the team that looks after such requests."
    if ticket.first_response_at is None:
        return (
            promise(ticket.first_response_due, zone, now, "We will reply", near=True)
            or "We will reply as soon as possible."
        )
    return _fix(ticket, zone, now) or "We are working on it."


async def asked_of(session: AsyncSession, ticket: Any) -> str:
    """While the ticket waits on the customer: what the agent asked them for (a re-grading
    carries it too; the re-grading itself stays internal)."""
    if ticket.status not in WAITING:
        return ""
    for event in reversed(
        await ticket_reads.events_of(session, ticket.id, {"waiting", "regraded"})
    ):
        return str((event.data or {}).get("message") or "")
    return ""


async def read(
    session: AsyncSession,
    ticket: Any,
    *,
    portal: bool = False,
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> CustomerTicket:
    """The ticket as its customer sees it. `names` words the customer's side of the
    conversation: actor -> who to show ("You" or a colleague's name; "" is who raised it);
    unnamed, they are "You", as on the tracking page, whose reader is not known."""
    now = now or datetime.now(UTC)
    zone = ticket_zone(ticket.policy, ticket.calendar)
    clocks = (await ticket_reads.clocks_of(session, [ticket.id])).get(ticket.id, [])
    paused = any(clock.state == "paused" for clock in clocks)
    events = await ticket_reads.events_of(session, ticket.id, SHOWN)
    conversation = [
        entry
        for entry in (_entry(e, zone, now, ticket, names or {}) for e in events)
        if entry is not None
    ]
    return CustomerTicket(
        reference=ticket.reference,
        subject=ticket.subject,
        state=ticket.status,
        status=status_words(ticket.status),
        priority=priority_label(ticket.policy, ticket.priority)
        if ticket.type == "incident"
        else None,
        promises=promises(ticket, paused, zone, now, portal=portal),
        asked=await asked_of(session, ticket),
        conversation=conversation,
        close_needs_agreement=close_needs_agreement(ticket.policy),
    )
