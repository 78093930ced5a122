"""Reports and reviews in the portal: the session's account's documents, and only those, to
read and download; another account's or an unknown one is the same 404 page."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.downloads import content_disposition
from db.models import Edition
from tests.conftest import Inbox
from tests.web.conftest import LiveServer
from tests.web.portal_documents_data import make_documents, make_objectives, staff_keys
from tests.web.portal_people import make_customer, portal_sign_in
from tests.web.test_portal_support import ISO_INSTANT, text_of

SUPPORT_LINE = re.compile(r'<p class="container support-now">.*?</p>', re.S)


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


@asynccontextmanager
async def signed_in(
    server: LiveServer, inbox: Inbox, email: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in to the portal through the mailed link."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        pressed = await portal_sign_in(http, inbox, email)
        assert pressed.status_code == 303, pressed.text
        yield http


async def test_a_customer_lists_and_downloads_their_own_documents_and_no_one_elses(
    engine: AsyncEngine, live_server_with_worker: LiveServer, inbox: Inbox
) -> None:
    server = live_server_with_worker
    keys = await staff_keys(engine)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as staff:
        mine = await make_documents(staff, keys)
        theirs = await make_documents(staff, keys)
        manager = keys[next(iter(keys))]  # any staff key reads the API's listing
        listed = await staff.get(f"/accounts/{mine.account}/reports", headers=manager)
        filenames = {r["id"]: r["filename"] for r in listed.json()}

    async with signed_in(server, inbox, mine.email) as http:
        page = await http.get("/portal/documents")
        assert page.status_code == 200
        said = text_of(page.text)
        for heading in ("Monthly reports", "Incident reports", "Business reviews"):
            assert heading in said
        assert "Dates and times are in UK time." in said
        assert f'href="/portal/documents/reports/{mine.report}.pdf"' in page.text
        assert f'href="/portal/documents/reports/{mine.incident}.pdf"' in page.text
        assert f"Ticket {mine.reference}: Front doors will not open" in said
        assert f'href="/portal/tickets/{mine.reference}"' in page.text
        assert f'href="/portal/reviews/{mine.review}/invite.ics"' in page.text
        assert f'href="/portal/reviews/{mine.review}/pack.pdf"' in page.text
        # Nothing of the other account's, and no instant a machine writes.
        for other in (theirs.report, theirs.incident):
            assert f"/reports/{other}.pdf" not in page.text
        assert f"/reviews/{theirs.review}/" not in page.text and theirs.reference not in said
        assert not ISO_INSTANT.search(said)

        report = await http.get(f"/portal/documents/reports/{mine.report}.pdf")
        assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
        expected = content_disposition(filenames[mine.report])["Content-Disposition"]
        assert report.headers["content-disposition"] == expected
        assert "monthly-report" in filenames[mine.report]
        assert "Monthly report" in pdf_text(report.content)
        incident = await http.get(f"/portal/documents/reports/{mine.incident}.pdf")
        assert f"Incident report, {mine.reference}" in pdf_text(incident.content)

        invite = await http.get(f"/portal/reviews/{mine.review}/invite.ics")
        assert invite.status_code == 200
        assert invite.headers["content-type"].startswith("text/calendar")
        assert "method=REQUEST" in invite.headers["content-type"]
        disposition = invite.headers["content-disposition"]
        assert re.search(r'filename="harbour-works-[0-9a-f]{6}-business-review-\d{4}-q\d\.ics"',
                         disposition)  # fmt: skip
        calendar = Calendar.from_ical(invite.content)
        event = calendar.walk("VEVENT")[0]
        assert str(calendar["method"]) == "REQUEST" and "Quarterly business review" in str(
            event["summary"]
        )
        pack = await http.get(f"/portal/reviews/{mine.review}/pack.pdf")
        assert pack.status_code == 200 and "Quarterly business review" in pdf_text(pack.content)

        # Another account's documents, an id nobody has, and one that is not a number: the
        # same page, saying the same thing.
        unknown = await http.get("/portal/documents/reports/2147483000.pdf")
        assert unknown.status_code == 404
        same = SUPPORT_LINE.sub("", unknown.text)
        for path in (
            f"/portal/documents/reports/{theirs.report}.pdf",
            f"/portal/documents/reports/{theirs.incident}.pdf",
            f"/portal/reviews/{theirs.review}/invite.ics",
            f"/portal/reviews/{theirs.review}/pack.pdf",
            "/portal/reviews/2147483000/invite.ics",
            "/portal/reviews/2147483000/pack.pdf",
            "/portal/documents/reports/abc.pdf",
            "/portal/documents/reports/99999999999999999999.pdf",
            f"/portal/reviews/{quote('١٢')}/invite.ics",  # digits, but not ASCII ones
        ):
            answer = await http.get(path)
            assert answer.status_code == 404, path
            assert answer.headers["content-type"].startswith("text/html"), path
            assert SUPPORT_LINE.sub("", answer.text) == same, path
        assert "We could not find that" in same

    # The other account's representative sees theirs, not these.
    async with signed_in(server, inbox, theirs.email) as http:
        page = await http.get("/portal/documents")
        assert f"/reports/{theirs.report}.pdf" in page.text
        assert f"/reports/{mine.report}.pdf" not in page.text
        refused = await http.get(f"/portal/documents/reports/{mine.report}.pdf")
        assert refused.status_code == 404 and b"%PDF" not in refused.content


async def test_objectives_say_their_target_latest_reading_and_whether_they_were_met(
    engine: AsyncEngine, live_server_with_worker: LiveServer, inbox: Inbox
) -> None:
    server = live_server_with_worker
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as staff:
        email = await make_objectives(staff, await staff_keys(engine))
    async with signed_in(server, inbox, email) as http:
        said = text_of((await http.get("/portal/documents")).text)
    grow = said.split("Grow the list", 1)[1].split("Send weekly", 1)[0]
    assert "Target: Subscribers at least 5,000 by" in grow
    assert "Latest reading: 3,200 on" in grow and "Not met yet" in grow
    weekly = said.split("Send weekly", 1)[1].split("Your plan", 1)[0]
    assert "Target: Campaigns sent at least 12 by" in weekly
    assert "Latest reading: 14 on" in weekly and "Met on" in weekly and "with 14" in weekly
    # e-shot's standard edition has objectives, monthly reports and reviews; none made yet.
    assert "Your plan comes when onboarding ends" in said
    assert "No monthly report yet" in said and "No review yet" in said
    assert "Incident reports" not in said
    assert not ISO_INSTANT.search(said)


async def test_an_edition_without_reports_gets_a_kind_sentence_and_no_plan(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    _, contact = await make_customer(
        session, "essensys", representative=True, edition=Edition.STANDARD
    )
    await portal_sign_in(client, inbox, contact.email)
    page = await client.get("/portal/documents")
    assert page.status_code == 200
    said = text_of(page.text)
    assert "does not include reports or reviews" in said
    for absent in ("Monthly reports", "Incident reports", "Business reviews", "Your plan"):
        assert absent not in page.text
    assert "<table" not in page.text
    # Enterprise: every section, each saying kindly that nothing has come yet.
    _, boss = await make_customer(
        session, "essensys", representative=True, edition=Edition.ENTERPRISE
    )
    await portal_sign_in(client, inbox, boss.email)
    said = text_of((await client.get("/portal/documents")).text)
    assert "No monthly report yet" in said and "No incident reports" in said
    assert "P1 - Critical request" in said and "No review yet" in said
    assert "Your plan" not in said  # essensys's editions have no onboarding objectives
