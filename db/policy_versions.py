"""Reads of the versions of policies, calendars and regimes (db.models.PolicyVersion)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PolicyVersion


async def latest(session: AsyncSession, kind: str, key: str) -> PolicyVersion | None:
    """The newest version of (kind, key), or None when there is none."""
    return await session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.kind == kind, PolicyVersion.key == key)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


async def one(session: AsyncSession, kind: str, key: str, version: int) -> PolicyVersion | None:
    """Version `version` of (kind, key), or None."""
    return await session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.kind == kind, PolicyVersion.key == key, PolicyVersion.version == version
        )
    )


async def history(session: AsyncSession, kind: str, key: str) -> list[PolicyVersion]:
    """Every version of (kind, key), oldest first."""
    rows = await session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.kind == kind, PolicyVersion.key == key)
        .order_by(PolicyVersion.version)
    )
    return list(rows)


async def newest_of_each(session: AsyncSession, kind: str) -> list[PolicyVersion]:
    """The newest version of every key of `kind`, in the order the keys were first saved."""
    newest = (
        select(
            PolicyVersion.key,
            func.max(PolicyVersion.version).label("version"),
            func.min(PolicyVersion.id).label("first_id"),
        )
        .where(PolicyVersion.kind == kind)
        .group_by(PolicyVersion.key)
        .subquery()
    )
    rows = await session.scalars(
        select(PolicyVersion)
        .join(
            newest,
            (PolicyVersion.key == newest.c.key) & (PolicyVersion.version == newest.c.version),
        )
        .where(PolicyVersion.kind == kind)
        .order_by(newest.c.first_id)
    )
    return list(rows)


async def keys(session: AsyncSession, kind: str) -> list[str]:
    """Every key of `kind`, in the order first saved."""
    rows = await session.execute(
        select(PolicyVersion.key)
        .where(PolicyVersion.kind == kind)
        .group_by(PolicyVersion.key)
        .order_by(func.min(PolicyVersion.id))
    )
    return [key for (key,) in rows]
