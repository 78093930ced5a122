"""Reading the on-call rota: its weeks between two Mondays, and who a page at an instant reaches.

Shared by services/on_call.py (the rota's pages and routes) and activities/on_call.py (paging).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OnCallWeek, User
from sla.calendar import Calendar
from sla.team import OnCallWeek as Week
from sla.team import week_of, who_is_paged


@dataclass(frozen=True)
class RotaWeek:
    row: OnCallWeek
    person: User
    holiday_cover: User | None


async def weeks_between(session: AsyncSession, first: date, last: date) -> dict[date, RotaWeek]:
    """The rota's weeks whose Monday lies in [first, last], by Monday."""
    rows = list(
        await session.scalars(
            select(OnCallWeek).where(OnCallWeek.monday >= first, OnCallWeek.monday <= last)
        )
    )
    ids = {r.user_id for r in rows} | {r.holiday_user_id for r in rows if r.holiday_user_id}
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
    return {
        r.monday: RotaWeek(
            r, users[r.user_id], users.get(r.holiday_user_id) if r.holiday_user_id else None
        )
        for r in rows
    }


async def person_paged(session: AsyncSession, calendar: Calendar, at: datetime) -> User | None:
    """The member of staff a page at `at` reaches (sla.team.who_is_paged); None when the rota
    has nobody that week, or only someone who has since left."""
    monday = week_of(calendar, at)
    found = (await weeks_between(session, monday, monday)).get(monday)
    if found is None:
        return None
    chosen = who_is_paged(
        calendar,
        [Week(monday, str(found.person.id), _id(found.holiday_cover))],
        at,
    )
    user = found.holiday_cover if chosen == _id(found.holiday_cover) else found.person
    return user if user is not None and user.removed_at is None else None


def _id(user: User | None) -> str | None:
    return str(user.id) if user is not None else None
