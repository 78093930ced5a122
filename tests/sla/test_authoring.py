"""Terms as JSON (sla/authoring.py): what is read back is what was saved, and every refusal
names the field and the problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import compute_deadlines, get_policy, load_presets
from sla.authoring import (
    NOTE,
    AuthoringError,
    calendar_from_json,
    closures_from_ical,
    policy_from_json,
    regime_from_json,
    shipped_terms,
    with_closures,
)
from sla.loader import PRESET_KEYS
from sla.regimes import load_regimes

# Receipt instants the presets' promises turn on: weekends, bank holidays, the Christmas
# closure, the nights the clocks change in London (29 March, 25 October 2026) and in the US
# (8 March, 1 November 2026), Thanksgiving.
AWKWARD = [
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
    datetime(2026, 3, 27, 16, 45, tzinfo=UTC),
    datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
    datetime(2026, 10, 23, 17, 15, tzinfo=UTC),
    datetime(2026, 3, 6, 22, 0, tzinfo=UTC),
    datetime(2026, 10, 30, 21, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 23, 16, 30, tzinfo=UTC),
    datetime(2026, 12, 24, 10, 0, tzinfo=UTC),
    datetime(2026, 12, 25, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 17, 59, tzinfo=UTC),
    datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
    datetime(2026, 11, 19, 17, 0, tzinfo=UTC),
    datetime(2027, 4, 2, 9, 0, tzinfo=UTC),  # Good Friday
]


def as_read(key: str) -> dict[str, Any]:
    """A preset as GET /policies/{key} shows it (closed days and the rest), through JSON."""
    data = get_policy(key).describe(years=[2026, 2027])
    data.update(version=1, created_by="Pledge", created_at="2026-01-01T00:00:00+00:00")
    return json.loads(json.dumps(data))


def same_deadlines(a: Any, b: Any, at: datetime) -> None:
    for calendar in a.calendars:
        for priority in a.priorities:
            assert compute_deadlines(a, priority, at, calendar=calendar) == compute_deadlines(
                b, priority, at, calendar=calendar
            ), (a.key, calendar, priority, at)


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_a_preset_read_and_saved_again_is_the_same_policy(key: str) -> None:
    saved = policy_from_json(as_read(key))
    assert saved == get_policy(key)
    for at in AWKWARD:
        same_deadlines(saved, get_policy(key), at)


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(PRESET_KEYS),
    at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
)
def test_any_receipt_gets_the_same_deadlines_from_the_saved_json(key: str, at: datetime) -> None:
    # Through the database too (POST /policies, then read back): tests/api/
    # test_saved_policies_keep_promises.py.
    same_deadlines(policy_from_json(as_read(key)), get_policy(key), at)


def test_the_shipped_terms_are_the_presets_their_calendars_and_the_regimes() -> None:
    terms = {(kind, key): body for kind, key, body in shipped_terms()}
    for key, policy in load_presets().items():
        assert policy_from_json(terms["policy", key]) == policy
        for name, spec in policy.calendars.items():
            assert calendar_from_json(terms["calendar", f"{key}-{name}"]).spec() == spec
    for key, regime in load_regimes().items():
        assert regime_from_json(terms["regime", key]) == regime


def refusal(data: dict[str, Any], parse: Any = policy_from_json) -> list[tuple[str, str]]:
    with pytest.raises(AuthoringError) as caught:
        parse(data)
    return caught.value.problems


def e_shot(**changes: Any) -> dict[str, Any]:
    data = as_read("e-shot")
    data["key"] = "e-shot-copy"
    for path, value in changes.items():
        *parents, last = path.split("__")
        here = data
        for part in parents:
            here = here[part]
        if value is DELETE:
            del here[last]
        else:
            here[last] = value
    return data


DELETE = object()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"calendars__support__hours": {"mon-fri": ["08:30-12:30", "12:00-18:00"]}},
            "calendars.support.hours.mon-fri",
            "intervals 08:30-12:30 and 12:00-18:00 overlap on mon",
        ),
        (
            {"calendars__support__hours": {"mon-fri": ["18:00-08:30"]}},
            "calendars.support.hours.mon-fri",
            "ends before it starts",
        ),
        (
            {"calendars__support__timezone": "Europe/Londres"},
            "calendars.support.timezone",
            "unknown time zone 'Europe/Londres'",
        ),
        (
            {"calendars__support__holidays": [{"country": "XX"}]},
            "calendars.support.holidays.0.country",
            "unknown holiday country 'XX'",
        ),
        (
            {"calendars__support__holidays": [{"country": "GB", "subdivisions": ["ENG", "YRK"]}]},
            "calendars.support.holidays.0.subdivisions",
            "unknown holiday subdivision 'YRK' of GB",
        ),
        (
            {"priorities__p1__targets__first_response__amount": 0},
            "priorities.p1.targets.first_response.amount",
            "must be positive",
        ),
        (
            {"priorities__p2__targets__first_response": DELETE},
            "priorities.p2.targets.first_response",
            "is missing: every priority promises a first response",
        ),
        (
            {"priorities__p3__targets": {}},
            "priorities.p3.targets",
            "a priority needs at least one target",
        ),
        (
            {"attainment_goals": {"first_response": 95}},
            "attainment_goals.first_response",
            "a goal is a share between 0 and 1 (95% is 0.95), not 95",
        ),
        (
            {"attainment_goals": {"first_response": -0.1}},
            "attainment_goals.first_response",
            "a goal is a share between 0 and 1",
        ),
        ({"key": "E shot!"}, "key", "lower-case letters"),
        (
            {"priorities__p1__targets__first_response__amount": 60},
            "priorities.p1.targets.first_response.amount",
            "",  # 60 business hours is a long promise, but one a policy may make
        ),
        (
            {"priorities__p2__targets__first_response__out_of_hours__amount": 1e300},
            "priorities.p2.targets.first_response.out_of_hours.amount",
            "must be at most 8784 calendar_hours (about a year), not 1e+300",
        ),
        (
            {"priorities__p1__targets__resolution__amount": 1000},
            "priorities.p1.targets.resolution.amount",
            "must be at most 260 working_days",
        ),
    ],
)
def test_a_policy_that_cannot_be_kept_says_where_and_why(
    changes: dict[str, Any], field: str, words: str
) -> None:
    if not words:
        policy_from_json(e_shot(**changes))  # accepted
        return
    problems = refusal(e_shot(**changes))
    assert any(f == field and words in reason for f, reason in problems), problems


def test_every_problem_of_a_policy_is_named_at_once() -> None:
    problems = refusal(
        e_shot(
            priorities__p1__targets__first_response__amount=0,
            priorities__p2__targets__resolution__amount=-1,
        )
    )
    fields = [f for f, _ in problems]
    assert "priorities.p1.targets.first_response.amount" in fields
    assert "priorities.p2.targets.resolution.amount" in fields


def calendar(**changes: Any) -> dict[str, Any]:
    data = {
        "key": "us-office",
        "name": "US office",
        "timezone": "America/New_York",
        # Several intervals a day, a night shift to midnight, a shorter Friday.
        "hours": {"mon-thu": ["08:00-12:00", "13:00-17:00", "22:00-24:00"], "fri": ["08:00-15:00"]},
        "holidays": [{"country": "US", "subdivisions": ["NY"]}],
        "closures": [{"name": "Stocktake", "start": "2026-07-03", "end": "2026-07-03"}],
    }
    data.update(changes)
    return data


def test_a_calendar_keeps_its_intervals_holidays_and_closures() -> None:
    kept = calendar_from_json(calendar())
    again = calendar_from_json(json.loads(json.dumps(kept.model_dump(mode="json"))))
    assert again == kept
    assert kept.hours["mon"] == ["08:00-12:00", "13:00-17:00", "22:00-24:00"]
    assert kept.hours["fri"] == ["08:00-15:00"] and kept.hours["sat"] == []
    built = kept.build()
    assert not built.is_working_day(datetime(2026, 7, 3).date())  # the stocktake
    assert not built.is_working_day(datetime(2026, 11, 26).date())  # Thanksgiving


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"hours": {"mon": ["09:00-13:00", "12:00-17:00"]}}, "hours.mon", "overlap on mon"),
        ({"hours": {"mon": ["17:00-09:00"]}}, "hours.mon", "ends before it starts"),
        ({"hours": {"mon": ["09:00-24:30"]}}, "hours.mon", "times run from 00:00 to 24:00"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"working_days": []}, "working_days", "names no day"),
        ({"always_open": True, "hours": {"mon": 9}}, "hours.mon", "must be a list"),
        ({"holidays": [{"country": "US", "subdivisions": ["ZZ"]}]}, "holidays.0.subdivisions", ""),
        (
            {"closures": [{"name": "Move", "start": "2026-05-03", "end": "2026-05-01"}]},
            "closures.0.end",
            "before it starts",
        ),
    ],
)
def test_a_calendar_that_cannot_be_kept_says_where_and_why(
    changes: dict[str, Any], field: str, words: str
) -> None:
    problems = refusal(calendar(**changes), calendar_from_json)
    assert any(f == field and words in reason for f, reason in problems), problems


def test_a_regime_that_cannot_be_kept_says_where_and_why() -> None:
    data = load_regimes()["standard"].model_dump(mode="json")
    data["reply"]["amount"] = 0
    assert ("reply.amount", "must be positive") in refusal(data, regime_from_json)
    data["reply"]["amount"] = 500
    assert refusal(data, regime_from_json) == [
        ("reply.amount", "must be at most 260 end_of_working_day (about a year), not 500")
    ]


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//EN\r
BEGIN:VEVENT\r
UID:1@example.invalid\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20270102\r
SUMMARY:Christmas shutdown\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example.invalid\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20260817\r
SUMMARY:Founders' day\r
RRULE:FREQ=YEARLY\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_closures_from_an_icalendar_file() -> None:
    assert closures_from_ical(ICS) == [
        {"name": "Christmas shutdown", "start": "2026-12-24", "end": "2027-01-01", "note": NOTE},
        {"name": "Founders' day", "start": "08-17", "end": "08-17", "note": NOTE},
    ]
    closed = with_closures(calendar_from_json(calendar()), closures_from_ical(ICS)).build()
    assert not closed.is_working_day(datetime(2027, 1, 1).date())
    assert not closed.is_working_day(datetime(2030, 8, 16).date() + timedelta(days=1))
    assert closed.is_working_day(datetime(2027, 1, 4).date())


def test_an_icalendar_file_that_cannot_close_days_is_refused_by_event() -> None:
    timed = ICS.replace("DTSTART;VALUE=DATE:20260817", "DTSTART:20260817T090000Z")
    [(field, reason)] = refusal(timed, closures_from_ical)
    assert field == "events.1" and '"Founders\' day" is not an all-day event' in reason
    weekly = ICS.replace("RRULE:FREQ=YEARLY", "RRULE:FREQ=WEEKLY")
    [(field, reason)] = refusal(weekly, closures_from_ical)
    assert field == "events.1" and "enter its dates by hand" in reason
    assert refusal("not a calendar", closures_from_ical)[0][0] == ""
    garbled = ICS.replace("DTSTART;VALUE=DATE:20260817", "DTSTART:garbage")
    assert refusal(garbled, closures_from_ical) == [
        ("events.1", '"Founders\' day" cannot be read: its dates are malformed')
    ]
