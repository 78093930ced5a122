"""GET /status: the organisation's own services, their state and 90 days of uptime, active
incidents with their updates, maintenance under way or announced, past incidents ten a page,
and the form to subscribe. GET /status/feed.atom: the published incidents as an Atom feed.

Public and read-only; never a customer's site, never a ticket (services/status_page.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import AppSettings, Session
from reports.status_words import IMPACT_WORDS, STATUS_WORDS, services_words, status_time
from reports.words import possessive
from services import status_page
from web.status.render import public_status_page

router = APIRouter(include_in_schema=False)

ATOM = "http://www.w3.org/2005/Atom"


def page_number(raw: str | None) -> int | None:
    """`?page=` as a number from 1; None when it is not one."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        return None
    return int(raw)


@router.get("/status", response_class=HTMLResponse)
async def status(request: Request, session: Session, page: str | None = None) -> HTMLResponse:
    number = page_number(page)
    if number is None:
        return public_status_page(
            request, "status/problem.html", status_code=422, title="Not a page number",
            detail="The page number must be a whole number from 1, such as ?page=2.",
        )  # fmt: skip
    shown = await status_page.read(session, number)
    if number > shown.pages:
        return public_status_page(
            request, "status/problem.html", status_code=404, title="No such page",
            detail=f"There is no page {number} of past incidents: they fill "
            f"{'only one page' if shown.pages == 1 else f'{shown.pages} pages'}.",
        )  # fmt: skip
    return public_status_page(request, "status/page.html", s=shown, typed={}, errors={}, problem="")


def _tag(settings_url: str, what: str) -> str:
    """A tag URI (RFC 4151) under the public address's host: ids that never change."""
    host = urlsplit(settings_url).hostname or "pledge.invalid"
    return f"tag:{host},2026:{what}"


@router.get("/status/feed.atom")
async def feed(session: Session, settings: AppSettings) -> Response:
    """Each published incident an entry, updated when its latest update was posted; its
    content is every update, newest first, times in the team's zone."""
    base = settings.effective_public_url
    incidents = await status_page.published_incidents(session)
    names = await status_page.service_names(session)
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")

    def add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element

    organisation = settings.organisation_name
    add(root, "id", _tag(base, "status"))
    add(root, "title", f"{organisation} status")
    add(root, "subtitle", f"Incidents affecting {possessive(organisation)} services")
    newest = max((i.updated_at for i in incidents), default=datetime.now(UTC))
    add(root, "updated", newest.astimezone(UTC).isoformat())
    add(root, "link", rel="self", href=f"{base}/status/feed.atom", type="application/atom+xml")
    add(root, "link", rel="alternate", href=f"{base}/status", type="text/html")
    author = add(root, "author")
    add(author, "name", organisation)
    for incident in incidents:
        entry = add(root, "entry")
        add(entry, "id", _tag(base, f"incident:{incident.id}"))
        status_word = STATUS_WORDS.get(incident.status, incident.status)
        add(entry, "title", f"{status_word}: {incident.title}")
        add(entry, "updated", incident.updated_at.astimezone(UTC).isoformat())
        add(entry, "published", incident.published_at.astimezone(UTC).isoformat())
        add(entry, "link", rel="alternate", href=f"{base}/status#incident-{incident.id}")
        affected = services_words(incident.services, names)
        impact = IMPACT_WORDS.get(incident.impact, incident.impact)
        lines = [f"Affected: {affected} ({impact.lower()})."]
        for update in incident.updates:
            words = STATUS_WORDS.get(update.status, update.status)
            lines += ["", f"{words}, at {status_time(update.at)}:", update.message]
        # The latest update (updates are newest first): what a reader of the feed needs now.
        add(entry, "summary", incident.updates[0].message if incident.updates else lines[0])
        add(entry, "content", "\n".join(lines), type="text")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
