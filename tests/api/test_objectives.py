"""Objectives and metrics over HTTP, with the onboarding workflow on the dev server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.api.conftest import Live, customer_key
from tests.workflows.tickets import eventually


def objective(**extra: object) -> dict[str, object]:
    return {
        "name": "Grow the mailing list",
        "metric": "subscribers",
        "target": 5000,
        "due_on": (date.today() + timedelta(days=60)).isoformat(),
        "owner": {"name": "Olive Owner", "email": "olive@customer.example.com"},
        **extra,
    }


async def test_a_measurement_that_reaches_the_target_achieves_the_objective(live: Live) -> None:
    account = await live.account("e-shot")
    manager = live.as_("success_manager")
    at = f"/accounts/{account['id']}"
    none_yet = await live.http.get(f"{at}/plan", headers=manager)
    assert none_yet.status_code == 404 and "when onboarding ends" in none_yet.json()["detail"]
    created = await live.http.post(f"{at}/objectives", json=objective(), headers=manager)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "open"
    below = await live.http.post(
        f"{at}/metrics", json={"name": "subscribers", "value": 4100}, headers=manager
    )
    assert below.status_code == 201
    reached = await live.http.post(
        f"{at}/metrics", json={"name": "subscribers", "value": 5004}, headers=manager
    )
    assert reached.status_code == 201

    async def achieved() -> dict | None:
        rows = (await live.http.get(f"{at}/objectives", headers=manager)).json()
        return rows[0] if rows[0]["status"] == "achieved" else None

    row = await eventually(achieved)
    assert row and row["achieved_value"] == 5004
    assert row["decided_at"] == reached.json()["at"]
    readings = (await live.http.get(f"{at}/metrics?name=subscribers", headers=manager)).json()
    assert [r["value"] for r in readings] == [4100, 5004]
    # It was the only objective, so onboarding ends and the plan follows.
    plan = await eventually(lambda: _plan(live, at))
    assert plan["summary"]["achieved"] == 1


async def _plan(live: Live, at: str) -> dict | None:
    response = await live.http.get(f"{at}/plan", headers=live.as_("success_manager"))
    return response.json() if response.status_code == 200 else None


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (objective(target=None), "body.target", "needs a measurable target"),
        (objective(due_on=date.today().isoformat()), "body.due_on", "is not after today"),
        (objective(direction="more"), "body.direction", "'at_least' or 'at_most'"),
        (objective(metric=""), "body.metric", "at least 1 character"),
    ],
)
async def test_bad_objectives_are_422(
    live: Live, body: dict[str, object], field: str, words: str
) -> None:
    account = await live.account("e-shot")
    response = await live.http.post(
        f"/accounts/{account['id']}/objectives", json=body, headers=live.as_("success_manager")
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["field"] == field and words in problem["message"]
    listed = await live.http.get(
        f"/accounts/{account['id']}/objectives", headers=live.as_("success_manager")
    )
    assert listed.json() == []


async def test_an_edition_without_objectives_is_409(live: Live) -> None:
    account = await live.account("spotler")
    response = await live.http.post(
        f"/accounts/{account['id']}/objectives", json=objective(), headers=live.as_("admin")
    )
    assert response.status_code == 409
    assert "does not include onboarding objectives" in response.json()["detail"]


async def test_measurements_in_the_future_and_customers_writing_are_refused(
    live: Live, engine
) -> None:  # type: ignore[no-untyped-def]
    account = await live.account("e-shot")
    at = f"/accounts/{account['id']}/metrics"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = await live.http.post(
        at, json={"name": "nps", "value": 40, "at": future}, headers=live.as_("success_manager")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.at"
    key = await customer_key(engine, account["id"])
    assert (
        await live.http.post(at, json={"name": "nps", "value": 1}, headers=key)
    ).status_code == 403
    assert (await live.http.get(at, headers=key)).status_code == 200
