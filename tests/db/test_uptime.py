"""Uptime history in the database, on PostgreSQL and SQLite: reads give the same figures from
raw results and from roll-ups, rolling up again writes the same rows, and raw results go only
once rolled up."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import uptime
from db.models import MaintenanceWindow, MonitorDay, MonitorHour, MonitorResult
from tests.uptime_data import add_history, new_monitor

# Long ago, so that no other test's rows fall in these hours.
DAY = datetime(2021, 3, 2, tzinfo=UTC)
UTCZ = ZoneInfo("UTC")


def t(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


async def hour_rows(session: AsyncSession, monitor_id: str) -> list[tuple]:
    rows = await session.scalars(
        select(MonitorHour).where(MonitorHour.monitor_id == monitor_id).order_by(MonitorHour.hour)
    )
    return [(r.hour, *(getattr(r, c) for c in uptime.FIGURE_COLUMNS)) for r in rows]


async def test_reads_agree_before_and_after_the_roll_up_which_repeats_exactly(
    session: AsyncSession,
) -> None:
    monitor = new_monitor(t(0))
    # A day probed every 5 minutes but for 03:00-05:00 (no data); down 10:20-10:50.
    await add_history(
        session, monitor, t(0), t(24), outages=[(t(10 + 1 / 3), t(10 + 5 / 6), None)],
        gaps=[(t(3), t(5))],
    )  # fmt: skip
    now = t(30)
    before_days = await uptime.daily(session, monitor.id, days=3, zone=UTCZ, now=now)
    (before,) = await uptime.figures_of(session, monitor, [(t(0), t(24))], now=now)
    # 24 h less the gap: the 02:55 probe speaks for two intervals, to 03:05, and the 05:00
    # one from then on, so 1 h 55 min is no data; 30 minutes down.
    known = 24 * 3600 - 115 * 60
    assert before.known_seconds == known
    assert before.down_seconds == 30 * 60
    assert before.probes == 288 - 24

    for h in range(24):
        await uptime.roll_hour(session, t(h))
    first = await hour_rows(session, monitor.id)
    assert len(first) == 23  # none for 04:00-05:00: no probe speaks for any of it
    for h in range(24):
        await uptime.roll_hour(session, t(h))
    assert await hour_rows(session, monitor.id) == first  # idempotent: the same rows

    (after,) = await uptime.figures_of(session, monitor, [(t(0), t(24))], now=now)
    # The same, but the 95th percentile of the day, which hours cannot add up to (the day's
    # own roll-up keeps it).
    assert after == replace(before, rt_p95=None)
    after_days = await uptime.daily(session, monitor.id, days=3, zone=UTCZ, now=now)
    assert after_days == [replace(d, response_p95_ms=None) for d in before_days]
    assert before_days[1].response_p95_ms == 129
    day = after_days[1]
    assert day.day == DAY.date()
    assert (day.state, day.down_minutes, day.known_minutes) == ("partial", 30, known // 60)
    assert day.uptime == (known - 1800) / known
    assert after_days[0].state == "no-data" and after_days[0].uptime is None

    # An hour cut in two: the rolled hours and the raw pieces add up to the same.
    (ragged,) = await uptime.figures_of(session, monitor, [(t(9.5), t(11.25))], now=now)
    assert ragged.known_seconds == int(1.75 * 3600)
    assert ragged.down_seconds == 30 * 60


async def test_raw_results_go_only_once_rolled_up_and_the_figures_stay(
    session: AsyncSession,
) -> None:
    monitor = new_monitor(t(0))
    await add_history(session, monitor, t(0), t(24), outages=[(t(23.5), t(24.5), "T-OUT")])
    now = t(24 * 35)
    before = await uptime.daily(session, monitor.id, days=40, zone=UTCZ, now=now)
    for h in range(24):
        await uptime.roll_hour(session, t(h))
    # Rolled through the end of the day: results before it may go, but for those that speak
    # for the next hour, not rolled yet (23:55's, for 00:00-00:05).
    deleted = await uptime.prune_results(session, min(t(24), now - timedelta(days=30)))
    assert deleted >= 286
    left = await session.scalars(
        select(MonitorResult.at).where(MonitorResult.monitor_id == monitor.id)
    )
    assert list(left) == [t(23 + 5 / 6), t(23 + 11 / 12)]
    after = await uptime.daily(session, monitor.id, days=40, zone=UTCZ, now=now)
    # Same day figures, but the 95th percentile, which only raw results give.
    strip = [(d.day, d.state, d.uptime, d.down_minutes, d.known_minutes) for d in before]
    assert [(d.day, d.state, d.uptime, d.down_minutes, d.known_minutes) for d in after] == strip
    assert before[0].state == "no-data"  # 26 February: before the monitor
    assert before[4].state == "partial" and before[5].state == "down"  # 2 and 3 March
    [rolled_day] = [d for d in after if d.day == DAY.date()]
    assert rolled_day.down_minutes == 30  # 23:30 to midnight; the rest of the outage has no data

    # The day row, rolled from the hours, carries it when the hours go too.
    zones = {monitor.id: "UTC"}
    assert await uptime.roll_days(session, zones, t(0), t(24), raw_from=t(0)) == 1
    assert await uptime.roll_days(session, zones, t(0), t(24), raw_from=t(0)) == 1  # again: same
    of_monitor = MonitorDay.monitor_id == monitor.id
    rows = list(await session.scalars(select(MonitorDay).where(of_monitor)))
    assert len(rows) == 1 and rows[0].down_seconds == 1800 and rows[0].zone == "UTC"
    await uptime.prune_hours(session, t(24))
    kept = await uptime.daily(session, monitor.id, days=40, zone=UTCZ, now=now)
    assert [(d.day, d.state, d.uptime, d.down_minutes) for d in kept] == [s[:4] for s in strip]
    # A reader in another zone has no day rows of its own: those days are no data, not up
    # (but for the quarter of an hour the two results kept still speak for).
    tokyo = ZoneInfo("Asia/Tokyo")
    other = {d.day.isoformat(): d for d in await uptime.daily(session, monitor.id, days=40,
                                                               zone=tokyo, now=now)}  # fmt: skip
    assert other["2021-03-02"].state == "no-data"
    assert (other["2021-03-03"].known_minutes, other["2021-03-03"].state) == (15, "down")
    assert not any(d.state == "up" for d in other.values())


async def test_days_in_the_zone_and_a_period(session: AsyncSession) -> None:
    monitor = new_monitor(t(0))
    # Down 06:30-09:15 UTC on 2 March: in Los Angeles (UTC-8) 22:30 on 1 March to 01:15 on the
    # 2nd; 90 minutes on one day and 75 on the next.
    await add_history(session, monitor, t(-24), t(48), outages=[(t(6.5), t(9.25), "T-1")])
    zone = ZoneInfo("America/Los_Angeles")
    days = await uptime.daily(session, monitor.id, days=4, zone=zone, now=t(60))
    # Now is 04:00 on 4 March there; probes ran until 16:00 on the 3rd.
    assert [d.day.isoformat() for d in days] == ["2021-03-01", "2021-03-02", "2021-03-03",
                                                   "2021-03-04"]  # fmt: skip
    assert [d.down_minutes for d in days] == [90, 75, 0, 0]
    assert [d.state for d in days] == ["partial", "partial", "up", "no-data"]
    assert days[2].known_minutes == 16 * 60 + 5  # the last probe, at 15:55, speaks to 16:05
    period = await uptime.over(session, monitor.id, t(0), t(24))
    assert (period.down_minutes, period.outages, period.known_minutes) == (165, 1, 24 * 60)
    assert period.uptime == (86400 - 165 * 60) / 86400


async def test_the_days_a_call_rolls_up() -> None:
    london = ZoneInfo("Europe/London")
    # Rolled through 01:00Z on 30 March 2021 (02:00 BST): 29 March London has ended.
    ended = uptime._days_ending(london, datetime(2021, 3, 29, 1, tzinfo=UTC),
                                datetime(2021, 3, 30, 1, tzinfo=UTC))  # fmt: skip
    assert [d.isoformat() for d in ended] == ["2021-03-29"]
    assert uptime._days_ending(london, datetime(2021, 3, 29, 23, 30, tzinfo=UTC),
                               datetime(2021, 3, 30, 0, tzinfo=UTC)) == []  # fmt: skip


async def test_windows_for_many_monitors_agree_with_the_reads_of_one(
    session: AsyncSession,
) -> None:
    now = t(72.5)
    busy, fresh = new_monitor(t(0)), new_monitor(t(70))
    await add_history(session, busy, t(0), now, outages=[(t(50), t(51.5), None)],
                      gaps=[(t(60), t(61))])  # fmt: skip
    await add_history(session, fresh, t(70), now)

    async def one_at_a_time(monitor) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
        top = t(72)
        found = {}
        for name, span in uptime.WINDOWS.items():
            (f,) = await uptime.figures_of(session, monitor, [(top - span, now)], now=now)
            found[name] = replace(f, rt_p95=None)
        return found

    def strip(found: dict) -> dict:  # type: ignore[type-arg]
        return {name: replace(f, rt_p95=None) for name, f in found.items()}

    for rolled in (0, 40, 72):  # nothing rolled, some hours, all but the one under way
        for h in range(rolled):
            await uptime.roll_hour(session, t(h))
        many = await uptime.windows_of(session, [busy, fresh], now)
        assert strip(many[busy.id]) == await one_at_a_time(busy)
        assert strip(many[fresh.id]) == await one_at_a_time(fresh)
    assert many[busy.id]["24h"].down_seconds == 5400
    assert many[fresh.id]["90d"].known_seconds == int(2.5 * 3600)
    # The 24 hours run from 00:00 on the 4th (the hour 24 hours before 00:30 began) to now:
    # 24.5 h, less 55 minutes unchecked (the probe at 11:55 speaks to 12:05).
    known = int(24.5 * 3600) - 55 * 60
    assert many[busy.id]["24h"].known_seconds == known
    assert many[busy.id]["24h"].uptime == (known - 5400) / known


async def test_a_maintenance_window_shows_as_maintenance_not_down_before_and_after_roll_up(
    session: AsyncSession,
) -> None:
    # Another long-ago day, its own service name: no other test's window covers this monitor.
    day = datetime(2021, 4, 6, tzinfo=UTC)
    service = f"svc-{secrets.token_hex(3)}"
    monitor = new_monitor(day, service=service)
    # Down 21:00-22:00, all of it inside the window 20:30-22:30 the team announced.
    await add_history(
        session, monitor, day, day + timedelta(hours=24),
        outages=[(day + timedelta(hours=21), day + timedelta(hours=22), None)],
    )  # fmt: skip
    session.add(
        MaintenanceWindow(
            id=f"W-{secrets.token_hex(4).upper()}", title="Switch replacement", description="",
            services=[service], policy="e-shot", account_ids=[],
            starts_at=day + timedelta(hours=20, minutes=30),
            ends_at=day + timedelta(hours=22, minutes=30), timezone="UTC", state="completed",
            sequence=0, announced_at=day - timedelta(days=3), created_by="Sam", signed_by="Sam",
            created_at=day, updated_at=day, version=1,
        )
    )  # fmt: skip
    await session.flush()
    now = day + timedelta(days=2)

    async def read() -> tuple[uptime.PeriodUptime, uptime.DayUptime]:
        whole = await uptime.over(session, monitor.id, day, day + timedelta(hours=24))
        days = await uptime.daily(session, monitor.id, days=3, zone=UTCZ, now=now)
        return whole, next(d for d in days if d.day == day.date())

    for rolled in (False, True):
        whole, that_day = await read()
        assert whole.maintenance_minutes == 120, rolled
        assert whole.down_minutes == 0 and whole.uptime == 1.0, rolled
        assert (that_day.state, that_day.maintenance_minutes) == ("maintenance", 120), rolled
        for h in range(24):
            await uptime.roll_hour(session, day + timedelta(hours=h))


def test_minutes_never_say_more_down_and_maintenance_than_was_checked() -> None:
    # 269 s checked: 229 down and 40 of maintenance (the walkthrough's window begun while the
    # site was down). Rounded up each on its own they were 5, 4 and 1: now the known minutes
    # are at least the other two together.
    from db.uptime import minutes_of
    from sla.uptime import Figures

    assert minutes_of(Figures(known_seconds=269, down_seconds=229, maintenance_seconds=40)) == (
        5, 4, 1
    )  # fmt: skip
    assert minutes_of(Figures(known_seconds=270, down_seconds=250, maintenance_seconds=20)) == (
        6, 5, 1
    )  # fmt: skip
    assert minutes_of(Figures(known_seconds=20, down_seconds=20)) == (1, 1, 0)
