"""The worked examples of docs/deadlines.md, verbatim."""

from __future__ import annotations

from datetime import timedelta

from sla import Calendar, HolidaySource, Unit, due

from .conftest import Z


def design_calendar() -> Calendar:
    # "Mon-Fri 08:30-18:00 Europe/London, England & Wales holidays"
    return Calendar(
        "Europe/London",
        {"mon-fri": ["08:30-18:00"]},
        holidays=[HolidaySource("GB", ("ENG", "WLS"))],
    )


def test_8_business_hours_from_thursday_1700z_is_friday_1530z() -> None:
    assert design_calendar().add_business(Z(2026, 11, 19, 17), timedelta(hours=8)) == Z(
        2026, 11, 20, 15, 30
    )


def test_9_business_hours_from_tuesday_0900z_is_due_at_closing_the_same_day() -> None:
    assert design_calendar().add_business(Z(2026, 11, 17, 9), timedelta(hours=9)) == Z(
        2026, 11, 17, 18
    )


def test_10_working_days_from_wednesday_1015z() -> None:
    assert due(design_calendar(), Z(2026, 11, 18, 10, 15), 10, Unit.WORKING_DAYS) == Z(
        2026, 12, 2, 10, 15
    )


def test_complaint_received_monday_acknowledge_5_and_reply_20() -> None:
    jurisdiction = Calendar.working_days_only(
        "Europe/London", [HolidaySource("GB", ("ENG", "WLS"))]
    )
    for cal in (design_calendar(), jurisdiction):
        received = Z(2026, 11, 16, 11, 0)
        assert due(cal, received, 5, Unit.END_OF_WORKING_DAY) == Z(2026, 11, 24, 0, 0)
        assert due(cal, received, 20, Unit.END_OF_WORKING_DAY) == Z(2026, 12, 15, 0, 0)


def test_e_shot_p2_is_4_calendar_hours_out_of_hours() -> None:
    from sla import compute_deadlines, get_policy

    policy = get_policy("e-shot")
    out_of_hours = compute_deadlines(policy, "p2", Z(2026, 11, 21, 10))  # a Saturday
    assert out_of_hours.first_response_due == Z(2026, 11, 21, 14)
    in_hours = compute_deadlines(policy, "p2", Z(2026, 11, 20, 10))
    assert in_hours.first_response_due == Z(2026, 11, 20, 12)


def test_calendar_hours_is_plain_elapsed_time() -> None:
    assert due(design_calendar(), Z(2026, 11, 21, 10), 4, Unit.CALENDAR_HOURS) == Z(
        2026, 11, 21, 14
    )


def test_release_has_no_clock() -> None:
    assert due(design_calendar(), Z(2026, 11, 21, 10), None, Unit.RELEASE) is None
