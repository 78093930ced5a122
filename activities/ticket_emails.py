"""What Pledge says to people about a ticket: e-mail text and webhook payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import sla
from db.models import Account, Contact, Ticket
from outbound.ticket_links import (
    customer_url,
    foreign_message_id,
    later_part,
    link_secret,
    mail_domain,
    message_id,
    rate_url,
    root_part,
)
from reports.customer_words import close_needs_agreement as needs_agreement
from reports.customer_words import plain_time, priority_label, promise, release_promise
from reports.dates import long_instant

# Kinds the ticket's customer is sent (the others go to the support team).
CUSTOMER_KINDS = frozenset(
    {"confirmation", "reply", "waiting", "resolved", "closed", "release_shipped"}
)

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
    to_name: str | None = None,
    portal: bool = False,
    ask_rating: bool = False,
) -> EmailMessage:
    """One mail about a ticket, threaded under the recipient's first mail about it (the
    confirmation's Message-ID, which is theirs alone and can be worked out again any time);
    when the ticket came from the contact's mail, their copies thread under that mail too.
    `portal`: the recipient may sign in to the portal, where the mail's link takes them.
    `ask_rating`: this resolution asks the ticket's contact how it went (their copy only)."""
    settings = deps.settings
    secret = link_secret(settings)
    ref = ticket.reference
    if notice.kind in CUSTOMER_KINDS:
        name = to_name or (contact.name if contact and contact.email == to else None)
        ask = ask_rating and contact is not None and contact.email == to
        subject, lines = _for_customer(
            deps, notice, ticket, account, contact, to, name, secret, portal, ask=ask
        )
    else:
        subject, lines = _for_staff(deps, notice, ticket, account)
    domain = mail_domain(settings)
    root = message_id(secret, domain, ref, root_part(to))
    first = notice.kind == "confirmation"
    # The customer's own mail heads the thread of their copy (only they were sent it).
    theirs = foreign_message_id(notice.reply_to_message_id)
    if theirs is None or contact is None or contact.email != to:
        parent, thread = (None, []) if first else (root, [root])
    else:
        parent, thread = (theirs, [theirs]) if first else (root, [theirs, root])
    return deps.mailer.compose(
        to,
        subject,
        "\n".join(lines) + "\n",
        # For mail filters and the tests: which ticket, and what about (never shown to people).
        headers={"X-Pledge-Ticket": ref, "X-Pledge-Notice": notice.kind},
        message_key=message_key,
        message_id=root if first else message_id(secret, domain, ref, later_part(message_key)),
        in_reply_to=parent,
        references=thread,
    )


def _for_staff(
    deps: ActivityDeps, notice: TicketNotice, ticket: Ticket, account: Account
) -> tuple[str, list[str]]:
    zone = _zone(ticket)
    link = f"{deps.settings.effective_public_url}/console/tickets/{ticket.reference}"
    ref = ticket.reference
    if notice.kind == "warning":
        subject = f"[{ref}] Warning: {_clock(notice)} due soon for {account.name}"
        lines = [
            f"The {_clock(notice)} on ticket {ref} ({ticket.subject}) for {account.name} is due "
            f"by {long_instant(notice.due, zone)}."
            if notice.due
            else "",
            _standing(ticket, notice),
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
            _standing(ticket, notice),
            f"It has been escalated to the {_ordinal(notice.line or ticket.line)} line."
            if (notice.line or 1) > 1
            else "",
            "",
            link,
        ]
    else:  # routed
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
    return subject, lines


def _ordinal(line: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(line, f"{line}th")


def _standing(ticket: Ticket, notice: TicketNotice) -> str:
    """Priority by its label and who holds the ticket: the team address hears a breach when
    nobody does, so it is told plainly that nobody is assigned."""
    holder = (
        f"assigned to {ticket.assignee_name or notice.assignee_email}"
        if notice.assignee_email or ticket.assignee_name
        else "not assigned to anyone yet"
    )
    return f"Priority {priority_label(ticket.policy, ticket.priority)}; the ticket is {holder}."


def _for_customer(
    deps: ActivityDeps,
    notice: TicketNotice,
    ticket: Ticket,
    account: Account,
    contact: Contact | None,
    to: str,
    name: str | None,
    secret: bytes,
    portal: bool = False,
    *,
    ask: bool = False,
) -> tuple[str, list[str]]:
    """What the people who raised the ticket read: one subject for the whole thread (mail
    clients thread on it too), what happened, what happens next, and a link to the ticket:
    its portal page for someone who may sign in there, else its tracking page."""
    settings = deps.settings
    ref = ticket.reference
    zone = _zone(ticket)
    now = datetime.now(UTC)
    lines = [f"Dear {name}," if name else "Hello,", ""]
    if contact is None or contact.email != to:
        lines += [
            f"You are receiving this as an authorised representative of {account.name}"
            + (
                f"; {contact.name} raised this request."
                if contact and ticket.channel != "monitor"  # our monitoring raised it
                else "."
            ),
            "",
        ]
    label = priority_label(ticket.policy, ticket.priority)
    close_needs_agreement = needs_agreement(ticket.policy)
    if notice.kind == "confirmation" and ticket.channel == "monitor":
        # Nobody asked: our monitoring saw the site fail, and the customer hears it from us.
        lines += [
            "Our monitoring has found a problem with your website, and we have logged it under "
            f"the reference {ref}; there is no need to report it. Please quote the reference "
            "whenever you get in touch about it.",
            "",
            f"What we found: {ticket.subject}",
        ]
    elif notice.kind == "confirmation":
        lines += [
            f"Thank you for contacting us. We have logged your request under the reference {ref}; "
            "please quote it whenever you get in touch about it.",
            "",
            f"Your request: {ticket.subject}",
        ]
    if notice.kind == "confirmation":
        if ticket.type == "incident":
            lines.append(f"Priority: {label}")
        lines.append("")
        if ticket.type != "incident":
            lines.append(
                "We have passed it to the team that looks after such requests; they will "
                "be in touch."
            )
        else:
            reply = promise(ticket.first_response_due, zone, now, "We will reply")
            lines.append(reply or "We are working on it and will reply as soon as possible.")
            fix = promise(ticket.resolution_due, zone, now, "We aim to resolve it")
            release = release_promise(ticket.policy, ticket.priority)
            if fix:
                lines.append(fix)
            elif release and ticket.resolution_due is None:
                lines.append(release)
    elif notice.kind == "reply":
        lines += [
            "Our support team has replied to your request:",
            "",
            *_quoted(notice.body or ""),
            "",
            f"To answer, reply to this e-mail or contact us quoting {ref}.",
        ]
    elif notice.kind == "waiting":
        lines += [
            "We need something from you before we can go on with your request:",
            "",
            *_quoted(
                notice.message or "Please send us the information our support team asked you for."
            ),
            "",
            f"Please reply to this e-mail, or contact us quoting {ref}.",
            "",
            _waiting_words(notice, label),
        ]
    elif notice.kind == "resolved":
        lines += [f"We have resolved your request: {ticket.subject}.", ""]
        if close_needs_agreement and portal:
            lines += [
                "We close a request only when one of your authorised representatives agrees "
                "that it is solved. If you are satisfied, please say so in our support portal "
                "(the link is below) or reply to this e-mail, and we will close it. If the "
                "problem is still there, tell us there and we will carry on working on it.",
            ]
        elif close_needs_agreement:
            lines += [
                "We close a request only when one of your authorised representatives agrees "
                "that it is solved. If you are satisfied, please reply to this e-mail saying "
                "so, and we will close it. If the problem is still there, tell us and we will "
                "carry on working on it.",
            ]
        elif portal:
            lines += [
                "If the problem is still there, tell us in our support portal (the link is "
                f"below), reply to this e-mail or contact us quoting {ref} before we close the "
                "request, and we will reopen it.",
            ]
        else:
            lines += [
                "If the problem is still there, reply to this e-mail or contact us quoting "
                f"{ref} before we close the request, and we will reopen it.",
            ]
        if ask:
            lines += [
                "",
                "How did we do? Please tell us whether our help was good or bad, with a "
                "comment if you like, on this page:",
                rate_url(settings, secret, ref),
            ]
    elif notice.kind == "closed":
        agreed = ""
        if notice.representative:
            agreed = (
                " with your agreement"
                if notice.representative == name
                else f" with the agreement of {notice.representative}"
            )
        lines += [
            f"We have closed your request{agreed}. Thank you for working with us on it.",
            "",
            f"If the problem comes back, please raise a new request and mention {ref}.",
        ]
    else:  # release_shipped
        lines += [
            f"The fix for your request is now available: release {notice.release_name} went "
            f"out at {plain_time(notice.at, zone, now)}.",
            "",
            f"If you still see the problem, reply to this e-mail or contact us quoting {ref}.",
        ]
    lines += [
        "",
        _where(notice.kind, portal),
        customer_url(settings, secret, ref, portal=portal),
        "",
        "Kind regards,",
        settings.organisation_name,
    ]
    return f"[{ref}] {ticket.subject}", lines


def _where(kind: str, portal: bool) -> str:
    if not portal:
        return "You can see where your request stands at any time here:"
    if kind == "resolved":
        return (
            "In our support portal you can see where your request stands, tell us whether "
            "it is fixed and reply to us:"
        )
    return "In our support portal you can see where your request stands and reply to us:"


def _waiting_words(notice: TicketNotice, label: str) -> str:
    if notice.outcome == "regraded":
        delayed = " and marked it Delayed" if notice.delayed else ""
        return (
            "As our service terms set out for a request that is waiting on information or "
            f"access from you, we have re-graded it to {label} priority{delayed}. Its target "
            f"times are now those of {label} priority, counted from when you first contacted "
            "us. We will carry on as soon as you answer."
        )
    if notice.outcome == "paused":
        return (
            "While we wait for you, the clock on our target times is paused; it starts again "
            "as soon as you answer."
        )
    return "We will carry on as soon as you answer."


def _quoted(text: str) -> list[str]:
    return ["    " + line if line.strip() else "" for line in text.strip().splitlines()] or [""]


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
