"""/maintenance: the policy's promise refuses with 422 naming the field (nothing is started),
who may schedule and who may read, and a window's life through the API and its workflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import MaintenanceWindow
from sla import get_policy
from sla.maintenance_rules import night_of
from tests.api.conftest import Live, customer_key
from tests.conftest import Inbox


def evening(days: int, hour: int = 21) -> datetime:
    """`hour`:00 UK time `days` days from today, inside e-shot's 20:00-02:00."""
    night = night_of(get_policy("e-shot"), (datetime.now(UTC) + timedelta(days=days)).date())
    assert night is not None
    return night.opens + timedelta(hours=hour - 20)


def body(**change: Any) -> dict[str, Any]:
    starts = evening(3)
    return {
        "title": "Database upgrade",
        "description": "Campaigns scheduled in the window are sent when it ends.",
        "services": ["platform", "sending"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "policy": "e-shot",
        **change,
    }


async def _count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(MaintenanceWindow)) or 0)


REFUSALS = [
    ({"starts_at": evening(1).isoformat(), "ends_at": evening(1, 22).isoformat()},
     ["body.starts_at"], "2 days' notice"),
    ({"starts_at": evening(3, 19).isoformat()}, ["body.starts_at"],
     "falls outside the maintenance hours e-shot Customer Success promises, 20:00 to 02:00 UK"),
    ({"ends_at": (evening(3) + timedelta(hours=6)).isoformat()}, ["body.ends_at"],
     "must finish by 02:00 on"),
    ({"ends_at": (evening(3) - timedelta(hours=1)).isoformat()}, ["body.ends_at"],
     "must be after the start"),
    ({"policy": "no-such-policy"}, ["body.policy"], "no policy 'no-such-policy'"),
    ({"account_ids": [2**31 - 1]}, ["body.account_ids"], "no account with id"),
    ({"services": []}, ["body.services"], None),
    ({"services": ["Not A Key"]}, ["body.services.0"], None),
    ({"services": ["platform", "zzz"]}, ["body.services"],
     "no own service 'zzz'; name one of: platform, api, sending"),
    ({"ends_at": (evening(3) + timedelta(days=8)).isoformat()}, ["body.ends_at"],
     "may last at most 7 days"),
    ({"starts_at": evening(400).isoformat(), "ends_at": evening(400, 22).isoformat()},
     ["body.starts_at"], "at most a year ahead"),
    ({"title": ""}, ["body.title"], None),
    ({"starts_at": "2026-12-08T21:00:00"}, ["body.starts_at"], None),  # no offset
    ({"colour": "blue"}, ["body.colour"], None),
]  # fmt: skip


@pytest.mark.parametrize(("change", "fields", "words"), REFUSALS)
async def test_a_window_that_breaks_the_promise_is_refused_and_nothing_is_started(
    live: Live, engine: AsyncEngine, change: dict[str, Any], fields: list[str], words: str | None
) -> None:
    before = await _count(engine)
    response = await live.http.post(
        "/maintenance", json=body(**change), headers=live.as_("success_manager")
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == fields
    if words:
        assert words in problem["detail"]
    assert await _count(engine) == before


async def test_a_policy_without_a_maintenance_rule_takes_any_future_hour(live: Live) -> None:
    account = await live.account("web-agency")
    soon = datetime.now(UTC) + timedelta(hours=2)
    made = await live.http.post(
        "/maintenance",
        json=body(
            policy="web-agency",
            account_ids=[account["id"]],
            starts_at=soon.isoformat(),
            ends_at=(soon + timedelta(hours=1)).isoformat(),
        ),  # fmt: skip
        headers=live.as_("admin"),
    )
    assert made.status_code == 201, made.text
    past = datetime.now(UTC) - timedelta(hours=1)
    refused = await live.http.post(
        "/maintenance",
        json=body(
            policy="web-agency",
            starts_at=past.isoformat(),
            ends_at=(past + timedelta(hours=3)).isoformat(),
        ),  # fmt: skip
        headers=live.as_("admin"),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "body.starts_at", "message": "must be in the future"}
    ]


async def test_a_window_names_only_accounts_on_its_own_policy(
    live: Live, engine: AsyncEngine
) -> None:
    # Named on a Spotler window starting in 2 minutes, an e-shot account would skip e-shot's
    # 2 days' notice: refused, naming the account and its policy; nothing is started.
    eshot = await live.account("e-shot")
    soon = datetime.now(UTC) + timedelta(minutes=2)
    before = await _count(engine)
    refused = await live.http.post(
        "/maintenance",
        json=body(
            policy="spotler", account_ids=[eshot["id"]], starts_at=soon.isoformat(),
            ends_at=(soon + timedelta(hours=1)).isoformat(),
        ),
        headers=live.as_("admin"),
    )  # fmt: skip
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["field"] == "body.account_ids"
    assert f"(id {eshot['id']}) is on e-shot" in problem["message"]
    assert await _count(engine) == before


async def test_only_success_managers_and_admins_schedule(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("e-shot")
    for role in ("agent", "complaints_handler"):
        response = await live.http.post("/maintenance", json=body(), headers=live.as_(role))
        assert response.status_code == 403, role
    customer = await customer_key(engine, account["id"])
    assert (await live.http.post("/maintenance", json=body(), headers=customer)).status_code == 403
    assert (await live.http.post("/maintenance", json=body())).status_code == 401


async def test_a_window_is_scheduled_read_moved_and_cancelled(
    live: Live, engine: AsyncEngine, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    other = await live.account("e-shot")
    admin = await live.contact(account["id"], name="Alex Admin", administrator=True)
    assert admin["administrator"] is True
    manager = live.as_("success_manager")
    made = await live.http.post(
        "/maintenance", json=body(account_ids=[account["id"]]), headers=manager
    )
    assert made.status_code == 201, made.text
    window = made.json()
    assert window["id"].startswith("W-")
    assert (window["state"], window["sequence"], window["timezone"]) == (
        "scheduled",
        0,
        "Europe/London",
    )
    [notice] = await inbox.wait_for(
        lambda m: admin["email"] in (m["To"] or "") and m["X-Pledge-Notice"] == "maintenance-notice"
    )
    [part] = [p for p in notice.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == datetime.fromisoformat(window["starts_at"])

    path = f"/maintenance/{window['id']}"
    # Readers: every staff role; the customer it affects; not another account's customer.
    assert (await live.http.get(path, headers=live.as_("agent"))).status_code == 200
    mine = await customer_key(engine, account["id"])
    theirs = await customer_key(engine, other["id"])
    assert (await live.http.get(path, headers=mine)).json()["title"] == "Database upgrade"
    assert (await live.http.get(path, headers=theirs)).status_code == 404
    listed = await live.http.get("/maintenance", params={"current": True}, headers=theirs)
    assert window["id"] not in [w["id"] for w in listed.json()]
    listed = await live.http.get("/maintenance", params={"current": True}, headers=mine)
    assert window["id"] in [w["id"] for w in listed.json()]

    # A move is checked again: 19:00 is refused, 22:00 four days on is taken and told.
    early = evening(4, 19)
    refused = await live.http.patch(
        path,
        json={"starts_at": early.isoformat(), "ends_at": (early + timedelta(hours=2)).isoformat()},
        headers=manager,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.starts_at"
    moved_to = evening(4, 22)
    moved = await live.http.patch(
        path,
        json={
            "starts_at": moved_to.isoformat(),
            "ends_at": (moved_to + timedelta(hours=1)).isoformat(),
        },
        headers=manager,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1
    assert datetime.fromisoformat(moved.json()["starts_at"]) == moved_to
    await inbox.wait_for(
        lambda m: admin["email"] in (m["To"] or "") and m["X-Pledge-Notice"] == "maintenance-moved"
    )
    assert (await live.http.patch(path, json={"title": "x"}, headers=mine)).status_code == 403

    cancelled = await live.http.post(f"{path}/cancel", headers=manager)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    await inbox.wait_for(
        lambda m: admin["email"] in (m["To"] or "")
        and m["X-Pledge-Notice"] == "maintenance-cancelled"
    )  # fmt: skip
    again = await live.http.post(f"{path}/cancel", headers=manager)
    assert again.status_code == 409
    assert again.json()["detail"] == "Maintenance 'Database upgrade' is already cancelled"
    assert (await live.http.get("/maintenance/W-0000-0000", headers=manager)).status_code == 404


async def test_the_public_calendar_lists_windows_to_come(live: Live) -> None:
    # Electric Putty promises no maintenance hours, and has few accounts to tell here.
    soon = datetime.now(UTC) + timedelta(days=1)
    made = await live.http.post(
        "/maintenance",
        json=body(
            policy="electric-putty", title="Feed check", starts_at=soon.isoformat(),
            ends_at=(soon + timedelta(hours=1)).isoformat(),
        ),
        headers=live.as_("admin"),
    )  # fmt: skip
    assert made.status_code == 201, made.text
    account = await live.account("e-shot")
    private = await live.http.post(
        "/maintenance", json=body(account_ids=[account["id"]], title="Their site"),
        headers=live.as_("admin"),
    )  # fmt: skip
    assert private.status_code == 201
    feed = await live.http.get("/status/maintenance.ics")  # no key: it is public
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = {str(e["uid"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    event = events[f"maintenance-{made.json()['id']}@pledge"]
    assert str(event["summary"]) == "e-shot maintenance: Feed check"
    assert "Affects the platform and sending." in str(event["description"])
    assert private.json()["id"] not in feed.text  # a window naming accounts is theirs
    await live.http.post(f"/maintenance/{made.json()['id']}/cancel", headers=live.as_("admin"))
    feed = await live.http.get("/status/maintenance.ics")
    assert f"maintenance-{made.json()['id']}@pledge" not in feed.text
