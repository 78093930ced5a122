"""Customer satisfaction as the database holds it: who was asked, their answers, and a
period's score.

One computation (`satisfaction_figures`) serves GET /metrics/satisfaction, the console's
dashboard, the monthly report and the review pack, so they always agree. Answers count in the
period they were given (`rated_at`); a changed answer counts once, as it stands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.idempotent import insert_once
from db.models import SatisfactionAsk, Ticket, TicketRating

Rating = Literal["good", "bad"]
# How many of the latest comments the figures carry: enough to read, short enough for a page.
LATEST_COMMENTS = 10


class RatingLine(BaseModel):
    """One answer, as the dashboard and the reports quote it."""

    reference: str
    subject: str
    account_id: int
    rating: Rating
    comment: str
    rated_by: str
    rated_at: datetime


class SatisfactionFigures(BaseModel):
    account_id: int | None
    start: datetime
    end: datetime
    asked: int = Field(description="Contacts asked how it went in the period")
    good: int = Field(description="Answers given in the period that said good")
    bad: int = Field(description="Answers given in the period that said bad")
    score: float | None = Field(
        description="good / (good + bad); null when nobody answered in the period"
    )
    comments: list[RatingLine] = Field(
        description=f"The latest answers with a comment, newest first (at most {LATEST_COMMENTS})"
    )

    @computed_field(description="Answers given in the period: good + bad")  # type: ignore[prop-decorator]
    @property
    def rated(self) -> int:
        return self.good + self.bad


async def ask_once(session: AsyncSession, ticket_id: int, event_id: str, at: datetime) -> bool:
    """Record that the resolution `event_id` asks the contact; true when it is the one that
    does (the first resolution's, on every retry of its mail), false for any later one."""
    await insert_once(session, SatisfactionAsk, ticket_id=ticket_id, event_id=event_id, asked_at=at)
    asking = await session.scalar(
        select(SatisfactionAsk.event_id).where(SatisfactionAsk.ticket_id == ticket_id)
    )
    return asking == event_id


async def asked(session: AsyncSession, ticket_id: int) -> SatisfactionAsk | None:
    return await session.get(SatisfactionAsk, ticket_id)


async def rating_of(session: AsyncSession, ticket_id: int) -> TicketRating | None:
    return await session.get(TicketRating, ticket_id)


async def satisfaction_figures(
    session: AsyncSession, *, account_id: int | None, start: datetime, end: datetime
) -> SatisfactionFigures:
    """Answers given in [start, end), for one account or all."""
    in_period = (TicketRating.rated_at >= start, TicketRating.rated_at < end)
    mine = (Ticket.account_id == account_id,) if account_id is not None else ()
    counts = dict(
        (
            await session.execute(
                select(TicketRating.rating, func.count())
                .join(Ticket, Ticket.id == TicketRating.ticket_id)
                .where(*in_period, *mine)
                .group_by(TicketRating.rating)
            )
        ).all()
    )
    asked_count = await session.scalar(
        select(func.count())
        .select_from(SatisfactionAsk)
        .join(Ticket, Ticket.id == SatisfactionAsk.ticket_id)
        .where(SatisfactionAsk.asked_at >= start, SatisfactionAsk.asked_at < end, *mine)
    )
    rows = await session.execute(
        select(
            Ticket.reference,
            Ticket.subject,
            Ticket.account_id,
            TicketRating.rating,
            TicketRating.comment,
            TicketRating.rated_by,
            TicketRating.rated_at,
        )
        .join(Ticket, Ticket.id == TicketRating.ticket_id)
        .where(*in_period, *mine, TicketRating.comment != "")
        .order_by(TicketRating.rated_at.desc(), Ticket.reference)
        .limit(LATEST_COMMENTS)
    )
    good, bad = int(counts.get("good", 0)), int(counts.get("bad", 0))
    return SatisfactionFigures(
        account_id=account_id,
        start=start,
        end=end,
        asked=int(asked_count or 0),
        good=good,
        bad=bad,
        score=round(good / (good + bad), 4) if good + bad else None,
        comments=[RatingLine(**row._mapping) for row in rows],
    )
