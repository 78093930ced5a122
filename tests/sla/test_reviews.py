"""When reviews are proposed and their packs fall due, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sla
from sla.reviews import (
    action_overdue_at,
    action_reminder_at,
    is_working_day,
    pack_due,
    proposed_time,
)


def Z(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_proposal_leaves_fifteen_working_days() -> None:
    uk = sla.get_policy("essensys").calendar()
    # From the January run (Monday 4 January 2027): 5-8, 11-15, 18-22 and 25 January.
    assert proposed_time(uk, Z(2027, 1, 4, 7)) == Z(2027, 1, 25, 10)


def test_the_pack_goes_three_working_days_before() -> None:
    uk = sla.get_policy("essensys").calendar()
    assert pack_due(uk, Z(2027, 1, 25, 10)) == Z(2027, 1, 20, 8)
    # Thursday 28 May 2026, in summer time: 27th, 26th, then over the spring bank holiday
    # (Monday 25th) to Friday 22nd, 08:00 BST.
    assert pack_due(uk, Z(2026, 5, 28, 9)) == Z(2026, 5, 22, 7)
    assert not is_working_day(uk, Z(2026, 5, 25, 9)) and is_working_day(uk, Z(2026, 5, 26, 9))


def test_actions_are_reminded_on_their_last_working_day_and_overdue_after_it() -> None:
    uk = sla.get_policy("essensys").calendar()
    # Due Saturday 19 December 2026: reminded Friday 18th at 09:00, overdue at midnight.
    assert action_reminder_at(uk, date(2026, 12, 19)) == Z(2026, 12, 18, 9)
    assert action_overdue_at(uk, date(2026, 12, 19)) == Z(2026, 12, 20)
    # Due Tuesday 14 July 2026 (summer time): 08:00 UTC, overdue at 23:00 UTC.
    assert action_reminder_at(uk, date(2026, 7, 14)) == Z(2026, 7, 14, 8)
    assert action_overdue_at(uk, date(2026, 7, 14)) == Z(2026, 7, 14, 23)


def test_a_review_is_proposed_at_ten_local_inside_every_calendars_working_hours() -> None:
    from sla.reviews import outside_working_hours

    for key in ("e-shot", "spotler", "web-agency", "electric-putty", "essensys"):
        policy = sla.get_policy(key)
        for name in policy.calendars:
            calendar = policy.calendar(name)
            at = proposed_time(calendar, datetime(2026, 12, 1, 7, tzinfo=UTC))
            local = at.astimezone(ZoneInfo(calendar.timezone))
            assert (local.hour, local.minute) == (10, 0), (key, name, local)
            assert outside_working_hours(calendar, at, 60) is None, (key, name)


def test_a_meeting_outside_working_hours_is_named_in_local_time() -> None:
    from sla.reviews import outside_working_hours

    pacific = sla.get_policy("essensys").calendar("us-pacific")  # open 00:00-24:00 Mon-Thu
    refusal = outside_working_hours(pacific, datetime(2027, 1, 27, 10, tzinfo=UTC), 60)
    assert refusal is not None
    assert "Wednesday 27 January 2027 at 02:00 PST" in refusal and "08:00-18:00" in refusal
    assert outside_working_hours(pacific, datetime(2027, 1, 27, 18, tzinfo=UTC), 60) is None
    london = sla.get_policy("e-shot").calendar()  # 08:30-18:00
    late = outside_working_hours(london, datetime(2027, 1, 25, 17, 30, tzinfo=UTC), 60)
    assert late is not None and "08:30-18:00" in late  # it would end after closing
