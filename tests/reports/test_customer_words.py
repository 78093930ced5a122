"""Times as a page says them: today and tomorrow by the reader's calendar, else the date."""

from __future__ import annotations

from datetime import UTC, datetime

from reports.customer_words import near_time, promise

# 23:30 on Monday 30 November in London, which is 15:30 in Los Angeles.
NOW = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


def test_today_and_tomorrow_are_the_reader_s_own() -> None:
    soon = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert near_time(soon, "Europe/London", NOW) == "00:30 tomorrow (UK time)"
    # The same instant is still Monday afternoon on the US west coast.
    assert near_time(soon, "America/Los_Angeles", NOW) == "16:30 today (US Pacific time)"
    assert near_time(datetime(2026, 11, 29, 9, 0, tzinfo=UTC), "Europe/London", NOW) == (
        "09:00 yesterday (UK time)"
    )
    later = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    assert near_time(later, "Europe/London", NOW) == "10:30 on Thursday 3 December (UK time)"


def test_a_promise_is_never_of_a_time_already_past() -> None:
    soon = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert promise(soon, "Europe/London", NOW, "We will reply", near=True) == (
        "We will reply by 09:00 tomorrow (UK time)."
    )
    assert promise(soon, "Europe/London", NOW, "We will reply") == (
        "We will reply by 09:00 on Tuesday 1 December (UK time)."
    )
    assert promise(NOW, "Europe/London", NOW, "We will reply", near=True) is None
    assert promise(None, "Europe/London", NOW, "We will reply", near=True) is None
