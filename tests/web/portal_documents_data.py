"""Real documents for the portal's tests, made as staff make them, through the running API and
its worker: a monthly report, an incident report, a review with its invitation and pack, and
onboarding objectives with their readings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import sla
from api.keys import mint_key
from db.models import Role
from sla.periods import at_local, local_date, working_day_after
from sla.reviews import REVIEW_TIME
from tests.waiting import eventually


async def staff_keys(engine: AsyncEngine) -> dict[Role, dict[str, str]]:
    """A committed key for an agent and a success manager."""
    keys = {}
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        for role in (Role.AGENT, Role.SUCCESS_MANAGER):
            minted = await mint_key(session, name=f"docs {role.value}", role=role)
            keys[role] = {"Authorization": f"Bearer {minted.secret}"}
    return keys


def last_month() -> str:
    first = date.today().replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"


@dataclass
class Documents:
    account: int
    email: str  # the representative's, who may sign in to the portal
    report: int  # the monthly report
    incident: int
    review: int
    reference: str  # the ticket the incident report is about


async def account_with(
    http: httpx.AsyncClient, keys: dict[Role, dict[str, str]], policy: str, edition: str
) -> tuple[int, str]:
    """An account and a representative (who has portal access by default)."""
    made = await http.post(
        "/accounts",
        json={"name": f"Harbour Works {secrets.token_hex(3)}", "policy": policy,
              "edition": edition, "success_manager_name": "Sam Success",
              "success_manager_email": "sam@pledge.example.com"},
        headers=keys[Role.SUCCESS_MANAGER],
    )  # fmt: skip
    assert made.status_code == 201, made.text
    account = made.json()["id"]
    email = f"robin.{secrets.token_hex(3)}@customer.example.com"
    contact = await http.post(
        f"/accounts/{account}/contacts",
        json={"name": "Robin Rep", "email": email, "phone": "01483 911 411",
              "is_representative": True},
        headers=keys[Role.AGENT],
    )  # fmt: skip
    assert contact.status_code == 201, contact.text
    return account, email


async def make_documents(http: httpx.AsyncClient, keys: dict[Role, dict[str, str]]) -> Documents:
    """An essensys enterprise account with one of every document the portal lists."""
    account, email = await account_with(http, keys, "essensys", "enterprise")
    manager, agent = keys[Role.SUCCESS_MANAGER], keys[Role.AGENT]
    report = await http.post(
        f"/accounts/{account}/reports", json={"period": last_month()}, headers=manager
    )
    assert report.status_code == 201, report.text

    contacts = await http.get(f"/accounts/{account}/contacts", headers=agent)
    opened = await http.post(
        "/tickets",
        json={"account_id": account, "contact_id": contacts.json()[0]["id"], "priority": "p1",
              "subject": "Front doors will not open", "description": "Two sites locked out.",
              "channel": "phone"},
        headers=agent,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    resolved = await http.post(
        f"/tickets/{reference}/resolve",
        json={"note": "Access restored", "impact": "Two sites locked out for 40 minutes.",
              "cause": "An expired certificate.", "actions": ["Renewed the certificate"]},
        headers=agent,
    )  # fmt: skip
    assert resolved.status_code == 200, resolved.text

    # A meeting one working day away: its pack is due at once.
    calendar = sla.get_policy("essensys").calendar()
    today = local_date(calendar, datetime.now(UTC))
    starts = at_local(calendar, working_day_after(calendar, today, 1), REVIEW_TIME)
    review = await http.post(
        f"/accounts/{account}/reviews", json={"starts_at": starts.isoformat()}, headers=manager
    )
    assert review.status_code == 201, review.text
    review_id = review.json()["id"]

    async def incident() -> list[dict]:
        listed = await http.get(f"/accounts/{account}/reports", headers=manager)
        return [r for r in listed.json() if r["kind"] == "incident"]

    async def packed() -> bool:
        return (await http.get(f"/reviews/{review_id}/pack", headers=manager)).status_code == 200

    [made] = await eventually(incident, what="the incident report")
    await eventually(packed, what="the review pack")
    return Documents(account, email, report.json()["id"], made["id"], review_id, reference)


async def make_objectives(http: httpx.AsyncClient, keys: dict[Role, dict[str, str]]) -> str:
    """An e-shot account with one objective met and one still open; the representative's
    address."""
    account, email = await account_with(http, keys, "e-shot", "standard")
    manager = keys[Role.SUCCESS_MANAGER]
    due = (date.today() + timedelta(days=60)).isoformat()
    for name, metric, target in (("Grow the list", "subscribers", 5000),
                                 ("Send weekly", "campaigns_sent", 12)):  # fmt: skip
        made = await http.post(
            f"/accounts/{account}/objectives",
            json={"name": name, "metric": metric, "target": target, "due_on": due,
                  "owner": {"name": "Robin Rep"}},
            headers=manager,
        )  # fmt: skip
        assert made.status_code == 201, made.text
    for metric, value in (("subscribers", 3200), ("campaigns_sent", 14)):
        read = await http.post(
            f"/accounts/{account}/metrics",
            json={"name": metric, "value": value},
            headers=manager,
        )
        assert read.status_code == 201, read.text
    return email
