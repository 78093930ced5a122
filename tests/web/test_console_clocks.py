"""How the console words targets and picks the clock a countdown runs to (pure helpers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sla
from web.console.clocks import countdown_text, next_clock, target_words

RECEIVED = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # a Thursday, support open in London


@dataclass
class Row:
    name: str
    due: datetime | None
    state: str = "running"
    met_at: datetime | None = None
    clock: str = "business"
    calendar: str = "support"


@dataclass
class TicketRow:
    next_due: datetime | None
    policy: str = "e-shot"
    received_at: datetime = RECEIVED


def test_targets_read_in_their_own_unit() -> None:
    assert target_words("8 business_hours") == "8 business hours"
    assert target_words("1 working_days") == "1 working day"
    assert target_words("4 calendar_hours") == "4 hours, round the clock"
    assert target_words("hotfix release") == "a hot fix release"
    assert target_words("maintenance release") == "a maintenance release"


def test_the_countdown_runs_to_the_next_unmet_clock_and_warns_at_three_quarters() -> None:
    sla.load_presets()
    first_due = RECEIVED + timedelta(hours=2)
    rows = [
        Row("resolution", RECEIVED + timedelta(days=2)),
        Row("first_response", first_due),
        Row("final_resolution", None, clock="none"),
    ]
    upcoming = next_clock(TicketRow(next_due=first_due), rows)
    assert upcoming is not None and upcoming.name == "first_response"
    # 2 business hours from 09:00 UTC (09:00 in London, open): the warning at 1 h 30 min.
    assert upcoming.warn == RECEIVED + timedelta(hours=1, minutes=30)
    assert upcoming.tone(RECEIVED + timedelta(hours=1)) == "ok"
    assert upcoming.tone(RECEIVED + timedelta(hours=1, minutes=31)) == "warning"
    assert upcoming.tone(first_due) == "breached"

    # Once the reply is in, the resolution clock is next.
    rows[1].met_at, rows[1].state = RECEIVED + timedelta(minutes=30), "met"
    later = next_clock(TicketRow(next_due=RECEIVED + timedelta(days=2)), rows)
    assert later is not None and later.name == "resolution"
    assert next_clock(TicketRow(next_due=None), rows) is None


def test_countdowns_say_in_or_overdue() -> None:
    now = RECEIVED
    assert countdown_text(now + timedelta(hours=2, minutes=5), now) == "in 2h 5m"
    assert countdown_text(now - timedelta(days=1, hours=3), now) == "overdue by 1d 3h"
