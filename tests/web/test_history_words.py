"""The console's words for a ticket's history: facts worded for the reader, never keys or
raw timestamps, and whatever is not reworded shown as the workflow wrote it (escaped)."""

from __future__ import annotations

import re

from web.console.history_words import history_words

DUE = "2026-11-30T11:00:00+00:00"


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", str(markup))


def test_a_breach_says_which_deadline_was_missed_and_when_as_a_localisable_instant() -> None:
    said = history_words(
        "breach",
        f"SLA breached: first response was due {DUE}; escalated to line 2",
        {"clock": "first_response", "due": DUE, "line": 2},
        "e-shot",
    )
    assert '<time datetime="2026-11-30T11:00:00+00:00"' in said and "data-local" in said
    assert _text(said) == (
        "Deadline missed: the first response was due Mon 30 Nov 2026, 11:00 UTC; "
        "escalated to line 2"
    )
    assert "T11:00:00" not in _text(said)


def test_a_warning_says_the_deadline_is_near() -> None:
    said = history_words(
        "warning", f"Warning: resolution due {DUE}", {"clock": "resolution", "due": DUE}, "e-shot"
    )
    assert _text(said) == "Deadline near: the resolution is due Mon 30 Nov 2026, 11:00 UTC"


def test_priorities_are_named_as_the_policy_names_them() -> None:
    changed = history_words(
        "priority_changed",
        "Priority changed from p3 to p2; deadlines recomputed from receipt",
        {"old": "p3", "new": "p2"},
        "e-shot",
    )
    assert "to High;" in changed and "p2" not in changed and "p3" not in changed
    regraded = history_words(
        "regraded",
        "Waiting on the customer: re-graded from p2 to p4 and marked Delayed",
        {"old": "p2", "new": "p4"},
        "spotler",
    )
    assert regraded.endswith("and marked Delayed") and " p2 " not in regraded
    opened = history_words(
        "opened", "Opened by Sam via phone, priority p2", {"priority": "p2"}, "e-shot"
    )
    assert opened == "Opened by Sam via phone, priority High"


def test_what_is_not_reworded_is_shown_as_written_and_escaped() -> None:
    said = history_words("note", "Called <b>Jo</b> back", {}, "e-shot")
    assert said == "Called &lt;b&gt;Jo&lt;/b&gt; back"
    # A breach recorded without its facts keeps its summary rather than inventing one.
    kept = history_words("breach", "SLA breached", {}, "e-shot")
    assert kept == "SLA breached"
