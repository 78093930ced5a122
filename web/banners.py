"""The maintenance banner at the top of the console's and the portal's pages.

The console shows every window announced or under way; the portal only those affecting the
signed-in customer's account, its times in the account's zone. The console's pages are
rendered by many modules through web.pages.page(): rather than each passing the windows, the
one dependency every console page takes (web.viewer.page_viewer) reads them into a context
variable for this request, and console/base.html asks for them (`maintenance_banners()`).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.maintenance import announced
from db.models import Account
from reports.maintenance import WindowFacts, banner_line
from web.pages import _ENV

# A banner shows a window under way or starting within this: near enough to plan around (the
# notice mail and the console's Maintenance page tell of those further off).
BANNER_AHEAD = timedelta(days=14)

_CONSOLE: ContextVar[tuple[str, ...]] = ContextVar("maintenance_banners", default=())


async def load_console(session: AsyncSession, now: datetime | None = None) -> None:
    """Read this request's console banners: every window announced or under way, each in its
    own policy's zone (staff work for customers in that zone)."""
    now = now or datetime.now(UTC)
    windows = await announced(session, now, starting_before=now + BANNER_AHEAD)
    _CONSOLE.set(tuple(banner_line(WindowFacts.of(w), w.timezone, now) for w in windows))


def console_banners() -> tuple[str, ...]:
    return _CONSOLE.get()


async def portal_banners(
    session: AsyncSession, account: Account, timezone: str, now: datetime | None = None
) -> list[str]:
    """The windows affecting `account`, in its zone."""
    now = now or datetime.now(UTC)
    return [
        banner_line(WindowFacts.of(w), timezone, now)
        for w in await announced(session, now, account, starting_before=now + BANNER_AHEAD)
    ]


def install() -> None:
    """Make `maintenance_banners` available to every template (create_app calls this)."""
    _ENV.globals["maintenance_banners"] = console_banners
