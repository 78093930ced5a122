"""The team's week: the next huddle, on-call weeks and who an emergency pages.

Checked by hand against the 2026 calendar: England & Wales bank holidays include Monday 25
May (Spring) and Monday 31 August (Summer); the clocks go forward on Sunday 29 March and back
on Sunday 25 October. The huddle is at 09:00 London time: 09:00Z in winter, 08:00Z in summer.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from sla import get_policy
from sla.team import (
    OnCallWeek,
    TeamCalendarError,
    WeekError,
    bank_holidays,
    iso_week,
    next_huddle,
    pages_on_call,
    parse_week,
    team_calendar,
    week_of,
    who_is_paged,
)

from .conftest import Z

NINE = time(9, 0)


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    return team_calendar("e-shot:support")


def test_after_fridays_huddle_the_next_is_monday(team) -> None:  # type: ignore[no-untyped-def]
    # Friday 20 November 2026, 09:00 GMT has just passed.
    assert next_huddle(team, Z(2026, 11, 20, 9, 0), NINE) == Z(2026, 11, 23, 9)
    # Before the huddle on Friday: that same morning.
    assert next_huddle(team, Z(2026, 11, 20, 7, 0), NINE) == Z(2026, 11, 20, 9)
    # Saturday afternoon: Monday.
    assert next_huddle(team, Z(2026, 11, 21, 15, 0), NINE) == Z(2026, 11, 23, 9)


def test_a_bank_holiday_monday_moves_the_huddle_to_tuesday(team) -> None:  # type: ignore[no-untyped-def]
    # Friday 22 May 2026 after the huddle (BST: 09:00 local is 08:00Z); Monday 25 May is the
    # Spring bank holiday, so Tuesday 26 May 08:00Z.
    assert next_huddle(team, Z(2026, 5, 22, 8, 0), NINE) == Z(2026, 5, 26, 8)
    # Christmas 2026: Friday 25th and Monday 28th (Boxing Day's substitute) are closed.
    assert next_huddle(team, Z(2026, 12, 24, 9, 0), NINE) == Z(2026, 12, 29, 9)


def test_the_clocks_changing_over_the_weekend_keeps_nine_oclock_local(team) -> None:  # type: ignore[no-untyped-def]
    # Friday 27 March 2026 09:00 GMT = 09:00Z; Monday 30 March 09:00 BST = 08:00Z.
    assert next_huddle(team, Z(2026, 3, 27, 9, 0), NINE) == Z(2026, 3, 30, 8)
    # Friday 23 October 09:00 BST = 08:00Z; Monday 26 October 09:00 GMT = 09:00Z.
    assert next_huddle(team, Z(2026, 10, 23, 8, 0), NINE) == Z(2026, 10, 26, 9)


def test_weeks_are_read_as_iso_weeks_or_their_monday() -> None:
    assert parse_week("2026-W47") == date(2026, 11, 16)
    assert parse_week("2026-11-16") == date(2026, 11, 16)
    assert iso_week(date(2026, 11, 16)) == "2026-W47"
    # 2027-01-01 is a Friday of ISO week 2026-W53.
    assert parse_week("2026-W53") == date(2026, 12, 28)
    with pytest.raises(WeekError, match="Wednesday; a week starts on a Monday \\(2026-11-16"):
        parse_week("2026-11-18")
    with pytest.raises(WeekError, match="2025 has no week 53"):
        parse_week("2025-W53")
    with pytest.raises(WeekError, match="ISO week such as 2026-W47"):
        parse_week("next week")


def test_a_rota_names_only_weeks_from_2000_to_2099() -> None:
    assert parse_week("2000-W01") == date(2000, 1, 3)
    assert parse_week("2099-W53") == date(2099, 12, 28)
    for far in ("9999-12-27", "9999-W52", "0001-01-01", "1999-W52", "2100-01-04"):
        with pytest.raises(WeekError, match="is not a week the rota covers: 2000-W01"):
            parse_week(far)


def test_a_week_runs_monday_to_monday_in_london(team) -> None:  # type: ignore[no-untyped-def]
    # Sunday 29 March 2026 23:30 BST is 22:30Z: still the week of Monday 23rd.
    assert week_of(team, Z(2026, 3, 29, 22, 30)) == date(2026, 3, 23)
    # Monday 30 March 00:30 BST is Sunday 23:30Z: the new week, though UTC says Sunday.
    assert week_of(team, Z(2026, 3, 29, 23, 30)) == date(2026, 3, 30)


def test_bank_holidays_of_a_week_are_listed(team) -> None:  # type: ignore[no-untyped-def]
    assert bank_holidays(team, date(2026, 12, 21)) == [(date(2026, 12, 25), "Christmas Day")]
    days = [d for d, _ in bank_holidays(team, date(2026, 12, 28))]
    assert days == [date(2026, 12, 28), date(2027, 1, 1)]
    assert bank_holidays(team, date(2026, 11, 16)) == []


def test_a_holiday_cover_answers_on_the_bank_holiday_only(team) -> None:  # type: ignore[no-untyped-def]
    rota = [
        OnCallWeek(date(2026, 5, 25), "priya@example.com", holiday_cover="sam@example.com"),
        OnCallWeek(date(2026, 6, 1), "alex@example.com"),
    ]
    # Monday 25 May 2026 (Spring bank holiday) 14:00 BST.
    assert who_is_paged(team, rota, Z(2026, 5, 25, 13)) == "sam@example.com"
    # Tuesday night: the week's person.
    assert who_is_paged(team, rota, Z(2026, 5, 26, 22)) == "priya@example.com"
    # A week with no holiday cover: its person on every day.
    assert who_is_paged(team, rota, Z(2026, 6, 6, 22)) == "alex@example.com"
    # Nobody on the rota that week.
    assert who_is_paged(team, rota, Z(2026, 6, 10, 22)) is None


def test_an_emergency_pages_only_out_of_hours() -> None:
    eshot = get_policy("e-shot")
    saturday_night = Z(2026, 11, 21, 23)
    tuesday_morning = Z(2026, 11, 17, 10)
    assert pages_on_call(eshot, channel="emergency", calendar="emergency", at=saturday_night)
    assert not pages_on_call(eshot, channel="emergency", calendar="emergency", at=tuesday_morning)
    # An agent putting a phoned-in ticket on the 24/7 calendar pages too.
    assert pages_on_call(eshot, channel="phone", calendar="emergency", at=saturday_night)
    # An ordinary ticket at night pages nobody.
    assert not pages_on_call(eshot, channel="email", calendar=None, at=saturday_night)
    # 18:00 is closing time: out of hours; 17:59 is not.
    assert pages_on_call(eshot, channel="emergency", calendar="emergency", at=Z(2026, 11, 17, 18))
    assert not pages_on_call(
        eshot, channel="emergency", calendar="emergency", at=Z(2026, 11, 17, 17, 59)
    )
    # A policy with no emergency support never pages.
    spotler = get_policy("spotler")
    assert not pages_on_call(spotler, channel="emergency", calendar=None, at=saturday_night)


def test_an_unknown_team_calendar_is_named() -> None:
    assert team_calendar("e-shot").name == team_calendar("e-shot:support").name
    with pytest.raises(TeamCalendarError, match="PLEDGE_TEAM_CALENDAR='e-shot:night'"):
        team_calendar("e-shot:night")
    with pytest.raises(TeamCalendarError, match="no policy 'nobody'"):
        team_calendar("nobody:support")
