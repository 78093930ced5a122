"""What Pledge says to people about a ticket: e-mail text and webhook payloads."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import sla
from db.models import Account, Contact, Ticket
from reports.dates import long_instant

if TYPE_CHECKING:
    from activities.deps import ActivityDeps
    from activities.tickets import TicketNotice

CLOCK_NAMES = {
    "first_response": "first response",
    "resolution": "resolution",
    "final_resolution": "final resolution",
}


def _zone(ticket: Ticket) -> str:
    return sla.get_policy(ticket.policy).calendar(ticket.calendar).timezone


def _clock(notice: TicketNotice) -> str:
    return CLOCK_NAMES.get(notice.clock or "", (notice.clock or "").replace("_", " "))


def compose(
    deps: ActivityDeps,
    notice: TicketNotice,
    ticket: Ticket,
    account: Account,
    contact: Contact | None,
    to: str,
    *,
    message_key: str,
) -> EmailMessage:
    zone = _zone(ticket)
    link = f"{deps.settings.effective_public_url}/tickets/{ticket.reference}"
    ref = ticket.reference
    if notice.kind == "confirmation":
        greeting = f"Dear {contact.name}," if contact else "Hello,"
        subject = f"[{ref}] We have received your request: {ticket.subject}"
        lines = [
            greeting,
            "",
            f"Thank you for contacting us. Your reference number is {ref}; please quote it "
            "whenever you get in touch about this request.",
            "",
            f"Subject: {ticket.subject}",
            f"Priority: {ticket.priority}",
        ]
        if ticket.first_response_due:
            lines.append(
                f"We will respond by {long_instant(ticket.first_response_due, zone)} at the latest."
            )
        lines += ["", f"You can follow its progress at {link}."]
    elif notice.kind == "warning":
        subject = f"[{ref}] Warning: {_clock(notice)} due soon for {account.name}"
        lines = [
            f"The {_clock(notice)} on ticket {ref} ({ticket.subject}) for {account.name} is due "
            f"by {long_instant(notice.due, zone)}."
            if notice.due
            else "",
            f"Priority {ticket.priority}, line {ticket.line}.",
            "",
            link,
        ]
    elif notice.kind == "breach":
        subject = f"[{ref}] SLA breached: {_clock(notice)} for {account.name}"
        lines = [
            f"The {_clock(notice)} on ticket {ref} ({ticket.subject}) for {account.name} was due "
            f"by {long_instant(notice.due, zone)} and has not been met."
            if notice.due
            else "",
            f"The ticket has been escalated to line {notice.line}.",
            "",
            link,
        ]
    elif notice.kind == "routed":
        kind = "enhancement request" if ticket.type == "enhancement" else "request for advice"
        subject = f"[{ref}] New {kind} from {account.name}: {ticket.subject}"
        lines = [
            f"{account.name} sent a {kind} ({ref}):",
            "",
            ticket.subject,
            "",
            ticket.description,
            "",
            link,
        ]
    else:  # release_shipped
        greeting = f"Dear {contact.name}," if contact else "Hello,"
        subject = f"[{ref}] The fix for your request has been released"
        lines = [
            greeting,
            "",
            f"The release {notice.release_name} that fixes {ref} ({ticket.subject}) went out on "
            f"{long_instant(notice.at, zone)}.",
            "",
            link,
        ]
    return deps.mailer.compose(
        to,
        subject,
        "\n".join(lines) + "\n",
        headers={"X-Pledge-Ticket": ref},
        message_key=message_key,
    )


def webhook_payload(notice: TicketNotice, ticket: Ticket) -> dict[str, Any]:
    return {
        "event": f"ticket.{notice.kind}",
        "event_id": notice.event_id,
        "ticket": ticket.reference,
        "account_id": ticket.account_id,
        "priority": ticket.priority,
        "clock": notice.clock,
        "due": notice.due.isoformat() if notice.due else None,
        "at": notice.at.isoformat(),
        "line": notice.line,
    }
