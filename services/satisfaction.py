"""Customer satisfaction: a ticket's contact says how it went, good or bad, with a comment.

The contact is asked once per ticket, by the mail of its first resolution (the activity that
sends it records the ask); a ticket reopened and resolved again is not asked again. They answer
by pressing a button, on the page their mail links to (the signed link is the key, as for the
tracking page) or on the portal's ticket page (signed in): `rate_by_link` and `rate`, which
record the same answer in the same words.

Answers may change: a later press replaces the earlier answer (latest wins) until the ticket is
closed. Once it is closed, an answer already given stands; a contact who had not answered yet
still may, once (closing often follows a resolution within minutes, before they read the mail).
Only the ticket's own contact is asked: other people at the account may read the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import Conflict, Forbidden, NotFound
from api.schemas import RatingIn, SatisfactionOut
from db import satisfaction, ticket_reads
from db.idempotent import upsert_for
from db.models import Contact, Role, SatisfactionAsk, Ticket, TicketRating
from outbound.ticket_links import link_secret, rate_token_ok
from settings import Settings
from sla.ticket import TicketStatus

NOT_ASKED = "We ask how it went once we have resolved a request; we have not resolved this one yet"


@dataclass(frozen=True)
class RatingState:
    """Where one ticket's question stands: what the rating page and the portal's form show."""

    ticket: Ticket
    ask: SatisfactionAsk | None
    answer: TicketRating | None

    @property
    def asked(self) -> bool:
        return self.ask is not None

    @property
    def open_to_answer(self) -> bool:
        """Whether a press now would be recorded (see the module's docstring)."""
        if self.ask is None:
            return False
        return self.answer is None or self.ticket.status != TicketStatus.CLOSED


async def state(session: AsyncSession, ticket: Ticket) -> RatingState:
    return RatingState(
        ticket=ticket,
        ask=await satisfaction.asked(session, ticket.id),
        answer=await satisfaction.rating_of(session, ticket.id),
    )


async def of_ticket(session: AsyncSession, ticket_id: int) -> SatisfactionOut | None:
    """The ticket's question and answer as the API shows them; None until it is asked."""
    ask = await satisfaction.asked(session, ticket_id)
    if ask is None:
        return None
    answer = await satisfaction.rating_of(session, ticket_id)
    return SatisfactionOut(
        asked_at=ask.asked_at,
        rating=answer.rating if answer else None,  # type: ignore[arg-type]
        comment=answer.comment if answer else "",
        rated_at=answer.rated_at if answer else None,
        rated_by=answer.rated_by if answer else None,
    )


# -- by the link in the resolution mail --------------------------------------------------------


async def for_link(
    session: AsyncSession, settings: Settings, reference: str, token: str | None
) -> RatingState:
    """The ticket a rating link names; a wrong or missing token is the same 404 as an unknown
    reference, so a link cannot be guessed from the answers."""
    if not rate_token_ok(link_secret(settings), reference, token):
        raise NotFound(f"No ticket with reference {reference}")
    ticket = await ticket_reads.by_reference(session, reference)
    if ticket is None:
        raise NotFound(f"No ticket with reference {reference}")
    return await state(session, ticket)


async def rate_by_link(
    session: AsyncSession, settings: Settings, reference: str, token: str | None, answer: RatingIn
) -> TicketRating:
    """The contact's answer, pressed on the page their resolution mail links to."""
    current = await for_link(session, settings, reference, token)
    contact = await asked_contact(session, current)
    if contact is None or contact.removed_at is not None:
        # The link was theirs alone; a leaver's mail is no longer someone at the account.
        raise NotFound(f"No ticket with reference {reference}")
    return await _record(session, current, contact, answer)


# -- signed in, on the portal ------------------------------------------------------------------


async def for_portal(session: AsyncSession, principal: Principal, reference: str) -> RatingState:
    """A ticket's question as a signed-in customer sees it. Scoped to the principal's account:
    another account's reference is the same 404 as an unknown one."""
    if principal.role is not Role.CUSTOMER or principal.contact_id is None:
        raise Forbidden("Only the contact who raised a request is asked how it went")
    ticket = await ticket_reads.by_reference(session, reference)
    if ticket is None or ticket.account_id != principal.account_id:
        raise NotFound(f"No ticket with reference {reference}")
    return await state(session, ticket)


async def asked_contact(session: AsyncSession, current: RatingState) -> Contact | None:
    """Who is asked: the ticket's own contact."""
    contact_id = current.ticket.contact_id
    return await session.get(Contact, contact_id) if contact_id is not None else None


async def rate(
    session: AsyncSession, principal: Principal, reference: str, answer: RatingIn
) -> TicketRating:
    """The contact's answer, pressed on their portal page, scoped as `for_portal` is."""
    current = await for_portal(session, principal, reference)
    ticket = current.ticket
    contact = await session.get(Contact, principal.contact_id)
    if contact is None or contact.account_id != ticket.account_id or contact.removed_at:
        raise Forbidden("Only the contact who raised a request is asked how it went")
    if ticket.contact_id != contact.id:
        raise Forbidden(
            "We ask the person who raised a request how it went; you did not raise this one"
        )
    return await _record(session, current, contact, answer)


async def _record(
    session: AsyncSession, current: RatingState, contact: Contact, answer: RatingIn
) -> TicketRating:
    if not current.asked:
        raise Conflict(NOT_ASKED)
    if not current.open_to_answer:
        raise Conflict(
            "Your answer is kept as you gave it: we have closed this request, so it can no "
            "longer be changed"
        )
    values = {
        "contact_id": contact.id,
        "rated_by": contact.name,
        "rating": answer.rating,
        "comment": answer.comment,
        "rated_at": datetime.now(UTC),
    }
    insert = upsert_for(session)
    statement = insert(TicketRating).values(ticket_id=current.ticket.id, **values)
    # Two presses at once (a double click) both land; the later one's answer is kept.
    await session.execute(
        statement.on_conflict_do_update(index_elements=[TicketRating.ticket_id], set_=values)
    )
    recorded = await session.get(TicketRating, current.ticket.id, populate_existing=True)
    assert recorded is not None
    return recorded
