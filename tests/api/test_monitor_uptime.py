"""GET /monitors/{id}/uptime and /results, and the uptime in a monitor's JSON: figures from a
history written as the probes would have, no data shown as null (never as up), a customer
seeing only its own account's sites, bad input a 422 naming the field."""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Edition, MonitorResult, Role
from db.types import utcnow
from sla.uptime import floor_hour
from tests.conftest import bearer
from tests.uptime_data import add_history, new_monitor


async def _account(session: AsyncSession) -> Account:
    account = Account(name=f"Uptime {secrets.token_hex(3)}", policy="web-agency",
                      edition=Edition.STANDARD)  # fmt: skip
    session.add(account)
    await session.flush()
    return account


@pytest.fixture
async def history(session: AsyncSession):  # type: ignore[no-untyped-def]
    """A site probed for the last 3 days (but not the 2 hours before now), down for 2 hours
    two days ago; and its account."""
    account = await _account(session)
    now = utcnow()
    start = floor_hour(now) - timedelta(days=3)
    monitor = new_monitor(start, account_id=account.id)
    down = start + timedelta(days=1)
    await add_history(session, monitor, start, now - timedelta(hours=2),
                      outages=[(down, down + timedelta(hours=2), "T-UP-1")])  # fmt: skip
    await session.commit()
    return account, monitor


async def test_daily_figures_and_the_windows(
    client: httpx.AsyncClient, session: AsyncSession, history
) -> None:  # type: ignore[no-untyped-def]
    account, monitor = history
    monitor_id = monitor.id
    staff = await bearer(session, Role.AGENT)
    response = await client.get(f"/monitors/{monitor_id}/uptime?days=10", headers=staff)
    assert response.status_code == 200, response.text
    body = response.json()
    # web-agency's calendar is UK time: its days are London's.
    assert body["zone"] == "Europe/London"
    days = body["days"]
    assert len(days) == 10
    assert days[0]["state"] == "no-data" and days[0]["uptime"] is None  # before the monitor
    assert sum(d["down_minutes"] for d in days) == 120
    assert any(d["state"] == "partial" for d in days)

    one = (await client.get(f"/monitors/{monitor_id}", headers=staff)).json()
    shares = one["uptime"]
    assert set(shares) == {"24h", "7d", "30d", "90d"}
    # 3 days probed less 2 hours, 2 hours down: every window that holds it all agrees.
    assert shares["7d"] == shares["30d"] == shares["90d"]
    assert shares["7d"] == pytest.approx(1 - 2 / (3 * 24 - 2 + 10 / 60), abs=1e-3)
    assert shares["24h"] == 1.0

    points = (await client.get(f"/monitors/{monitor_id}/results", headers=staff)).json()
    # The last 24 hours less the last 2: 22 hours of probes every 5 minutes.
    assert len(points) in (22 * 12, 22 * 12 + 1)
    assert {"at", "ok", "response_ms"} <= set(points[0])
    assert points[0]["at"] < points[-1]["at"]


async def test_a_monitor_never_probed_has_no_data_not_up(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await _account(session)
    monitor = new_monitor(utcnow(), account_id=account.id)
    session.add(monitor)
    await session.commit()
    staff = await bearer(session, Role.AGENT)
    one = (await client.get(f"/monitors/{monitor.id}", headers=staff)).json()
    assert one["uptime"] == {"24h": None, "7d": None, "30d": None, "90d": None}
    days = (await client.get(f"/monitors/{monitor.id}/uptime", headers=staff)).json()["days"]
    assert len(days) == 90 and {d["state"] for d in days} == {"no-data"}


async def test_a_site_that_has_never_answered_is_not_shown_up(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Two failed probes, the second a re-check 20 s later: pending, not confirmed down. The
    # walkthrough saw "24h": 1 here; nothing has said the site is up, so it is no data.
    account = await _account(session)
    now = utcnow()
    monitor = new_monitor(now - timedelta(minutes=2), account_id=account.id)
    monitor.state, monitor.state_since = "pending", now - timedelta(seconds=80)
    session.add(monitor)
    await session.flush()
    for at in (now - timedelta(seconds=80), now - timedelta(seconds=60)):
        session.add(MonitorResult(monitor_id=monitor.id, at=at, ok=False, status_code=None,
                                  response_ms=None, error="connection refused"))  # fmt: skip
    await session.commit()
    staff = await bearer(session, Role.AGENT)
    one = (await client.get(f"/monitors/{monitor.id}", headers=staff)).json()
    assert one["state"] == "pending"
    assert one["uptime"] == {"24h": None, "7d": None, "30d": None, "90d": None}
    today = (await client.get(f"/monitors/{monitor.id}/uptime?days=1", headers=staff)).json()
    assert today["days"][0]["state"] == "no-data" and today["days"][0]["uptime"] is None


async def test_customers_see_their_own_sites_history_only(
    client: httpx.AsyncClient, session: AsyncSession, history
) -> None:  # type: ignore[no-untyped-def]
    account, monitor = history
    monitor_id = monitor.id  # (the requests' commits expire the objects)
    own = await bearer(session, Role.CUSTOMER, account.id)
    other = await bearer(session, Role.CUSTOMER, (await _account(session)).id)
    for path in ("uptime", "results"):
        assert (await client.get(f"/monitors/{monitor_id}/{path}", headers=own)).status_code == 200
        refused = await client.get(f"/monitors/{monitor_id}/{path}", headers=other)
        assert refused.status_code == 404, refused.text


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("uptime?days=0", "query.days", None),
        ("uptime?days=367", "query.days", None),
        ("uptime?days=many", "query.days", None),
        ("results?since=2026-12-01T10:00:00", "query.since", None),
        ("results?since=yesterday", "query.since", None),
        ("results?since=2020-01-01T00:00:00Z", "query.since", "within the last 30 days"),
        # Extreme instants: the first was a 500 (it overflows when turned into UTC).
        ("results?since=9999-12-31T23:59:59-12:00", "query.since", "in the future"),
        ("results?since=9999-12-31T23:59:59%2B14:00", "query.since", "in the future"),
        ("results?since=0001-01-01T00:00:00%2B14:00", "query.since", "within the last 30 days"),
        ("results?since=0001-01-01T00:00:00-12:00", "query.since", "within the last 30 days"),
        ("results?since=2999-01-01T00:00:00Z", "query.since", "in the future"),
        ("results?since=10000-01-01T00:00:00Z", "query.since", None),
        ("results?since=9999-12-31T23:59:59.999999-23:59", "query.since", None),
        ("uptime?days=99999999999999999999", "query.days", None),
    ],
)
async def test_bad_queries_name_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    history,
    query: str,
    field: str,
    words: str | None,
) -> None:  # type: ignore[no-untyped-def]
    monitor_id = history[1].id
    staff = await bearer(session, Role.AGENT)
    response = await client.get(f"/monitors/{monitor_id}/{query}", headers=staff)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    if words:
        assert words in problem["detail"]
