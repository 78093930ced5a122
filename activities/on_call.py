"""Paging the person on call about an out-of-hours emergency ticket (workflows/ticket.py).

The rota (db/on_call.py, set through /on-call) says who is on call in the week the ticket
arrived; with nobody on call, the team address is mailed instead and the ticket's history says
so. The mail carries what a person woken at night needs to act: the reference, the customer,
the subject, the promised times in the team's time, and the console link.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from temporalio import activity

from activities import recipients
from activities.deps import ActivityDeps
from db import on_call
from db.idempotent import insert_once
from db.models import Account, Contact, Notification, Ticket
from db.types import utcnow
from reports.customer_words import zone_words
from reports.dates import long_date
from sla.team import team_calendar


class PageRequest(BaseModel):
    reference: str
    # The ticket's "opened" event: the page's key, so a retry mails nobody twice.
    event_id: str
    # When the ticket arrived: the week whose person is paged.
    at: datetime


class PageResult(BaseModel):
    """Who was mailed; `on_call` False when nobody was on call and the team address was used,
    `email` None when there was no team address either."""

    name: str | None
    email: str | None
    on_call: bool


class OnCallActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def page_on_call(self, request: PageRequest) -> PageResult:
        settings = self._deps.settings
        calendar = team_calendar(settings.team_calendar)
        async with self._deps.session_factory() as session:
            ticket = await session.scalar(
                select(Ticket).where(Ticket.reference == request.reference)
            )
            if ticket is None:
                raise RuntimeError(f"ticket {request.reference} is not recorded yet")
            account = await session.get(Account, ticket.account_id)
            contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
            person = await on_call.person_paged(session, calendar, request.at)
        assert account is not None
        if person is not None:
            result = PageResult(name=person.full_name, email=person.email, on_call=True)
        else:
            policy = recipients.policy_or_none(ticket.policy)
            team = recipients.team_address(policy, settings.team_email)
            result = PageResult(name=None, email=team, on_call=False)
        if result.email is None:
            return result
        key = f"{request.event_id}:page:{result.email}"
        async with self._deps.session_factory() as session:
            sent = await session.get(Notification, key)
        if sent is None:
            message = self._deps.mailer.compose(
                result.email,
                f"[{ticket.reference}] Emergency out of hours: {account.name}: {ticket.subject}",
                page_text(
                    ticket,
                    account,
                    contact,
                    calendar.timezone,
                    f"{settings.effective_public_url}/console/tickets/{ticket.reference}",
                    result,
                ),
                headers={"X-Pledge-Ticket": ticket.reference, "X-Pledge-Notice": "page"},
                message_key=key,
                to_name=result.name,
            )
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session,
                    Notification,
                    id=key,
                    event_id=request.event_id,
                    channel="email",
                    recipient=result.email,
                    role="on_call" if result.on_call else "team",
                    kind="page",
                    sent_at=utcnow(),
                )
        return result


def page_text(
    ticket: Ticket,
    account: Account,
    contact: Contact | None,
    zone: str,
    link: str,
    result: PageResult,
) -> str:
    """The page's words: what came in, from whom, what is promised by when (team's time)."""

    def at(instant: datetime) -> str:
        # The words the rest of Pledge puts beside a time ("UK time"), not the zone's
        # abbreviation (GMT/BST), which a reader half-awake at night must then translate.
        local = instant.astimezone(ZoneInfo(zone))
        return f"{long_date(local.date())} at {local:%H:%M} {zone_words(instant, zone)}"

    # Greeted by their full name, as the rota and the console name them.
    greeting = (
        [f"Hello {result.name},", "", "You are on call this week."]
        if result.on_call and result.name
        else ["Hello,", "", "Nobody is on call this week, so this page comes to the team address."]
    )
    who = account.name
    if contact is not None:
        who += f" ({contact.name}" + (f", {contact.phone}" if contact.phone else "") + ")"
    lines = [
        *greeting,
        "",
        f"An emergency ticket came in out of hours at {at(ticket.received_at)}.",
        "",
        f"Ticket:   {ticket.reference}",
        f"Customer: {who}",
        f"Subject:  {ticket.subject}",
        "",
    ]
    promised = [
        ("First response", ticket.first_response_due),
        ("Resolution", ticket.resolution_due),
    ]
    due = [(label, at) for label, at in promised if at is not None]
    if due:
        lines.append("Promised:")
        lines += [f"  {label} by {at(when)}" for label, when in due]
        lines.append("")
    lines += [
        "What they wrote:",
        "",
        *(f"  {line}" for line in ticket.description.splitlines()),
        "",
        f"Open the ticket: {link}",
    ]
    return "\n".join(lines) + "\n"
