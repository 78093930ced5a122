"""Reviews, outcomes, actions, objectives and readings have one writer: their workflow.

With Temporal unreachable the API answers 503 and nothing is stored; a request retried with
its Idempotency-Key makes nothing twice, and the key reused for another request is 409.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.keys import mint_key
from db.models import Measurement, Objective, Review, ReviewAction, Role
from settings import Settings
from tests.api.conftest import Live
from tests.api.test_reviews import working_day_at_ten
from tests.conftest import free_port
from tests.workflows.tickets import eventually, make_account

OBJECTIVE = {
    "name": "Grow the mailing list",
    "metric": "subscribers",
    "target": 5000,
    "owner": {"name": "Olive Owner", "email": "olive@customer.example.com"},
}


def objective_body(**extra: Any) -> dict[str, Any]:
    return {**OBJECTIVE, "due_on": (date.today() + timedelta(days=60)).isoformat(), **extra}


def outcome_body(description: str = "Enable SSO") -> dict[str, Any]:
    due = (date.today() + timedelta(days=30)).isoformat()
    return {
        "outcome": "Agreed to roll out SSO.",
        "actions": [{"description": description, "owner": {"name": "Owen"}, "due_on": due}],
    }


async def count(engine: AsyncEngine, model: Any, **where: Any) -> int:
    async with AsyncSession(engine) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await session.scalar(query) or 0)


async def held_review_with_action(engine: AsyncEngine, account_id: int) -> tuple[int, int]:
    """A review already held with one open action, as the workflows would have left them."""
    now = datetime.now(UTC)
    async with AsyncSession(engine) as session, session.begin():
        review = Review(
            account_id=account_id, key=f"account-{account_id}-review-{secrets.token_hex(4)}",
            quarter="2026-Q3", starts_at=now - timedelta(days=1), duration_minutes=60,
            status="held", sequence=0, recommendations="", invited=[], created_by="test",
            created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(review)
        await session.flush()
        action = ReviewAction(
            review_id=review.id, account_id=account_id, description="Enable SSO",
            owner_name="Owen", owner_email=None, due_on=date.today() + timedelta(days=9),
            status="open", created_at=now,
        )  # fmt: skip
        session.add(action)
        await session.flush()
        return review.id, action.id


@pytest.fixture
async def unreachable(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app pointed at a loopback port nobody listens on: Temporal is down."""
    dead = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(dead)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as client:
            yield client


async def test_with_temporal_down_every_write_is_503_and_stores_nothing(
    unreachable: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        minted = await mint_key(session, name=f"sm {secrets.token_hex(2)}", role=Role.ADMIN)
    headers = {"Authorization": f"Bearer {minted.secret}", "Idempotency-Key": "down-1"}
    essensys, _ = await make_account(engine, "essensys", representative=True)
    eshot, _ = await make_account(engine, "e-shot")
    review_id, action_id = await held_review_with_action(engine, essensys.id)

    attempts = [
        (f"/accounts/{essensys.id}/reviews", {"starts_at": working_day_at_ten(10).isoformat()}),
        (f"/accounts/{eshot.id}/objectives", objective_body()),
        (f"/accounts/{eshot.id}/metrics", {"name": "subscribers", "value": 5100}),
        (f"/reviews/{review_id}/outcome", outcome_body()),
        (f"/review-actions/{action_id}/done", None),
    ]
    for path, body in attempts:
        response = await unreachable.post(path, json=body, headers=headers)
        assert response.status_code == 503, (path, response.text)
        assert (
            "nothing was" in response.json()["detail"]
            or "not answering" in (response.json()["detail"])
        ), (path, response.text)

    assert await count(engine, Review, account_id=essensys.id) == 1  # the held one only
    assert await count(engine, Objective, account_id=eshot.id) == 0
    assert await count(engine, Measurement, account_id=eshot.id) == 0
    assert await count(engine, ReviewAction, review_id=review_id) == 1
    async with AsyncSession(engine) as session:
        review = await session.get(Review, review_id)
        action = await session.get(ReviewAction, action_id)
    assert review is not None and review.outcome is None
    assert action is not None and (action.status, action.done_at) == ("open", None)


async def test_a_retried_review_proposal_makes_one_review(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("essensys", edition="enterprise")
    at = f"/accounts/{account['id']}/reviews"
    body = {"starts_at": working_day_at_ten(10).isoformat()}
    keyed = live.as_("success_manager") | {"Idempotency-Key": f"review-{secrets.token_hex(4)}"}
    first = await live.http.post(at, json=body, headers=keyed)
    again = await live.http.post(at, json=body, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201), (first.text, again.text)
    assert again.json() == first.json()
    assert await count(engine, Review, account_id=account["id"]) == 1

    other = {"starts_at": working_day_at_ten(11).isoformat()}
    reused = await live.http.post(at, json=other, headers=keyed)
    assert reused.status_code == 409 and "Idempotency-Key" in reused.json()["detail"]
    assert await count(engine, Review, account_id=account["id"]) == 1
    # Without a key, each request is a new review.
    plain = await live.http.post(at, json=body, headers=live.as_("success_manager"))
    assert plain.status_code == 201 and plain.json()["id"] != first.json()["id"]
    assert await count(engine, Review, account_id=account["id"]) == 2


async def test_retried_objectives_and_readings_are_stored_once(
    live: Live, engine: AsyncEngine
) -> None:
    account = await live.account("e-shot")
    manager = live.as_("success_manager")
    at = f"/accounts/{account['id']}"
    keyed = manager | {"Idempotency-Key": f"objective-{secrets.token_hex(4)}"}
    first = await live.http.post(f"{at}/objectives", json=objective_body(), headers=keyed)
    again = await live.http.post(f"{at}/objectives", json=objective_body(), headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201), (first.text, again.text)
    assert again.json()["id"] == first.json()["id"]
    reused = await live.http.post(
        f"{at}/objectives", json=objective_body(target=6000), headers=keyed
    )
    assert reused.status_code == 409 and "Idempotency-Key" in reused.json()["detail"]
    assert await count(engine, Objective, account_id=account["id"]) == 1

    reading = {"name": "subscribers", "value": 4100}
    keyed = manager | {"Idempotency-Key": f"reading-{secrets.token_hex(4)}"}
    first = await live.http.post(f"{at}/metrics", json=reading, headers=keyed)
    again = await live.http.post(f"{at}/metrics", json=reading, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201), (first.text, again.text)
    assert again.json() == first.json()
    reused = await live.http.post(
        f"{at}/metrics", json={"name": "subscribers", "value": 4200}, headers=keyed
    )
    assert reused.status_code == 409
    assert await count(engine, Measurement, account_id=account["id"]) == 1
    # The same key from another API key is another request.
    other = live.as_("admin") | {"Idempotency-Key": keyed["Idempotency-Key"]}
    assert (await live.http.post(f"{at}/metrics", json=reading, headers=other)).status_code == 201
    assert await count(engine, Measurement, account_id=account["id"]) == 2

    # The objective, kept once, is achieved once; onboarding ends with a plan of it.
    reached = {"name": "subscribers", "value": 5004}
    assert (await live.http.post(f"{at}/metrics", json=reached, headers=manager)).status_code == 201
    plan = await eventually(lambda: _plan(live, at))
    assert plan is not None, "onboarding did not end with a plan"
    assert [o["status"] for o in plan["summary"]["objectives"]] == ["achieved"]


async def _plan(live: Live, at: str) -> dict[str, Any] | None:
    response = await live.http.get(f"{at}/plan", headers=live.as_("success_manager"))
    return response.json() if response.status_code == 200 else None


async def test_a_reading_with_no_onboarding_going_is_recorded_and_the_run_ends(
    live: Live, dev_server_env: WorkflowEnvironment
) -> None:
    """A reading for an account with no objectives: the onboarding workflow records it and
    ends, and the next reading starts a fresh run."""
    account = await live.account("spotler")  # no onboarding objectives in this edition
    at = f"/accounts/{account['id']}/metrics"
    for value in (1, 2):
        response = await live.http.post(
            at, json={"name": "nps", "value": value}, headers=live.as_("success_manager")
        )
        assert response.status_code == 201, response.text
    listed = await live.http.get(at, headers=live.as_("success_manager"))
    assert [m["value"] for m in listed.json()] == [1, 2]
    handle = dev_server_env.client.get_workflow_handle(f"account-{account['id']}-onboarding")

    async def ended() -> bool:
        status = (await handle.describe()).status
        return status == WorkflowExecutionStatus.COMPLETED

    assert await eventually(ended), "the onboarding run did not end"
    assert await handle.result() is None


async def test_a_retried_outcome_records_its_actions_once(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("essensys", edition="enterprise")
    manager = live.as_("success_manager")
    created = await live.http.post(
        f"/accounts/{account['id']}/reviews",
        json={"starts_at": working_day_at_ten(10).isoformat()},
        headers=manager,
    )
    review = created.json()
    async with AsyncSession(engine) as session, session.begin():  # the meeting has happened
        await session.execute(update(Review).where(Review.id == review["id"]).values(status="held"))
    keyed = manager | {"Idempotency-Key": f"outcome-{secrets.token_hex(4)}"}
    at = f"/reviews/{review['id']}/outcome"
    first = await live.http.post(at, json=outcome_body(), headers=keyed)
    again = await live.http.post(at, json=outcome_body(), headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201), (first.text, again.text)
    assert [a["id"] for a in again.json()] == [a["id"] for a in first.json()]
    reused = await live.http.post(at, json=outcome_body("Something else"), headers=keyed)
    assert reused.status_code == 409
    plain = await live.http.post(at, json=outcome_body(), headers=manager)
    assert plain.status_code == 409 and "already has its outcome" in plain.json()["detail"]
    assert await count(engine, ReviewAction, review_id=review["id"]) == 1
    async with AsyncSession(engine) as session:
        stored = await session.get(Review, review["id"])
    assert stored is not None and stored.outcome == "Agreed to roll out SSO."

    [action] = first.json()
    done = await live.http.post(f"/review-actions/{action['id']}/done", headers=manager)
    assert done.status_code == 200 and done.json()["status"] == "done", done.text
    twice = await live.http.post(f"/review-actions/{action['id']}/done", headers=manager)
    assert twice.status_code == 409
    async with AsyncSession(engine) as session:
        row = await session.get(ReviewAction, action["id"])
    assert row is not None and row.done_at is not None
    assert row.done_at.isoformat().startswith(done.json()["done_at"][:19])


async def test_recommendations_are_written_by_the_review_workflow(live: Live) -> None:
    account = await live.account("essensys", edition="enterprise")
    manager = live.as_("success_manager")
    created = await live.http.post(
        f"/accounts/{account['id']}/reviews",
        json={"starts_at": working_day_at_ten(10).isoformat()},
        headers=manager,
    )
    review = created.json()
    response = await live.http.put(
        f"/reviews/{review['id']}/recommendations", json={"text": "Monitor every site."},
        headers=manager,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["recommendations"] == "Monitor every site."
    await live.http.post(f"/reviews/{review['id']}/cancel", headers=manager)
    late = await live.http.put(
        f"/reviews/{review['id']}/recommendations", json={"text": "Too late"}, headers=manager
    )
    assert late.status_code == 409
