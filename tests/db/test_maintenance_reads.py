"""Announced maintenance as readers get it (db/maintenance.py), on PostgreSQL and SQLite: a
window naming accounts is never handed to a public reader."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db import maintenance
from db.models import MaintenanceWindow

# Long ago, so that no other test's windows fall in these hours.
NIGHT = datetime(2021, 6, 8, 20, tzinfo=UTC)


def _window(title: str, account_ids: list[int], state: str = "scheduled") -> MaintenanceWindow:
    return MaintenanceWindow(
        id=f"W-{secrets.token_hex(4).upper()}", title=title, description="", services=["platform"],
        policy="web-agency", account_ids=account_ids, starts_at=NIGHT,
        ends_at=NIGHT + timedelta(hours=2), timezone="Europe/London", state=state, sequence=0,
        version=1,
        announced_at=NIGHT - timedelta(days=3), created_by="test", signed_by="",
        created_at=NIGHT, updated_at=NIGHT,
    )  # fmt: skip


async def test_public_readers_get_only_windows_naming_no_customer(session: AsyncSession) -> None:
    ours = _window("Database upgrade", [])
    theirs = _window("We are moving your website to a new server", [2])
    called_off = _window("Called off", [], state="cancelled")
    session.add_all([ours, theirs, called_off])
    await session.flush()
    start, end = NIGHT - timedelta(hours=1), NIGHT + timedelta(hours=3)

    # Staff readers (the huddle, uptime) see both; the old call is unchanged.
    every = await maintenance.periods_between(session, start, end)
    assert {p.window_id for p in every} == {ours.id, theirs.id}
    # The public status page: only ours, by either spelling.
    public = await maintenance.public_periods_between(session, start, end)
    assert [p.window_id for p in public] == [ours.id]
    flagged = await maintenance.periods_between(session, start, end, public_only=True)
    assert [p.window_id for p in flagged] == [ours.id]
    assert (
        await maintenance.public_periods_between(session, start, end, frozenset({"sending"})) == []
    )
    assert maintenance.is_public(ours) and not maintenance.is_public(theirs)


async def test_banners_name_windows_under_way_or_within_two_weeks(session: AsyncSession) -> None:
    from web.banners import BANNER_AHEAD, console_banners, load_console

    near = _window("Near", [])
    far = _window("Far off", [])
    far.starts_at, far.ends_at = NIGHT + timedelta(days=20), NIGHT + timedelta(days=20, hours=2)
    session.add_all([near, far])
    await session.flush()
    now = NIGHT - timedelta(days=1)
    listed = await maintenance.announced(session, now, starting_before=now + BANNER_AHEAD)
    assert near in listed and far not in listed
    assert far in await maintenance.announced(session, now)  # the page and feed still list it
    await load_console(session, now)
    assert any("Near" in line for line in console_banners())
    assert not any("Far off" in line for line in console_banners())
