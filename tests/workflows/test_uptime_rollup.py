"""The uptime roll-up on the time-skipping server against a database of its own (its marks are
global: a shared test database would have other tests' results in its hours): a month-old
backlog caught up in batches, raw results older than 30 days deleted once rolled up, and an
hour later the next hour rolled."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from activities.uptime import SETTLE
from db import uptime
from db.migrate import upgrade
from db.models import MonitorDay, MonitorHour, MonitorResult
from db.session import make_engine, make_sync_engine
from settings import Settings
from sla.uptime import floor_hour
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.uptime_data import add_history, new_monitor
from worker import build_monitor_worker, start_rollup
from workflows.uptime_rollup import WORKFLOW_ID, UptimeRollupWorkflow


@pytest.fixture
async def own_database(tmp_path: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url = f"sqlite:///{tmp_path / 'rollup.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield url, engine
    await engine.dispose()


async def test_the_roll_up_catches_up_deletes_old_raw_results_and_rolls_each_hour(
    time_skipping_env: WorkflowEnvironment,
    own_database: tuple[str, AsyncEngine],
    tmp_path: Path,
) -> None:
    url, engine = own_database
    settings = Settings(
        data_dir=tmp_path, database_url=url, payload_keys=TEST_PAYLOAD_KEYS,
        temporal_task_queue=f"pledge-test-{secrets.token_hex(4)}",
    )  # fmt: skip
    now = await time_skipping_env.get_current_time()
    old_day = floor_hour(now - timedelta(days=32)).replace(hour=0)
    recent = floor_hour(now) - timedelta(hours=3)
    old = new_monitor(old_day, name="old.history.invalid")
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        # A whole day 32 days ago, down for an hour; and the last three hours, all up.
        await add_history(
            session, old, old_day, old_day + timedelta(days=1),
            outages=[(old_day + timedelta(hours=12), old_day + timedelta(hours=13), "T-OLD")],
        )  # fmt: skip
        fresh = new_monitor(recent)
        await add_history(session, fresh, recent, now)

    sync_engine = make_sync_engine(url)
    deps = ActivityDeps.create(settings, "test-worker", engine, sync_engine)
    client = time_skipping_env.client
    try:
        async with build_monitor_worker(client, deps):
            await start_rollup(client, settings)
            await start_rollup(client, settings)  # a second worker finds it running
            handle = client.get_workflow_handle_for(UptimeRollupWorkflow.run, WORKFLOW_ID)

            async def rolled_through():  # type: ignore[no-untyped-def]
                async with AsyncSession(engine) as session:
                    return await uptime.mark(session, uptime.HOURS_MARK)

            # 32 days are some 770 hours, 48 to a call: the workflow calls again at once until
            # it has caught up to the last settled hour.
            settled = floor_hour(now - timedelta(minutes=10))
            for _ in range(200):
                if await rolled_through() == settled:
                    break
                await time_skipping_env.sleep(timedelta(seconds=1))
            assert await rolled_through() == settled
            last = await handle.query(UptimeRollupWorkflow.last)
            assert last is not None and last.caught_up

            async with AsyncSession(engine) as session:
                old_hours = await session.scalar(
                    select(func.count()).select_from(MonitorHour)
                    .where(MonitorHour.monitor_id == old.id)
                )  # fmt: skip
                old_raw = await session.scalar(
                    select(func.count()).select_from(MonitorResult)
                    .where(MonitorResult.monitor_id == old.id)
                )  # fmt: skip
                day_row = await session.get(MonitorDay, (old.id, old_day.date()))
                days = await uptime.daily(session, old.id, days=35, zone=ZoneInfo("UTC"), now=now)
                (today,) = await uptime.daily(session, fresh.id, days=1, zone=ZoneInfo("UTC"),
                                              now=now)  # fmt: skip
            # 24 hours rolled, and the last probe's next ten minutes: 25 rows.
            assert old_hours == 25
            assert old_raw == 0  # over 30 days old and rolled up: gone
            assert day_row is not None and day_row.down_seconds == 3600
            [that_day] = [d for d in days if d.day == old_day.date()]
            assert (that_day.state, that_day.down_minutes) == ("partial", 60)
            assert that_day.uptime == pytest.approx(23 / 24)
            assert days[-1].state == "no-data"  # the old monitor today: not up
            assert (today.state, today.uptime) == ("up", 1.0)  # rolled hours and the raw rest

            # The next hour: rolled once it has settled (SETTLE after its end), whatever minute
            # of the hour the test began at.
            settles = settled + timedelta(hours=1) + SETTLE
            await time_skipping_env.sleep(
                settles + timedelta(minutes=1) - await time_skipping_env.get_current_time()
            )
            assert await rolled_through() == settled + timedelta(hours=1)
    finally:
        sync_engine.dispose()
