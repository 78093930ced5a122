"""The words the accounts pages use: what an edition includes, what a state means, and the
line said after something was done."""

from __future__ import annotations

import calendar

import sla

# After a form went through (the redirect's ?done=…): only these words are ever shown, so a
# crafted link cannot put text of its own on the page.
DONE = {
    "account_created": "Account added.",
    "account_saved": "Account saved.",
    "contact_added": "Contact added.",
    "contact_saved": "Contact saved.",
    "contact_removed": "Contact removed.",
    "portal_invited": "Invited to the customer portal: they have been e-mailed how to sign in.",
    "portal_unsent": "They now have access to the customer portal, but the invitation could not "
    "be e-mailed. Try again when mail is working.",
    "portal_withdrawn": "Portal access taken away; anyone signed in as them is signed out.",
    "report_made": "Report made; it is at the top of the list.",
    "review_proposed": "Review proposed; the invitation has gone out.",
    "review_moved": "Review moved; the new invitation has gone out.",
    "review_cancelled": "Review cancelled; everyone invited has been told.",
    "recommendations_saved": "Recommendations saved.",
    "outcome_recorded": "Outcome recorded.",
    "action_done": "Action marked done.",
    "objective_added": "Objective added.",
    "measurement_recorded": "Measurement recorded.",
}

_SERVICES = (
    ("customer_success_manager", "a customer success manager"),
    ("account_manager", "an account manager"),
    ("quarterly_business_review", "quarterly business reviews"),
    ("monthly_reporting", "monthly reports"),
    ("incident_reporting", "incident reports"),
    ("onboarding_objectives", "onboarding objectives"),
)

_STATUS = {
    # tickets
    "open": "Open",
    "waiting": "Waiting on the customer",
    "delayed": "Delayed (waiting on the customer)",
    # reviews
    "scheduled": "Scheduled",
    "cancelled": "Cancelled",
    "held": "Held",
    # objectives and actions
    "achieved": "Achieved",
    "missed": "Missed",
    "overdue": "Overdue",
    "done": "Done",
}


def status_words(status: str) -> str:
    return _STATUS.get(status, status.replace("_", " ").capitalize())


def services_in_words(policy: sla.Policy, edition: str) -> tuple[str, str]:
    """('It includes a customer success manager and monthly reports.', 'It does not include
    …'): the edition's services as two sentences (either may be empty)."""
    entitled = policy.entitlements(edition)
    has = [words for name, words in _SERVICES if getattr(entitled, name)]
    lacks = [words for name, words in _SERVICES if not getattr(entitled, name)]
    included = f"It includes {_listed(has, 'and')}." if has else "It includes no account services."
    missing = f"It does not include {_listed(lacks, 'or')}." if lacks else ""
    return included, missing


def _listed(items: list[str], last: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def month_words(period: str) -> str:
    """'November 2026' for 2026-11."""
    year, month = period.split("-")
    return f"{calendar.month_name[int(month)]} {year}"
