"""Every portal route, tried by a signed-in customer of account B with account A's records.

The routes come from the app: a /portal route missing from the table below fails the test, so
no page escapes. Each is called with A's ids and references where it takes any; the answer must
be the one an unknown id gets (the same status and page, not a hint that A's record exists) and
must show nothing of A's. Routes without ids must show B's own data only.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Account,
    AttachmentContent,
    Contact,
    Edition,
    Monitor,
    Report,
    Review,
    Ticket,
    TicketAttachment,
)
from db.types import MAX_INTEGER
from tests.conftest import Inbox
from tests.web.portal_people import make_customer, portal_sign_in

# Open to anyone: signing in and out (tests/web/test_portal_signin.py tries them).
PUBLIC = {
    "GET /portal/login",
    "POST /portal/login",
    "GET /portal/link/{token}",
    "POST /portal/link/{token}",
    "POST /portal/logout",
}
# What each route is sent: a form for those that post one; {} for none.
TABLE: dict[str, dict[str, str]] = {
    "GET /portal": {},
    "GET /portal/tickets/{reference}": {},
    "POST /portal/tickets/{reference}/reply": {"body": "Any news?"},
    "POST /portal/tickets/{reference}/close": {},
    "POST /portal/tickets/{reference}/not-fixed": {"what": "It is still broken."},
    "GET /portal/tickets/{reference}/attachments/{attachment_id}": {},
    "GET /portal/tickets/new": {},
    # "Check the times": the form comes back for B's own account (sending would open a ticket).
    "POST /portal/tickets/new": {"action": "check", "priority": "p1"},
    "POST /portal/tickets/new/promises": {"priority": "p2"},
    "GET /portal/tickets/{reference}/raised": {},
    "GET /portal/support": {},
    "GET /portal/documents": {},
    "GET /portal/documents/reports/{report_id}.pdf": {},
    "GET /portal/reviews/{review_id}/invite.ics": {},
    "GET /portal/reviews/{review_id}/pack.pdf": {},
    "POST /portal/tickets/{reference}/rating": {"rating": "good"},
    "GET /portal/monitors": {},
    "GET /portal/monitors/{monitor_id}": {},
}
NOW = datetime.now(UTC).replace(microsecond=0)


def portal_routes(app: FastAPI) -> set[str]:
    found = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/portal"):
            found |= {f"{method} {route.path}" for method in route.methods - {"HEAD"}}
    return found


def concrete(path: str, values: dict[str, str]) -> str:
    for name in re.findall(r"{(\w+)}", path):
        assert name in values, f"no value for {{{name}}} in {path}"
        path = path.replace("{" + name + "}", values[name])
    return path


async def _ticket(session: AsyncSession, account: Account, contact: Contact) -> Ticket:
    ticket = Ticket(
        reference=f"T-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        account_id=account.id, contact_id=contact.id, subject="Secret launch of Project Kestrel",
        description="Only account A may read this.", channel="web", type="incident",
        policy=account.policy, calendar=None, priority="p3", status="resolved", line=1,
        received_at=NOW - timedelta(hours=3), opened_at=NOW - timedelta(hours=3),
        opened_by=contact.name, resolved_at=NOW - timedelta(hours=1), version=1, updated_at=NOW,
    )  # fmt: skip
    session.add(ticket)
    await session.flush()
    return ticket


async def _attachment(session: AsyncSession, ticket: Ticket) -> TicketAttachment:
    """A file the customer may see, bytes and all."""
    attachment = TicketAttachment(
        id=secrets.token_hex(16), ticket_id=ticket.id, event_id=f"{ticket.reference}:2", seq=2,
        filename="kestrel-plan.txt", content_type="text/plain", size=12, sha256="0" * 64,
        added_by="Support team", added_by_customer=False, public=True, added_at=NOW,
    )  # fmt: skip
    session.add(attachment)
    session.add(AttachmentContent(id=attachment.id, ticket_id=ticket.id, content=b"Kestrel plan"))
    await session.flush()
    return attachment


async def _report(session: AsyncSession, account: Account) -> Report:
    report = Report(
        key=f"scoping-{secrets.token_hex(4)}", account_id=account.id, kind="monthly",
        period="2026-10", title="Project Kestrel monthly report", filename="kestrel.pdf",
        content=b"%PDF-1.4 account A only", figures={}, requested_by="test", created_at=NOW,
    )  # fmt: skip
    session.add(report)
    await session.flush()
    return report


async def _review(session: AsyncSession, account: Account, pack: Report) -> Review:
    review = Review(
        account_id=account.id, key=f"scoping-review-{secrets.token_hex(4)}", quarter="2026-Q3",
        starts_at=NOW + timedelta(days=7), duration_minutes=60, status="scheduled", sequence=0,
        recommendations="Kestrel", pack_report_id=pack.id, invited=[], created_by="test",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    session.add(review)
    await session.flush()
    return review


async def _monitor(session: AsyncSession, account: Account) -> Monitor:
    """Account A's website, as its monitor's workflow records it (down: it shows in the list)."""
    monitor = Monitor(
        id=f"M-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        name="Kestrel shop", url="https://kestrel.invalid/", account_id=account.id,
        interval_seconds=300, expected_status=200, paused=False, state="down",
        state_since=NOW - timedelta(minutes=20), created_by="test", created_at=NOW,
        updated_at=NOW, version=1,
    )  # fmt: skip
    session.add(monitor)
    await session.flush()
    return monitor


async def test_a_customer_of_another_account_reaches_nothing_of_account_as(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    account_a, contact_a = await make_customer(session, "e-shot", edition=Edition.STANDARD)
    account_b, contact_b = await make_customer(session, "e-shot", name="Blake Other")
    ticket = await _ticket(session, account_a, contact_a)
    report = await _report(session, account_a)
    review = await _review(session, account_a, report)
    attachment = await _attachment(session, ticket)
    monitor = await _monitor(session, account_a)
    await session.commit()
    a_values = {
        "monitor_id": monitor.id,
        "reference": ticket.reference,
        "report_id": str(report.id),
        "review_id": str(review.id),
        "attachment_id": attachment.id,
    }
    unknown = {
        "monitor_id": "M-0000-0000",
        "reference": "T-0000-0000",
        "report_id": str(MAX_INTEGER),
        "review_id": str(MAX_INTEGER),
        "attachment_id": "0" * 32,
    }
    secrets_of_a = [ticket.reference, "Kestrel", account_a.name, contact_a.email, monitor.id]

    routes = portal_routes(app)
    missing = sorted(routes - PUBLIC - TABLE.keys())
    assert not missing, f"portal routes missing from the scoping table: {missing}"
    assert (await portal_sign_in(client, inbox, contact_b.email)).status_code == 303

    problems = []
    for operation in sorted(routes - PUBLIC):
        method, path = operation.split(" ", 1)
        names = re.findall(r"{(\w+)}", path)
        form = TABLE[operation]

        answer = await client.request(method, concrete(path, a_values), data=form or None)
        leaked = [s for s in secrets_of_a if s in answer.text]
        if answer.status_code >= 500 or leaked:
            problems.append(f"{operation}: {answer.status_code}, shows {leaked}")
            continue
        if not names:
            if answer.status_code in (401, 403) or answer.headers.get("location", "").startswith(
                "/portal/login"
            ):
                problems.append(f"{operation}: {answer.status_code}, B was not let in")
            continue
        if answer.status_code != 404:
            problems.append(f"{operation}: {answer.status_code} for A's record, expected 404")
        guess = await client.request(method, concrete(path, unknown), data=form or None)
        same = answer.text
        for name in names:
            same = same.replace(a_values[name], unknown[name])
        if (guess.status_code, guess.text) != (answer.status_code, same):
            problems.append(f"{operation}: A's record answers unlike an unknown one")
    assert not problems, "\n".join(problems)
    # B's own pages still work: the test is not passing because B sees nothing at all.
    home = await client.get("/portal")
    assert home.status_code == 200 and account_b.name in home.text
