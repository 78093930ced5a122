"""Boundaries end to end, with a worker: mail with hostile headers still goes out, downloads of
accounts in any script work, and customers read only the public part of a ticket's history."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

import sla
from activities.mail import Mailer
from api.ticket_history import PUBLIC_EVENTS
from db.busy import WRITES
from db.models import Review, Ticket, TicketEvent
from reports.filenames import file_slug
from settings import Settings
from sla.periods import at_local
from sla.reviews import REVIEW_TIME
from tests.api.conftest import Live, customer_key
from tests.conftest import Inbox
from tests.workflows.tickets import eventually

HOSTILE = "Campaign\r\nBcc: someone@evil.invalid\nstill\u2028broken"
FOLDED = "Campaign Bcc: someone@evil.invalid still broken"


def only_recipient(message: EmailMessage) -> str:
    return str(message["X-Envelope-To"])


async def test_the_mailer_folds_line_breaks_and_quotes_names(
    settings: Settings, inbox: Inbox
) -> None:
    address = f"jane-{secrets.token_hex(3)}@example.com"
    name = 'Jane "JJ" O\'Doe,\r\nBcc: x@evil.invalid'
    mailer = Mailer(settings)
    mailer.send(
        mailer.compose(
            address,
            HOSTILE,
            "Hello",
            to_name=name,
            headers={"X-Pledge-Ticket": "T-1\r\nX-Injected: yes"},
            attachments=[('Łódź "Digital".pdf', b"%PDF", "application/pdf")],
        )
    )
    [message] = await inbox.wait_for(lambda m: address in m["X-Envelope-To"])
    assert only_recipient(message) == address
    assert message["Subject"] == FOLDED
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["X-Pledge-Ticket"] == "T-1 X-Injected: yes"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ('Jane "JJ" O\'Doe, Bcc: x@evil.invalid', address)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == 'Łódź "Digital".pdf'


async def test_a_ticket_subject_with_line_breaks_still_gets_its_confirmation(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    opened = await live.open(
        account_id=account["id"], contact_id=contact["id"], priority="p3", subject=HOSTILE
    )
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    [message] = await inbox.wait_for(lambda m: m["X-Pledge-Ticket"] == reference, timeout=30)
    assert message["Subject"] == f"[{reference}] {FOLDED}"
    assert message["Bcc"] is None
    assert only_recipient(message) == contact["email"]


async def test_an_account_name_with_quotes_and_line_breaks_still_gets_its_report(
    live: Live, inbox: Inbox
) -> None:
    tag = secrets.token_hex(2)
    account = await live.account(
        "web-agency", edition="enterprise", name=f'Acme "Best"\r\nBcc: x@evil.invalid {tag}'
    )
    rep = await live.contact(account["id"], is_representative=True)
    made = await live.http.post(
        f"/accounts/{account['id']}/reports",
        json={"period": datetime.now(UTC).strftime("%Y-%m"), "send": True},
        headers=live.as_("success_manager"),
    )
    assert made.status_code == 201, made.text
    assert made.json()["emailed_to"] == [rep["email"]]
    [mail] = await inbox.wait_for(lambda m: rep["email"] in m["X-Envelope-To"], timeout=30)
    assert mail["Subject"].endswith(f': Acme "Best" Bcc: x@evil.invalid {tag}')
    assert mail["Bcc"] is None
    assert only_recipient(mail) == rep["email"]


async def test_a_report_for_a_non_latin_1_account_downloads(live: Live) -> None:
    name = f'Łódź "Digital" {secrets.token_hex(2)}'
    account = await live.account("web-agency", edition="enterprise", name=name)
    period = datetime.now(UTC).strftime("%Y-%m")
    made = await live.http.post(
        f"/accounts/{account['id']}/reports",
        json={"period": period},
        headers=live.as_("success_manager"),
    )
    assert made.status_code == 201, made.text
    filename = made.json()["filename"]
    assert filename == f"{file_slug(name)}-monthly-report-{period}.pdf"
    assert filename.startswith("łódź-digital-")
    pdf = await live.http.get(made.json()["url"], headers=live.as_("success_manager"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    fallback = filename.replace("łódź", "lodz")
    assert pdf.headers["content-disposition"] == (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )


async def test_customers_never_see_internal_events(live: Live, engine: AsyncEngine) -> None:
    account = await live.account("e-shot")
    contact = await live.contact(account["id"])
    customer = await customer_key(engine, account["id"])
    agent = live.as_("agent")
    opened = await live.open(account_id=account["id"], contact_id=contact["id"], priority="p3")
    reference = opened.json()["reference"]
    at = f"/tickets/{reference}"
    steps = [
        ("assign", {"name": "Agnes Agent", "email": "agnes@pledge.example.com"}),
        ("priority", {"priority": "p2", "note": "internal: VIP account"}),
        ("escalate", {"note": "internal: second line please"}),
        ("responses", {"body": "We are looking into it."}),
        ("wait", {"note": "internal: chase on Friday"}),
    ]
    for action, body in steps:
        response = await live.http.post(f"{at}/{action}", json=body, headers=agent)
        assert response.status_code == 200, f"{action}: {response.text}"
    reply = await live.http.post(
        f"{at}/responses", json={"body": "Here are the logs."}, headers=customer
    )
    assert reply.status_code == 200, reply.text
    # The clocks' own events, as the workflow writes them when a warning or breach falls due.
    # A writer's transaction (BEGIN IMMEDIATE on SQLite, db/busy.py): one that reads first
    # fails at once with "database is locked" if the worker wrote in between.
    writer = engine.execution_options(**{WRITES: True})
    async with AsyncSession(writer) as session, session.begin():
        ticket_id = await session.scalar(select(Ticket.id).where(Ticket.reference == reference))
        for seq, kind in ((900, "warning"), (901, "breach")):
            session.add(
                TicketEvent(
                    id=f"{reference}:{seq}", ticket_id=ticket_id, seq=seq, kind=kind,
                    actor="pledge", at=datetime.now(UTC), summary=f"{kind}: escalated to line 2",
                    data={"clock": "first_response", "line": 2},
                )
            )  # fmt: skip

    async def staff_view() -> dict | None:  # type: ignore[type-arg]
        detail = (await live.http.get(at, headers=agent)).json()
        kinds = {event["kind"] for event in detail["events"]}
        return detail if {"resumed", "breach"} <= kinds else None

    staff = await eventually(staff_view)
    assert staff is not None
    staff_kinds = [event["kind"] for event in staff["events"]]
    internal = {"assigned", "priority_changed", "escalated", "warning", "breach"}
    assert internal <= set(staff_kinds)

    seen = (await live.http.get(at, headers=customer)).json()["events"]
    assert [event["kind"] for event in seen] == [k for k in staff_kinds if k in PUBLIC_EVENTS]
    assert not internal & {event["kind"] for event in seen}
    assert {"opened", "response", "resumed"} <= {event["kind"] for event in seen}
    text = str(seen)
    agent_key_name = next(e["actor"] for e in staff["events"] if e["kind"] == "assigned")
    for secret in (agent_key_name, "internal:", "Agnes", "line 2", "VIP"):
        assert secret not in text, secret
    actors = {event["actor"] for event in seen}
    assert actors <= {"pledge", "support", "customer"} | {
        e["actor"] for e in staff["events"] if e["kind"] == "response" and "logs" in str(e)
    }


async def test_a_review_on_the_last_supported_day_runs_its_workflow(
    live: Live, inbox: Inbox, engine: AsyncEngine, dev_server_env: WorkflowEnvironment
) -> None:
    """The last working day before sla.LATEST_START is accepted, and its review workflow runs
    (invitation sent, pack date counted) without a failed workflow task; a week later is 422.
    (tests/workflows/test_supported_years.py proves the bound itself, in a fresh process.)"""
    calendar = sla.get_policy("essensys").calendar()
    day = (sla.LATEST_START - timedelta(days=1)).date()
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    starts = at_local(calendar, day, REVIEW_TIME)
    account = await live.account("essensys", edition="enterprise")
    rep = await live.contact(account["id"], is_representative=True)
    at = f"/accounts/{account['id']}/reviews"
    manager = live.as_("success_manager")
    later = at_local(calendar, day + timedelta(days=7), REVIEW_TIME)
    refused = await live.http.post(at, json={"starts_at": later.isoformat()}, headers=manager)
    assert refused.status_code == 422, refused.text
    created = await live.http.post(at, json={"starts_at": starts.isoformat()}, headers=manager)
    assert created.status_code == 201, created.text
    [invite] = await inbox.wait_for(
        lambda m: rep["email"] in m["X-Envelope-To"] and "Invitation" in m["Subject"], timeout=30
    )
    assert str(day.year) in invite["Subject"]
    async with AsyncSession(engine) as session:
        key = await session.scalar(select(Review.key).where(Review.id == created.json()["id"]))
    assert key is not None
    handle = dev_server_env.client.get_workflow_handle(key)

    async def settled() -> set[int] | None:
        kinds = {event.event_type for event in (await handle.fetch_history()).events}
        done = {EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED}
        return kinds if kinds & done else None

    kinds = await eventually(settled)
    assert kinds is not None
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    assert EventType.EVENT_TYPE_TIMER_STARTED in kinds  # it counted on to the pack date
