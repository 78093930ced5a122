"""Complaint figures over a period: deadlines kept, and how long things took."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Complaint

DAY = 86400.0


class Kept(BaseModel):
    in_time: int
    late: int
    open: int = Field(description="Still owed")
    share: float | None = Field(description="in_time / (in_time + late); null with neither")


class ComplaintFigureRow(BaseModel):
    regime: str | None
    complaints: int
    acknowledged: Kept
    answered: Kept = Field(
        description="Full reply by the date promised; an extension sent in time keeps the promise"
    )
    median_days_to_acknowledge: float | None
    median_days_to_reply: float | None


class ComplaintFigures(BaseModel):
    start: datetime
    end: datetime
    overall: ComplaintFigureRow
    by_regime: list[ComplaintFigureRow]


class _Tally:
    def __init__(self) -> None:
        self.complaints = 0
        self.ack = {"in_time": 0, "late": 0, "open": 0}
        self.reply = {"in_time": 0, "late": 0, "open": 0}
        self.to_ack: list[float] = []
        self.to_reply: list[float] = []

    def add(self, c: Complaint) -> None:
        self.complaints += 1
        if c.acknowledgement_due is not None:
            state = c.acknowledgement_state
            self.ack[
                "in_time" if state == "met" else "late" if state == "breached" else "open"
            ] += 1
        self.reply["open" if c.reply_kept is None else "in_time" if c.reply_kept else "late"] += 1
        if c.acknowledged_at is not None:
            self.to_ack.append((c.acknowledged_at - c.received_at).total_seconds() / DAY)
        if c.replied_at is not None:
            self.to_reply.append((c.replied_at - c.received_at).total_seconds() / DAY)

    def row(self, regime: str | None) -> ComplaintFigureRow:
        def kept(counts: dict[str, int]) -> Kept:
            decided = counts["in_time"] + counts["late"]
            share = round(counts["in_time"] / decided, 4) if decided else None
            return Kept(**counts, share=share)

        return ComplaintFigureRow(
            regime=regime,
            complaints=self.complaints,
            acknowledged=kept(self.ack),
            answered=kept(self.reply),
            median_days_to_acknowledge=_median(self.to_ack),
            median_days_to_reply=_median(self.to_reply),
        )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


async def complaint_figures(
    session: AsyncSession, *, start: datetime, end: datetime, account_id: int | None = None
) -> ComplaintFigures:
    """Figures for complaints received in [start, end), across accounts or for one."""
    conditions = [Complaint.received_at >= start, Complaint.received_at < end]
    if account_id is not None:
        conditions.append(Complaint.account_id == account_id)
    overall = _Tally()
    by_regime: dict[str, _Tally] = defaultdict(_Tally)
    for complaint in await session.scalars(select(Complaint).where(*conditions)):
        overall.add(complaint)
        by_regime[complaint.regime].add(complaint)
    return ComplaintFigures(
        start=start,
        end=end,
        overall=overall.row(None),
        by_regime=[tally.row(regime) for regime, tally in sorted(by_regime.items())],
    )
