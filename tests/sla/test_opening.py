"""Is support open now, and when does that change: instants checked by hand against the presets.

UK clocks went forward on Sunday 29 March 2026 at 01:00Z and go back on Sunday 25 October 2026
at 01:00Z; US clocks go back on Sunday 1 November 2026 at 06:00Z (02:00 EDT). Singapore is
UTC+8 all year, so its Monday starts on Sunday at 16:00Z.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sla import Calendar, get_policy
from sla.opening import (
    ClosedSpell,
    Opening,
    closed_spells,
    cover_calendars,
    opening,
    support_calendars,
)

from .conftest import EW, Z


def eshot() -> Calendar:
    return get_policy("e-shot").calendar()  # Mon-Fri 08:30-18:00 UK, England & Wales


def putty() -> Calendar:
    return get_policy("electric-putty").calendar()  # 09:00-17:00 UK, Christmas closure


def essensys(region: str) -> Calendar:
    return get_policy("essensys").calendar(region)


def is_open(at: datetime, closes: datetime | None) -> Opening:
    return Opening(at, True, closes, None, None)


def is_closed(at: datetime, opens: datetime, why: str | None = None) -> Opening:
    return Opening(at, False, None, opens, why)


# ------------------------------------------------------------------ a Friday evening


def test_friday_afternoon_is_open_until_six_and_the_evening_waits_for_monday() -> None:
    friday = Z(2026, 12, 4, 17)  # 17:00 GMT
    assert opening(eshot(), friday) == is_open(friday, Z(2026, 12, 4, 18))
    evening = Z(2026, 12, 4, 18, 30)
    assert opening(eshot(), evening) == is_closed(evening, Z(2026, 12, 7, 8, 30))
    # Closing time itself is closed (an interval's end is not in it).
    assert not opening(eshot(), Z(2026, 12, 4, 18)).is_open


def test_an_instant_before_opening_opens_the_same_day() -> None:
    early = Z(2026, 12, 7, 7)
    assert opening(eshot(), early) == is_closed(early, Z(2026, 12, 7, 8, 30))


# ------------------------------------------------------------------ bank holidays


def test_a_bank_holiday_is_closed_for_its_name_and_the_friday_before_skips_it() -> None:
    monday = Z(2026, 8, 31, 9)  # 10:00 BST, Late Summer Bank Holiday
    assert opening(eshot(), monday) == is_closed(
        monday, Z(2026, 9, 1, 7, 30), "Late Summer Bank Holiday"
    )
    friday = Z(2026, 8, 28, 17, 30)  # 18:30 BST
    assert opening(eshot(), friday) == is_closed(friday, Z(2026, 9, 1, 7, 30))


def test_us_thanksgiving_shuts_the_eastern_desk_from_wednesday_midnight() -> None:
    wednesday = Z(2026, 11, 25, 12)
    # Open all Wednesday; Thursday is Thanksgiving, so the stretch ends at midnight EST.
    assert opening(essensys("us-eastern"), wednesday) == is_open(wednesday, Z(2026, 11, 26, 5))
    thursday = Z(2026, 11, 26, 17)
    assert opening(essensys("us-eastern"), thursday) == is_closed(
        thursday, Z(2026, 11, 27, 5), "Thanksgiving Day"
    )
    # Friday opens at midnight and closes early, at 20:00 EST (01:00Z on Saturday).
    assert opening(essensys("us-eastern"), Z(2026, 11, 27, 5)).closes_at == Z(2026, 11, 28, 1)


def test_a_holiday_on_a_weekend_is_not_the_reason_support_is_closed() -> None:
    saturday = Z(2026, 12, 26, 12)  # Boxing Day, a Saturday: closed because it is Saturday
    # Monday 28th is Boxing Day (observed): the next opening is Tuesday 29th.
    assert opening(eshot(), saturday) == is_closed(saturday, Z(2026, 12, 29, 8, 30))


# ------------------------------------------------------------------ Christmas closure


def test_electric_putty_closes_for_christmas_and_opens_on_the_first_monday() -> None:
    wednesday = Z(2026, 12, 23, 16)
    assert opening(putty(), wednesday) == is_open(wednesday, Z(2026, 12, 23, 17))
    evening = Z(2026, 12, 23, 17, 30)
    # 24 December to 1 January closed; 2 and 3 January are a weekend.
    assert opening(putty(), evening) == is_closed(evening, Z(2027, 1, 4, 9))
    eve = Z(2026, 12, 24, 10)
    assert opening(putty(), eve) == is_closed(eve, Z(2027, 1, 4, 9), "Christmas closure")
    # A bank holiday inside the closure keeps its own name for the day.
    assert opening(putty(), Z(2026, 12, 25, 10)).closed_for == "Christmas Day"


def test_the_christmas_closure_is_one_spell_across_the_new_year() -> None:
    spells = closed_spells(putty(), date(2026, 12, 1), date(2027, 6, 1))
    assert spells[0] == ClosedSpell(date(2026, 12, 24), date(2027, 1, 1), "Christmas closure")
    assert [s.name for s in spells[1:]] == [
        "Good Friday",
        "Easter Monday",
        "May Day",
        "Spring Bank Holiday",
    ]
    # Under way on 30 December: still listed, from its first day.
    assert closed_spells(putty(), date(2026, 12, 30), date(2027, 1, 31))[0].first == date(
        2026, 12, 24
    )


def test_holidays_on_days_support_is_shut_anyway_are_not_listed() -> None:
    spells = closed_spells(eshot(), date(2026, 12, 20), date(2027, 1, 10))
    # Boxing Day falls on Saturday 26th: only its Monday substitute closes support.
    assert spells == [
        ClosedSpell(date(2026, 12, 25), date(2026, 12, 25), "Christmas Day"),
        ClosedSpell(date(2026, 12, 28), date(2026, 12, 28), "Boxing Day (observed)"),
        ClosedSpell(date(2027, 1, 1), date(2027, 1, 1), "New Year's Day"),
    ]


# ------------------------------------------------------------------ the nights the clocks change


def test_after_the_clocks_go_back_monday_opens_an_hour_later_in_utc() -> None:
    friday = Z(2026, 10, 23, 16, 59)  # 17:59 BST
    assert opening(eshot(), friday) == is_open(friday, Z(2026, 10, 23, 17))
    night = Z(2026, 10, 25, 0, 30)  # 01:30 BST, the first of the two 01:30s
    assert opening(eshot(), night) == is_closed(night, Z(2026, 10, 26, 8, 30))


def test_after_the_clocks_go_forward_monday_opens_an_hour_earlier_in_utc() -> None:
    friday = Z(2026, 3, 27, 17)  # 17:00 GMT: closing time
    assert opening(putty(), friday) == is_closed(friday, Z(2026, 3, 30, 8))  # 09:00 BST


def test_the_us_desk_reopens_at_midnight_est_after_the_clocks_go_back() -> None:
    # Friday 30 October closes at 20:00 EDT (00:00Z); Monday 2 November opens at 00:00 EST.
    assert opening(essensys("us-eastern"), Z(2026, 10, 30, 23)).closes_at == Z(2026, 10, 31)
    saturday = Z(2026, 10, 31, 12)
    assert opening(essensys("us-eastern"), saturday) == is_closed(saturday, Z(2026, 11, 2, 5))


def test_a_weekend_desk_closes_at_monday_midnight_across_the_short_night() -> None:
    weekend = Calendar("Europe/London", {"sat-sun": ["00:00-24:00"]})
    saturday = Z(2026, 3, 28, 12)
    # Sunday 29 March has 23 hours; Monday 00:00 BST is Sunday 23:00Z.
    assert opening(weekend, saturday) == is_open(saturday, Z(2026, 3, 29, 23))
    # And Sunday 25 October has 25: Monday 00:00 GMT is 00:00Z.
    assert opening(weekend, Z(2026, 10, 24, 12)).closes_at == Z(2026, 10, 26)


def test_an_hour_the_clocks_skip_is_never_open_and_the_hour_they_repeat_is_open_twice() -> None:
    night = Calendar("Europe/London", {"sun": ["01:00-02:00"]})
    # 29 March: 01:00 GMT jumps to 02:00 BST, so that Sunday's hour never comes.
    saturday = Z(2026, 3, 28, 12)
    assert opening(night, saturday) == is_closed(saturday, Z(2026, 4, 5, 0))  # 01:00 BST
    # 25 October: 01:00 BST (00:00Z) to 02:00 GMT (02:00Z) is two hours long.
    assert opening(night, Z(2026, 10, 24, 12)).opens_at == Z(2026, 10, 25, 0)
    assert opening(night, Z(2026, 10, 25, 1, 30)) == is_open(
        Z(2026, 10, 25, 1, 30), Z(2026, 10, 25, 2)
    )


# ------------------------------------------------------------------ APAC across midnight UTC


def test_apac_opens_on_sunday_in_utc_and_closes_on_friday_in_utc() -> None:
    apac = essensys("apac")
    sunday = Z(2026, 11, 22, 15, 59)  # 23:59 Sunday in Singapore
    assert opening(apac, sunday) == is_closed(sunday, Z(2026, 11, 22, 16))
    monday = Z(2026, 11, 22, 16)  # 00:00 Monday in Singapore, still Sunday in UTC
    assert opening(apac, monday) == is_open(monday, Z(2026, 11, 27, 16))
    friday = Z(2026, 11, 27, 16, 30)  # Friday in UTC, Saturday 00:30 in Singapore
    assert opening(apac, friday) == is_closed(friday, Z(2026, 11, 29, 16))


def test_apac_is_shut_on_a_singapore_holiday_that_starts_on_sunday_in_utc() -> None:
    apac = essensys("apac")
    # Monday 9 November 2026 is Diwali (observed) in Singapore.
    assert opening(apac, Z(2026, 11, 6, 12)).closes_at == Z(2026, 11, 6, 16)
    holiday = Z(2026, 11, 8, 17)  # Monday 01:00 in Singapore
    assert opening(apac, holiday) == is_closed(holiday, Z(2026, 11, 9, 16), "Diwali (observed)")


# ------------------------------------------------------------------ long stretches, 24/7


def test_a_desk_open_all_week_closes_when_the_week_ends() -> None:
    tuesday = Z(2026, 12, 1, 10)
    # UK/EU business days run 00:00-24:00: one stretch to Saturday 00:00 GMT.
    assert opening(essensys("uk-eu"), tuesday) == is_open(tuesday, Z(2026, 12, 5))


def test_a_daily_desk_closes_on_its_next_holiday_and_a_24_7_line_never_closes() -> None:
    daily = Calendar("Europe/London", {"daily": ["00:00-24:00"]}, holidays=[EW])
    assert opening(daily, Z(2026, 12, 1, 10)).closes_at == Z(2026, 12, 25)
    emergency = get_policy("e-shot").calendar("emergency")
    state = opening(emergency, Z(2026, 10, 25, 1, 30))
    assert state.is_open and state.closes_at is None and state.round_the_clock


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        opening(eshot(), datetime(2026, 12, 4, 17))


# ------------------------------------------------------------------ which calendars


def test_the_persons_region_comes_first_then_the_policys_other_regions() -> None:
    policy = get_policy("essensys")
    assert support_calendars(policy) == ["uk-eu", "us-eastern", "us-central", "us-pacific", "apac"]
    assert support_calendars(policy, "us-central") == [
        "us-central",
        "uk-eu",
        "us-eastern",
        "us-pacific",
        "apac",
    ]
    assert support_calendars(policy, "mars")[0] == "uk-eu"  # a stale region: the default


def test_emergency_lines_and_pinned_calendars_are_cover_not_regions() -> None:
    assert support_calendars(get_policy("e-shot")) == ["support"]
    assert cover_calendars(get_policy("e-shot")) == {"emergency": []}
    assert support_calendars(get_policy("web-agency")) == ["office"]
    assert cover_calendars(get_policy("web-agency")) == {"around-the-clock": ["mission-critical"]}
    assert cover_calendars(get_policy("spotler")) == {}
