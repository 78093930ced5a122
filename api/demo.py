"""Demo data for `make run`: one account per seed policy, tickets and complaints, via the API.

It goes through the HTTP API like any client, so every ticket is a real workflow with real
timers: the breached ones were logged after their deadlines, the others will warn and breach
on their own while you watch. It only ever seeds an empty database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

import sla
from sla.regimes import jurisdiction_calendar
from sla.reviews import proposed_time

ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "Northwind Marketing",
        "policy": "e-shot",
        "edition": "standard",  # e-shot sells one subscription, with every account service
        # e-shot has no account managers: its Customer Success team looks after the account,
        # and the team address hears what no assignee does.
        "success_manager_name": "Priya Shah",
        "success_manager_email": "priya.shah@pledge.example.com",
        "contacts": [
            {
                "name": "Tom Baker",
                "email": "tom@northwind.example.com",
                "phone": "020 7946 0001",
                "receives_reports": True,
                "portal_access": True,
                # Told of maintenance (and other notices to the account's administrators).
                "administrator": True,
            },
        ],
    },
    {
        "name": "Bluebell Florists",
        "policy": "spotler",
        "edition": "standard",
        "account_manager_name": "Dan Okafor",
        "account_manager_email": "dan.okafor@pledge.example.com",
        "contacts": [
            {
                "name": "Maya Green",
                "email": "maya@bluebell.example.com",
                "phone": "01483 000 222",
                "portal_access": True,
                "administrator": True,
            },
        ],
    },
    {
        "name": "Harbour Cafe",
        "policy": "web-agency",
        "edition": "standard",
        "contacts": [
            {
                "name": "Sam Reed",
                "email": "sam@harbourcafe.example.com",
                "portal_access": True,
                "administrator": True,
            }
        ],
    },
    {
        "name": "Greenfield School",
        "policy": "electric-putty",
        "edition": "standard",
        "contacts": [
            {
                "name": "Ruth Ellis",
                "email": "office@greenfield.example.com",
                "portal_access": True,
                "administrator": True,
            }
        ],
    },
    {
        "name": "Atlas Workspaces",
        "policy": "essensys",
        "edition": "enterprise",
        "calendar": "us-pacific",
        "account_manager_name": "Lena Park",
        "account_manager_email": "lena.park@pledge.example.com",
        "contacts": [
            {
                "name": "Jordan Lee",
                "email": "jordan@atlas.example.com",
                "phone": "+1 415 555 0100",
                "login": "jlee",
                "is_representative": True,
                "administrator": True,
            },
            {"name": "Chris Fox", "email": "chris@atlas.example.com"},
        ],
    },
]


@dataclass
class Seeded:
    accounts: int = 0
    tickets: int = 0
    releases: int = 0
    complaints: int = 0
    reports: int = 0
    objectives: int = 0
    reviews: int = 0
    monitors: int = 0
    references: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"demo data: {self.accounts} accounts, {self.tickets} tickets, {self.releases} "
            f"release, {self.complaints} complaints, {self.reports} monthly report, "
            f"{self.objectives} onboarding objective, {self.reviews} quarterly review, "
            f"{self.monitors} monitors of our own services on /status (GET /tickets and GET "
            "/complaints list them, soonest deadline first)"
        )


class DemoError(RuntimeError):
    """The API refused a demo request; the message says which and why."""


async def seed(base_url: str, admin_key: str) -> Seeded | None:
    """Fill an empty Pledge with demo data; None when there is data already."""
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        if (await _call(client, "GET", "/accounts")) != []:
            return None
        done = Seeded()
        ids: dict[str, int] = {}
        contacts: dict[str, int] = {}
        for spec in ACCOUNTS:
            body = {key: value for key, value in spec.items() if key != "contacts"}
            account = await _call(client, "POST", "/accounts", body)
            ids[spec["policy"]] = account["id"]
            done.accounts += 1
            for person in spec["contacts"]:
                contact = await _call(client, "POST", f"/accounts/{account['id']}/contacts", person)
                contacts.setdefault(spec["policy"], contact["id"])
        await _tickets(client, ids, contacts, done)
        await _complaints(client, ids, done)
        # This month's report so far, for the e-shot customer: the tickets above, as a PDF.
        period = datetime.now(UTC).strftime("%Y-%m")
        await _call(client, "POST", f"/accounts/{ids['e-shot']}/reports", {"period": period})
        done.reports += 1
        await _success(client, ids, done)
        await _monitors(client, base_url, done)
        return done


# Our own services as the demo watches them: Pledge's own endpoints on this machine (the
# launcher allows 127.0.0.1 for the demo: PLEDGE_MONITOR_ALLOWED_HOSTS), so they are up on a
# fresh `make run` and the status page has something to show. Every minute, so the first
# probes come soon. (No customer's website: nothing on this machine stands in for one.)
OWN_MONITORS = [("platform", "/health"), ("api", "/openapi.json")]


async def _monitors(client: httpx.AsyncClient, base_url: str, done: Seeded) -> None:
    port = urlsplit(base_url).port or 80
    for service, path in OWN_MONITORS:
        await _call(
            client,
            "POST",
            "/monitors",
            {"service": service, "url": f"http://127.0.0.1:{port}{path}", "interval_seconds": 60},
        )
        done.monitors += 1


async def _tickets(
    client: httpx.AsyncClient, ids: dict[str, int], contacts: dict[str, int], done: Seeded
) -> None:
    now = datetime.now(UTC)

    async def open_ticket(name: str, policy: str, **body: Any) -> str:
        body = {
            "account_id": ids[policy],
            "contact_id": contacts[policy],
            "channel": "email",
            **body,
        }
        if "received_at" in body:
            body["received_at"] = body["received_at"].isoformat()
        ticket = await _call(client, "POST", "/tickets", body)
        done.tickets += 1
        done.references[name] = ticket["reference"]
        return str(ticket["reference"])

    async def act(reference: str, action: str, body: dict[str, Any] | None = None) -> None:
        await _call(client, "POST", f"/tickets/{reference}/{action}", body)

    # e-shot: an urgent one just in, a P2 logged two days late (breached), a P3 on a release.
    await open_ticket(
        "urgent", "e-shot", priority="p1", subject="Scheduled campaign stuck in 'sending'",
        description="Our 09:00 newsletter has been 'sending' for an hour.",
    )  # fmt: skip
    await open_ticket(
        "late", "e-shot", priority="p2", subject="Bounce report shows no data",
        description="Raised by phone on Monday; logged now.", received_at=now - timedelta(days=2),
        channel="phone",
    )  # fmt: skip
    release_ticket = await open_ticket(
        "release", "e-shot", priority="p3", subject="Preview pane cuts off long subject lines",
        description="Subjects over 80 characters are truncated in the preview.",
    )  # fmt: skip
    await act(release_ticket, "responses", {"body": "Reproduced; the fix is in 7.3."})
    planned = (now + timedelta(days=14)).date().isoformat()
    release = await _call(
        client,
        "POST",
        "/releases",
        {
            "name": "7.3",
            "policy": "e-shot",
            "kind": "maintenance",
            "planned_for": planned,
            "notes": "Editor fixes.",
        },
    )
    await _call(
        client, "POST", f"/releases/{release['id']}/tickets", {"references": [release_ticket]}
    )
    done.releases += 1

    # Spotler: a campaign going out tomorrow (triaged High), then waiting on the customer,
    # which re-grades it to Medium and marks it Delayed; an enhancement request with no clock.
    spotler = await open_ticket(
        "delayed", "spotler", subject="Test emails not arriving",
        description="Campaign goes out tomorrow morning.",
        campaign_scheduled_at=(now + timedelta(hours=20)).isoformat(),
    )  # fmt: skip
    await act(spotler, "responses", {"body": "Could you give us access to your DNS settings?"})
    await act(spotler, "wait", {"note": "waiting for DNS access"})
    await open_ticket(
        "enhancement", "spotler", type="enhancement", subject="Schedule sends by time zone",
        description="We would like to send at 9am in each recipient's time zone.",
    )  # fmt: skip

    # The web agency: the site is down (mission critical, 24/7), and a bug already fixed.
    await open_ticket(
        "site-down", "web-agency", priority="mission-critical", channel="monitor",
        subject="harbourcafe.example.com not responding", description="5-minute ping failed.",
    )  # fmt: skip
    fixed = await open_ticket(
        "fixed", "web-agency", priority="bug-fix", subject="500 error when saving a menu item",
        description="The CMS console shows a 500.", received_at=now - timedelta(hours=3),
    )  # fmt: skip
    await act(fixed, "assign", {"name": "Ola Nowak", "email": "ola@pledge.example.com"})
    await act(fixed, "responses", {"body": "Found it: a missing migration. Deploying a fix."})
    await act(fixed, "resolve", {"note": "Migration applied; saving works again."})

    # Electric Putty: a normal issue counted in support hours only.
    await open_ticket(
        "support-hours", "electric-putty", priority="normal", channel="web",
        subject="Update the term dates page", description="New dates for the spring term.",
    )  # fmt: skip

    # essensys: a case from the authorised representative, worked and closed with their OK.
    case = await open_ticket(
        "closed-case", "essensys", priority="p3", channel="chat",
        subject="Meeting room display offline", description="Room 4 screen shows no bookings.",
    )  # fmt: skip
    await act(case, "responses", {"body": "Please power-cycle the display."})
    await act(case, "resolve", {"note": "Back online after a power cycle."})
    await act(case, "close", {"agreed_by_contact_id": contacts["essensys"]})


async def _complaints(client: httpx.AsyncClient, ids: dict[str, int], done: Seeded) -> None:
    now = datetime.now(UTC)
    handler = {
        "name": "Hana Handler",
        "email": "hana.handler@pledge.example.com",
        "job_title": "Complaints Officer",
    }

    async def complain(name: str, **body: Any) -> str:
        body = {"channel": "letter", "handler": handler, **body}
        if "received_at" in body:
            body["received_at"] = body["received_at"].isoformat()
        complaint = await _call(client, "POST", "/complaints", body)
        done.complaints += 1
        done.references[name] = complaint["reference"]
        return str(complaint["reference"])

    async def act(reference: str, action: str, body: dict[str, Any] | None = None) -> None:
        await _call(client, "POST", f"/complaints/{reference}/{action}", body)

    # A written complaint from this morning: acknowledgement due in 5 working days, reply in 20.
    await complain(
        "complaint-new", account_id=ids["e-shot"], channel="email",
        complainant={"name": "Tom Baker", "email": "tom@northwind.example.com"},
        summary="Contacts who unsubscribed still received the December newsletter.",
    )  # fmt: skip
    # Acknowledged, then a holding letter moving the reply a fortnight: both letters are PDFs.
    held = await complain(
        "complaint-extended", received_at=now - timedelta(days=9),
        complainant={
            "name": "Margaret Hughes", "email": "m.hughes@example.com",
            "postal_address": "14 Acacia Avenue\nLeeds\nLS1 4AB",
        },
        summary="I was charged twice for my annual subscription and nobody has answered.",
    )  # fmt: skip
    await act(held, "acknowledge")
    complaint = await _call(client, "GET", f"/complaints/{held}")
    # Ten days past the last day, moved on to a working day, as a handler would promise.
    calendar = jurisdiction_calendar("england-and-wales")
    due = datetime.fromisoformat(complaint["reply_due"]) - timedelta(microseconds=1)
    new_by = due.astimezone(ZoneInfo(calendar.timezone)).date() + timedelta(days=10)
    while not calendar.is_working_day(new_by):
        new_by += timedelta(days=1)
    await act(
        held,
        "extend",
        {
            "reason": "We are waiting for our payment provider's records of both charges.",
            "new_reply_by": new_by.isoformat(),
        },
    )
    # Logged a month late: both deadlines already missed, so it tops the board as overdue.
    await complain(
        "complaint-overdue", received_at=now - timedelta(days=40), channel="phone",
        regime="housing-stage-1",
        complainant={"name": "Kwame Mensah", "email": "kwame@example.com"},
        summary="The repair to my boiler was booked three times and nobody came.",
    )  # fmt: skip
    # A subject access request in Scotland: one calendar month, no acknowledgement clock.
    await complain(
        "complaint-sar", regime="sar", jurisdiction="scotland", channel="email",
        complainant={"name": "Eilidh Ross", "email": "eilidh@example.com"},
        summary="Please send me a copy of all the personal data you hold about me.",
    )  # fmt: skip


async def _success(client: httpx.AsyncClient, ids: dict[str, int], done: Seeded) -> None:
    """An onboarding objective half-way there, and a review with its invitation sent."""
    eshot = ids["e-shot"]
    due = (datetime.now(UTC) + timedelta(days=60)).date()
    await _call(
        client,
        "POST",
        f"/accounts/{eshot}/objectives",
        {
            "name": "Grow the mailing list", "metric": "subscribers", "target": 5000,
            "due_on": due.isoformat(),
            "owner": {"name": "Tom Baker", "email": "tom@northwind.example.com"},
        },
    )  # fmt: skip
    await _call(
        client, "POST", f"/accounts/{eshot}/metrics", {"name": "subscribers", "value": 4200}
    )
    done.objectives += 1
    atlas = ids["essensys"]
    await _call(
        client,
        "PATCH",
        f"/accounts/{atlas}",
        {
            "success_manager_name": "Lena Park",
            "success_manager_email": "lena.park@pledge.example.com",
        },
    )
    calendar = sla.get_policy("essensys").calendar("us-pacific")
    starts = proposed_time(calendar, datetime.now(UTC))
    review = await _call(
        client, "POST", f"/accounts/{atlas}/reviews", {"starts_at": starts.isoformat()}
    )
    await _call(
        client,
        "PUT",
        f"/reviews/{review['id']}/recommendations",
        {"text": "Add the new Mission Bay site to monitoring before it opens."},
    )
    done.reviews += 1


async def _call(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    response = await client.request(method, path, json=body)
    if response.status_code >= 400:
        detail = response.json().get("detail", response.text)
        raise DemoError(f"{method} {path} answered {response.status_code}: {detail}")
    return response.json()
