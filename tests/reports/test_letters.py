"""Each regime's letters, rendered to PDF and read back: the wording the regime requires, a
person's signature, plain dates, and an address that shows through a DL envelope's window."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.reports.letter_pdfs import (
    ADDRESS,
    DL_WINDOW,
    KINDS,
    REGIMES,
    activities,
    first_page_runs,
    render,
    request,
    text,
)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|\+00:00")
MACHINE_WORDS = re.compile(r"pledge|generated admin|/complaints|C-7KQ2-M4ZX:3|regime", re.I)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("regime", REGIMES)
def test_every_letter_reads_as_a_person_wrote_it(regime: str, kind: str) -> None:
    words = text(render(request(regime, kind)))
    assert not ISO_DATE.search(words), words
    assert not MACHINE_WORDS.search(words), words
    assert words.count("Dear ") == 1
    assert "Dear Jane Doe," in words
    # The letter's date and the day it was received, as written: no weekday, no instant.
    assert re.search(r"(?<!day) 24 November 2026", words)
    assert re.search(r"(?<!day) 16 November 2026", words)
    assert "Yours sincerely, Priya Shah Customer Relations Manager Acme Homes" in words
    assert "C-7KQ2-M4ZX" in words  # the reference in its own case
    if kind != "reply":  # the last day promised, not the midnight after it
        assert "by Tuesday 15 December 2026" in words


def test_a_letter_is_dated_in_the_complainants_time_zone() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    late = request("standard", "acknowledgement", sent_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    words = text(render(late))
    assert " 1 July 2026" in words and "30 June" not in words


@pytest.mark.parametrize("regime", ["standard", "fca", "housing-stage-1"])
def test_with_no_person_named_the_team_signs(regime: str) -> None:
    unsigned = request(regime, "reply", signatory=None, signatory_title=None)
    assert "Yours sincerely, Complaints team Acme Homes" in text(render(unsigned))
    renamed = activities(complaints_team_name="Customer Care")
    assert "Yours sincerely, Customer Care Acme Homes" in text(render(unsigned, renamed))


def test_the_fca_final_response_gives_the_ombudsman_referral_rights() -> None:
    words = text(render(request("fca", "reply")))
    assert "This is our final response to your complaint." in words
    # DISP 1 Annex 3R (1): the firm does not consent to waive the six-month limit.
    assert (
        "You have the right to refer your complaint to the Financial Ombudsman Service, free of "
        "charge – but you must do so within six months of the date of this letter."
    ) in words
    assert "will not have our permission to consider your complaint" in words
    for detail in ("financial-ombudsman.org.uk", "0800 023 4567", "Exchange Tower, London E14 9SR"):
        assert detail in words
    assert "explanatory leaflet" in words


@pytest.mark.parametrize("kind", ["acknowledgement", "holding_response"])
def test_the_fca_acknowledgement_and_eight_week_letter_name_the_ombudsman(kind: str) -> None:
    words = text(render(request("fca", kind)))
    assert "refer" in words and "Financial Ombudsman Service" in words
    assert "financial-ombudsman.org.uk" in words and "0800 023 4567" in words
    if kind == "holding_response":
        assert "you may refer your complaint to the Financial Ombudsman Service" in words


def test_the_housing_stage_1_response_says_how_to_escalate_to_stage_2() -> None:
    words = text(render(request("housing-stage-1", "reply")))
    assert "This is our response at stage 1 of our complaints procedure." in words
    assert "you can ask us to take your complaint to stage 2" in words
    assert "within 20 working days of acknowledging it" in words
    assert "Housing Ombudsman Service" in words and "0300 111 3000" in words


@pytest.mark.parametrize("regime", ["housing-stage-1", "housing-stage-2"])
def test_a_housing_extension_comes_with_the_ombudsmans_contact_details(regime: str) -> None:
    words = text(render(request(regime, "holding_response")))
    assert "housing-ombudsman.org.uk" in words and "0300 111 3000" in words


def test_the_housing_stage_2_final_response_gives_the_right_to_the_ombudsman() -> None:
    words = text(render(request("housing-stage-2", "reply")))
    assert "it is our final response to your complaint" in words
    assert "you have the right to refer your complaint to the Housing Ombudsman Service" in words
    for detail in ("housing-ombudsman.org.uk", "0300 111 3000", "info@housing-ombudsman.org.uk"):
        assert detail in words
    assert "stage 2" in words


@pytest.mark.parametrize("kind", KINDS)
def test_a_subject_access_request_is_a_request_for_personal_data_not_a_complaint(
    kind: str,
) -> None:
    words = text(render(request("sar", kind, summary="Please send me my data")))
    assert "personal data" in words
    assert "complaint" not in words.lower()
    assert "Please quote C-7KQ2-M4ZX whenever you contact us about this request." in words
    unsigned = text(render(request("sar", kind, signatory=None, signatory_title=None)))
    assert "Yours sincerely, Data protection team Acme Homes" in unsigned


def test_the_subject_access_acknowledgement_gives_the_month_and_the_extension() -> None:
    words = text(render(request("sar", "acknowledgement")))
    assert "subject access request under Article 15" in words
    assert "within one month of receiving your request" in words
    assert "up to two further months" in words


@pytest.mark.parametrize("regime", REGIMES)
def test_the_address_shows_through_a_dl_envelope_window(regime: str) -> None:
    runs = first_page_runs(render(request(regime, "acknowledgement")))
    left, top, right, bottom = DL_WINDOW
    lines = ["Jane Doe", *ADDRESS.splitlines()]
    for line in lines:
        [run] = [r for r in runs if r.text == line]
        # The baseline inside the window, with a line's height above it inside too.
        assert left + 2 <= run.left_mm <= right - 40, (line, run)
        assert top + 5 <= run.top_mm <= bottom - 2, (line, run)
    shown = [r.text for r in runs if left <= r.left_mm <= right and top <= r.top_mm <= bottom]
    assert shown == lines  # nothing else shows through the window


def test_a_blank_line_in_an_address_is_not_printed() -> None:
    runs = first_page_runs(
        render(request("standard", "reply", complainant_address="1 Mill Lane\n\n  Leeds  \n"))
    )
    left, top, right, bottom = DL_WINDOW
    shown = [r.text for r in runs if left <= r.left_mm <= right and top <= r.top_mm <= bottom]
    assert shown == ["Jane Doe", "1 Mill Lane", "Leeds"]


def test_the_fca_eight_week_letter_names_the_date_expected_and_the_ombudsman() -> None:
    held = request(
        "fca",
        "holding_response",
        previous_due=datetime(2027, 1, 12, tzinfo=UTC),  # eight weeks, which stand
        reply_due=datetime(2027, 1, 12, tzinfo=UTC),
        expected_due=datetime(2027, 2, 2, tzinfo=UTC),
    )
    words = text(render(held))
    assert "We expect to send you our final response by Monday 1 February 2027." in words
    assert "once eight weeks have passed since we received it (after Monday 11 January 2027)" in (
        words
    )
    assert "financial-ombudsman.org.uk" in words
