"""Subscribing to the status page at a real SMTP listener: the confirmation link subscribes
only when its page's button is pressed, once; subscribers of the incident's services are
mailed when it is published, updated and resolved, each mail with a one-click unsubscribe
(RFC 8058) that works; requests are limited per address and per client."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import urlencode

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from activities.incidents import incident_mail
from db.models import Incident, IncidentUpdate, StatusSubscription
from tests.api.conftest import Live
from tests.conftest import Inbox
from workflows.incident_messages import IncidentNotice


async def _service_monitors(live: Live) -> None:
    for service in ("sending", "api"):
        made = await live.http.post(
            "/monitors",
            json={"url": f"https://{service}.pledge.invalid/", "service": service,
                  "interval_seconds": 86_400},
            headers=live.as_("agent"),
        )  # fmt: skip
        assert made.status_code == 201, made.text


async def _subscription(engine: AsyncEngine, email: str) -> StatusSubscription | None:
    async with AsyncSession(engine) as session:
        return await session.scalar(
            select(StatusSubscription).where(StatusSubscription.email == email)
        )


def _link(mail: EmailMessage, path: str) -> str:
    found = re.search(rf"https?://[^\s]+({path}/[^\s]+)", mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


async def _subscribe(live: Live, inbox: Inbox, email: str, *services: str) -> str:
    """Ask, then confirm with the button; the confirmation path."""
    form = urlencode([("email", email), *(("service", s) for s in services)])
    asked = await live.http.post(
        "/status/subscribe",
        content=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert asked.status_code == 200, asked.text
    assert "Check your e-mail" in asked.text
    [mail] = await inbox.wait_for(lambda m: email in m["X-Envelope-To"])
    path = _link(mail, "/status/confirm")
    confirmed = await live.http.post(path)
    assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    return path


async def test_double_opt_in_then_mails_with_one_click_unsubscribe(
    live: Live, engine: AsyncEngine, inbox: Inbox
) -> None:
    await _service_monitors(live)
    email = f"reader-{secrets.token_hex(3)}@example.com"
    asked = await live.http.post(
        "/status/subscribe", data={"email": email.upper(), "service": "sending"}
    )
    assert asked.status_code == 200 and "Check your e-mail" in asked.text
    [mail] = await inbox.wait_for(lambda m: email in m["X-Envelope-To"].lower())
    assert mail["Subject"] == "Confirm your subscription to e-shot's status page"
    assert "48 hours" in mail.get_content()
    # Plain words: what they will get, not "a problem with every service, or a change to one".
    assert "or a change to one" not in mail.get_content()
    said = " ".join(mail.get_content().split())
    assert "when we report a problem with sending, and one each time we have news of it" in said
    path = _link(mail, "/status/confirm")

    # Opening the link (as a mail scanner does) subscribes nobody: it shows a button.
    opened = await live.http.get(path)
    assert opened.status_code == 200
    assert "Start the e-mails" in opened.text and email in opened.text
    assert await _subscription(engine, email) is None
    pressed = await live.http.post(path)
    assert pressed.status_code == 200 and "You are subscribed" in pressed.text
    subscription = await _subscription(engine, email)
    assert subscription is not None and subscription.services == ["sending"]
    assert (await live.http.post(path)).status_code == 404  # once only
    assert (await live.http.get(path)).status_code == 404

    # Asking again answers the very same page (it does not tell who is subscribed).
    again = await live.http.post("/status/subscribe", data={"email": email, "service": "sending"})
    stranger = f"new-{secrets.token_hex(3)}@example.com"
    fresh = await live.http.post(
        "/status/subscribe", data={"email": stranger, "service": "sending"}
    )
    assert again.text.replace(email, "X") == fresh.text.replace(stranger, "X")

    api_only = f"api-{secrets.token_hex(3)}@example.com"
    await _subscribe(live, inbox, api_only, "api")

    opened_incident = await live.http.post(
        "/incidents",
        json={"title": f"Campaigns late {secrets.token_hex(2)}", "services": ["sending"],
              "impact": "partial", "message": "Some campaigns are late.", "publish": True},
        headers=live.as_("agent"),
    )  # fmt: skip
    assert opened_incident.status_code == 201, opened_incident.text
    incident = opened_incident.json()
    [published] = await inbox.wait_for(
        lambda m: email in m["X-Envelope-To"] and incident["title"] in m["Subject"]
    )
    assert published["Subject"] == f"e-shot status: {incident['title']} (investigating)"
    text = published.get_content()
    assert "Some campaigns are late." in text and "(UTC)" in text
    assert f"/status#incident-{incident['id']}" in text
    unsubscribe = published["List-Unsubscribe"].strip("<>")
    assert published["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text
    # Nothing of tickets: no ticket reference (an incident's own id may hold "T-" inside it).
    assert not re.search(r"\bT-[0-9A-Z]{4}-[0-9A-Z]{4}\b", text), text

    update = await live.http.post(
        f"/incidents/{incident['id']}/updates",
        json={"status": "resolved", "message": "All campaigns have gone out."},
        headers=live.as_("agent"),
    )
    assert update.status_code == 201, update.text
    [resolved] = await inbox.wait_for(
        lambda m: email in m["X-Envelope-To"] and m["Subject"].endswith("(resolved)")
    )
    assert resolved.get_content().index("All campaigns") < resolved.get_content().index(
        "Some campaigns are late."
    )
    # The API-only subscriber heard nothing of Sending.
    assert not [m for m in inbox.to(api_only) if incident["title"] in m["Subject"]]

    # One click: what a mail program posts. A GET only shows a button.
    path = httpx.URL(unsubscribe).path
    shown = await live.http.get(path)
    assert shown.status_code == 200 and "Unsubscribe" in shown.text
    assert (await _subscription(engine, email)).unsubscribed_at is None  # type: ignore[union-attr]
    clicked = await live.http.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert clicked.status_code == 200 and "You are unsubscribed" in clicked.text
    assert (await _subscription(engine, email)).unsubscribed_at is not None  # type: ignore[union-attr]
    assert (await live.http.post(path)).status_code == 200  # again: nothing changes
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert (await live.http.get(forged)).status_code == 404

    # Unsubscribed: the next update goes to the API subscriber's kind only, not to them.
    second = await live.http.post(
        "/incidents",
        json={"title": f"Sending and API {secrets.token_hex(2)}", "services": ["sending", "api"],
              "impact": "major", "message": "Both are down.", "publish": True},
        headers=live.as_("agent"),
    )  # fmt: skip
    assert second.status_code == 201
    await inbox.wait_for(lambda m: api_only in m["X-Envelope-To"] and "Both" not in m["Subject"]
                         and second.json()["title"] in m["Subject"])  # fmt: skip
    assert not [m for m in inbox.to(email) if second.json()["title"] in m["Subject"]]


async def test_bad_requests_are_refused_beside_the_form(live: Live) -> None:
    await _service_monitors(live)
    for form, words in (
        ({"email": "not an address", "service": "api"}, "Enter your e-mail address"),
        ({"email": "a@example.com"}, "Choose at least one service"),
        ({"email": "a@example.com", "service": "billing"}, "there is no service billing"),
    ):
        response = await live.http.post("/status/subscribe", data=form)
        assert response.status_code == 422, form
        assert words in response.text
        assert 'aria-invalid="true"' in response.text or "field-error" in response.text
        # A visitor is not shown the form's field names.
        refusal = re.search(r'<p class="refusal".*?</p>', response.text, re.S)
        assert refusal and "email:" not in refusal.group(0) and "service:" not in refusal.group(0)

    # Reloading the address of a refused form (a GET) brings back the form, not raw JSON.
    reloaded = await live.http.get("/status/subscribe")
    assert reloaded.status_code == 303
    assert reloaded.headers["location"] == "/status#subscribe"
    followed = await live.http.get("/status/subscribe", follow_redirects=True)
    assert followed.status_code == 200 and 'id="subscribe"' in followed.text


def test_the_incident_mail_writes_services_mid_sentence_and_the_title_first() -> None:
    now = datetime.now(UTC)
    incident = Incident(
        id="I-TEST-0001", title="The platform is not working", impact="major",
        services=["platform"], status="investigating", created_by="Sam Agent",
    )  # fmt: skip
    update = IncidentUpdate(
        incident_id=incident.id, number=1, status="investigating", at=now,
        message="Pages do not load.", posted_by="Sam Agent",
    )  # fmt: skip
    notice = IncidentNotice(incident_id=incident.id, number=1, kind="published")
    subject, body = incident_mail(
        "e-shot", incident, [update], {"platform": "The platform"}, notice
    )
    assert subject == "e-shot status: The platform is not working (investigating)"
    assert "a problem affecting the platform: The platform is not working." in body
    assert "Affected: the platform (major outage)." in body
    assert "Sam Agent" not in body  # who posted it is not the public's business


async def test_requests_are_limited_per_address_and_per_client(live: Live, inbox: Inbox) -> None:
    await _service_monitors(live)
    email = f"often-{secrets.token_hex(3)}@example.com"
    for _ in range(7):
        response = await live.http.post(
            "/status/subscribe", data={"email": email, "service": "api"}
        )
        assert response.status_code == 200
    await inbox.wait_for(lambda m: email in m["X-Envelope-To"])
    # Five mails in the window; the rest answered alike, with no mail.
    await live.http.post("/status/subscribe", data={"email": "x@example.com", "service": "api"})
    await inbox.wait_for(lambda m: "x@example.com" in m["X-Envelope-To"])
    assert len(inbox.to(email)) == 5
    statuses = []
    for n in range(20):
        other = f"many-{n}-{secrets.token_hex(2)}@example.com"
        answer = await live.http.post("/status/subscribe", data={"email": other, "service": "api"})
        statuses.append(answer.status_code)
    assert statuses.count(429) >= 1 and statuses[-1] == 429
    assert "try again in 15 minutes" in answer.text
