"""Properties of the calendar arithmetic, checked with hypothesis on several calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla import Calendar, HolidaySource, parse_closure
from sla.instants import zone

from .reference import ReferenceCalendar

EW = HolidaySource("GB", ("ENG", "WLS"))

CALENDARS: dict[str, tuple[Calendar, ReferenceCalendar]] = {
    "office": (
        Calendar("Europe/London", {"mon-fri": ["08:30-18:00"]}, holidays=[EW]),
        ReferenceCalendar(
            "Europe/London", {d: [(8, 30, 18, 0)] for d in range(5)}, "GB", ("ENG", "WLS")
        ),
    ),
    "lunch-break": (
        Calendar(
            "Europe/London",
            {"mon-fri": ["09:00-12:30", "13:30-17:00"]},
            holidays=[HolidaySource("GB", ("SCT",))],
        ),
        ReferenceCalendar(
            "Europe/London",
            {d: [(9, 0, 12, 30), (13, 30, 17, 0)] for d in range(5)},
            "GB",
            ("SCT",),
        ),
    ),
    "until-midnight": (
        Calendar(
            "Europe/London",
            {"mon-fri": ["18:00-24:00"], "sat": ["00:00-02:00"]},
            holidays=[HolidaySource("GB", ("NIR",))],
        ),
        ReferenceCalendar(
            "Europe/London",
            {**{d: [(18, 0, 24, 0)] for d in range(5)}, 5: [(0, 0, 2, 0)]},
            "GB",
            ("NIR",),
        ),
    ),
    "night-across-dst": (
        Calendar("Europe/London", {"sat": ["22:00-24:00"], "sun": ["00:00-00:45", "00:50-03:00"]}),
        ReferenceCalendar(
            "Europe/London", {5: [(22, 0, 24, 0)], 6: [(0, 0, 0, 45), (0, 50, 3, 0)]}, None
        ),
    ),
    "24/7": (
        Calendar.always_open("Europe/London"),
        ReferenceCalendar("Europe/London", {d: [(0, 0, 24, 0)] for d in range(7)}, None),
    ),
    "us-eastern": (
        Calendar(
            "America/New_York",
            {"mon-thu": ["00:00-24:00"], "fri": ["00:00-20:00"]},
            holidays=[HolidaySource("US")],
        ),
        ReferenceCalendar(
            "America/New_York",
            {**{d: [(0, 0, 24, 0)] for d in range(4)}, 4: [(0, 0, 20, 0)]},
            "US",
            (),
        ),
    ),
    "christmas-closure": (
        Calendar(
            "Europe/London",
            {"mon-fri": ["09:00-17:00"]},
            holidays=[EW],
            closures=[parse_closure("Christmas", "12-24", "01-01")],
        ),
        ReferenceCalendar(
            "Europe/London", {d: [(9, 0, 17, 0)] for d in range(5)}, "GB", ("ENG", "WLS")
        ),
    ),
}
# Closures are not modelled by the reference; give it the closed days explicitly.
for _y in range(2024, 2031):
    CALENDARS["christmas-closure"][1].closed |= {date(_y, 12, d) for d in range(24, 32)} | {
        date(_y, 1, 1)
    }

NAMES = list(CALENDARS)

starts = st.integers(
    min_value=int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()),
    max_value=int(datetime(2028, 12, 31, tzinfo=UTC).timestamp()),
).map(lambda s: datetime.fromtimestamp(s, UTC))
# Minute-aligned starts land on opening and closing times far more often than random seconds.
minute_starts = st.integers(min_value=0, max_value=4 * 366 * 24 * 60).map(
    lambda m: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=m)
)
any_start = st.one_of(starts, minute_starts)
durations = st.one_of(
    st.integers(min_value=0, max_value=400 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(min_value=0, max_value=400 * 3600 * 1_000_000).map(
        lambda us: timedelta(microseconds=us)
    ),
    st.sampled_from([timedelta(hours=h) for h in (1, 2, 4, 8, 9, 9.5, 16, 19, 24, 48, 72)]),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at_open_or_close(cal: Calendar, t: datetime) -> bool:
    """Open at t, or t is the end of one of the open intervals around it."""
    if cal.is_open(t):
        return True
    local = t.astimezone(zone(cal.timezone)).date()
    return any(
        end == t for day in (local - timedelta(days=1), local) for _, end in cal.open_intervals(day)
    )


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, d=durations)
def test_result_is_never_before_the_start(name: str, start: datetime, d: timedelta) -> None:
    cal = CALENDARS[name][0]
    assert cal.add_business(start, d) >= start


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, a=durations, b=durations)
def test_adding_a_then_b_equals_adding_a_plus_b(
    name: str, start: datetime, a: timedelta, b: timedelta
) -> None:
    cal = CALENDARS[name][0]
    assert cal.add_business(cal.add_business(start, a), b) == cal.add_business(start, a + b)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, d=durations)
def test_business_time_to_the_result_is_the_duration(
    name: str, start: datetime, d: timedelta
) -> None:
    cal = CALENDARS[name][0]
    assert cal.business_between(start, cal.add_business(start, d)) == d


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, d=durations.filter(lambda d: d > timedelta(0)))
def test_deadline_is_inside_or_at_the_end_of_an_open_interval(
    name: str, start: datetime, d: timedelta
) -> None:
    cal = CALENDARS[name][0]
    assert at_open_or_close(cal, cal.add_business(start, d))


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, d=durations)
def test_agrees_with_the_day_by_day_reference(name: str, start: datetime, d: timedelta) -> None:
    cal, ref = CALENDARS[name]
    assert cal.add_business(start, d) == ref.add(start, d)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start)
def test_next_open_is_open_and_costs_no_business_time(name: str, start: datetime) -> None:
    cal = CALENDARS[name][0]
    opening = cal.next_open(start)
    assert opening >= start
    assert cal.is_open(opening)
    assert cal.business_between(start, opening) == timedelta(0)
    assert cal.is_open(start) == (opening == start)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(a=any_start, b=any_start, c=any_start)
def test_business_between_is_additive(name: str, a: datetime, b: datetime, c: datetime) -> None:
    cal = CALENDARS[name][0]
    assert cal.business_between(a, b) + cal.business_between(b, c) == cal.business_between(a, c)
    assert abs(cal.business_between(a, b)) <= abs(b - a)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, n=st.integers(min_value=1, max_value=30))
def test_working_days_fall_on_working_days(name: str, start: datetime, n: int) -> None:
    cal = CALENDARS[name][0]
    result = cal.add_working_days(start, n)
    assert result > start
    local = result.astimezone(zone(cal.timezone))
    assert cal.is_working_day(local.date())
    assert at_open_or_close(cal, result)
    # Exactly n working days lie after the counting start's day up to the due day.
    first = cal.next_open(start).astimezone(zone(cal.timezone)).date()
    days = [first + timedelta(days=i) for i in range(1, (local.date() - first).days + 1)]
    assert sum(cal.is_working_day(d) for d in days) == n


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(start=any_start, n=st.integers(min_value=1, max_value=30))
def test_end_of_working_day_is_a_local_midnight_after_n_working_days(
    name: str, start: datetime, n: int
) -> None:
    cal = CALENDARS[name][0]
    result = cal.end_of_working_day(start, n)
    tz = zone(cal.timezone)
    local = result.astimezone(tz)
    assert (local.hour, local.minute) == (0, 0)
    last = local.date() - timedelta(days=1)
    assert cal.is_working_day(last)
    received = start.astimezone(tz).date()
    days = [received + timedelta(days=i) for i in range(1, (last - received).days + 1)]
    assert sum(cal.is_working_day(d) for d in days) == n
