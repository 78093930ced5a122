"""The calendar feed is written by hand for speed: icalendar must read back what we meant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from icalendar import Calendar

from api.calendar_feed import complaint_deadlines_ics

AWKWARD = [
    "Jane Doe",
    "Smith, Jones; and Partners",
    "Back\\slash at the end\\",
    "Two\nlines",
    "Zoë Ørsted-Łukasiewicz ☃",
    "A very long name " * 8,
    'Caret ^ and quote "',
]


def row(reference: str, name: str, **values: object) -> SimpleNamespace:
    base = {
        "reference": reference,
        "complainant_name": name,
        "regime": "standard",
        "handler_name": name,
        "acknowledged_at": None,
        # Midnight BST ending Monday 30 March 2026, and midnight GMT ending Monday 23 November.
        "acknowledgement_due": datetime(2026, 3, 30, 23, tzinfo=UTC),
        "acknowledgement_state": "breached",
        "reply_due": datetime(2026, 11, 24, tzinfo=UTC),
        "reply_state": "running",
        "updated_at": datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC),
    }
    return SimpleNamespace(**(base | values))


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_text_survives_a_round_trip(name: str) -> None:
    ics = complaint_deadlines_ics([row("C-AAAA-0001", name)], "https://pledge.example.com", name)
    assert all(len(line) <= 75 for line in ics.split(b"\r\n")), "lines fold at 75 octets"
    calendar = Calendar.from_ical(ics)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"C-AAAA-0001-acknowledgement@pledge", "C-AAAA-0001-reply@pledge"}
    ack = events["C-AAAA-0001-acknowledgement@pledge"]
    assert str(ack["summary"]) == f"Acknowledge due (OVERDUE): C-AAAA-0001 ({name})"
    assert str(ack["description"]).endswith(f"Handler: {name}.")
    assert ack.decoded("dtstart") == date(2026, 3, 30)
    assert ack.decoded("dtend") == date(2026, 3, 31)
    assert ack.decoded("last-modified") == datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC)
    reply = events["C-AAAA-0001-reply@pledge"]
    assert str(reply["summary"]) == f"Full reply due: C-AAAA-0001 ({name})"
    assert reply.decoded("dtstart") == date(2026, 11, 23)
    assert str(reply["url"]) == "https://pledge.example.com/console/complaints/C-AAAA-0001"


def test_only_what_is_still_owed_is_listed() -> None:
    rows = [
        row("C-AAAA-0002", "Acknowledged", acknowledged_at=datetime(2026, 3, 3, tzinfo=UTC)),
        row("C-AAAA-0003", "Sar", acknowledgement_due=None, acknowledgement_state=None),
    ]
    calendar = Calendar.from_ical(complaint_deadlines_ics(rows, "http://x", "Org"))
    assert sorted(str(e["uid"]) for e in calendar.walk("VEVENT")) == [
        "C-AAAA-0002-reply@pledge",
        "C-AAAA-0003-reply@pledge",
    ]


def test_the_calendar_name_is_escaped_text_too() -> None:
    # A newline left raw in an organisation's name would end the line and break the feed.
    ics = complaint_deadlines_ics([], "http://x", "Smith, Jones\nLtd")
    assert b"X-WR-CALNAME:Smith\\, Jones\\nLtd: complaint deadlines\r\n" in ics
    assert Calendar.from_ical(ics).walk("VEVENT") == []
