"""A moved quarterly business review is announced as moved, not as a second invitation."""

from __future__ import annotations

from activities.reviews import invite_subject, invite_text

WHEN = "Wednesday 27 January 2027 at 14:00 GMT"


def test_a_moved_review_says_it_moved() -> None:
    subject = invite_subject("Northwind Marketing", WHEN, cancelled=False, moved=True)
    assert subject == f"Moved: quarterly business review, Northwind Marketing, {WHEN}"
    said = invite_text(
        "Tom Baker", cancelled=False, moved=True, when=WHEN, quarter="2026-Q4", signature="Priya"
    )
    assert said.startswith("Hello Tom Baker,\n\nWe have moved our quarterly business review")
    assert f"Q4 2026 (October to December) together, to {WHEN}." in said
    assert "You are invited" not in said


def test_the_first_invitation_and_a_cancellation_keep_their_words() -> None:
    first = invite_subject("Northwind Marketing", WHEN, cancelled=False, moved=False)
    assert first.startswith("Invitation: quarterly business review")
    # A cancellation raises the SEQUENCE too, but says it is cancelled, not moved.
    gone = invite_subject("Northwind Marketing", WHEN, cancelled=True, moved=True)
    assert gone.startswith("Cancelled: quarterly business review")
