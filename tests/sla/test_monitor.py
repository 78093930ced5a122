"""The confirmation rule on its own: what each probe does to a monitor's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.monitor import (
    RECHECKS,
    RECOVERY_RECHECK,
    Machine,
    MonitorStatus,
    next_slot,
    start_offset,
    step,
)

T0 = datetime(2026, 12, 1, 10, 42, tzinfo=UTC)
UP, DOWN, PENDING, UNKNOWN = (
    MonitorStatus.UP,
    MonitorStatus.DOWN,
    MonitorStatus.PENDING,
    MonitorStatus.UNKNOWN,
)


def run(outcomes: str, machine: Machine | None = None, gap: timedelta = timedelta(seconds=20)):  # type: ignore[no-untyped-def]
    """Feed 'u' (passed) and 'x' (failed) probes `gap` apart; the machine and every step."""
    m = machine or Machine()
    steps = []
    for i, outcome in enumerate(outcomes):
        m, s = step(m, outcome == "u", T0 + i * gap)
        steps.append(s)
    return m, steps


def test_the_first_good_answer_makes_an_unknown_monitor_up() -> None:
    m, [s] = run("u")
    assert (s.before, s.after, m.since) == (UNKNOWN, UP, T0)
    assert s.changed and s.recheck_in is None


def test_one_failure_is_pending_and_rechecked_after_20_then_60_seconds() -> None:
    m, steps = run("ux")
    assert m.status is PENDING and steps[1].recheck_in == RECHECKS[0] == timedelta(seconds=20)
    m, s = step(m, False, T0 + timedelta(seconds=40))
    assert m.status is PENDING and s.recheck_in == RECHECKS[1] == timedelta(seconds=60)
    assert not s.changed  # still pending


def test_a_blip_of_one_or_two_failures_is_no_outage() -> None:
    for blip in ("uxu", "uxxu"):
        m, steps = run(blip)
        assert m.status is UP
        assert not any(s.went_down_at or s.came_up for s in steps)
        assert m.failures == 0 and m.first_failure_at is None


def test_the_third_failure_in_a_row_is_down_from_the_first() -> None:
    m, steps = run("uxxx")
    assert m.status is DOWN
    assert steps[-1].went_down_at == T0 + timedelta(seconds=20) == m.outage_started_at
    assert steps[-1].recheck_in is None  # down: the normal interval again
    assert [s.went_down_at is not None for s in steps] == [False, False, False, True]


def test_down_since_is_the_first_failure_as_every_page_says() -> None:
    # The walkthrough: first failure 16:08:11, re-checks at 16:08:31 and 16:09:31. The
    # outage, its mails and ticket say 16:08:11; so must "down since" (state_since).
    first = datetime(2026, 12, 1, 16, 8, 11, tzinfo=UTC)
    m, _ = step(Machine(), True, first - timedelta(minutes=5))
    for later in (0, 20, 80):
        m, s = step(m, False, first + timedelta(seconds=later))
    assert m.status is DOWN and s.went_down_at == first
    assert m.since == first == m.outage_started_at


def test_failures_while_down_change_nothing() -> None:
    m, steps = run("uxxxxxx")
    assert m.status is DOWN and m.failures == 6
    assert [s.went_down_at is not None for s in steps].count(True) == 1


def test_back_up_needs_two_good_answers_in_a_row_and_spans_the_outage() -> None:
    down, _ = run("uxxx")
    m, s = step(down, True, T0 + timedelta(minutes=10))
    assert m.status is DOWN and s.recheck_in == RECOVERY_RECHECK and s.came_up is None
    m, s = step(m, False, T0 + timedelta(minutes=10, seconds=20))  # flapping: not back
    assert m.status is DOWN and m.successes == 0
    m, s = step(m, True, T0 + timedelta(minutes=15))
    m, s = step(m, True, T0 + timedelta(minutes=15, seconds=20))
    # Up since the outage ended (the first good answer), as its mails and ticket say.
    assert m.status is UP and m.since == T0 + timedelta(minutes=15)
    # From the first failure to the first of the two answers that brought it back.
    assert s.came_up == (T0 + timedelta(seconds=20), T0 + timedelta(minutes=15))
    assert m.outage_started_at is None


def test_an_unknown_monitor_that_never_answers_goes_down() -> None:
    m, steps = run("xxx")
    assert [s.after for s in steps] == [PENDING, PENDING, DOWN]
    assert m.outage_started_at == T0


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        step(Machine(), True, datetime(2026, 12, 1, 10, 42))


def test_the_machine_survives_a_round_trip_as_json() -> None:
    m, _ = run("uxxxu")
    assert Machine.model_validate_json(m.model_dump_json()) == m


@given(st.text(alphabet="ux", max_size=60))
def test_down_is_declared_once_per_outage_and_ended_once(outcomes: str) -> None:
    m, steps = run(outcomes)
    downs = sum(s.went_down_at is not None for s in steps)
    ups = sum(s.came_up is not None for s in steps)
    # Every outage that ended was one that began; at most one is under way.
    assert ups <= downs <= ups + 1
    assert (m.status is DOWN) == (downs == ups + 1)
    # Never down without three failures in a row in what was fed.
    assert downs == 0 or "xxx" in outcomes


def test_offsets_spread_a_thousand_monitors_over_the_interval() -> None:
    offsets = [start_offset(f"M-{i:04d}", 300) for i in range(1000)]
    assert all(timedelta(0) <= o < timedelta(seconds=300) for o in offsets)
    assert start_offset("M-0001", 300) == start_offset("M-0001", 300)  # stable
    per_second: dict[timedelta, int] = {}
    for o in offsets:
        per_second[o] = per_second.get(o, 0) + 1
    assert len(per_second) > 250  # nowhere near all in the same second
    assert max(per_second.values()) <= 10


def test_next_slot_keeps_the_phase_after_missed_slots() -> None:
    interval = timedelta(minutes=5)
    assert next_slot(T0, interval, T0 - timedelta(seconds=1)) == T0
    assert next_slot(T0, interval, T0) == T0 + interval
    assert next_slot(T0, interval, T0 + timedelta(minutes=17)) == T0 + timedelta(minutes=20)
