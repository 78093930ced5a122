"""Announced maintenance as everything else reads it: the one place that says when a service is
under maintenance and which windows are announced.

Monitors ask `in_maintenance` when a site goes down (activities/monitors.py): an outage that
begins inside a window is recorded, marked `in_maintenance`, and opens no ticket. Uptime history
marks window time as maintenance (`periods_for_monitor`); the status page, the banners and the
huddle list windows announced or under way (`periods_between`); the public status page lists
only public ones (`public_periods_between`: a window naming accounts is those customers' own
business, and no one else's to read). They read the windows table
(maintenance_windows), which each window's workflow keeps (workflows/maintenance.py); the
reading goes by the window's times, not its state, so a window is maintenance from its first
minute even if the workflow's move to in_progress comes a moment later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, MaintenanceWindow, Monitor

SCHEDULED, IN_PROGRESS, COMPLETED, CANCELLED = "scheduled", "in_progress", "completed", "cancelled"


@dataclass(frozen=True)
class MaintenancePeriod:
    """A window as readers see it. `state`: scheduled, in_progress, completed (never cancelled:
    a cancelled window is no period)."""

    window_id: str
    title: str
    description: str
    services: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    state: str


def _period(window: MaintenanceWindow) -> MaintenancePeriod:
    return MaintenancePeriod(
        window_id=window.id,
        title=window.title,
        description=window.description,
        services=tuple(window.services),
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        state=window.state,
    )


async def _overlapping(
    session: AsyncSession, start: datetime, end: datetime
) -> list[MaintenanceWindow]:
    """Windows not cancelled overlapping [start, end), earliest first."""
    return list(
        await session.scalars(
            select(MaintenanceWindow)
            .where(
                MaintenanceWindow.state != CANCELLED,
                MaintenanceWindow.starts_at < end,
                MaintenanceWindow.ends_at > start,
            )
            .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
        )
    )


async def periods_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    services: frozenset[str] | None = None,
    *,
    public_only: bool = False,
) -> list[MaintenancePeriod]:
    """Windows not cancelled overlapping [start, end), earliest first; only those naming one of
    `services` when given; with `public_only`, only public windows (see `is_public`)."""
    return [
        _period(window)
        for window in await _overlapping(session, start, end)
        if (services is None or services.intersection(window.services))
        and (not public_only or is_public(window))
    ]


async def public_periods_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    services: frozenset[str] | None = None,
) -> list[MaintenancePeriod]:
    """periods_between for readers anyone may be (the public status page): windows naming
    accounts are left out, as the public calendar (/status/maintenance.ics) leaves them out."""
    return await periods_between(session, start, end, services, public_only=True)


def is_public(window: MaintenanceWindow) -> bool:
    """Whether anyone may read of `window`: one on our own services, naming no customer. A
    window naming accounts (work on those customers' own sites) is between them and us."""
    return not window.account_ids


def covers(window: MaintenanceWindow, monitor: Monitor) -> bool:
    """Whether `window` puts `monitor` under maintenance: a monitor of one of its services, or
    the site of an account it names (a window naming no accounts covers no customer's site:
    our services' maintenance is not theirs)."""
    if monitor.service is not None and monitor.service in window.services:
        return True
    return monitor.account_id is not None and monitor.account_id in (window.account_ids or [])


def affects(window: MaintenanceWindow, account: Account) -> bool:
    """Whether `account` is told of `window` and sees it: an account on the window's policy,
    or when the window names accounts, one of those."""
    if window.account_ids:
        return account.id in window.account_ids
    return account.policy == window.policy


async def periods_for_monitor(
    session: AsyncSession, monitor: Monitor, start: datetime, end: datetime
) -> list[MaintenancePeriod]:
    """The windows that cover `monitor` (its service, or the account's site) in [start, end)."""
    return [
        _period(window)
        for window in await _overlapping(session, start, end)
        if covers(window, monitor)
    ]


async def periods_for_monitors(
    session: AsyncSession, monitors: Iterable[Monitor], start: datetime, end: datetime
) -> dict[str, list[MaintenancePeriod]]:
    """periods_for_monitor for many monitors in one read (the hourly roll-up of all of them)."""
    windows = await _overlapping(session, start, end)
    return {m.id: [_period(w) for w in windows if covers(w, m)] for m in monitors}


async def announced(
    session: AsyncSession,
    now: datetime,
    account: Account | None = None,
    starting_before: datetime | None = None,
) -> list[MaintenanceWindow]:
    """Windows announced and not over (scheduled, or in progress) at `now`, earliest first;
    only those affecting `account` when given (the portal's banner); only those starting
    before `starting_before` when given (a banner names what is near, not next year's)."""
    query = (
        select(MaintenanceWindow)
        .where(
            MaintenanceWindow.state.in_((SCHEDULED, IN_PROGRESS)),
            MaintenanceWindow.ends_at > now,
        )
        .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
    )
    if starting_before is not None:
        query = query.where(MaintenanceWindow.starts_at < starting_before)
    found = await session.scalars(query)
    return [w for w in found if account is None or affects(w, account)]


async def in_maintenance(session: AsyncSession, monitor: Monitor, at: datetime) -> bool:
    """Whether `monitor`'s service (or the account's site) is under maintenance at `at`."""
    return any(
        p.starts_at <= at < p.ends_at
        for p in await periods_for_monitor(session, monitor, at, at + timedelta(microseconds=1))
    )
