"""The on-call rota: who answers out-of-hours emergency pages, a week at a time.

A week is an ISO week of the team calendar (PLEDGE_TEAM_CALENDAR), Monday 00:00 to Monday
00:00 local time. Its person covers its nights, weekend and bank holidays, unless the week
names a holiday cover for its bank holidays (sla/team.py). Admins set the rota; staff read it.
This service is the rota's one writer; activities/on_call.py reads it to page someone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import InvalidInput
from api.schemas import BankHoliday, OnCallPerson, OnCallSet, OnCallWeekOut
from db import on_call
from db.models import OnCallWeek, Role, User
from db.types import utcnow
from services.roles import STAFF, allow
from settings import Settings
from sla.calendar import Calendar
from sla.team import (
    LAST_ROTA_MONDAY,
    WeekError,
    bank_holidays,
    iso_week,
    parse_week,
    rota_weeks_words,
    team_calendar,
    week_of,
)

# Who may be put on call: people who answer tickets.
ON_CALL_ROLES = {Role.ADMIN.value, Role.AGENT.value, Role.SUCCESS_MANAGER.value}
MAX_WEEKS = 53


def week_monday(text: str, field: str = "path.week") -> date:
    try:
        return parse_week(text)
    except WeekError as exc:
        raise InvalidInput.for_field(field, str(exc)) from None


async def rota(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    first: str | None = None,
    weeks: int = 8,
) -> list[OnCallWeekOut]:
    """`weeks` weeks of the rota from `first` (default: this week), empty weeks included."""
    allow(principal, *STAFF)
    calendar = team_calendar(settings.team_calendar)
    monday = week_monday(first, "query.from") if first else week_of(calendar, datetime.now(UTC))
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput.for_field("query.weeks", f"must be between 1 and {MAX_WEEKS}")
    mondays = [monday + timedelta(weeks=i) for i in range(weeks)]
    if mondays[-1] > LAST_ROTA_MONDAY:
        raise InvalidInput.for_field(
            "query.weeks",
            f"{weeks} weeks from {iso_week(monday)} go past the weeks the rota covers: "
            f"{rota_weeks_words()}",
        )
    found = await on_call.weeks_between(session, mondays[0], mondays[-1])
    return [_out(calendar, m, found.get(m)) for m in mondays]


async def set_week(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    week: str,
    body: OnCallSet,
) -> OnCallWeekOut:
    """Put someone on call for a week (replacing whoever was)."""
    allow(principal)
    monday = week_monday(week)
    calendar = team_calendar(settings.team_calendar)
    await _on_call_user(session, body.user_id, "body.user_id")
    if body.holiday_user_id is not None:
        await _on_call_user(session, body.holiday_user_id, "body.holiday_user_id")
    row = await session.get(OnCallWeek, monday)
    if row is None:
        row = OnCallWeek(monday=monday)
        session.add(row)
    row.user_id = body.user_id
    row.holiday_user_id = body.holiday_user_id
    row.set_by = principal.full_name or principal.name
    row.set_at = utcnow()
    await session.flush()
    found = await on_call.weeks_between(session, monday, monday)
    return _out(calendar, monday, found.get(monday))


async def clear_week(
    session: AsyncSession, settings: Settings, principal: Principal, week: str
) -> None:
    """Nobody on call that week: its pages go to the team address. Clearing twice is fine."""
    allow(principal)
    monday = week_monday(week)
    await session.execute(delete(OnCallWeek).where(OnCallWeek.monday == monday))


async def _on_call_user(session: AsyncSession, user_id: int, field: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise InvalidInput.for_field(field, f"no user with id {user_id}")
    if user.removed_at is not None:
        raise InvalidInput.for_field(field, f"{user.full_name} no longer works here")
    if not ON_CALL_ROLES & set(user.roles):
        raise InvalidInput.for_field(
            field,
            f"{user.full_name} does not answer tickets (an agent, success manager or admin "
            "may be on call)",
        )
    return user


def _person(user: User | None) -> OnCallPerson | None:
    if user is None:
        return None
    return OnCallPerson(user_id=user.id, name=user.full_name, email=user.email)


def _out(calendar: Calendar, monday: date, found: on_call.RotaWeek | None) -> OnCallWeekOut:
    tz = calendar.tzinfo
    starts = datetime.combine(monday, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    ends = datetime.combine(monday + timedelta(weeks=1), datetime.min.time(), tzinfo=tz).astimezone(
        UTC
    )
    return OnCallWeekOut(
        week=iso_week(monday),
        starts_at=starts,
        ends_at=ends,
        person=_person(found.person) if found else None,
        holiday_cover=_person(found.holiday_cover) if found else None,
        bank_holidays=[BankHoliday(date=d, name=n) for d, n in bank_holidays(calendar, monday)],
        set_by=found.row.set_by if found else None,
        set_at=found.row.set_at if found else None,
    )
