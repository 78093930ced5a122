"""The monthly report, the review pack and the incident report read as their customers read
them: real PDFs read back with pypdf."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from activities.reports import incident_document, monthly_document
from activities.reviews import pack_document
from reports.charts import Pair, Share, attainment_bars, paired_bars
from reports.render import Renderer
from reports.timeline import customer_timeline
from tests.reports.documents import (
    LONG_NAME,
    ORGANISATION,
    incident_content,
    monthly_content,
    pack_content,
)

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
PRIORITY_KEY = re.compile(r"\bp[1-4]\b")
INTERNAL = (
    "/tickets/", "/accounts/", "/reports/", "/metrics/", "Pledge", "pledge", "account 7",
    "2026-Q4", "first_response", "business_", "Europe/London", "America/Los_Angeles",
)  # fmt: skip


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def read(pdf: bytes) -> tuple[str, int]:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages)), len(pages)


def assert_speaks_to_people(text: str) -> None:
    assert not ISO_INSTANT.search(text), ISO_INSTANT.search(text)
    assert not ISO_DATE.search(text), ISO_DATE.search(text)
    assert not PRIORITY_KEY.search(text), PRIORITY_KEY.search(text)
    for word in INTERNAL:
        assert word not in text, word


def test_the_monthly_report_counts_release_met_targets_apart(renderer: Renderer) -> None:
    content = monthly_content()
    title, pdf = monthly_document(renderer, ORGANISATION, content)
    text, _ = read(pdf)
    assert_speaks_to_people(text)
    assert title == "Monthly report, November 2026" and LONG_NAME in text
    for label in ("Urgent", "High", "Medium"):
        assert label in text
    # One resolution decided (1 of 1), two met by release: the share counts only the first.
    assert "Tickets resolved 1" in text
    assert "Resolution in time 1 of 1 (100%) 2 met by release" in text
    assert "First response in time 3 of 4 (75%)" in text
    assert "this month" in text and "this quarter" not in text
    assert "Maintenance release" in text and "Times are London time (GMT/BST)" in text
    overall = content.month.sla.overall.resolution
    assert (overall.met, overall.met_by_release, overall.breached) == (1, 2, 0)


def test_the_review_pack_speaks_of_its_quarter(renderer: Renderer) -> None:
    title, pdf = pack_document(renderer, ORGANISATION, pack_content())
    text, _ = read(pdf)
    assert_speaks_to_people(text)
    assert title == "Quarterly business review, Q4 2026 (October to December)"
    assert "this quarter" in text and "this month" not in text
    assert "Monday 25 January 2027 at 10:00 GMT" in text  # the meeting, in London time
    assert "18 December 2026" in text  # an objective's date, written out
    assert "Campaigns sent at least 1" in text and "Subscribers" in text
    assert "met by release" in text


def test_a_short_incident_report_is_one_page_of_plain_sentences(renderer: Renderer) -> None:
    title, pdf = incident_document(renderer, ORGANISATION, incident_content())
    text, pages = read(pdf)
    assert_speaks_to_people(text)
    assert pages == 1
    assert title == "Incident report, T-2026-000123"
    assert "iPhone mail previews are blank" in text  # the subject in its own case
    assert "P1 - Critical" in text and "after 5 hours 7 minutes" in text
    assert "Thursday 19 November 2026, 02:02 Ann Smith reported the problem by phone." in text
    assert "We resolved the problem." in text
    assert "15 business minutes" in text and "Times are Los Angeles time (PST/PDT)" in text


def test_a_long_incident_report_runs_on_without_empty_pages(renderer: Renderer) -> None:
    _, pdf = incident_document(renderer, ORGANISATION, incident_content(long=True))
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 1
    # Every page carries real content, not a heading or a line left alone.
    for page in pages:
        assert len(page.extract_text().split()) > 40


class Event:
    def __init__(self, kind: str, summary: str, **data: object) -> None:
        from datetime import UTC, datetime

        self.kind, self.summary, self.data = kind, summary, data
        self.actor = "generated admin"
        self.at = datetime(2026, 11, 19, 10, 2, tzinfo=UTC)


def test_a_timeline_tells_the_customer_only_what_concerns_them() -> None:
    events = [
        Event("opened", "Opened by generated admin via phone, priority p2", channel="phone"),
        Event("routed", "Routed to development", to="development"),
        Event("warning", "Warning: first_response due 2026-11-19T11:02:00+00:00"),
        Event("response", "Response from the agent", author="agent", body="internal?"),
        Event("regraded", "Waiting on the customer: re-graded from p2 to p3 and marked Delayed",
              old="p2", new="p3", note="internal note"),
        Event("response", "Response from the customer", author="customer"),
        Event("resumed", "The customer replied: clocks running again"),
        Event("breach", "SLA breached: resolution was due 2026-11-20T10:00:00+00:00"),
        Event("clock_met", "First response met in time", clock="first_response"),
        Event("resolved", "Resolved", note="root cause: a typo by Bob"),
        Event("release_shipped", "Release 4.12.1 shipped", release_id="R-1"),
    ]  # fmt: skip
    told = customer_timeline(
        events, contact="Ann Smith", priority_names={"p2": "High", "p3": "Medium"}
    )
    assert [t.sentence for t in told] == [
        "Ann Smith reported the problem by phone.",
        "We replied.",
        "We asked for more information; while we waited we set the priority to Medium and "
        "marked the problem Delayed.",
        "Ann Smith replied.",
        "We resolved the problem.",
        "4.12.1 shipped, with the fix.",
    ]
    said = " ".join(t.sentence + t.who for t in told)
    assert "generated admin" not in said and "note" not in said and "Bob" not in said


def test_chart_labels_are_never_cut() -> None:
    long = "P2 - High resolution, with a longer name than any preset gives"
    for svg in (
        attainment_bars([Share(long, 0.5, 0.9), Share("Low response", None, None, 2)]),
        paired_bars([Pair("P2 - High", 1, 2), Pair(long, 3, 0)], ("opened", "resolved")),
    ):
        width = int(re.search(r'width="(\d+)"', svg)[1])  # type: ignore[index]
        # A label is drawn right-aligned at label_w - 8: each line's text must fit left of it.
        for x, text in re.findall(r'<(?:text|tspan) x="([\d.]+)"[^>]*>([^<]+)', svg):
            if text.startswith(("P2", "Low", "longer")):
                assert len(text) * 6.2 <= float(x), (text, x)
        assert width <= 640  # fits A4 between the margins
        # Wrapped onto two lines, every word of it drawn.
        assert ">P2 - High resolution, with a<" in svg
        assert ">longer name than any preset gives<" in svg
    assert "2 met by release" in attainment_bars([Share("Low resolution", None, 0.9, 2)])
