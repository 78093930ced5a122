"""The mails that carry reports, invitations, reminders and chasers, read as their recipients
read them: one greeting, a person's name, dates written out, no API paths or ids."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from activities.objectives import objective_reminder_mail
from activities.reports import report_mail_subject, report_mail_text
from activities.reviews import action_chase_mail, invite_text, shortened, sign_off
from db.models import Account, Objective, Report, Review, ReviewAction

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
INTERNAL = ("/accounts/", "/reports/", "/reviews/", "/tickets/", "Pledge", "pledge", "2026-Q4")


def account(manager: str | None = "Lena Park") -> Account:
    return Account(
        id=9, name="Atlas Workspace", policy="essensys", calendar="us-pacific",
        success_manager_name=manager,
    )  # fmt: skip


def speaks_to_people(*texts: str) -> None:
    for text in texts:
        assert not ISO.search(text), text
        for word in INTERNAL:
            assert word not in text, (word, text)


def test_report_mails_say_what_is_attached_and_who_sends_it() -> None:
    review = Review(starts_at=datetime(2027, 1, 27, 18, tzinfo=UTC), quarter="2026-Q4")
    pack = Report(
        kind="review_pack", period="2026-Q4", figures={},
        title="Quarterly business review, Q4 2026 (October to December)",
    )  # fmt: skip
    text = report_mail_text(pack, account(), review, "e-shot")
    assert "quarterly business review on Wednesday 27 January 2027 at 10:00 PST" in text
    assert "how Q4 2026 (October to December) went" in text
    assert text.count("Hello") == 1 and text.endswith("Lena Park\ne-shot\n")
    assert report_mail_subject(pack) == "Quarterly business review pack, Q4 2026"
    incident = Report(
        kind="incident", period="T-2026-000123", title="Incident report, T-2026-000123",
        figures={"subject": "iPhone previews are blank"},
    )  # fmt: skip
    said = report_mail_text(incident, account(None), None, "e-shot")
    # The reference and the subject in their own case; no manager, so the organisation signs.
    assert "the incident T-2026-000123, iPhone previews are blank." in said
    assert said.endswith("\n\ne-shot\n")
    monthly = Report(kind="monthly", period="2026-11", title="Monthly report, November 2026")
    said_monthly = report_mail_text(monthly, account(), None, "e-shot")
    assert "the monthly report for Atlas Workspace, covering November 2026." in said_monthly
    speaks_to_people(text, said, said_monthly)
    # A reader with a name is greeted by it; the success manager does not sign to themselves.
    to_ann = report_mail_text(monthly, account(), None, "e-shot", "Ann Smith")
    assert to_ann.startswith("Hello Ann Smith,\n") and to_ann.endswith("Lena Park\ne-shot\n")
    to_lena = report_mail_text(monthly, account(), None, "e-shot", "Lena Park")
    assert to_lena.startswith("Hello Lena Park,\n") and to_lena.count("Lena Park") == 1


def test_an_invitation_greets_once_and_names_its_quarter() -> None:
    when = "Wednesday 27 January 2027 at 10:00 PST"
    signature = sign_off(account(), "e-shot")
    named = invite_text("Ann Smith", cancelled=False, when=when, quarter="2026-Q4",
                        signature=signature)  # fmt: skip
    assert named.startswith("Hello Ann Smith,\n") and named.count("Hello") == 1
    assert "Q4 2026 (October to December)" in named
    nameless = invite_text(" ", cancelled=True, when=when, quarter="2026-Q4", signature=signature)
    assert nameless.startswith("Hello,\n") and "is cancelled" in nameless
    speaks_to_people(named, nameless)


def test_reminders_and_chasers_name_people_and_dates() -> None:
    objective = Objective(
        name="First campaign sent", metric="campaigns_sent", target=1.0, direction="at_least",
        due_on=date(2026, 12, 18), owner_name="Tom Baker", owner_email="tom@example.com",
    )  # fmt: skip
    subject, body = objective_reminder_mail(
        objective, account(), to_owner=True, organisation="e-shot"
    )
    assert subject == "Objective due Friday 18 December 2026: First campaign sent (Atlas Workspace)"
    assert body.startswith("Hello Tom Baker,") and "campaigns sent at least 1." in body
    long = "Add the new Mission Bay site to monitoring before it opens, and check every door"
    action = ReviewAction(description=long, owner_name="Tom Baker", due_on=date(2027, 2, 5))
    subject, chase = action_chase_mail(
        action, account(), kind="overdue", to_owner=False, organisation="e-shot"
    )
    assert subject.startswith("Review action is overdue: Add the new Mission Bay site")
    assert "…" in subject and " (Atlas Workspace)" in subject  # cut at a word, and marked
    assert chase.startswith("Hello Lena Park,") and "(Friday 5 February 2027)" in chase
    speaks_to_people(subject, body, chase)
    assert shortened("short", 80) == "short"
