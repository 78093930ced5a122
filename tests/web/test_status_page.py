"""/status and /status/feed.atom through an HTTP client: own services only (a customer's site
never appears), their state and bars of no data, published incidents with their updates and
never a draft or a ticket, paging of past incidents, and a feed that parses as Atom."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Account,
    Edition,
    Incident,
    IncidentTicket,
    IncidentUpdate,
    Monitor,
)
from services.status_page import PAST_PER_PAGE
from tests.web.test_maintenance_pages import window

ATOM = "{http://www.w3.org/2005/Atom}"


def _monitor(service: str | None, name: str, state: str, account_id: int | None = None) -> Monitor:
    now = datetime.now(UTC)
    return Monitor(
        id=f"M-{secrets.token_hex(4).upper()}", name=name,
        url=f"https://{secrets.token_hex(3)}.pledge.invalid/", account_id=account_id,
        service=service, interval_seconds=300, expected_status=200, paused=False, state=state,
        state_since=now, created_by="Sam Agent", created_at=now, updated_at=now, version=1,
    )  # fmt: skip


def _incident(
    title: str,
    services: list[str],
    *,
    published: datetime | None,
    resolved: datetime | None = None,
    impact: str = "partial",
    updates: tuple[tuple[str, str], ...] = (("investigating", "Looking into it."),),
) -> tuple[Incident, list[IncidentUpdate]]:
    at = published or datetime.now(UTC)
    incident = Incident(
        id=f"I-{secrets.token_hex(4).upper()}", title=title, impact=impact, services=services,
        status=updates[-1][0], created_by="Sam Agent", created_at=at, published_at=published,
        resolved_at=resolved, updated_at=at + timedelta(minutes=len(updates)), version=1,
    )  # fmt: skip
    rows = [
        IncidentUpdate(
            incident_id=incident.id,
            number=n,
            status=status,
            message=message,
            at=at + timedelta(minutes=n),
            posted_by="Sam Agent",
        )  # fmt: skip
        for n, (status, message) in enumerate(updates, start=1)
    ]
    return incident, rows


async def _add(session: AsyncSession, *items: object) -> None:
    for item in items:
        if isinstance(item, tuple):
            incident, updates = item
            session.add(incident)
            await session.flush()
            session.add_all(updates)
        else:
            session.add(item)
        await session.flush()
    await session.commit()


async def test_own_services_with_their_state_and_never_a_customers_site(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = Account(name=f"Harbour Cafe {secrets.token_hex(3)}", policy="web-agency",
                      edition=Edition.STANDARD)  # fmt: skip
    session.add(account)
    await session.flush()
    relay, portal = f"relay-{secrets.token_hex(2)}", f"portal-{secrets.token_hex(2)}"
    site = _monitor(None, "Harbour Cafe website", "down", account_id=account.id)
    await _add(
        session,
        _monitor(relay, "Mail relay", "down"),
        _monitor(relay, "Mail relay (backup)", "up"),
        _monitor(portal, "Customer portal", "up"),
        site,
    )
    response = await client.get("/status")
    assert response.status_code == 200
    html = response.text
    assert "Mail relay" in html and "Customer portal" in html
    # The worst of its monitors: one down makes the relay down.
    relay_block = html[html.index(f'id="service-{relay}"') :]
    assert re.search(r'class="state state-down">Down<', relay_block[:600])
    portal_block = html[html.index(f'id="service-{portal}"') :]
    assert re.search(r'class="state state-up">Operational<', portal_block[:600])
    assert "Partial outage" in html or "Major outage" in html
    # A customer's site and its account never appear, down or not.
    assert "Harbour Cafe" not in html and site.url not in html and site.id not in html
    # 90 bars of no data (these monitors never probed), each named for a screen reader.
    bars = re.findall(r'<li class="bar bar-([a-z-]+)" title="([^"]+)"', relay_block)
    assert len(bars[:90]) == 90 and {state for state, _ in bars[:90]} == {"no-data"}
    assert bars[89][1].endswith(": no data")
    assert "bar-up" not in relay_block.split("</ol>")[0]  # no data is never shown as up
    assert "No data for the last 90 days" in relay_block.split("</figure>")[0]
    assert '<a href="/status/maintenance.ics">' in html
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


async def test_published_incidents_with_updates_newest_first_never_drafts_or_tickets(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    service = f"sending-{secrets.token_hex(2)}"
    active = _incident(
        f"Campaigns sent late {secrets.token_hex(2)}", [service], published=datetime.now(UTC),
        updates=(("investigating", "Some campaigns are late."),
                 ("identified", "A mail server ran out of disk.")),
    )  # fmt: skip
    draft = _incident(f"Draft only {secrets.token_hex(2)}", [service], published=None)
    await _add(session, _monitor(service, "Sending", "up"), active, draft)
    session.add(IncidentTicket(incident_id=active[0].id, ticket_reference="T-SECR-ET12"))
    await session.commit()
    html = (await client.get("/status")).text
    assert active[0].title in html
    assert html.index("A mail server ran out of disk.") < html.index("Some campaigns are late.")
    assert "Current incidents" in html and "Identified" in html
    assert "(UTC)" in html and "Times are in UTC" in html
    assert draft[0].title not in html
    assert "T-SECR-ET12" not in html
    assert "Partial outage" in html  # the banner follows the active incident's impact


async def test_past_incidents_ten_a_page(client: httpx.AsyncClient, session: AsyncSession) -> None:
    # Resolved in the future, so they are the newest past incidents whatever else is there.
    later = datetime.now(UTC) + timedelta(days=3650)
    tag = secrets.token_hex(3)
    made = [
        _incident(
            f"Past {tag} number {n:02d}",
            ["api"],
            published=later - timedelta(hours=n + 1),
            resolved=later - timedelta(hours=n),
            updates=(("resolved", "Fixed."),),
        )  # fmt: skip
        for n in range(12)
    ]
    await _add(session, *made)
    first = (await client.get("/status")).text
    shown = re.findall(rf"Past {tag} number (\d\d)", first)
    assert shown == [f"{n:02d}" for n in range(PAST_PER_PAGE)]
    assert 'href="/status?page=2"' in first
    second = await client.get("/status?page=2")
    assert second.status_code == 200
    assert re.findall(rf"Past {tag} number (\d\d)", second.text)[:2] == ["10", "11"]
    assert 'href="/status" rel="prev"' in second.text
    pages = int(re.search(r"page 2 of (\d+)", second.text).group(1))  # type: ignore[union-attr]
    beyond = await client.get(f"/status?page={pages + 1}")
    assert beyond.status_code == 404
    assert f"There is no page {pages + 1} of past incidents: they fill" in beyond.text
    assert "page:" not in beyond.text
    assert 'href="/status"' in beyond.text  # the status page's look, with the way back
    far = await client.get("/status?page=99999")
    assert far.status_code == 404 and "There is no page 99999 of past incidents" in far.text
    for bad in ("0", "-1", "two", "1.5"):
        refused = await client.get("/status", params={"page": bad})
        assert refused.status_code == 422, bad
        assert "The page number must be a whole number from 1" in refused.text
        assert "page:" not in refused.text


async def test_the_feed_is_atom_with_absolute_links(
    client: httpx.AsyncClient,
    session: AsyncSession,
    app,  # type: ignore[no-untyped-def]
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"public_url": "https://status.pledge.invalid"}
    )
    one = _incident(
        f"API slow {secrets.token_hex(2)}", ["api"], published=datetime.now(UTC),
        updates=(("investigating", "Slow answers."), ("monitoring", "A fix is out.")),
    )  # fmt: skip
    draft = _incident(f"Unpublished {secrets.token_hex(2)}", ["api"], published=None)
    await _add(session, one, draft)
    response = await client.get("/status/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id", "").startswith("tag:status.pledge.invalid,")
    datetime.fromisoformat(feed.findtext(f"{ATOM}updated", ""))
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://status.pledge.invalid/status/feed.atom",
        "alternate": "https://status.pledge.invalid/status",
    }
    entries = {e.findtext(f"{ATOM}title"): e for e in feed.findall(f"{ATOM}entry")}
    entry = entries[f"Monitoring: {one[0].title}"]
    assert entry.findtext(f"{ATOM}id") == f"tag:status.pledge.invalid,2026:incident:{one[0].id}"
    updated = datetime.fromisoformat(entry.findtext(f"{ATOM}updated", ""))
    assert updated == one[0].updated_at.replace(microsecond=updated.microsecond)
    [link] = entry.findall(f"{ATOM}link")
    assert link.get("href") == f"https://status.pledge.invalid/status#incident-{one[0].id}"
    # The summary is where the incident stands now: the latest update, not the first.
    assert entry.findtext(f"{ATOM}summary") == "A fix is out."
    content = entry.findtext(f"{ATOM}content", "")
    assert content.index("A fix is out.") < content.index("Slow answers.")
    assert "(UTC)" in content
    assert not any(draft[0].title in (title or "") for title in entries)
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert len(ids) == len(set(ids))


async def test_a_window_about_one_customers_site_never_reaches_the_status_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = Account(name=f"Bluebell Florists {secrets.token_hex(3)}", policy="e-shot",
                      edition=Edition.STANDARD)  # fmt: skip
    session.add(account)
    await session.flush()
    soon = datetime.now(UTC) + timedelta(days=3)
    public = await window(session, f"Database upgrade {secrets.token_hex(2)}", soon)
    private = await window(
        session, f"Web server move {secrets.token_hex(2)}", soon,
        account_ids=[account.id], description="We are moving your website to a new server.",
    )  # fmt: skip
    page = (await client.get("/status")).text
    assert public.title in page
    assert private.title not in page and "moving your website" not in page
    assert account.name not in page


async def test_a_service_only_an_incident_names_still_has_its_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    key = f"queue-{secrets.token_hex(2)}"
    now = datetime.now(UTC)
    session.add(
        Incident(
            id=f"I-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
            title="Imports are slow", impact="partial", services=[key], status="investigating",
            created_by="Sam", created_at=now, published_at=now, resolved_at=None,
            updated_at=now, version=1,
        )
    )  # fmt: skip
    await session.commit()
    page = (await client.get("/status")).text
    row = page[page.index(f'id="service-{key}"') :]
    assert re.search(r'class="state state-degraded">', row[:600]), row[:600]
