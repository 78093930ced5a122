"""Reviews over HTTP: proposed, moved, cancelled, with the invitation read back as iCalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from db.models import Review
from sla.periods import at_local, local_date, working_day_after
from sla.reviews import REVIEW_TIME
from tests.api.conftest import Live


def working_day_at_ten(days_ahead: int) -> datetime:
    calendar = sla.get_policy("essensys").calendar()
    today = local_date(calendar, datetime.now(UTC))
    return at_local(calendar, working_day_after(calendar, today, days_ahead), REVIEW_TIME)


async def ics(live: Live, review_id: int) -> Calendar:
    response = await live.http.get(f"/reviews/{review_id}/invite.ics", headers=live.as_("admin"))
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


async def test_propose_move_and_cancel_a_review(live: Live) -> None:
    account = await live.account("essensys", edition="enterprise")
    await live.contact(account["id"], is_representative=True)
    manager = live.as_("success_manager")
    starts = working_day_at_ten(10)
    created = await live.http.post(
        f"/accounts/{account['id']}/reviews",
        json={"starts_at": starts.isoformat()},
        headers=manager,
    )
    assert created.status_code == 201, created.text
    review = created.json()
    assert (review["status"], review["sequence"]) == ("scheduled", 0)
    calendar = await ics(live, review["id"])
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["method"]) == "REQUEST" and event.decoded("dtstart") == starts
    assert str(event["uid"]).startswith(f"account-{account['id']}-review-")

    moved = working_day_at_ten(12)
    response = await live.http.post(
        f"/reviews/{review['id']}/reschedule",
        json={"starts_at": moved.isoformat()},
        headers=manager,
    )
    assert response.status_code == 200, response.text
    assert response.json()["sequence"] == 1
    event = (await ics(live, review["id"])).walk("VEVENT")[0]
    assert (int(event["sequence"]), event.decoded("dtstart")) == (1, moved)

    nope = await live.http.get(f"/reviews/{review['id']}/pack", headers=manager)
    assert nope.status_code == 404 and "3 working days before" in nope.json()["detail"]

    cancelled = await live.http.post(f"/reviews/{review['id']}/cancel", headers=manager)
    assert cancelled.json()["status"] == "cancelled"
    calendar = await ics(live, review["id"])
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["method"]) == "CANCEL" and int(event["sequence"]) == 2
    again = await live.http.post(
        f"/reviews/{review['id']}/reschedule",
        json={"starts_at": moved.isoformat()},
        headers=manager,
    )
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    listed = await live.http.get(f"/accounts/{account['id']}/reviews", headers=manager)
    assert [r["status"] for r in listed.json()] == ["cancelled"]


async def test_a_review_in_the_past_on_a_weekend_or_for_standard_is_refused(live: Live) -> None:
    account = await live.account("essensys", edition="enterprise")
    manager = live.as_("success_manager")
    at = f"/accounts/{account['id']}/reviews"
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    response = await live.http.post(at, json={"starts_at": past}, headers=manager)
    assert response.status_code == 422 and "in the past" in response.json()["errors"][0]["message"]
    saturday = datetime.now(UTC) + timedelta(days=(5 - datetime.now(UTC).weekday()) % 7 + 7)
    response = await live.http.post(at, json={"starts_at": saturday.isoformat()}, headers=manager)
    assert response.status_code == 422
    assert "is not a working day" in response.json()["errors"][0]["message"]
    standard = await live.account("essensys", edition="standard")
    response = await live.http.post(
        f"/accounts/{standard['id']}/reviews",
        json={"starts_at": working_day_at_ten(10).isoformat()},
        headers=manager,
    )
    assert response.status_code == 409
    assert "does not include quarterly business reviews" in response.json()["detail"]
    assert (await live.http.get(at, headers=manager)).json() == []


async def test_the_outcome_and_its_actions_after_the_meeting(live: Live, engine) -> None:  # type: ignore[no-untyped-def]
    account = await live.account("essensys", edition="enterprise")
    manager = live.as_("success_manager")
    created = await live.http.post(
        f"/accounts/{account['id']}/reviews",
        json={"starts_at": working_day_at_ten(10).isoformat()},
        headers=manager,
    )
    review = created.json()
    outcome = {
        "outcome": "Agreed to roll out SSO and to retrain the front desk.",
        "actions": [
            {"description": "Enable SSO", "owner": {"name": "Owen"},
             "due_on": (date.today() + timedelta(days=30)).isoformat()},
        ],
    }  # fmt: skip
    early = await live.http.post(f"/reviews/{review['id']}/outcome", json=outcome, headers=manager)
    assert early.status_code == 409 and "once it has been held" in early.json()["detail"]

    async with AsyncSession(engine) as session, session.begin():  # the meeting has happened
        await session.execute(update(Review).where(Review.id == review["id"]).values(status="held"))
    recorded = await live.http.post(
        f"/reviews/{review['id']}/outcome", json=outcome, headers=manager
    )
    assert recorded.status_code == 201, recorded.text
    [action] = recorded.json()
    assert (action["status"], action["owner_name"]) == ("open", "Owen")
    again = await live.http.post(f"/reviews/{review['id']}/outcome", json=outcome, headers=manager)
    assert again.status_code == 409

    done = await live.http.post(f"/review-actions/{action['id']}/done", headers=manager)
    assert done.status_code == 200 and done.json()["status"] == "done"
    listed = await live.http.get(f"/reviews/{review['id']}/actions", headers=manager)
    assert [a["status"] for a in listed.json()] == ["done"]
    twice = await live.http.post(f"/review-actions/{action['id']}/done", headers=manager)
    assert twice.status_code == 409
