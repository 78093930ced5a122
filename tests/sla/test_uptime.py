"""Uptime arithmetic by hand: each expected figure below is worked out in the comment beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.uptime import (
    NOTHING,
    Figures,
    Probe,
    Span,
    bucket,
    day_bounds,
    day_state,
    hours,
    percentile,
    total,
)

FIVE = timedelta(minutes=5)
COVER = 2 * FIVE
LONDON = ZoneInfo("Europe/London")


def every_five(start: datetime, end: datetime, ok: bool = True, ms: int = 100) -> list[Probe]:
    found = []
    at = start
    while at < end:
        found.append(Probe(at, ok, ms))
        at += FIVE
    return found


def at(h: int, m: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, h, m, tzinfo=UTC)


def test_an_hour_all_up() -> None:
    # 12 probes 5 minutes apart from 10:00; the last (10:55) speaks until 11:00 (cut at the
    # hour's end), so all 3600 s are known and up.
    probes = every_five(at(10), at(11))
    f = bucket(at(10), at(11), probes, [], [], cover=COVER)
    assert (f.probes, f.ok_probes, f.known_seconds, f.down_seconds) == (12, 12, 3600, 0)
    assert f.uptime == 1.0
    assert (f.rt_count, f.rt_sum, f.rt_min, f.rt_max, f.rt_p95) == (12, 1200, 100, 100, 100)
    assert day_state(f) == "up"


def test_the_probe_before_the_hour_speaks_for_its_first_minutes() -> None:
    # Probes at 09:57, then 10:02, 10:07 ... 10:57: without 09:57 the minutes 10:00-10:02 are
    # unknown (120 s); with it they are known.
    later = [Probe(at(10, 2) + n * FIVE, True, 50) for n in range(12)]
    without = bucket(at(10), at(11), later, [], [], cover=COVER)
    assert without.known_seconds == 3600 - 120
    with_it = bucket(at(10), at(11), [Probe(at(9, 57), True, 70), *later], [], [], cover=COVER)
    assert with_it.known_seconds == 3600
    # ...but only probes inside the hour are counted, and their times.
    assert (with_it.probes, with_it.rt_min) == (12, 50)


def test_a_gap_with_no_results_is_no_data_not_up() -> None:
    # Probes 10:00-10:15 then nothing until 10:45-10:55. 10:15's probe speaks for 10 minutes
    # (cover), to 10:25; 10:25-10:45 (1200 s) is no data. Known = 3600 - 1200 = 2400, all up.
    probes = every_five(at(10), at(10, 20)) + every_five(at(10, 45), at(11))
    f = bucket(at(10), at(11), probes, [], [], cover=COVER)
    assert f.known_seconds == 2400
    assert f.uptime == 1.0  # of the known time: the gap is neither up nor down
    # A day with nothing at all is no data, uptime None: never 100 %.
    empty = bucket(at(0), at(0, day=2), [], [], [], cover=COVER)
    assert empty == NOTHING
    assert empty.uptime is None
    assert day_state(empty) == "no-data"


def test_unconfirmed_failures_are_not_down_time() -> None:
    # One failed probe re-checked good: no outage recorded, so nothing is down; it still
    # counts as a probe that did not pass, and its (missing) time is not a response time.
    probes = every_five(at(10), at(11))
    probes[3] = Probe(probes[3].at, False, None)
    f = bucket(at(10), at(11), probes, [], [], cover=COVER)
    assert (f.probes, f.ok_probes, f.down_seconds, f.rt_count) == (12, 11, 0, 11)
    # ...nor up: 10:15's failure speaks for nothing (10:15-10:20, 300 s, is "checking").
    assert f.known_seconds == 3600 - 300
    assert f.uptime == 1.0


def test_a_site_that_has_never_answered_is_not_up() -> None:
    # Two failures (10:00, then the re-check 20 s later), not yet confirmed: nothing is known,
    # so no share at all: not 100 %, and not 0 % either (no outage has been confirmed).
    probes = [Probe(at(10), False), Probe(at(10) + timedelta(seconds=20), False)]
    f = bucket(at(10), at(11), probes, [], [], cover=COVER, now=at(10, 1))
    assert (f.probes, f.ok_probes, f.known_seconds, f.down_seconds) == (2, 0, 0, 0)
    assert f.uptime is None and day_state(f) == "no-data"
    # The third failure at 10:01:20 confirms the outage from 10:00: all of it is down, 0 %.
    probes.append(Probe(at(10, 1) + timedelta(seconds=20), False))
    f = bucket(at(10), at(11), probes, [Span(at(10))], [], cover=COVER, now=at(10, 5))
    assert (f.known_seconds, f.down_seconds, f.uptime) == (300, 300, 0.0)


def test_a_window_begun_while_down_never_makes_uptime_negative() -> None:
    # The walkthrough's day: the site down from 16:08:11 (the first failure, probes failing
    # every minute), a window naming the account from 16:12:00; now 16:12:40. Known =
    # 16:08:11-16:12:40 = 269 s, all inside the outage; the last 40 s are in the window, so
    # maintenance = 40, down = 229 (down time inside a window is maintenance, not down).
    cover = timedelta(minutes=2)
    first = datetime(2026, 12, 1, 16, 8, 11, tzinfo=UTC)
    probes = [Probe(first + n * timedelta(minutes=1), False) for n in range(5)]
    now = datetime(2026, 12, 1, 16, 12, 40, tzinfo=UTC)
    f = bucket(at(16), at(17), probes, [Span(first)], [Span(at(16, 12), at(17))],
               cover=cover, now=now)  # fmt: skip
    assert (f.known_seconds, f.down_seconds, f.maintenance_seconds) == (269, 229, 40)
    assert (f.up_seconds, f.counted_seconds, f.uptime) == (0, 229, 0.0)


def test_uptime_stays_between_nothing_and_all_whatever_the_rounding() -> None:
    # Figures summed from seconds each rounded on its own can put down + maintenance a second
    # over the known time: the share is 0, never below.
    f = Figures(known_seconds=10, down_seconds=6, maintenance_seconds=5)
    assert (f.up_seconds, f.counted_seconds, f.uptime) == (0, 5, 0.0)
    assert Figures(known_seconds=10, maintenance_seconds=11).uptime is None


def test_an_outage_spanning_midnight_in_the_zone() -> None:
    # US Pacific: 1 December ends at 08:00Z on 2 December. An outage from 07:30Z to 08:45Z
    # gives 30 minutes to 1 December (local) and 45 to 2 December.
    zone = ZoneInfo("America/Los_Angeles")
    outage = Span(at(7, 30, day=2), at(8, 45, day=2))
    first = day_bounds(date(2026, 12, 1), zone)
    second = day_bounds(date(2026, 12, 2), zone)
    assert first == (at(8, day=1), at(8, day=2))
    probes = every_five(first[0], second[1])
    one = bucket(*first, probes, [outage], [], cover=COVER)
    two = bucket(*second, probes, [outage], [], cover=COVER)
    assert one.down_seconds == 30 * 60
    assert two.down_seconds == 45 * 60
    # 1 December: 86400 s known, 1800 down: 98.0 % (84600/86400 = 0.979166...).
    assert one.uptime == pytest.approx(84600 / 86400)
    assert day_state(one) == "partial"
    # Added up, two days are 75 minutes down out of 48 hours.
    both = one + two
    assert both.down_seconds == 75 * 60 and both.known_seconds == 2 * 86400


def test_an_outage_still_under_way_lasts_until_now() -> None:
    probes = every_five(at(10), at(10, 35), ok=True) + every_five(at(10, 35), at(10, 50), ok=False)
    outage = Span(at(10, 35))
    # Now is 10:50: known time is 10:00-10:50 (3000 s), cut at now; down 10:35-10:50 (900 s).
    f = bucket(at(10), at(11), probes, [outage], [], cover=COVER, now=at(10, 50))
    assert (f.known_seconds, f.down_seconds, f.up_seconds) == (3000, 900, 2100)
    assert f.uptime == pytest.approx(2100 / 3000)


def test_maintenance_is_not_down_and_is_left_out_of_the_share() -> None:
    # A day all probed; maintenance 20:00-22:00; an outage 21:00-21:30 (inside it) and another
    # 23:00-23:06 (outside). Down = 360 s only; maintenance = 7200 s; the share is taken over
    # 86400 - 7200 = 79200 s: (79200 - 360) / 79200.
    start, end = at(0), at(0, day=2)
    probes = every_five(start, end)
    outages = [Span(at(21), at(21, 30)), Span(at(23), at(23, 6))]
    window = [Span(at(20), at(22))]
    f = bucket(start, end, probes, outages, window, cover=COVER)
    assert (f.known_seconds, f.down_seconds, f.maintenance_seconds) == (86400, 360, 7200)
    assert f.uptime == pytest.approx((79200 - 360) / 79200)
    assert day_state(f) == "partial"
    # Without the later outage the day shows as maintenance, not down.
    quiet = bucket(start, end, probes, outages[:1], window, cover=COVER)
    assert (quiet.down_seconds, day_state(quiet), quiet.uptime) == (0, "maintenance", 1.0)
    # Maintenance throughout: nothing to take a share of.
    all_maint = bucket(at(20), at(21), probes, [], window, cover=COVER)
    assert all_maint.uptime is None and day_state(all_maint) == "maintenance"


@pytest.mark.parametrize(
    ("day", "hours_long"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)],
)
def test_a_day_the_clocks_change_is_23_or_25_hours(day: date, hours_long: int) -> None:
    start, end = day_bounds(day, LONDON)
    assert end - start == timedelta(hours=hours_long)
    assert len(hours(start, end)) == hours_long
    probes = every_five(start, end)
    f = bucket(start, end, probes, [Span(start + timedelta(hours=1), start + timedelta(hours=2))],
               [], cover=COVER)  # fmt: skip
    assert f.probes == hours_long * 12
    assert f.known_seconds == hours_long * 3600
    assert f.down_seconds == 3600
    # One hour down of 23 is 95.65 %; of 25, 96 %.
    assert f.uptime == pytest.approx((hours_long - 1) / hours_long)
    # The hours add up to the day.
    by_hour = total(
        bucket(
            h,
            h + timedelta(hours=1),
            probes,
            [Span(start + timedelta(hours=1), start + timedelta(hours=2))],
            [],
            cover=COVER,
        )  # fmt: skip
        for h in hours(start, end)
    )
    assert (by_hour.known_seconds, by_hour.down_seconds, by_hour.probes) == (
        f.known_seconds, f.down_seconds, f.probes,
    )  # fmt: skip


def test_a_mostly_down_day_is_down() -> None:
    start, end = at(0), at(0, day=2)
    f = bucket(start, end, every_five(start, end), [Span(at(2), at(20))], [], cover=COVER)
    assert f.uptime == pytest.approx(6 / 24)
    assert day_state(f) == "down"


def test_response_times_and_the_95th_percentile() -> None:
    # 20 passing probes of 10, 20, ... 200 ms: nearest rank ceil(0.95 * 20) = 19th: 190.
    probes = [Probe(at(10) + n * timedelta(minutes=3), True, 10 * (n + 1)) for n in range(20)]
    f = bucket(at(10), at(11), probes, [], [], cover=COVER)
    assert (f.rt_count, f.rt_sum, f.rt_min, f.rt_max, f.rt_p95) == (20, 2100, 10, 200, 190)
    assert f.rt_mean == 105
    assert percentile([], 95) is None and percentile([7], 95) == 7


def test_figures_add_up_but_percentiles_do_not() -> None:
    a = Figures(probes=1, ok_probes=1, known_seconds=10, rt_count=1, rt_sum=5, rt_min=5,
                rt_max=5, rt_p95=5)  # fmt: skip
    b = Figures(probes=2, ok_probes=1, known_seconds=20, down_seconds=5, rt_count=1, rt_sum=9,
                rt_min=9, rt_max=9, rt_p95=9)  # fmt: skip
    s = a + b
    assert (s.probes, s.known_seconds, s.down_seconds, s.rt_min, s.rt_max, s.rt_p95) == (
        3, 30, 5, 5, 9, None,
    )  # fmt: skip
    # Adding a period without response times keeps the other's percentile.
    assert (a + Figures(known_seconds=3)).rt_p95 == 5


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        bucket(datetime(2026, 12, 1), at(1), [], [], [], cover=COVER)
