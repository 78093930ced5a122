"""Releases belong to a product: its tickets only, plans not in the past, and each kind meets
the targets its name says (e-shot, seed 000: P1/P2 final resolution by hot fix, P3/P4 by the
next maintenance release)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Live
from tests.waiting import eventually


def _tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


async def _release(live: Live, kind: str, policy: str = "e-shot") -> dict:
    body = {"name": f"{kind} 7", "policy": policy, "kind": kind, "planned_for": _tomorrow()}
    response = await live.http.post("/releases", json=body, headers=live.as_("agent"))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_release_names_a_known_product_and_a_day_not_past(live: Live) -> None:
    agent = live.as_("agent")
    base = {"name": "7.4", "kind": "hotfix", "planned_for": _tomorrow()}
    missing = await live.http.post("/releases", json=base, headers=agent)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.policy"
    unknown = await live.http.post("/releases", json={**base, "policy": "acme"}, headers=agent)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.policy"
    assert "e-shot" in unknown.json()["detail"]  # it lists the policies there are
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date()
    past = await live.http.post(
        "/releases",
        json={**base, "policy": "e-shot", "planned_for": yesterday.isoformat()},
        headers=agent,
    )
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "body.planned_for"
    assert "in the past" in past.json()["detail"]
    made = await _release(live, "hotfix")
    assert made["policy"] == "e-shot"
    mine = await live.http.get("/releases", params={"policy": "e-shot"}, headers=agent)
    assert made["id"] in [r["id"] for r in mine.json()]
    others = await live.http.get("/releases", params={"policy": "spotler"}, headers=agent)
    assert made["id"] not in [r["id"] for r in others.json()]


async def test_only_the_products_tickets_can_be_linked(live: Live) -> None:
    spotler = await live.account("spotler")
    theirs = (await live.open(account_id=spotler["id"], priority="high")).json()
    release = await _release(live, "maintenance")
    linked = await live.http.post(
        f"/releases/{release['id']}/tickets",
        json={"references": [theirs["reference"]]},
        headers=live.as_("agent"),
    )
    assert linked.status_code == 422, linked.text
    assert linked.json()["errors"][0]["field"] == "body.references.0"
    assert "under policy 'spotler'" in linked.json()["detail"]
    assert "ships for 'e-shot'" in linked.json()["detail"]
    assert (await live.http.get(f"/releases/{release['id']}", headers=live.as_("agent"))).json()[
        "tickets"
    ] == []


async def test_hot_fix_and_maintenance_release_meet_their_own_targets(live: Live) -> None:
    agent = live.as_("agent")
    account = await live.account("e-shot")
    urgent = (await live.open(account_id=account["id"], priority="p1")).json()["reference"]
    medium = (await live.open(account_id=account["id"], priority="p3")).json()["reference"]
    hotfix, maintenance = await _release(live, "hotfix"), await _release(live, "maintenance")
    for release in (hotfix, maintenance):
        linked = await live.http.post(
            f"/releases/{release['id']}/tickets", json={"references": [urgent, medium]},
            headers=agent,
        )  # fmt: skip
        assert linked.status_code == 200, linked.text

    async def clocks_after(reference: str, shipments: int) -> dict:
        """The ticket's clocks once it has heard of `shipments` releases shipping."""

        async def heard() -> dict | None:
            detail = (await live.http.get(f"/tickets/{reference}", headers=agent)).json()
            kinds = [event["kind"] for event in detail["events"]]
            return detail["clocks"] if kinds.count("release_shipped") >= shipments else None

        return await eventually(heard)

    shipped = await live.http.post(f"/releases/{hotfix['id']}/ship", headers=agent)
    assert shipped.status_code == 200
    urgent_clocks, medium_clocks = await clocks_after(urgent, 1), await clocks_after(medium, 1)
    assert urgent_clocks["final_resolution"]["state"] == "met"  # "Hot fix release"
    assert medium_clocks["resolution"]["state"] == "running"  # owed to a maintenance release
    assert medium_clocks["final_resolution"]["state"] == "running"
    shipped = await live.http.post(f"/releases/{maintenance['id']}/ship", headers=agent)
    assert shipped.status_code == 200
    medium_clocks = await clocks_after(medium, 2)
    assert medium_clocks["resolution"]["state"] == "met"  # "next maintenance release"
    assert medium_clocks["final_resolution"]["state"] == "met"
    urgent_after = await clocks_after(urgent, 2)
    # Met by the hot fix; the maintenance release neither meets nor moves it again.
    assert urgent_after["final_resolution"]["met_at"] == urgent_clocks["final_resolution"]["met_at"]
