"""Reports fit their content, and a ticket logged after the fact is told as reported when it
was received: real PDFs read back with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from activities.reports import incident_document, monthly_document
from activities.reviews import pack_document
from reports.render import Renderer
from reports.timeline import customer_timeline
from tests.reports.documents import ORGANISATION, incident_content, monthly_content, pack_content
from web.customer_ticket import _entry


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_an_incident_report_never_ends_on_a_page_of_footnote_alone(renderer: Renderer) -> None:
    # The timeline grows a row at a time across the first page's end: whichever row is the
    # last to fit, the page after it (if any) holds timeline rows, not the note on times alone.
    base = incident_content()
    first, *rest = base.timeline
    for extra in range(0, 14):
        rows = [
            first.model_copy(
                update={"at": first.at + timedelta(minutes=i), "summary": f"We replied ({i})."}
            )
            for i in range(extra)
        ]
        content = base.model_copy(update={"timeline": [first, *rows, *rest]})
        _, pdf = incident_document(renderer, ORGANISATION, content)
        pages = pages_of(pdf)
        assert "We resolved the problem." in pages[-1], (extra, pages[-1])
        assert "Times are Los Angeles time (PST/PDT)" in pages[0]


def test_the_note_on_times_is_on_the_cover(renderer: Renderer) -> None:
    for pdf in (
        monthly_document(renderer, ORGANISATION, monthly_content())[1],
        pack_document(renderer, ORGANISATION, pack_content())[1],
    ):
        pages = pages_of(pdf)
        assert "Times are London time (GMT/BST)" in pages[0]
        assert all("Times are" not in page for page in pages[1:])


def test_a_missed_deadline_keeps_its_reference_on_one_line(renderer: Renderer) -> None:
    content = monthly_content()
    breach = content.month.breaches[0].model_copy(update={"reference": "T-NBZD-2367"})
    month = content.month.model_copy(update={"breaches": [breach]})
    _, pdf = monthly_document(renderer, ORGANISATION, content.model_copy(update={"month": month}))
    assert "T-NBZD-2367" in " ".join(pages_of(pdf))  # not "T- NBZD-2367", cut at its hyphen


class Opened:
    kind = "opened"
    summary = "Opened by generated admin via phone, priority p1"
    actor = "generated admin"
    data = {"channel": "phone"}
    at = datetime(2026, 11, 30, 9, 18, tzinfo=UTC)  # typed in at 01:18 Pacific


def test_a_ticket_logged_late_was_reported_when_it_was_received() -> None:
    received = datetime(2026, 11, 30, 7, 48, tzinfo=UTC)  # the call, at 23:48 Pacific
    [told] = customer_timeline(
        [Opened()], contact="Jordan Lee", priority_names={}, received_at=received
    )
    assert told.at == received and told.sentence == "Jordan Lee reported the problem by phone."
    ticket = SimpleNamespace(received_at=received, description="")
    entry = _entry(Opened(), "America/Los_Angeles", Opened.at, ticket, {})
    assert entry is not None and entry.when == "23:48 yesterday (US Pacific time)"
    week_on = _entry(Opened(), "America/Los_Angeles", Opened.at + timedelta(days=7), ticket, {})
    assert week_on is not None and week_on.when == "23:48 on Sunday 29 November (US Pacific time)"


def test_a_month_without_incidents_has_no_empty_charts(renderer: Renderer) -> None:
    content = monthly_content()
    sla = content.month.sla.model_copy(update={"by_priority": []})
    quiet = content.month.model_copy(update={"activity": [], "sla": sla, "breaches": []})
    _, pdf = monthly_document(renderer, ORGANISATION, content.model_copy(update={"month": quiet}))
    text = " ".join(pages_of(pdf))
    assert "No incidents this month." in text
    # Neither chart's legend, axis or placeholder is drawn around nothing.
    for drawn in ("goal met", "goal missed", "No tickets", "50%"):
        assert drawn not in text, drawn
    busy = " ".join(pages_of(monthly_document(renderer, ORGANISATION, content)[1]))
    assert "goal met" in busy and "50%" in busy  # a month with incidents keeps both
