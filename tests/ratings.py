"""Rows for the satisfaction tests: an account, its contact and a resolved ticket, as the
ticket workflow's activities leave them, written straight into the test's session (what the
workflow does to get there is tests/workflows/test_satisfaction.py's)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.references import new_reference
from db.models import Account, Contact, Edition, SatisfactionAsk, Ticket, TicketRating


@dataclass
class Resolved:
    account: Account
    contact: Contact
    ticket: Ticket


async def resolved_ticket(
    session: AsyncSession,
    *,
    policy: str = "electric-putty",
    account: Account | None = None,
    asked: bool = True,
    status: str = "resolved",
    subject: str = "The newsletter will not send",
    at: datetime | None = None,
) -> Resolved:
    """A resolved ticket whose contact was asked how it went (unless `asked` is false)."""
    at = at or datetime.now(UTC) - timedelta(hours=2)
    if account is None:
        account = Account(
            name=f"Rated {secrets.token_hex(4)}", policy=policy, edition=Edition.ENTERPRISE
        )
        session.add(account)
        await session.flush()
    contact = Contact(
        account_id=account.id,
        name=f"Casey Contact {secrets.token_hex(2)}",
        email=f"casey-{secrets.token_hex(4)}@customer.example.com",
        portal_access=True,
    )
    session.add(contact)
    await session.flush()
    ticket = Ticket(
        reference=new_reference("T"),
        account_id=account.id,
        contact_id=contact.id,
        subject=subject,
        description="Nothing happens when I press send.",
        channel="email",
        type="incident",
        policy=account.policy,
        calendar=None,
        priority="normal" if account.policy == "electric-putty" else "p3",
        status=status,
        line=1,
        received_at=at - timedelta(hours=3),
        opened_at=at - timedelta(hours=3),
        opened_by="Sam Agent",
        resolved_at=at,
        closed_at=at + timedelta(minutes=5) if status == "closed" else None,
        breached=False,
        version=5,
        updated_at=at,
    )
    session.add(ticket)
    await session.flush()
    if asked:
        session.add(
            SatisfactionAsk(ticket_id=ticket.id, event_id=f"{ticket.reference}:4", asked_at=at)
        )
    await session.commit()
    return Resolved(account, contact, ticket)


async def answer(
    session: AsyncSession,
    made: Resolved,
    rating: str,
    comment: str = "",
    at: datetime | None = None,
) -> None:
    """An answer as if pressed at `at`."""
    session.add(
        TicketRating(
            ticket_id=made.ticket.id,
            contact_id=made.contact.id,
            rated_by=made.contact.name,
            rating=rating,
            comment=comment,
            rated_at=at or datetime.now(UTC),
        )
    )
    await session.commit()
