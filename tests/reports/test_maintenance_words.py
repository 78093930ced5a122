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
        when="Tuesday 8 December, 21:00 to 23:00 UK time",
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


def test_times_are_on_the_24_hour_clock_as_everywhere_else():
    from reports.maintenance import banner_line, window_words

    # 20:00 GMT to 02:00 the next morning; 12:30 to 00:00 across a day.
    assert window_words(
        datetime(2026, 12, 8, 20, tzinfo=UTC), datetime(2026, 12, 9, 2, tzinfo=UTC),
        "Europe/London", datetime(2026, 12, 1, tzinfo=UTC),
    ) == "Tuesday 8 December, 20:00 to 02:00 UK time"  # fmt: skip
    line = banner_line(WINDOW, "Europe/London", datetime(2026, 12, 1, tzinfo=UTC))
    assert line == (
        "Scheduled maintenance: Database upgrade, Tuesday 8 December, 21:00 to 23:00 UK time. "
        "Affects the platform and sending."
    )
    assert "pm" not in line and "am " not in line


def test_a_reminder_is_promised_only_when_one_will_be_sent():
    reminded = _text("Sasha Success")
    assert "We will remind you a day before it starts." in reminded
    soon = notice_text(
        "notice", WINDOW, name="Priya Shah", when="Tuesday 8 December, 21:00 to 23:00 UK time",
        organisation="e-shot", signer="Sasha Success", reminder_hours=None,
    )  # fmt: skip
    assert "remind" not in soon
    assert "The attached calendar entry adds it to your calendar.\n" in soon
