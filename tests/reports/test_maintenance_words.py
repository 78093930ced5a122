"""The maintenance notice as its reader sees it: signed by a person, or by the organisation."""

from __future__ import annotations

from datetime import UTC, datetime

from reports.maintenance import WindowFacts, notice_text

WINDOW = WindowFacts(
    id="W-1",
    title="Database upgrade",
    description="Campaigns scheduled in the window are sent when it ends.",
    services=("platform", "sending"),
    starts_at=datetime(2026, 12, 8, 21, tzinfo=UTC),
    ends_at=datetime(2026, 12, 8, 23, tzinfo=UTC),
    sequence=0,
    state="scheduled",
)


def _text(signer: str) -> str:
    return notice_text(
        "notice",
        WINDOW,
        name="Priya Shah",
        when="Tuesday 8 December, 9:00pm to 11:00pm UK time",
        organisation="e-shot",
        signer=signer,
        reminder_hours=24,
    )


def test_a_notice_is_signed_by_the_person_who_scheduled_it_then_the_organisation():
    text = _text("Sasha Success")
    assert text.startswith("Hello Priya,\n\nWe will carry out maintenance on Tuesday 8 December")
    assert text.rstrip().endswith("Kind regards,\nSasha Success\ne-shot")


def test_a_key_naming_no_one_leaves_the_organisation_to_sign():
    text = _text("")
    assert text.rstrip().endswith("Kind regards,\ne-shot")
    assert "\n\n\n" not in text
