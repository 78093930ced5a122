"""How monitors word times and lengths for the people they mail."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.monitors import every, outage_span, ticket_reference

LONDON = "Europe/London"


def test_an_outage_within_a_day_reads_as_its_length_and_clock_times() -> None:
    started = datetime(2026, 12, 1, 10, 42, 50, tzinfo=UTC)
    ended = datetime(2026, 12, 1, 10, 56, 10, tzinfo=UTC)
    assert outage_span(started, ended, LONDON) == "14 minutes, from 10:42 to 10:56 UK time"


def test_summer_time_and_days_apart_are_named() -> None:
    started = datetime(2026, 7, 6, 22, 50, tzinfo=UTC)  # 23:50 BST
    ended = datetime(2026, 7, 7, 1, 5, tzinfo=UTC)
    assert outage_span(started, ended, LONDON) == (
        "2 hours 15 minutes, from 23:50 on Monday 6 July to 02:05 on Tuesday 7 July (UK time)"
    )
    assert outage_span(started, ended, "UTC").endswith(
        "22:50 on Monday 6 July to 01:05 on Tuesday 7 July (UTC)"
    )


def test_a_blip_under_a_minute_is_said_so() -> None:
    at = datetime(2026, 12, 1, 10, 42, 5, tzinfo=UTC)
    later = datetime(2026, 12, 1, 10, 42, 40, tzinfo=UTC)
    assert outage_span(at, later, LONDON).startswith("less than a minute, from 10:42 to 10:42")


def test_intervals_and_ticket_references() -> None:
    assert (every(300), every(90), every(3600)) == ("5 minutes", "90 seconds", "1 hour")
    at = datetime(2026, 12, 1, 10, 42, tzinfo=UTC)
    assert ticket_reference("M-1", at) == ticket_reference("M-1", at)
    assert ticket_reference("M-1", at) != ticket_reference("M-2", at)
    assert ticket_reference("M-1", at).startswith("T-")
