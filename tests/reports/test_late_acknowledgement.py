"""A complaint acknowledged after its reply was due (logged late) is never promised a day
already gone: the letter says the reply is late and, under the FCA rules, that the Financial
Ombudsman Service can be asked now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.reports.letter_pdfs import render, request, text

LATE = {
    "received_at": datetime(2026, 10, 1, 10, tzinfo=UTC),
    "reply_due": datetime(2026, 11, 27, tzinfo=UTC),  # the end of Thursday 26 November
    "sent_at": datetime(2026, 11, 30, 9, tzinfo=UTC),
}


@pytest.mark.parametrize(
    ("regime", "late_words"),
    [
        ("standard", "Our full reply was due by Thursday 26 November 2026. We are sorry"),
        ("sar", "Our response was due by Thursday 26 November 2026, one month after"),
        ("fca", "Our final response was due by Thursday 26 November 2026, eight weeks after"),
    ],
)
def test_a_late_acknowledgement_says_the_reply_is_late(regime: str, late_words: str) -> None:
    words = text(render(request(regime, "acknowledgement", **LATE)))
    assert late_words in words
    assert "will send you" not in words.replace("we will send it as soon as we can", "")
    assert "We will respond by" not in words
    if regime == "fca":
        assert "refer your complaint to the Financial Ombudsman Service now" in words


@pytest.mark.parametrize("regime", ["standard", "sar", "fca"])
def test_an_acknowledgement_in_time_still_gives_the_date(regime: str) -> None:
    words = text(render(request(regime, "acknowledgement")))
    assert "by Tuesday 15 December 2026" in words  # the last day before reply_due
    assert "is late" not in words
