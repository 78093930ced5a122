"""What runs on each policy and regime: open cases per version, and accounts per policy.

Read for the console's lists (web/console/policies.py), so an admin sees which versions are
still in use before saving, moving or deleting one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from db import policy_versions
from db.models import Account, Complaint, Ticket
from services import policies
from services.roles import allow
from sla.complaint import ComplaintStatus
from sla.ticket import ACTIVE


@dataclass
class Usage:
    """Open cases by version of one key, and (policies) the accounts on it."""

    open_by_version: dict[int, int] = field(default_factory=dict)
    accounts: int = 0

    @property
    def open_cases(self) -> int:
        return sum(self.open_by_version.values())


async def policy_usage(session: AsyncSession) -> dict[str, Usage]:
    """Per policy key: its open tickets by version, and its accounts."""
    found: dict[str, Usage] = defaultdict(Usage)
    # Tickets opened before versions were recorded ran under version 1.
    version = func.coalesce(Ticket.policy_version, 1)
    rows = await session.execute(
        select(Ticket.policy, version, func.count())
        .where(Ticket.status.in_([status.value for status in ACTIVE]))
        .group_by(Ticket.policy, version)
    )
    for key, number, count in rows:
        found[key].open_by_version[int(number)] = int(count)
    for key, count in await session.execute(
        select(Account.policy, func.count()).group_by(Account.policy)
    ):
        found[key].accounts = int(count)
    return found


async def regime_usage(session: AsyncSession) -> dict[str, Usage]:
    """Per regime key: its open complaints by version."""
    found: dict[str, Usage] = defaultdict(Usage)
    version = func.coalesce(Complaint.regime_version, 1)
    rows = await session.execute(
        select(Complaint.regime, version, func.count())
        .where(Complaint.status != ComplaintStatus.CLOSED.value)
        .group_by(Complaint.regime, version)
    )
    for key, number, count in rows:
        found[key].open_by_version[int(number)] = int(count)
    return found


@dataclass
class Listed:
    """The newest version of one key, as a list of them shows it."""

    key: str
    name: str
    version: int
    created_at: datetime
    created_by: str
    usage: Usage
    model: Any


async def listing(session: AsyncSession, principal: Principal, kind: str) -> list[Listed]:
    """The newest version of every policy (calendar, regime), with what runs on it; policies
    are read by any staff, calendars and regimes as the API lets them be read."""
    if kind != "policy":
        allow(principal, *policies.READERS)
    usage = (
        await policy_usage(session)
        if kind == "policy"
        else await regime_usage(session)
        if kind == "regime"
        else {}
    )
    rows = await policy_versions.newest_of_each(session, kind)
    listed = []
    for row in rows:
        model = policies.model_of(row)
        listed.append(
            Listed(
                key=row.key,
                name=getattr(model, "name", "") or row.key,
                version=row.version,
                created_at=row.created_at,
                created_by=row.created_by,
                usage=usage.get(row.key) or Usage(),
                model=model,
            )
        )
    return listed
