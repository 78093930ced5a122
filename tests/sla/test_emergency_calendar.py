"""e-shot's 24/7 emergency support: an emergency out of hours counts on the emergency calendar.

Checked by hand. Saturday 21 November 2026, 22:00 London (GMT, so 22:00Z).
"""

from __future__ import annotations

import pytest

from sla import UnknownCalendar, compute_deadlines, get_policy

from .conftest import Z

SATURDAY_10PM = Z(2026, 11, 21, 22)


def test_the_emergency_line_and_an_agents_choice_pick_the_24_7_calendar() -> None:
    eshot = get_policy("e-shot")
    assert eshot.opening_calendar("emergency", None) == "emergency"
    assert eshot.opening_calendar("phone", None) is None  # the account's, i.e. support hours
    assert eshot.opening_calendar("phone", None, chosen="emergency") == "emergency"
    with pytest.raises(UnknownCalendar, match="no calendar 'night'"):
        eshot.opening_calendar("phone", None, chosen="night")
    # A policy with no emergency line leaves the channel alone.
    assert get_policy("spotler").opening_calendar("emergency", None) is None


def test_an_urgent_emergency_on_saturday_night_is_answered_within_the_hour() -> None:
    d = compute_deadlines(get_policy("e-shot"), "p1", SATURDAY_10PM, calendar="emergency")
    assert d.calendar == "emergency" and d.open_at_receipt
    # 1 business hour on a calendar always open: 23:00 the same night.
    assert d.first_response_due == Z(2026, 11, 21, 23)
    # 1 working day on the 24/7 calendar: the same time on Sunday.
    assert d.resolution_due == Z(2026, 11, 22, 22)


def test_on_the_support_calendar_the_same_ticket_waits_for_monday() -> None:
    d = compute_deadlines(get_policy("e-shot"), "p1", SATURDAY_10PM)
    assert d.calendar == "support" and not d.open_at_receipt
    # Counted from Monday 23rd 08:30: first response 09:30, resolution Tuesday 08:30.
    assert d.first_response_due == Z(2026, 11, 23, 9, 30)
    assert d.resolution_due == Z(2026, 11, 24, 8, 30)


def test_a_p2_emergency_gets_two_hours_not_the_out_of_hours_four() -> None:
    # The 24/7 calendar is open, so P2's in-hours 2 business hours apply: 00:00 Sunday.
    on_call = compute_deadlines(get_policy("e-shot"), "p2", SATURDAY_10PM, calendar="emergency")
    assert on_call.first_response_due == Z(2026, 11, 22, 0)
    # On support hours it is out of hours: 4 elapsed hours, 02:00 Sunday.
    usual = compute_deadlines(get_policy("e-shot"), "p2", SATURDAY_10PM)
    assert usual.first_response_due == Z(2026, 11, 22, 2)
