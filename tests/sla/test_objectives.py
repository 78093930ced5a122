"""Objectives: reached, reminded, missed, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sla
from sla.objectives import deadline, reached, reminder_at


def Z(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_reached_in_either_direction() -> None:
    assert reached(5000, 5000, "at_least") and reached(5001, 5000, "at_least")
    assert not reached(4999.9, 5000, "at_least")
    assert reached(2.0, 2.5, "at_most") and not reached(2.6, 2.5, "at_most")


def test_dates_in_the_account_zone() -> None:
    uk = sla.get_policy("e-shot").calendar()
    # Due Friday 18 December 2026: missed at midnight GMT; reminded 5 working days before,
    # Friday 11 December at 09:00.
    assert deadline(uk, date(2026, 12, 18)) == Z(2026, 12, 19)
    assert reminder_at(uk, date(2026, 12, 18)) == Z(2026, 12, 11, 9)
    # Due Tuesday 5 January 2027: back over New Year's Day and Christmas week: 4, 31, 30, 29,
    # 24 December (Christmas, Boxing Day's substitute Monday 28th and New Year's Day skipped).
    assert reminder_at(uk, date(2027, 1, 5)) == Z(2026, 12, 24, 9)
    # Summer time: due Friday 12 June 2026 ends at 23:00 UTC.
    assert deadline(uk, date(2026, 6, 12)) == Z(2026, 6, 12, 23)
