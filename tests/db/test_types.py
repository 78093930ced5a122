"""Instants survive a round trip through either database unchanged, as aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SystemCheck


async def test_aware_instants_come_back_as_the_same_utc_instant(session: AsyncSession) -> None:
    london_summer = timezone(timedelta(hours=1))
    requested = datetime(2026, 7, 1, 9, 30, tzinfo=london_summer)
    session.add(SystemCheck(id="t1", requested_at=requested, worker_identity="w"))
    await session.flush()
    session.expunge_all()
    row = await session.get(SystemCheck, "t1")
    assert row is not None
    assert row.requested_at == requested
    assert row.requested_at.tzinfo == UTC
    assert row.requested_at.hour == 8
    assert row.recorded_at.tzinfo == UTC


async def test_naive_instants_are_refused(session: AsyncSession) -> None:
    session.add(SystemCheck(id="t2", requested_at=datetime(2026, 7, 1, 9, 30), worker_identity="w"))
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()
