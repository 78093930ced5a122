"""Releases planned, linked and shipped through the console's forms, with a real worker; what
they change is read back through the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from markupsafe import escape

from tests.api.conftest import Live

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


async def test_plan_link_and_ship_a_release_through_the_forms(live: Live) -> None:
    agent = {**live.as_("agent"), **FORM}
    plan = {
        "name": "4.12.1",
        "policy": "e-shot",
        "kind": "hotfix",
        "planned_for": _tomorrow(),
        "notes": "Fixes the send button",
    }
    # A day in the past: the API's reason beside the date, the rest kept.
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    refused = await live.http.post(
        "/console/releases", data={**plan, "planned_for": past}, headers=agent
    )
    assert refused.status_code == 422
    assert "is in the past" in refused.text
    assert 'id="create-planned_for-error"' in refused.text
    assert 'value="4.12.1"' in refused.text and ">Fixes the send button</textarea>" in refused.text

    made = await live.http.post("/console/releases", data=plan, headers=agent)
    assert made.status_code == 303, made.text
    release_id = made.headers["location"].split("/")[3].split("?")[0]
    [release] = [
        r
        for r in (await live.http.get("/releases", headers=live.as_("agent"))).json()
        if r["id"] == release_id
    ]
    assert (release["name"], release["policy"], release["kind"]) == ("4.12.1", "e-shot", "hotfix")
    listing = await live.http.get("/console/releases", headers=live.as_("success_manager"))
    assert f'href="/console/releases/{release_id}"' in listing.text
    assert "Hot fix" in listing.text
    assert 'id="form-create"' not in listing.text  # a success manager reads, agents plan

    eshot = await live.account("e-shot")
    ours = (await live.open(account_id=eshot["id"], priority="p1")).json()
    spotler = await live.account("spotler")
    theirs = (await live.open(account_id=spotler["id"], priority="high")).json()
    page = await live.http.get(f"/console/releases/{release_id}", headers=live.as_("agent"))
    assert f'value="{ours["reference"]}"' in page.text  # offered: the product's own ticket
    assert f'value="{theirs["reference"]}"' not in page.text

    # Another product's ticket, typed: the API's reason, the references kept.
    api = await live.http.post(
        f"/releases/{release_id}/tickets",
        json={"references": [theirs["reference"]]},
        headers=live.as_("agent"),
    )
    assert api.status_code == 422
    wrong = await live.http.post(
        f"/console/releases/{release_id}/link",
        data={"references": theirs["reference"]},
        headers=agent,
    )
    assert wrong.status_code == 422
    assert escape(api.json()["errors"][0]["message"]) in wrong.text
    assert f'value="{theirs["reference"]}"' in wrong.text

    linked = await live.http.post(
        f"/console/releases/{release_id}/link", data={"ticket": ours["reference"]}, headers=agent
    )
    assert linked.status_code == 303, linked.text
    after = (await live.http.get(f"/releases/{release_id}", headers=live.as_("agent"))).json()
    assert after["tickets"] == [ours["reference"]]

    shipped = await live.http.post(f"/console/releases/{release_id}/ship", headers=agent)
    assert shipped.status_code == 303, shipped.text
    after = (await live.http.get(f"/releases/{release_id}", headers=live.as_("agent"))).json()
    assert after["shipped_at"] is not None
    again = await live.http.post(f"/console/releases/{release_id}/ship", headers=agent)
    assert again.status_code == 409
    assert "has already shipped" in again.text
    page = await live.http.get(f"/console/releases/{release_id}", headers=live.as_("agent"))
    assert 'id="form-ship"' not in page.text and "<time datetime=" in page.text
