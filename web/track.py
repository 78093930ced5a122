"""GET /track/{reference}?token=…: where a customer follows their ticket from a mail's link.

Read-only and signed (outbound.ticket_links): the token in the link is the only key, so a
wrong or missing one answers exactly as an unknown reference does, a plain 404 page. Shown:
the ticket's state in plain words, its promised times in the customer's time zone, and the
public conversation only (api.ticket_history's allow-list); notes, internal events and
people's key names never reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import AppSettings, Session
from api.ticket_history import PUBLIC_EVENTS
from db import ticket_reads
from outbound.ticket_links import link_secret, track_token_ok
from reports.customer_words import (
    STATUS_WORDS,
    close_needs_agreement,
    plain_time,
    priority_label,
    promise,
    release_promise,
    ticket_zone,
)
from web.pages import page

router = APIRouter(include_in_schema=False)

# The public events, and the re-grading of a ticket waiting on the customer (Spotler's
# Delayed) for its one public part: what the customer was asked for (nothing else is shown).
SHOWN = frozenset(PUBLIC_EVENTS) | {"regraded"}

CHANNELS = {
    "phone": "by phone",
    "email": "by e-mail",
    "chat": "by live chat",
    "web": "online",
}


@dataclass
class Entry:
    who: str
    when: str
    text: str
    body: str = ""


def _entry(
    event: Any, zone: str, now: datetime, received_at: datetime | None = None
) -> Entry | None:
    data = event.data or {}
    when = plain_time(event.at, zone, now)
    match event.kind:
        case "opened":
            # Logged after the fact (a call typed in later): the customer raised it when it
            # was received, which is when they remember doing so.
            if received_at is not None:
                when = plain_time(received_at, zone, now)
            channel = CHANNELS.get(str(data.get("channel")), "")
            if data.get("channel") == "monitor":
                return Entry("Support team", when, "Our monitoring noticed the problem.")
            return Entry("You", when, f"You raised this request {channel}".rstrip() + ".")
        case "response":
            customer = data.get("author") == "customer"
            return Entry(
                "You" if customer else "Support team",
                when,
                "You wrote:" if customer else "We replied:",
                str(data.get("body") or ""),
            )
        case "waiting" | "regraded":
            return Entry(
                "Support team", when, "We asked you for something:", str(data.get("message", ""))
            )
        case "resumed":
            return Entry("Support team", when, "We carried on working on your request.")
        case "resolved":
            return Entry("Support team", when, "We resolved your request.")
        case "reopened":
            return Entry("Support team", when, "We reopened your request.")
        case "closed":
            agreed = data.get("representative")
            return Entry(
                "Support team",
                when,
                f"We closed your request with the agreement of {agreed}."
                if agreed
                else "We closed your request.",
            )
        case "attached":
            # Named, not linked: the tracking link is read-only; files are downloaded signed in.
            name = str(data.get("filename") or "a file")
            if data.get("author") == "customer":
                return Entry("You", when, f"You sent us {name}.")
            return Entry("Support team", when, f"We sent you {name}.")
        case "release_linked":
            return Entry("Support team", when, "The fix was planned for a release.")
        case "release_shipped":
            return Entry("Support team", when, "The release with the fix went out.")
    return None


def _promises(ticket: Any, paused: bool, zone: str, now: datetime) -> list[str]:
    if ticket.type != "incident":
        return ["We have passed your request to the team that looks after such requests."]
    status = ticket.status
    said: list[str] = []
    if ticket.first_response_at is not None:
        said.append(f"We first replied at {plain_time(ticket.first_response_at, zone, now)}.")
    elif status in ("open", "waiting", "delayed"):
        said.append(
            promise(ticket.first_response_due, zone, now, "We will reply")
            or "We are working on it and will reply as soon as possible."
        )
    if ticket.resolved_at is not None:
        said.append(f"We resolved it at {plain_time(ticket.resolved_at, zone, now)}.")
    elif status in ("open", "waiting", "delayed"):
        fix = promise(ticket.resolution_due, zone, now, "We aim to resolve it")
        release = release_promise(ticket.policy, ticket.priority)
        if fix:
            said.append(fix)
        elif release and ticket.resolution_due is None:
            said.append(release)
        elif ticket.resolution_due is not None:
            said.append("We are working on a resolution and will resolve it as soon as we can.")
    if status == "waiting" and paused:
        said.append("While we wait for your answer, the clock on our target times is paused.")
    if status == "resolved":
        said.append(
            "If you are satisfied, please reply to our e-mail so that one of your authorised "
            "representatives agrees that we close it; if the problem is still there, tell us."
            if close_needs_agreement(ticket.policy)
            else "If the problem is still there, reply to our e-mail or contact us quoting "
            f"{ticket.reference} before we close the request, and we will reopen it."
        )
    if status == "closed":
        said.append(
            f"This request is closed. If the problem comes back, please raise a new request "
            f"and mention {ticket.reference}."
        )
    if status == "delayed":
        said.append(
            "As our service terms set out, a request waiting on information or access from "
            "you is re-graded and marked Delayed; we will carry on as soon as you answer."
        )
    return said


def not_found() -> HTMLResponse:
    return page("not_found.html", status_code=404)


@router.get("/track/{reference}", response_class=HTMLResponse)
async def track(
    reference: str, session: Session, settings: AppSettings, token: str | None = None
) -> HTMLResponse:
    """The customer's view of one ticket, for whoever holds the link from its mails."""
    if not track_token_ok(link_secret(settings), reference, token):
        return not_found()
    ticket = await ticket_reads.by_reference(session, reference)
    if ticket is None:
        return not_found()
    now = datetime.now(UTC)
    zone = ticket_zone(ticket.policy, ticket.calendar)
    clocks = (await ticket_reads.clocks_of(session, [ticket.id])).get(ticket.id, [])
    paused = any(clock.state == "paused" for clock in clocks)
    events = await ticket_reads.events_of(session, ticket.id, SHOWN)
    conversation = [
        e
        for e in (_entry(event, zone, now, ticket.received_at) for event in events)
        if e is not None
    ]
    asked = ""
    if ticket.status in ("waiting", "delayed"):
        # What the agent asked for when the ticket was put to wait (a re-grading carries it
        # too; the re-grading itself stays internal).
        for event in reversed(
            await ticket_reads.events_of(session, ticket.id, {"waiting", "regraded"})
        ):
            asked = str((event.data or {}).get("message") or "")
            break
    return page(
        "track.html",
        reference=ticket.reference,
        subject=ticket.subject,
        status=STATUS_WORDS.get(ticket.status, ticket.status.capitalize()),
        priority=priority_label(ticket.policy, ticket.priority)
        if ticket.type == "incident"
        else None,
        promises=_promises(ticket, paused, zone, now),
        asked=asked,
        conversation=conversation,
        organisation=settings.organisation_name,
    )
