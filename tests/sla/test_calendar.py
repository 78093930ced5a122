"""Hand-computed cases: weekends, each UK nation's bank holidays, DST, closing times, breaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import Calendar, HolidaySource, parse_closure

from .conftest import Z, london

H = timedelta(hours=1)
M = timedelta(minutes=1)


# ------------------------------------------------------------------ weekends and open/closed


def test_weekend_is_skipped(lon: Calendar) -> None:
    # Fri 17:00-18:00 is one hour; the second starts Monday 08:30.
    assert lon.add_business(Z(2026, 11, 20, 17), 2 * H) == Z(2026, 11, 23, 9, 30)


def test_start_during_weekend_counts_from_monday_opening(lon: Calendar) -> None:
    assert lon.add_business(Z(2026, 11, 21, 12), H) == Z(2026, 11, 23, 9, 30)


def test_start_exactly_at_opening(lon: Calendar) -> None:
    assert lon.is_open(Z(2026, 11, 16, 8, 30))
    assert lon.next_open(Z(2026, 11, 16, 8, 30)) == Z(2026, 11, 16, 8, 30)
    assert lon.add_business(Z(2026, 11, 16, 8, 30), H) == Z(2026, 11, 16, 9, 30)


def test_start_exactly_at_closing_counts_from_next_opening(lon: Calendar) -> None:
    assert not lon.is_open(Z(2026, 11, 16, 18))
    assert lon.next_open(Z(2026, 11, 16, 18)) == Z(2026, 11, 17, 8, 30)
    assert lon.add_business(Z(2026, 11, 16, 18), H) == Z(2026, 11, 17, 9, 30)


def test_due_exactly_at_closing_stays_at_closing(lon: Calendar) -> None:
    assert lon.add_business(Z(2026, 11, 17, 8, 30), timedelta(hours=9, minutes=30)) == Z(
        2026, 11, 17, 18
    )
    assert lon.add_business(Z(2026, 11, 17, 8, 30), timedelta(hours=9, minutes=31)) == Z(
        2026, 11, 18, 8, 31
    )
    # Whole days: 19 business hours from an opening end at the second day's close.
    assert lon.add_business(Z(2026, 11, 16, 8, 30), 19 * H) == Z(2026, 11, 17, 18)


def test_zero_duration_is_due_at_start(lon: Calendar) -> None:
    assert lon.add_business(Z(2026, 11, 21, 12), timedelta(0)) == Z(2026, 11, 21, 12)


def test_business_between(lon: Calendar) -> None:
    assert lon.business_between(Z(2026, 11, 20, 17), Z(2026, 11, 23, 9, 30)) == 2 * H
    assert lon.business_between(Z(2026, 11, 23, 9, 30), Z(2026, 11, 20, 17)) == -2 * H
    # A whole week of 08:30-18:00 is 47.5 hours.
    assert lon.business_between(Z(2026, 11, 16), Z(2026, 11, 23)) == timedelta(hours=47.5)


def test_long_durations_jump_weeks_and_years(lon: Calendar) -> None:
    # 475 business hours = 50 working days of 9.5 hours.
    start = Z(2026, 11, 16, 8, 30)
    result = lon.add_business(start, 475 * H)
    assert lon.business_between(start, result) == 475 * H
    # Nov 16 + 50 working days, skipping 25 and 28 Dec and 1 Jan: ends at closing on 27 Jan 2027.
    assert result == Z(2027, 1, 27, 18)


def test_naive_datetimes_are_refused(lon: Calendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        lon.add_business(datetime(2026, 11, 16, 9), H)
    with pytest.raises(ValueError, match="naive"):
        lon.is_open(datetime(2026, 11, 16, 9))


def test_results_are_utc_whatever_the_input_zone(lon: Calendar) -> None:
    start = datetime(2026, 11, 19, 17, tzinfo=ZoneInfo("Europe/London"))
    result = lon.add_business(start, 8 * H)
    assert result.tzinfo is UTC
    assert result == Z(2026, 11, 20, 15, 30)
    paris = datetime(2026, 11, 19, 18, tzinfo=ZoneInfo("Europe/Paris"))  # the same instant
    assert lon.add_business(paris, 8 * H) == result


def test_negative_durations_are_refused(lon: Calendar) -> None:
    with pytest.raises(ValueError):
        lon.add_business(Z(2026, 11, 16, 9), -H)


# ------------------------------------------------------------------ bank holidays of each nation


def test_england_easter(lon: Calendar) -> None:
    # Thu 2 Apr 2026 16:00 BST: two hours left; Good Friday and Easter Monday closed.
    assert lon.add_business(Z(2026, 4, 2, 15), 4 * H) == Z(2026, 4, 7, 9, 30)


def test_start_during_a_holiday(lon: Calendar) -> None:
    assert not lon.is_open(Z(2026, 4, 3, 10))  # Good Friday
    assert lon.add_business(Z(2026, 4, 3, 10), H) == Z(2026, 4, 7, 8, 30)


def test_christmas_2026_boxing_day_substitute(lon: Calendar) -> None:
    # 25 Dec is a Friday; Boxing Day falls on Saturday, so Monday 28 Dec is the substitute.
    assert not lon.is_working_day(date(2026, 12, 28))
    assert lon.add_business(Z(2026, 12, 24, 17), 2 * H) == Z(2026, 12, 29, 9, 30)


def test_scotland_2_january() -> None:
    start = Z(2025, 12, 31, 17)
    assert london(subdivisions=("SCT",)).add_business(start, 2 * H) == Z(2026, 1, 5, 9, 30)
    assert london().add_business(start, 2 * H) == Z(2026, 1, 2, 9, 30)


def test_scotland_st_andrews_day_monday_30_november_2026() -> None:
    start = Z(2026, 11, 27, 17)
    assert london(subdivisions=("SCT",)).add_business(start, 2 * H) == Z(2026, 12, 1, 9, 30)
    assert london().add_business(start, 2 * H) == Z(2026, 11, 30, 9, 30)


def test_northern_ireland_st_patricks_day() -> None:
    start = Z(2026, 3, 16, 17)
    assert london(subdivisions=("NIR",)).add_business(start, 2 * H) == Z(2026, 3, 18, 9, 30)
    assert london().add_business(start, 2 * H) == Z(2026, 3, 17, 9, 30)


def test_northern_ireland_battle_of_the_boyne_observed_monday_13_july_2026() -> None:
    start = Z(2026, 7, 10, 16)  # Friday 17:00 BST
    assert london(subdivisions=("NIR",)).add_business(start, 2 * H) == Z(2026, 7, 14, 8, 30)
    assert london().add_business(start, 2 * H) == Z(2026, 7, 13, 8, 30)


def test_wales_matches_england_and_any_part_of_the_uk_is_the_union() -> None:
    wales = london(subdivisions=("WLS",))
    uk = london(subdivisions=("ENG", "WLS", "SCT", "NIR"))
    for day in (date(2026, 4, 6), date(2026, 8, 31)):
        assert not wales.is_working_day(day)
    for day in (
        date(2026, 1, 2),
        date(2026, 3, 17),
        date(2026, 4, 6),
        date(2026, 7, 13),
        date(2026, 8, 3),
        date(2026, 8, 31),
        date(2026, 11, 30),
    ):
        assert not uk.is_working_day(day), day
    assert uk.is_working_day(date(2026, 11, 27))


def test_holiday_subdivision_names_resolve_to_codes() -> None:
    cal = Calendar("Europe/London", {"mon-fri": ["09:00-17:00"]}, holidays=["GB-SCT"])
    assert not cal.is_working_day(date(2026, 11, 30))


# ------------------------------------------------------------------ daylight saving


def test_spring_forward_london(lon: Calendar) -> None:
    # Fri 27 Mar (GMT) closes 18:00Z; Mon 30 Mar (BST) opens 07:30Z.
    assert lon.add_business(Z(2026, 3, 27, 17), 2 * H) == Z(2026, 3, 30, 8, 30)
    assert lon.open_intervals(date(2026, 3, 30)) == [(Z(2026, 3, 30, 7, 30), Z(2026, 3, 30, 17))]


def test_fall_back_london(lon: Calendar) -> None:
    # Fri 23 Oct (BST) closes 17:00Z; Mon 26 Oct (GMT) opens 08:30Z.
    assert lon.add_business(Z(2026, 10, 23, 16), 2 * H) == Z(2026, 10, 26, 9, 30)


def test_summer_interval_is_in_local_time(lon: Calendar) -> None:
    assert lon.open_intervals(date(2026, 7, 1)) == [(Z(2026, 7, 1, 7, 30), Z(2026, 7, 1, 17))]
    assert lon.open_intervals(date(2026, 1, 7)) == [(Z(2026, 1, 7, 8, 30), Z(2026, 1, 7, 18))]


def test_all_day_interval_on_23_and_25_hour_days() -> None:
    sundays = Calendar("Europe/London", {"sun": ["00:00-24:00"]})
    assert sundays.business_between(Z(2026, 3, 28, 12), Z(2026, 3, 30, 12)) == 23 * H
    assert sundays.business_between(Z(2026, 10, 24, 12), Z(2026, 10, 26, 12)) == 25 * H
    assert sundays.add_business(Z(2026, 3, 28, 12), 23 * H) == Z(
        2026, 3, 29, 23
    )  # 00:00 BST Monday


def test_night_interval_across_the_jump() -> None:
    cal = Calendar("Europe/London", {"sun": ["00:30-03:00"]})
    # Spring: 00:30 GMT to 03:00 BST is 1.5 real hours; autumn: 00:30 BST to 03:00 GMT is 3.5.
    assert cal.open_intervals(date(2026, 3, 29)) == [(Z(2026, 3, 29, 0, 30), Z(2026, 3, 29, 2))]
    assert cal.open_intervals(date(2026, 10, 25)) == [(Z(2026, 10, 24, 23, 30), Z(2026, 10, 25, 3))]


def test_opening_inside_the_spring_gap_opens_when_the_clocks_jump() -> None:
    cal = Calendar("Europe/London", {"sun": ["01:30-04:00"]})
    # 01:30 does not exist on 29 March 2026: the clocks go from 01:00 GMT to 02:00 BST.
    assert cal.open_intervals(date(2026, 3, 29)) == [(Z(2026, 3, 29, 1), Z(2026, 3, 29, 3))]


def test_us_eastern_dst_with_early_friday_close() -> None:
    cal = Calendar(
        "America/New_York", {"mon-thu": ["00:00-24:00"], "fri": ["00:00-20:00"]}, holidays=["US"]
    )
    # Spring forward Sun 8 Mar 2026: Fri closes 20:00 EST = 01:00Z; Mon opens 00:00 EDT = 04:00Z.
    assert cal.add_business(Z(2026, 3, 6, 23), 4 * H) == Z(2026, 3, 9, 6)
    # Fall back Sun 1 Nov 2026: Fri closes 20:00 EDT = 00:00Z; Mon opens 00:00 EST = 05:00Z.
    assert cal.add_business(Z(2026, 10, 30, 22), 4 * H) == Z(2026, 11, 2, 7)


def test_working_days_keep_local_wall_time_across_dst(lon: Calendar) -> None:
    # 10:00 GMT on Friday 27 March is 10:00 BST on Monday 30 March.
    assert lon.add_working_days(Z(2026, 3, 27, 10), 1) == Z(2026, 3, 30, 9)
    assert lon.add_working_days(Z(2026, 10, 23, 9), 1) == Z(2026, 10, 26, 10)


# ------------------------------------------------------------------ several intervals a day, 24:00


def test_lunch_break(lunch: Calendar) -> None:
    monday = Z(2026, 11, 16, 9)
    assert lunch.add_business(monday, timedelta(hours=3.5)) == Z(2026, 11, 16, 12, 30)
    assert lunch.add_business(monday, 4 * H) == Z(2026, 11, 16, 14)
    assert lunch.add_business(Z(2026, 11, 16, 12, 45), 30 * M) == Z(2026, 11, 16, 14)
    assert not lunch.is_open(Z(2026, 11, 16, 12, 30))
    assert lunch.is_open(Z(2026, 11, 16, 13, 30))
    assert lunch.business_between(Z(2026, 11, 16, 12), Z(2026, 11, 16, 14)) == H


def test_touching_intervals_are_one(lon: Calendar) -> None:
    split = Calendar(
        "Europe/London",
        {"mon-fri": ["08:30-12:00", "12:00-18:00"]},
        holidays=[HolidaySource("GB", ("ENG", "WLS"))],
    )
    assert split.week == lon.week


def test_interval_ending_at_midnight(late: Calendar) -> None:
    monday = Z(2026, 11, 16, 20)
    assert late.add_business(monday, 4 * H) == Z(2026, 11, 17, 0)  # due at the 24:00 close
    assert not late.is_open(Z(2026, 11, 17, 0))
    assert late.add_business(monday, 7 * H) == Z(2026, 11, 17, 21)
    assert late.next_open(Z(2026, 11, 17, 0)) == Z(2026, 11, 17, 18)


def test_working_days_on_a_shorter_day_are_due_at_its_close() -> None:
    cal = london({"mon-thu": ["09:00-17:00"], "fri": ["09:00-13:00"]})
    assert cal.add_working_days(Z(2026, 11, 19, 15), 1) == Z(2026, 11, 20, 13)


def test_working_days_in_a_lunch_gap_are_due_at_the_morning_close() -> None:
    cal = london(
        {"mon": ["09:00-17:00"], "tue": ["09:00-12:00", "14:00-17:00"], "wed-fri": ["09:00-17:00"]}
    )
    assert cal.add_working_days(Z(2026, 11, 16, 13), 1) == Z(2026, 11, 17, 12)


def test_working_days_before_a_later_opening_are_due_at_that_opening() -> None:
    cal = london({"mon": ["09:00-17:00"], "tue": ["11:00-17:00"], "wed-fri": ["09:00-17:00"]})
    assert cal.add_working_days(Z(2026, 11, 16, 9, 30), 1) == Z(2026, 11, 17, 11)


# ------------------------------------------------------------------ working days


def test_working_days_from_closed_starts(lon: Calendar) -> None:
    assert lon.add_working_days(Z(2026, 11, 17, 19), 1) == Z(2026, 11, 19, 8, 30)  # after closing
    assert lon.add_working_days(Z(2026, 11, 17, 7), 1) == Z(2026, 11, 18, 8, 30)  # before opening
    assert lon.add_working_days(Z(2026, 11, 20, 10), 1) == Z(2026, 11, 23, 10)  # Friday to Monday
    assert lon.add_working_days(Z(2026, 11, 21, 10), 1) == Z(2026, 11, 24, 8, 30)  # Saturday
    assert lon.add_working_days(Z(2026, 12, 24, 10), 1) == Z(2026, 12, 29, 10)  # Christmas


def test_working_days_zero_is_the_counting_start(lon: Calendar) -> None:
    assert lon.add_working_days(Z(2026, 11, 21, 10), 0) == Z(2026, 11, 23, 8, 30)


def test_working_days_must_be_whole(lon: Calendar) -> None:
    with pytest.raises(ValueError):
        lon.add_working_days(Z(2026, 11, 17, 9), 1.5)  # type: ignore[arg-type]


# ------------------------------------------------------------------ end of working day


def test_end_of_working_day_counts_from_the_day_after_receipt(lon: Calendar) -> None:
    assert lon.end_of_working_day(Z(2026, 11, 21, 10), 1) == Z(
        2026, 11, 24
    )  # Saturday -> end of Monday
    assert lon.end_of_working_day(Z(2026, 11, 16, 23, 59), 1) == Z(2026, 11, 18)
    assert lon.end_of_working_day(Z(2026, 12, 23, 10), 2) == Z(2026, 12, 30)  # 24, then 29 Dec
    assert lon.end_of_working_day(Z(2026, 11, 16, 10), 0) == Z(2026, 11, 17)


def test_end_of_working_day_is_local_midnight_across_dst(lon: Calendar) -> None:
    assert lon.end_of_working_day(Z(2026, 3, 27, 10), 1) == Z(2026, 3, 30, 23)  # 00:00 BST, 31 Mar
    assert lon.end_of_working_day(Z(2026, 10, 23, 10), 1) == Z(2026, 10, 27, 0)


def test_end_of_working_day_uses_the_local_date_of_receipt(lon: Calendar) -> None:
    # 22:30Z on Sunday 5 July is still Sunday in London; 23:30Z is already Monday.
    assert lon.end_of_working_day(Z(2026, 7, 5, 22, 30), 1) == Z(2026, 7, 6, 23)
    assert lon.end_of_working_day(Z(2026, 7, 5, 23, 30), 1) == Z(2026, 7, 7, 23)


def test_end_of_working_day_per_nation() -> None:
    received = Z(2026, 11, 27, 12)  # Friday
    scotland = Calendar.working_days_only("Europe/London", ["GB-SCT"])
    england = Calendar.working_days_only("Europe/London", ["GB-ENG+WLS"])
    assert scotland.end_of_working_day(received, 1) == Z(2026, 12, 2)
    assert england.end_of_working_day(received, 1) == Z(2026, 12, 1)


# ------------------------------------------------------------------ closures


def test_recurring_christmas_closure_across_new_year(putty: Calendar) -> None:
    assert putty.add_business(Z(2026, 12, 23, 16), 2 * H) == Z(2027, 1, 4, 10)
    for day in (date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 1), date(2025, 12, 30)):
        assert not putty.is_working_day(day)
    assert putty.is_working_day(date(2026, 12, 23))
    assert putty.closed_days(2027)[date(2027, 1, 1)] in ("New Year's Day", "Christmas")


def test_fixed_closure_across_new_year() -> None:
    cal = london(closures=[parse_closure("Office move", "2026-12-30", "2027-01-05")])
    assert cal.add_business(Z(2026, 12, 29, 17), 2 * H) == Z(2027, 1, 6, 9, 30)
    assert cal.is_working_day(date(2027, 12, 30))  # not repeated the next year


def test_bad_closures_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_closure("x", "2026-12-30", "12-31")
    with pytest.raises(ValueError):
        parse_closure("x", "2027-01-05", "2026-12-30")
    with pytest.raises(ValueError):
        parse_closure("x", "13-01", "12-31")


# ------------------------------------------------------------------ special calendars


def test_always_open_is_elapsed_time() -> None:
    cal = Calendar.always_open("Europe/London")
    assert cal.is_always_open
    assert cal.add_business(Z(2026, 3, 28, 12), 48 * H) == Z(2026, 3, 30, 12)
    assert cal.business_between(Z(2026, 10, 24), Z(2026, 10, 26)) == 48 * H


def test_working_days_only_calendar() -> None:
    cal = Calendar.working_days_only("Europe/London", ["GB-ENG+WLS"])
    assert cal.is_working_day(date(2026, 11, 16))
    assert not cal.is_working_day(date(2026, 11, 21))
    assert not cal.is_always_open


def test_working_weekdays_can_be_declared() -> None:
    cal = Calendar("Europe/London", {"mon-sat": ["09:00-13:00"]}, working_weekdays=range(5))
    assert not cal.is_working_day(date(2026, 11, 21))  # open on Saturday, but not a working day
    assert cal.add_working_days(Z(2026, 11, 20, 10), 1) == Z(2026, 11, 23, 10)
    assert cal.add_business(Z(2026, 11, 20, 12), 2 * H) == Z(2026, 11, 21, 10)
    with pytest.raises(ValueError, match="opening hours"):
        Calendar("Europe/London", {"mon-fri": ["09:00-13:00"]}, working_weekdays=[5])


def test_bad_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Calendar("Europe/Lundon", {"mon-fri": ["09:00-17:00"]})
    with pytest.raises(ValueError, match="overlap"):
        Calendar("Europe/London", {"mon-fri": ["09:00-13:00"], "mon": ["12:00-14:00"]})
    with pytest.raises(ValueError, match="malformed"):
        Calendar("Europe/London", {"mon-fri": ["9-17"]})
    with pytest.raises(ValueError, match="open"):
        Calendar("Europe/London", {})


def test_far_future_and_past_instants(lon: Calendar) -> None:
    assert lon.add_business(Z(2090, 6, 5, 12), H) == Z(2090, 6, 5, 13)  # a Monday in BST
    assert lon.add_business(Z(2001, 1, 2, 9), H) == Z(2001, 1, 2, 10)


def test_end_of_working_day_from_a_local_date(lon: Calendar) -> None:
    assert lon.end_of_working_day(date(2026, 11, 16), 5) == Z(2026, 11, 24)
    assert lon.end_of_working_day(date(2026, 7, 5), 1) == Z(2026, 7, 6, 23)


def test_uk_jurisdiction_calendars() -> None:
    from sla import uk_working_days

    received = Z(2026, 11, 27, 12)  # Friday; St Andrew's Day is Monday 30 November
    assert uk_working_days("scotland").end_of_working_day(received, 1) == Z(2026, 12, 2)
    assert uk_working_days().end_of_working_day(received, 1) == Z(2026, 12, 1)
    assert uk_working_days("uk") is uk_working_days("uk")
    assert not uk_working_days("northern-ireland").is_working_day(date(2026, 7, 13))
    with pytest.raises(ValueError, match="unknown UK jurisdiction"):
        uk_working_days("cornwall")
